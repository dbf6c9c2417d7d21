//! The response-time metric of `muxHTTP`'s upstreams, labelled by where a connection went
//! (what `connect` dialled), never by the pool key: a key per client connection (`muxHTTP()`
//! without a key) would make one series per client, without bound.

use std::time::Duration;

/// Label of the connections that noted no address and whose key names none.
const UNKNOWN: &str = "unknown";

/// The `upstream` label for a connection of pool `key` whose sub-pipeline noted `reached`.
/// Without an address, a key the script gave as a string (`muxHTTP(() => 'backend')`) stands
/// in; any other key (a number, an object, a client connection) is `unknown`.
pub(super) fn label<'a>(reached: Option<&'a str>, key: &'a str) -> &'a str {
    match reached {
        Some(r) if !r.is_empty() => r,
        _ => key.strip_prefix("string:").unwrap_or(UNKNOWN),
    }
}

/// Notes one upstream response that took `took` from the request sent to its head.
pub(super) fn observe_response(reached: Option<&str>, key: &str, took: Duration) {
    crate::metrics::builtin()
        .upstream_seconds
        .with_label_values(&[label(reached, key)])
        .observe(took.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn the_address_reached_wins_over_any_key() {
        assert_eq!(label(Some("127.0.0.1:8080"), "inbound:7"), "127.0.0.1:8080");
        assert_eq!(label(Some("10.0.0.1:80"), "string:backend"), "10.0.0.1:80");
    }

    #[test]
    fn without_an_address_only_a_named_key_stands_in() {
        assert_eq!(label(None, "string:backend"), "backend");
        assert_eq!(label(None, "inbound:7"), "unknown");
        assert_eq!(label(Some(""), "number:1"), "unknown");
    }
}
