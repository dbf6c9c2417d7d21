//! Scratch vectors of the HTTP/1 filters: per-worker pools of emptied vectors, for the
//! short-lived lists made on every message (the parts one read decodes into, the byte chunks
//! one event encodes into). Taking one from a pool keeps its capacity, so the hot path does
//! not allocate for them.

use std::cell::RefCell;

use bytes::Bytes;

use crate::http::decoder::Part;

/// A stack of empty vectors with capacity.
pub struct VecPool<T>(RefCell<Vec<Vec<T>>>);

/// Vectors longer than this are not kept (a burst should not pin memory).
const MAX_KEPT_CAPACITY: usize = 64;
/// Vectors kept per pool.
const MAX_KEPT: usize = 16;

impl<T> VecPool<T> {
    /// An empty pool.
    pub const fn new() -> VecPool<T> {
        VecPool(RefCell::new(Vec::new()))
    }

    /// An empty vector, with capacity when the pool has one.
    pub fn take(&self) -> Vec<T> {
        self.0.borrow_mut().pop().unwrap_or_default()
    }

    /// Gives a vector back (emptied here).
    pub fn give(&self, mut v: Vec<T>) {
        v.clear();
        if v.capacity() == 0 || v.capacity() > MAX_KEPT_CAPACITY {
            return;
        }
        let mut pool = self.0.borrow_mut();
        if pool.len() < MAX_KEPT {
            pool.push(v);
        }
    }
}

impl<T> Default for VecPool<T> {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    /// Byte chunks an encoder writes for one event.
    pub static CHUNKS: VecPool<Bytes> = const { VecPool::new() };
    /// Parts a decoder finds in one read.
    pub static PARTS: VecPool<Part> = const { VecPool::new() };
}

/// An empty list for encoded chunks (give it back with [`give_chunks`]).
pub fn chunks() -> Vec<Bytes> {
    CHUNKS.with(|p| p.take())
}

/// Returns a list taken with [`chunks`].
pub fn give_chunks(v: Vec<Bytes>) {
    CHUNKS.with(|p| p.give(v))
}

/// An empty list for decoded parts (give it back with [`give_parts`]).
pub fn parts() -> Vec<Part> {
    PARTS.with(|p| p.take())
}

/// Returns a list taken with [`parts`].
pub fn give_parts(v: Vec<Part>) {
    PARTS.with(|p| p.give(v))
}

#[cfg(test)]
mod tests {
    use super::VecPool;

    #[test]
    fn keeps_capacity_and_drops_big_vectors() {
        let pool: VecPool<u32> = VecPool::new();
        let mut v = pool.take();
        v.extend([1, 2, 3]);
        let cap = v.capacity();
        pool.give(v);
        let v = pool.take();
        assert!(v.is_empty());
        assert_eq!(v.capacity(), cap);
        pool.give(Vec::with_capacity(1000));
        assert_eq!(pool.take().capacity(), 0);
    }
}
