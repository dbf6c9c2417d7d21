//! What each filter takes in and gives out, as events, and where its tested example is.
//!
//! The filter registry says what a filter is called and what its parameters are; this table
//! adds, for the reference, the events a filter consumes and produces. Filters missing here are
//! shown without that line; the reference's coverage note counts them.

use std::path::Path;

/// The events `name` takes in and gives out, in plain words, if the table knows them.
pub fn events(name: &str) -> Option<(&'static str, &'static str)> {
    const BYTES: &str = "Data (bytes), StreamEnd";
    const MESSAGES: &str = "messages (MessageStart, Data, MessageEnd), StreamEnd";
    const SAME: &str = "its input, unchanged";
    Some(match name {
        "serveHTTP" => (BYTES, "Data: the encoded HTTP responses"),
        "demuxHTTP" => (
            BYTES,
            "Data: the encoded responses of its sub-pipelines, in order",
        ),
        "muxHTTP" => (MESSAGES, "the response message of each request"),
        "connect" => (BYTES, "Data received from the upstream, then StreamEnd"),
        "acceptTLS" | "connectTLS" => (BYTES, "Data: the other side of the TLS layer"),
        "decodeHTTPRequest" | "decodeHTTPResponse" => (BYTES, MESSAGES),
        "encodeHTTPRequest" | "encodeHTTPResponse" => (MESSAGES, BYTES),
        "handleMessageStart" | "handleMessageEnd" | "handleMessage" | "handleMessageBody"
        | "handleData" | "handleStreamStart" | "handleStreamEnd" | "handle" | "dump" | "print"
        | "tee" => ("any events", SAME),
        "replaceMessage" | "replaceMessageBody" => {
            (MESSAGES, "the replacement, in place of each whole message")
        }
        "replaceMessageStart"
        | "replaceMessageEnd"
        | "replaceData"
        | "replaceStreamStart"
        | "replaceStreamEnd"
        | "replace" => (
            "any events",
            "its input, with the events of that kind replaced",
        ),
        "branch" | "branchMessageStart" | "branchMessage" | "link" | "chain" | "use" => (
            "any events",
            "the output of the chosen sub-pipeline (events before the choice are replayed into it)",
        ),
        "fork" => (
            "any events",
            "its input, unchanged (the copies' output is dropped)",
        ),
        "forkJoin" | "forkRace" => ("any events", "its input, once the copies have ended"),
        "throttleMessageRate" | "throttleDataRate" | "throttleConcurrency" => (
            "any events",
            "its input, unchanged, held back while the quota is used up",
        ),
        "compress" | "decompress" => ("Data", "Data, compressed or decompressed"),
        "compressHTTP" | "decompressHTTP" => (MESSAGES, "messages with the body (de)compressed"),
        "split" => ("Data", MESSAGES),
        "pack" => ("Data", "Data, in fewer, larger chunks"),
        "replay" => (
            "any events",
            "the output of its sub-pipeline, run again while it ends with StreamEnd('Replay')",
        ),
        "wait" => ("any events", "its input, held until the condition holds"),
        "dummy" => ("any events", "nothing"),
        _ => return None,
    })
}

/// The example of filter `name` under `examples` (`docs/examples/filters`): its `main.js`, if
/// there is one.
pub fn example(examples: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(examples.join(name).join("main.js")).ok()
}
