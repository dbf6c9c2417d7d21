//! MIME multipart bodies (RFC 2046).
