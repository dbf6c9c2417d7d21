//! The client side of a datagram socket (UDP, netlink): datagrams written before the socket is
//! open wait, in order, and go out as soon as it is.

use std::cell::RefCell;
use std::rc::Rc;

use bytes::Bytes;

/// A socket that sends one datagram at a time.
pub trait DatagramSocket {
    /// The log target its failures go to.
    const TARGET: &'static str;
    /// Sends one datagram without waiting.
    fn send_datagram(&self, b: &[u8]) -> std::io::Result<()>;
}

/// A datagram socket that may not be open yet.
pub struct DatagramLink<S> {
    socket: RefCell<Option<S>>,
    pending: RefCell<Vec<Bytes>>,
}

impl<S: DatagramSocket> DatagramLink<S> {
    /// A link with no socket yet.
    pub fn new() -> Rc<DatagramLink<S>> {
        Rc::new(DatagramLink {
            socket: RefCell::new(None),
            pending: RefCell::new(Vec::new()),
        })
    }

    /// Sends one datagram (or keeps it until the socket is open). A failed send is logged and
    /// the datagram dropped, as a datagram socket would.
    pub fn send(&self, b: Bytes) {
        if b.is_empty() {
            return;
        }
        match &*self.socket.borrow() {
            Some(s) => {
                if let Err(e) = s.send_datagram(&b) {
                    tracing::debug!(target: "datagram", "{} send failed: {e}", S::TARGET);
                }
            }
            None => self.pending.borrow_mut().push(b),
        }
    }

    /// The socket is open: what waits goes out now, in order.
    pub(super) fn open(&self, socket: S) {
        *self.socket.borrow_mut() = Some(socket);
        for b in self.pending.take() {
            self.send(b);
        }
    }
}
