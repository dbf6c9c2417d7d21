//! The PROXY protocol header (HAProxy's, versions 1 and 2): what a proxy in front of us says
//! about the original connection, and what we say to a server behind us.
//!
//! Version 1 is one text line, `PROXY TCP4 <src> <dst> <sport> <dport>\r\n`, at most 107 bytes.
//! Version 2 is binary: a 12-byte signature, version and command, family and transport, a
//! 16-bit length, then the addresses and optional TLVs (which are skipped). The decoder looks
//! at bytes as they arrive, rejects a stream as soon as it cannot be a header, never buffers
//! more than [`V1_MAX`] or `16 + ` [`V2_MAX_BODY`] bytes, and checks that a version 2 body is
//! long enough for the addresses of its family.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The longest version 1 line, CRLF included.
pub const V1_MAX: usize = 107;

/// The most version 2 body bytes (addresses and TLVs) accepted.
pub const V2_MAX_BODY: usize = 4096;

const V1_PREFIX: &[u8] = b"PROXY ";
const V2_SIGNATURE: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";

/// What the connection carries, as the header names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Tcp4,
    Tcp6,
    Udp4,
    Udp6,
    Unix,
    UnixDgram,
    Unknown,
}

impl Protocol {
    /// The name scripts see (`TCP4`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp4 => "TCP4",
            Protocol::Tcp6 => "TCP6",
            Protocol::Udp4 => "UDP4",
            Protocol::Udp6 => "UDP6",
            Protocol::Unix => "UNIX",
            Protocol::UnixDgram => "UNIX_DGRAM",
            Protocol::Unknown => "UNKNOWN",
        }
    }

    /// Looks a name up.
    pub fn from_name(s: &str) -> Option<Protocol> {
        [
            Protocol::Tcp4,
            Protocol::Tcp6,
            Protocol::Udp4,
            Protocol::Udp6,
            Protocol::Unix,
            Protocol::UnixDgram,
            Protocol::Unknown,
        ]
        .into_iter()
        .find(|p| p.name() == s)
    }

    fn is_v6(self) -> bool {
        matches!(self, Protocol::Tcp6 | Protocol::Udp6)
    }
}

/// A decoded (or to be encoded) header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// 1 or 2.
    pub version: u8,
    /// `true` for PROXY (a relayed connection), `false` for LOCAL (the proxy's own, e.g. a
    /// health check: the addresses mean nothing).
    pub proxied: bool,
    /// The transport and family.
    pub protocol: Protocol,
    /// Source and destination of the original connection, when the header gives them.
    pub addresses: Option<(SocketAddr, SocketAddr)>,
}

/// The decoder's verdict on the bytes so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Not enough bytes yet.
    Incomplete,
    /// A header, and how many bytes it took.
    Header(Header, usize),
    /// Not a valid header.
    Invalid(&'static str),
}

/// Decodes a header at the start of `buf`.
pub fn decode(buf: &[u8]) -> Decoded {
    let n = buf.len().min(V2_SIGNATURE.len());
    if buf.len() >= V1_PREFIX.len() && buf.starts_with(V1_PREFIX) {
        return decode_v1(buf);
    }
    let v1_possible = V1_PREFIX.starts_with(&buf[..buf.len().min(V1_PREFIX.len())]);
    let v2_possible = buf[..n] == V2_SIGNATURE[..n];
    if !v1_possible && !v2_possible {
        return Decoded::Invalid("no PROXY protocol signature");
    }
    if v2_possible && buf.len() >= V2_SIGNATURE.len() {
        return decode_v2(buf);
    }
    Decoded::Incomplete
}

fn decode_v1(buf: &[u8]) -> Decoded {
    let window = &buf[..buf.len().min(V1_MAX)];
    let Some(end) = window.windows(2).position(|w| w == b"\r\n") else {
        return if buf.len() >= V1_MAX {
            Decoded::Invalid("version 1 line longer than 107 bytes")
        } else if window
            .iter()
            .any(|&c| c == b'\n' || !(c == b'\r' || (0x20..0x7f).contains(&c)))
        {
            Decoded::Invalid("version 1 line with a bad character")
        } else {
            Decoded::Incomplete
        };
    };
    let Ok(line) = std::str::from_utf8(&buf[V1_PREFIX.len()..end]) else {
        return Decoded::Invalid("version 1 line is not text");
    };
    let mut fields = line.split(' ');
    let protocol = match fields.next() {
        Some("TCP4") => Protocol::Tcp4,
        Some("TCP6") => Protocol::Tcp6,
        Some("UNKNOWN") => {
            return Decoded::Header(
                Header {
                    version: 1,
                    proxied: true,
                    protocol: Protocol::Unknown,
                    addresses: None,
                },
                end + 2,
            )
        }
        _ => return Decoded::Invalid("version 1 protocol is not TCP4, TCP6 or UNKNOWN"),
    };
    let parts: Vec<&str> = fields.collect();
    let [src, dst, sport, dport] = parts[..] else {
        return Decoded::Invalid("version 1 line does not have four address fields");
    };
    let ip = |s: &str| -> Option<IpAddr> {
        if protocol == Protocol::Tcp4 {
            s.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
        } else {
            s.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
        }
    };
    let port = |s: &str| -> Option<u16> {
        let ok = !s.is_empty() && s.len() <= 5 && s.bytes().all(|c| c.is_ascii_digit());
        ok.then(|| s.parse().ok()).flatten()
    };
    match (ip(src), ip(dst), port(sport), port(dport)) {
        (Some(s), Some(d), Some(sp), Some(dp)) => Decoded::Header(
            Header {
                version: 1,
                proxied: true,
                protocol,
                addresses: Some((SocketAddr::new(s, sp), SocketAddr::new(d, dp))),
            },
            end + 2,
        ),
        _ => Decoded::Invalid("version 1 address or port is malformed"),
    }
}

fn decode_v2(buf: &[u8]) -> Decoded {
    if buf.len() < 16 {
        return Decoded::Incomplete;
    }
    let version = buf[12] >> 4;
    let command = buf[12] & 0x0f;
    if version != 2 {
        return Decoded::Invalid("version 2 signature with another version");
    }
    let proxied = match command {
        0 => false,
        1 => true,
        _ => return Decoded::Invalid("version 2 command is neither LOCAL nor PROXY"),
    };
    let (protocol, needed) = match buf[13] {
        0x00 => (Protocol::Unknown, 0),
        0x11 => (Protocol::Tcp4, 12),
        0x12 => (Protocol::Udp4, 12),
        0x21 => (Protocol::Tcp6, 36),
        0x22 => (Protocol::Udp6, 36),
        0x31 => (Protocol::Unix, 216),
        0x32 => (Protocol::UnixDgram, 216),
        _ => return Decoded::Invalid("version 2 family or transport is unknown"),
    };
    let len = u16::from_be_bytes([buf[14], buf[15]]) as usize;
    if len > V2_MAX_BODY {
        return Decoded::Invalid("version 2 header is too long");
    }
    if len < needed {
        return Decoded::Invalid("version 2 header is too short for its addresses");
    }
    if buf.len() < 16 + len {
        return Decoded::Incomplete;
    }
    let body = &buf[16..16 + len];
    let port = |i: usize| u16::from_be_bytes([body[i], body[i + 1]]);
    let addresses = match protocol {
        _ if !proxied => None,
        Protocol::Tcp4 | Protocol::Udp4 => {
            let s = Ipv4Addr::new(body[0], body[1], body[2], body[3]);
            let d = Ipv4Addr::new(body[4], body[5], body[6], body[7]);
            Some((
                SocketAddr::new(s.into(), port(8)),
                SocketAddr::new(d.into(), port(10)),
            ))
        }
        Protocol::Tcp6 | Protocol::Udp6 => {
            let mut s = [0u8; 16];
            let mut d = [0u8; 16];
            s.copy_from_slice(&body[..16]);
            d.copy_from_slice(&body[16..32]);
            Some((
                SocketAddr::new(Ipv6Addr::from(s).into(), port(32)),
                SocketAddr::new(Ipv6Addr::from(d).into(), port(34)),
            ))
        }
        _ => None,
    };
    Decoded::Header(
        Header {
            version: 2,
            proxied,
            protocol,
            addresses,
        },
        16 + len,
    )
}

/// Encodes `h`. Version 1 knows TCP4, TCP6 and UNKNOWN; version 2 the IP families (UNIX
/// addresses are not encoded). Addresses must match the protocol's family.
pub fn encode(h: &Header) -> Result<Vec<u8>, String> {
    if let Some((s, d)) = h.addresses {
        let v6 = h.protocol.is_v6();
        if s.is_ipv6() != v6 || d.is_ipv6() != v6 {
            return Err(format!(
                "the addresses do not belong to protocol {}",
                h.protocol.name()
            ));
        }
    }
    match h.version {
        1 => encode_v1(h),
        2 => encode_v2(h),
        v => Err(format!("unknown PROXY protocol version {v}")),
    }
}

fn encode_v1(h: &Header) -> Result<Vec<u8>, String> {
    let line = match (h.protocol, h.addresses) {
        (Protocol::Unknown, _) => "PROXY UNKNOWN\r\n".to_string(),
        (Protocol::Tcp4 | Protocol::Tcp6, Some((s, d))) => format!(
            "PROXY {} {} {} {} {}\r\n",
            h.protocol.name(),
            s.ip(),
            d.ip(),
            s.port(),
            d.port()
        ),
        (p, _) => return Err(format!("version 1 cannot carry protocol {}", p.name())),
    };
    Ok(line.into_bytes())
}

fn encode_v2(h: &Header) -> Result<Vec<u8>, String> {
    let mut out = V2_SIGNATURE.to_vec();
    out.push(0x20 | u8::from(h.proxied));
    let family = match h.protocol {
        Protocol::Unknown => 0x00,
        Protocol::Tcp4 => 0x11,
        Protocol::Udp4 => 0x12,
        Protocol::Tcp6 => 0x21,
        Protocol::Udp6 => 0x22,
        p => return Err(format!("cannot encode protocol {} addresses", p.name())),
    };
    out.push(family);
    let mut body = Vec::new();
    if let (Some((s, d)), true) = (h.addresses, family != 0) {
        match (s.ip(), d.ip()) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                body.extend_from_slice(&a.octets());
                body.extend_from_slice(&b.octets());
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                body.extend_from_slice(&a.octets());
                body.extend_from_slice(&b.octets());
            }
            _ => return Err("mixed address families".into()),
        }
        body.extend_from_slice(&s.port().to_be_bytes());
        body.extend_from_slice(&d.port().to_be_bytes());
    } else if family != 0 {
        return Err(format!("protocol {} needs addresses", h.protocol.name()));
    }
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn version_1_lines() {
        let h = b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nGET /";
        match decode(h) {
            Decoded::Header(h, n) => {
                assert_eq!(n, 45);
                assert_eq!(
                    h.addresses,
                    Some((addr("192.0.2.1:56324"), addr("198.51.100.2:443")))
                );
            }
            d => panic!("{d:?}"),
        }
        assert!(matches!(
            decode(b"PROXY UNKNOWN whatever\r\n"),
            Decoded::Header(_, 24)
        ));
        assert_eq!(decode(b"PROXY TCP4 1.2.3.4"), Decoded::Incomplete);
        assert_eq!(decode(b"PRO"), Decoded::Incomplete);
        assert!(matches!(
            decode(b"PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n"),
            Decoded::Invalid(_)
        ));
        assert!(matches!(
            decode(b"PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n"),
            Decoded::Invalid(_)
        ));
        assert!(matches!(decode(b"GET / HTTP/1.1\r\n"), Decoded::Invalid(_)));
        let long = [b"PROXY TCP4 ".as_slice(), &[b'1'; 120]].concat();
        assert!(matches!(decode(&long), Decoded::Invalid(_)));
    }

    #[test]
    fn version_2_round_trips_and_checks_lengths() {
        for (p, s, d) in [
            (Protocol::Tcp4, "10.0.0.1:1234", "10.0.0.2:80"),
            (Protocol::Tcp6, "[2001:db8::1]:1234", "[::1]:80"),
        ] {
            let h = Header {
                version: 2,
                proxied: true,
                protocol: p,
                addresses: Some((addr(s), addr(d))),
            };
            let mut bytes = encode(&h).unwrap();
            let n = bytes.len();
            for i in 0..n {
                assert_eq!(decode(&bytes[..i]), Decoded::Incomplete, "prefix {i}");
            }
            bytes.extend_from_slice(b"payload");
            assert_eq!(decode(&bytes), Decoded::Header(h.clone(), n));
            let v1 = Header {
                version: 1,
                ..h.clone()
            };
            let line = encode(&v1).unwrap();
            assert_eq!(decode(&line), Decoded::Header(v1, line.len()));
        }
        // A TCP4 header whose length cannot hold the addresses.
        let mut short = V2_SIGNATURE.to_vec();
        short.extend_from_slice(&[0x21, 0x11, 0, 4, 1, 2, 3, 4]);
        assert!(matches!(decode(&short), Decoded::Invalid(_)));
        let mut long = V2_SIGNATURE.to_vec();
        long.extend_from_slice(&[0x21, 0x11, 0xff, 0xff]);
        assert!(matches!(decode(&long), Decoded::Invalid(_)));
        let mut local = V2_SIGNATURE.to_vec();
        local.extend_from_slice(&[0x20, 0x00, 0, 0]);
        assert!(matches!(
            decode(&local),
            Decoded::Header(
                Header {
                    proxied: false,
                    addresses: None,
                    ..
                },
                16
            )
        ));
    }
}
