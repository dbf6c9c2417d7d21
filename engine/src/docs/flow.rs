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
        "acceptGRPCWeb" => (
            "gRPC-Web request messages (binary or base64 text bodies)",
            "gRPC-Web response messages: the sub-pipeline's gRPC responses, trailers in the body",
        ),
        "acceptHTTPTunnel" => (
            "a CONNECT (or upgrade) request message, then Data",
            "the handler's response message, then the Data of the tunnel's sub-pipeline",
        ),
        "acceptProxyProtocol" => (
            BYTES,
            "the output of its sub-pipeline, which gets the stream without the PROXY header",
        ),
        "acceptSOCKS" => (
            BYTES,
            "Data: the SOCKS replies, then the output of the tunnel's sub-pipeline",
        ),
        "connectHTTPTunnel" => (
            BYTES,
            "Data received through the tunnel (the CONNECT request goes out through the sub-pipeline first)",
        ),
        "connectProxyProtocol" => (
            BYTES,
            "the output of its sub-pipeline, which gets the PROXY header, then the stream",
        ),
        "connectSOCKS" => (
            BYTES,
            "Data received through the tunnel, once the SOCKS 5 handshake is done",
        ),
        "decodeBGP" => (BYTES, "a message per BGP message, its fields as the payload"),
        "encodeBGP" => ("messages whose payload is a BGP message object", BYTES),
        "decodeDubbo" => (
            BYTES,
            "a message per Dubbo frame: head {requestID, isRequest, isTwoWay, isEvent, serializationType, status}, the frame's data as the body",
        ),
        "encodeDubbo" => ("messages with Dubbo heads", BYTES),
        "decodeMQTT" => (
            BYTES,
            "a message per MQTT packet: the packet's fields as the head, its payload as the body",
        ),
        "encodeMQTT" => ("messages with MQTT packet heads", BYTES),
        "decodeMultipart" => (
            "multipart messages (the boundary from content-type)",
            "a message per part: head {headers}, the part's content as the body",
        ),
        "decodeNetlink" => (
            BYTES,
            "a message per netlink message: head {type, flags, seq, pid}, the payload as the body",
        ),
        "encodeNetlink" => ("messages with heads {type, flags, seq, pid}", BYTES),
        "decodeRESP" => (
            BYTES,
            "a message per RESP value, the value (string, number, array...) as its payload",
        ),
        "encodeRESP" => ("messages whose payload is a RESP value", BYTES),
        "decodeThrift" => (
            BYTES,
            "a message per Thrift message, with {protocol, type, seqID, name, fields} as its payload",
        ),
        "encodeThrift" => ("messages whose payload is a Thrift message object", BYTES),
        "decodeWebSocket" => (
            BYTES,
            "a message per WebSocket message: head {opcode, masked}, the unmasked payload as the body",
        ),
        "encodeWebSocket" => ("messages with heads {opcode, masked}", "Data: WebSocket frames"),
        "deframe" => (
            BYTES,
            "the events its state functions return (usually messages)",
        ),
        "demux" | "demuxQueue" => (
            MESSAGES,
            "the replies of the sub-pipelines, one per message, in message order",
        ),
        "mux" | "muxQueue" => (
            MESSAGES,
            "the replies of the shared session, each back to the stream that sent its message",
        ),
        "demuxFastCGI" => (
            "Data: a FastCGI connection",
            "Data: the FastCGI records of the sub-pipelines' answers",
        ),
        "muxFastCGI" => (
            "request messages: head {role, keepAlive, params}, standard input as the body",
            "the application's answers: standard output as the body, {appStatus, protocolStatus, stderr} in the tail",
        ),
        "depositMessage" => (MESSAGES, "the same messages, their bodies read back from the spool file"),
        "detectProtocol" => ("Data", "its input, unchanged (the callback is told the protocol)"),
        "exec" => (
            "Data: the child's standard input",
            "Data: the child's standard output, then StreamEnd when it exits",
        ),
        "handleTLSClientHello" => ("Data", "its input, unchanged"),
        "insert" => ("any events", "the given events first, then its input"),
        "linkAsync" => (
            "any events",
            "the output of its sub-pipeline, which gets the events on a later turn",
        ),
        "loop" => (
            "any events",
            "the output of its sub-pipeline, which is also fed back into it",
        ),
        "pipe" | "pipeNext" => (
            "any events",
            "the output of the pipeline chosen (or of the next one of the chain)",
        ),
        "produce" => ("nothing (its input is ignored)", "the producer's events, until a StreamEnd"),
        "read" => ("any event (the first starts it)", "Data: the file's content, then StreamEnd"),
        "repeat" => (
            "any events",
            "the output of its sub-pipeline, run again while its StreamEnd meets the condition",
        ),
        "swap" => (
            "any events (sent to the hub's other members)",
            "what the hub's other members send",
        ),
        _ => return None,
    })
}

/// The example of filter `name` under `examples` (`docs/examples/filters`): its `main.js`, if
/// there is one.
pub fn example(examples: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(examples.join(name).join("main.js")).ok()
}
