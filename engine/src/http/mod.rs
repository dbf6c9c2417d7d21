//! HTTP/1.x: a decoder and an encoder that work on bytes and heads, with no I/O, so the
//! filters (`filters/http_*.rs`) and unit tests drive the same code.
//!
//! The server side (`demuxHTTP`, `serveHTTP`, `decodeHTTPRequest`, `encodeHTTPResponse`) and
//! the client side (`muxHTTP`, `encodeHTTPRequest`, `decodeHTTPResponse`) are the two roles of
//! one codec.

pub mod access;
pub mod body;
pub mod chunked;
pub mod decoder;
pub mod encoder;
pub mod framing;
pub mod grpc;
pub mod h2;
pub mod h2_tunnel;
pub mod h2c;
pub mod head;
pub mod head_view;
pub mod header;
pub mod pipe_io;
pub mod status;
pub mod syntax;
pub mod tail;
pub mod v2;

/// Which side of an exchange a codec handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Requests (server side decodes, client side encodes).
    Request,
    /// Responses.
    Response,
}
