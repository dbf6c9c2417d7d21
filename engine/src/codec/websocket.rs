//! WebSocket frames (RFC 6455).
