//! The typed side of each filter's parameters: TypeScript parameter lists and option objects.
//!
//! The filter registry gives each filter's name, one-line purpose and parameter docs; this
//! table adds the types. The typings generator joins the two, and its tests fail when a filter
//! has no signature here, or a parameter here has no doc in the registry.

/// One declaration of a filter method: its name and TypeScript parameters (`name?: Type`).
/// A filter with optional leading arguments has several.
pub type Signature = (&'static str, &'static [&'static str]);

/// A field of an options object: name, TypeScript type, one-line purpose.
pub type OptionField = (&'static str, &'static str, &'static str);

/// An options interface: name, purpose, fields.
pub type OptionSchema = (&'static str, &'static str, &'static [OptionField]);

/// Docs for parameters that some signatures add beyond the registry's list.
pub static EXTRA_PARAM_DOCS: &[(&str, &str)] = &[
    (
        "sizeLimit",
        "most body bytes kept per message (a number, or a size like '1m'); the rest is dropped",
    ),
    (
        "moreConditionsAndLayouts",
        "more condition, layout pairs, tried in order; a last lone layout is the default",
    ),
    (
        "moreTargetsAndConditions",
        "more target, condition pairs, tried in order",
    ),
    (
        "bufferOptions",
        "{bufferLimit}: most bytes buffered per message",
    ),
];

/// Registry parameters that the signatures take through a rest parameter (`branch`'s default
/// layout comes last among `moreConditionsAndLayouts`).
#[cfg(test)]
pub static TAKEN_BY_REST: &[&str] = &["default"];

/// Every filter's parameter lists.
pub static SIGNATURES: &[Signature] = &[
    ("acceptGRPCWeb", &["target?: Layout"]),
    (
        "acceptHTTPTunnel",
        &["target: Layout", "handler: (request: Message) => Message | void"],
    ),
    (
        "acceptSOCKS",
        &["target: Layout", "handler: (request: SOCKSRequest) => boolean"],
    ),
    ("acceptTLS", &["target: Layout", "options?: AcceptTLSOptions"]),
    ("acceptTLS", &["options?: AcceptTLSOptions"]),
    (
        "branch",
        &[
            "condition: Condition",
            "layout: Layout",
            "...moreConditionsAndLayouts: (Condition | Layout)[]",
        ],
    ),
    (
        "branchMessage",
        &[
            "condition: Condition<Message>",
            "layout: Layout",
            "...moreConditionsAndLayouts: (Condition<Message> | Layout)[]",
        ],
    ),
    (
        "branchMessageStart",
        &[
            "condition: Condition<MessageStart>",
            "layout: Layout",
            "...moreConditionsAndLayouts: (Condition<MessageStart> | Layout)[]",
        ],
    ),
    ("chain", &["modules?: string[]"]),
    (
        "compressHTTP",
        &["algorithm: Compression | ((messageStart: MessageStart) => Compression | null | undefined)"],
    ),
    ("connect", &["target: string | (() => string)", "options?: ConnectOptions"]),
    (
        "connectHTTPTunnel",
        &["target: Layout", "handshake: Message | (() => Message)"],
    ),
    (
        "connectSOCKS",
        &["target: Layout", "address: string | (() => string)"],
    ),
    ("connectTLS", &["target: Layout", "options?: ConnectTLSOptions"]),
    ("connectTLS", &["options?: ConnectTLSOptions"]),
    ("decodeHTTPRequest", &["options?: HTTPCodecOptions"]),
    ("decodeHTTPResponse", &["options?: HTTPCodecOptions"]),
    ("decodeMQTT", &["options?: MQTTDecoderOptions"]),
    ("decodeMultipart", &["options?: MultipartDecoderOptions"]),
    ("decodeRESP", &["options?: RESPDecoderOptions"]),
    ("decodeWebSocket", &["options?: WebSocketDecoderOptions"]),
    ("decompressHTTP", &["enable?: () => boolean"]),
    ("demux", &["target: Layout", "options?: DemuxOptions"]),
    ("demux", &["options?: DemuxOptions"]),
    ("demuxHTTP", &["target: Layout", "options?: HTTPServerOptions"]),
    ("demuxHTTP", &["options?: HTTPServerOptions"]),
    ("demuxQueue", &["target: Layout", "options?: DemuxOptions"]),
    ("demuxQueue", &["options?: DemuxOptions"]),
    (
        "detectProtocol",
        &[
            "callback: (protocol: 'HTTP' | 'HTTP2' | 'TLS' | '') => Events | void",
            "timeout?: { timeout?: Duration }",
        ],
    ),
    (
        "compress",
        &["algorithm: 'gzip' | 'deflate' | (() => 'gzip' | 'deflate')"],
    ),
    (
        "decompress",
        &["algorithm: 'gzip' | 'inflate' | 'deflate' | 'brotli' | (() => string)"],
    ),
    ("split", &["separator: string | Data | (() => string | Data)"]),
    ("split", &["callback: (byte: number) => Event | Message | void"]),
    (
        "deframe",
        &["states: { [state: string]: ((input: number | Data | number[]) => string | any[]) | string | any[] }"],
    ),
    (
        "pack",
        &[
            "batch?: number",
            "options?: { timeout?: Duration, interval?: Duration, vacancy?: number, prefix?: string, postfix?: string, separator?: string }",
        ],
    ),
    (
        "exec",
        &[
            "command: string | string[] | (() => string | string[])",
            "options?: { stderr?: boolean, env?: { [name: string]: string } | (() => { [name: string]: string }), onStart?: (pid: number) => void, onExit?: (code: number, stderr?: Data) => Events | void }",
        ],
    ),
    (
        "handleTLSClientHello",
        &["callback: (hello: { serverNames?: string[], protocolNames?: string[] }) => void"],
    ),
    (
        "acceptProxyProtocol",
        &["target: Layout", "handler: (header: ProxyProtocolHeader) => boolean"],
    ),
    (
        "acceptProxyProtocol",
        &["handler: (header: ProxyProtocolHeader) => boolean"],
    ),
    (
        "connectProxyProtocol",
        &["target: Layout", "header: ProxyProtocolHeader | (() => ProxyProtocolHeader)"],
    ),
    (
        "connectProxyProtocol",
        &["header: ProxyProtocolHeader | (() => ProxyProtocolHeader)"],
    ),
    ("dummy", &[]),
    ("decodeThrift", &["options?: { maxMessageSize?: number | string }"]),
    ("encodeThrift", &[]),
    ("decodeDubbo", &["options?: { maxMessageSize?: number | string }"]),
    ("encodeDubbo", &[]),
    (
        "decodeBGP",
        &["options?: { enableAS4?: boolean | (() => boolean), maxMessageSize?: number | string }"],
    ),
    ("encodeBGP", &["options?: { enableAS4?: boolean | (() => boolean) }"]),
    ("read", &["filename: string | (() => string)"]),
    (
        "tee",
        &[
            "filename: string | (() => string)",
            "options?: { append?: boolean }",
        ],
    ),
    ("dump", &["tag?: string | (() => string)"]),
    ("encodeHTTPRequest", &["options?: HTTPCodecOptions"]),
    ("encodeHTTPResponse", &["options?: HTTPCodecOptions"]),
    ("encodeMQTT", &[]),
    ("encodeRESP", &[]),
    ("encodeWebSocket", &[]),
    (
        "fork",
        &["target: Layout", "initializers?: ForkInitializers | (() => ForkInitializers)"],
    ),
    ("fork", &["initializers?: ForkInitializers | (() => ForkInitializers)"]),
    (
        "forkJoin",
        &["target: Layout", "initializers?: ForkInitializers | (() => ForkInitializers)"],
    ),
    ("forkJoin", &["initializers?: ForkInitializers | (() => ForkInitializers)"]),
    (
        "forkRace",
        &["target: Layout", "initializers?: ForkInitializers | (() => ForkInitializers)"],
    ),
    ("forkRace", &["initializers?: ForkInitializers | (() => ForkInitializers)"]),
    ("handle", &["callback: (event: Event, counter: number) => void"]),
    (
        "depositMessage",
        &[
            "filename: string | (() => string)",
            "options?: { threshold?: Size, keep?: boolean }",
        ],
    ),
    (
        "linkAsync",
        &["target?: Layout | PipelineTemplate | (() => string | null | undefined)"],
    ),
    ("loop", &["layout: Layout | PipelineTemplate"]),
    (
        "pipe",
        &[
            "target: PipeTarget | ((firstEvent: Event) => PipeTarget | null | undefined)",
            "map?: { [name: string]: PipelineTemplate | ((pipeline: Configuration) => any) }",
            "initArgs?: any[] | ((firstEvent: Event) => any)",
        ],
    ),
    (
        "pipe",
        &[
            "target: PipeTarget | ((firstEvent: Event) => PipeTarget | null | undefined)",
            "initArgs?: any[] | ((firstEvent: Event) => any)",
        ],
    ),
    ("pipeNext", &["args?: any"]),
    ("produce", &["producer: Events | (() => Events | Promise<Events>)"]),
    ("repeat", &["target: Layout", "condition: (streamEnd: StreamEnd) => boolean | Promise<boolean>"]),
    ("repeat", &["condition: (streamEnd: StreamEnd) => boolean | Promise<boolean>"]),
    ("replace", &["replacement?: Replacement<Event>"]),
    (
        "replay",
        &["target: Layout", "delay?: { delay?: Duration | (() => Duration) }"],
    ),
    ("replay", &["delay?: { delay?: Duration | (() => Duration) }"]),
    ("swap", &["hub: pipeline.Hub | (() => pipeline.Hub | null | undefined)"]),
    (
        "wait",
        &[
            "condition: () => boolean | Promise<any>",
            "timeout?: { timeout?: Duration }",
        ],
    ),
    ("handleData", &["callback: (data: Data, counter: number) => void"]),
    (
        "handleMessage",
        &["callback: (message: Message, counter: number) => void", "bufferOptions?: BufferOptions"],
    ),
    (
        "handleMessage",
        &[
            "sizeLimit: number | string",
            "callback: (message: Message, counter: number) => void",
            "bufferOptions?: BufferOptions",
        ],
    ),
    (
        "handleMessageBody",
        &["callback: (data: Data, counter: number) => void", "bufferOptions?: BufferOptions"],
    ),
    (
        "handleMessageBody",
        &[
            "sizeLimit: number | string",
            "callback: (data: Data, counter: number) => void",
            "bufferOptions?: BufferOptions",
        ],
    ),
    (
        "handleMessageEnd",
        &["callback: (messageEnd: MessageEnd, counter: number) => void"],
    ),
    (
        "handleMessageStart",
        &["callback: (messageStart: MessageStart, counter: number) => void"],
    ),
    ("handleStreamEnd", &["callback: (streamEnd: StreamEnd) => void"]),
    ("handleStreamStart", &["callback: (event: Event) => void"]),
    ("insert", &["events: Events | (() => Events)"]),
    (
        "link",
        &[
            "target: string | (() => string | Swap | null | undefined)",
            "when?: () => boolean",
            "...moreTargetsAndConditions: (string | (() => boolean))[]",
        ],
    ),
    (
        "mux",
        &["target: Layout", "key?: any", "options?: MuxOptions | (() => MuxOptions)"],
    ),
    ("mux", &["key?: any", "options?: MuxOptions | (() => MuxOptions)"]),
    ("decodeNetlink", &["options?: { maxMessageSize?: number | string }"]),
    ("demuxFastCGI", &["target: Layout"]),
    ("demuxFastCGI", &[]),
    ("encodeNetlink", &[]),
    (
        "muxFastCGI",
        &["target: Layout", "key?: any", "options?: MuxOptions | (() => MuxOptions)"],
    ),
    ("muxFastCGI", &["key?: any", "options?: MuxOptions | (() => MuxOptions)"]),
    (
        "muxHTTP",
        &["target: Layout", "key?: any", "options?: MuxHTTPOptions | (() => MuxHTTPOptions)"],
    ),
    (
        "muxHTTP",
        &["key?: any", "options?: MuxHTTPOptions | (() => MuxHTTPOptions)"],
    ),
    (
        "muxQueue",
        &["target: Layout", "key?: any", "options?: MuxOptions | (() => MuxOptions)"],
    ),
    ("muxQueue", &["key?: any", "options?: MuxOptions | (() => MuxOptions)"]),
    ("print", &[]),
    ("replaceData", &["replacement?: Replacement<Data>"]),
    (
        "replaceMessage",
        &["replacement: Replacement<Message>", "bufferOptions?: BufferOptions"],
    ),
    (
        "replaceMessage",
        &[
            "sizeLimit: number | string",
            "replacement: Replacement<Message>",
            "bufferOptions?: BufferOptions",
        ],
    ),
    (
        "replaceMessageBody",
        &["replacement: Replacement<Data>", "bufferOptions?: BufferOptions"],
    ),
    (
        "replaceMessageBody",
        &[
            "sizeLimit: number | string",
            "replacement: Replacement<Data>",
            "bufferOptions?: BufferOptions",
        ],
    ),
    ("replaceMessageEnd", &["replacement?: Replacement<MessageEnd>"]),
    ("replaceMessageStart", &["replacement?: Replacement<MessageStart>"]),
    ("replaceStreamEnd", &["replacement?: Replacement<StreamEnd>"]),
    ("replaceStreamStart", &["replacement: Replacement<Event>"]),
    (
        "serveHTTP",
        &[
            "handler: Message | string | ((request: Message) => Message | string | null | undefined)",
            "options?: HTTPServerOptions",
        ],
    ),
    (
        "throttleConcurrency",
        &["quota: algo.Quota | (() => algo.Quota)", "options?: ThrottleOptions"],
    ),
    (
        "throttleDataRate",
        &["quota: algo.Quota | (() => algo.Quota)", "options?: ThrottleOptions"],
    ),
    (
        "throttleDataRate",
        &["quota: number", "account?: string | (() => string)", "options?: ThrottleOptions"],
    ),
    (
        "throttleMessageRate",
        &["quota: algo.Quota | (() => algo.Quota)", "options?: ThrottleOptions"],
    ),
    (
        "throttleMessageRate",
        &["quota: number", "account?: string | (() => string)", "options?: ThrottleOptions"],
    ),
    (
        "use",
        &[
            "modules: string | string[]",
            "pipeline: string",
            "pipelineDown?: string",
            "turnDown?: () => boolean",
        ],
    ),
];

const DURATION: &str = "Duration";

/// The reply-count options of the mux and demux filters.
const REPLY_FIELDS: [OptionField; 2] = [
    (
        "outputCount",
        "number | ((messageStart: MessageStart) => number)",
        "replies per message (default 1; 0 = none)",
    ),
    (
        "isOneWay",
        "(messageStart: MessageStart) => boolean",
        "true for a message that gets no reply (older form of outputCount: 0)",
    ),
];
const SIZE: &str = "Size";
const CODEC_FIELDS: [OptionField; 2] = [
    (
        "bufferSize",
        SIZE,
        "bytes buffered per read before a head is parsed (default 16k)",
    ),
    (
        "maxHeaderSize",
        SIZE,
        "largest request or response head accepted (default 64k)",
    ),
];
const TLS_COMMON: [OptionField; 5] = [
    (
        "trusted",
        "crypto.Certificate[]",
        "certificates accepted as the peer's issuer",
    ),
    (
        "alpn",
        "string[] | string",
        "protocols offered or accepted, like ['h2', 'http/1.1']",
    ),
    (
        "handshake",
        "(info: { alpn?: string; sni?: string; protocol?: string }) => void",
        "called once the handshake is done",
    ),
    (
        "minVersion",
        "'TLS1.2' | 'TLS1.3'",
        "oldest TLS version allowed",
    ),
    (
        "maxVersion",
        "'TLS1.2' | 'TLS1.3'",
        "newest TLS version allowed",
    ),
];

/// The options objects the filters take.
pub static OPTIONS: &[OptionSchema] = &[
    (
        "MuxOptions",
        "Options of mux() and muxQueue(): the session pool and replies per message.",
        &[
            (
                "maxIdle",
                DURATION,
                "how long a session with no streams stays open (default 60s)",
            ),
            (
                "maxQueue",
                "number",
                "most streams sharing one session before another opens (default 1; 0 = no limit)",
            ),
            (
                "maxMessages",
                "number",
                "streams a session takes before it retires (default 0 = no limit)",
            ),
            REPLY_FIELDS[0],
            REPLY_FIELDS[1],
        ],
    ),
    (
        "DemuxOptions",
        "Options of demux() and demuxQueue(): replies per message.",
        &REPLY_FIELDS,
    ),
    (
        "ConnectOptions",
        "Options of connect(): the protocol, timeouts and retries of the connection.",
        &[
            (
                "connectTimeout",
                DURATION,
                "longest wait for the connection to open (default: no limit)",
            ),
            (
                "readTimeout",
                DURATION,
                "longest wait for the peer to send something (default: no limit)",
            ),
            (
                "idleTimeout",
                DURATION,
                "closes the connection after this long without traffic (default 60s)",
            ),
            (
                "protocol",
                "'tcp' | 'udp' | 'netlink'",
                "'udp' and 'netlink' (Linux) send each Data as one datagram and output each datagram received",
            ),
            (
                "netlinkFamily",
                "number",
                "the netlink protocol family, like 0 for NETLINK_ROUTE (with protocol 'netlink')",
            ),
            (
                "bind",
                "string",
                "the local netlink address 'pid=N;groups=M' (multicast groups to hear; with protocol 'netlink')",
            ),
            (
                "retryCount",
                "number",
                "connect attempts after the first fails (-1: forever; default 0)",
            ),
            (
                "retryDelay",
                DURATION,
                "wait between connect attempts (default 1s)",
            ),
        ],
    ),
    (
        "HTTPCodecOptions",
        "Options of the HTTP/1 encoders and decoders.",
        &CODEC_FIELDS,
    ),
    (
        "HTTPServerOptions",
        "Options of demuxHTTP() and serveHTTP().",
        &[
            CODEC_FIELDS[0],
            CODEC_FIELDS[1],
            (
                "headerTimeout",
                DURATION,
                "time a client has to send a request head (default 30s)",
            ),
            (
                "accessLog",
                "boolean",
                "writes one log line per response when true",
            ),
        ],
    ),
    (
        "MuxHTTPOptions",
        "Options of muxHTTP(): the upstream connection pool.",
        &[
            (
                "maxIdle",
                DURATION,
                "how long an idle pooled connection is kept (default 60s)",
            ),
            CODEC_FIELDS[0],
            CODEC_FIELDS[1],
            (
                "version",
                "1 | 2 | 'http/1.1' | 'h2' | (() => 1 | 2 | 'http/1.1' | 'h2')",
                "HTTP version spoken upstream (default 1)",
            ),
        ],
    ),
    (
        "AcceptTLSOptions",
        "Options of acceptTLS(): the server side of TLS.",
        &[
            (
                "certificate",
                "TLSCertificate | ((sni: string) => TLSCertificate)",
                "the server's certificate and key, or a function of the requested name",
            ),
            TLS_COMMON[0],
            TLS_COMMON[1],
            TLS_COMMON[2],
            TLS_COMMON[3],
            TLS_COMMON[4],
        ],
    ),
    (
        "ConnectTLSOptions",
        "Options of connectTLS(): the client side of TLS.",
        &[
            (
                "sni",
                "string | (() => string)",
                "server name sent in the handshake",
            ),
            (
                "verify",
                "boolean",
                "false skips checking the server's certificate",
            ),
            (
                "certificate",
                "TLSCertificate",
                "the client's certificate and key, for mutual TLS",
            ),
            TLS_COMMON[0],
            TLS_COMMON[1],
            TLS_COMMON[2],
            TLS_COMMON[3],
            TLS_COMMON[4],
        ],
    ),
    (
        "BufferOptions",
        "Options of the filters that buffer whole messages.",
        &[("bufferLimit", SIZE, "most bytes buffered per message")],
    ),
    (
        "ThrottleOptions",
        "Options of the throttle filters.",
        &[(
            "blockInput",
            "boolean",
            "also stops reading the input while events wait",
        )],
    ),
    (
        "MQTTDecoderOptions",
        "Options of decodeMQTT().",
        &[
            (
                "maxPacketSize",
                SIZE,
                "a packet whose remaining length is larger ends the stream (default 16m)",
            ),
            (
                "protocolLevel",
                "number | (() => number)",
                "the level (4: 3.1.1, 5: 5.0) of a session whose CONNECT this decoder does \
                 not see; a CONNECT sets it (default 5)",
            ),
        ],
    ),
    (
        "MultipartDecoderOptions",
        "Options of decodeMultipart().",
        &[(
            "maxHeaderSize",
            SIZE,
            "a part whose header section is larger than this ends the stream (default 64k)",
        )],
    ),
    (
        "RESPDecoderOptions",
        "Options of decodeRESP().",
        &[(
            "maxMessageSize",
            SIZE,
            "a value larger than this, with everything nested in it, ends the stream (default 16m)",
        )],
    ),
    (
        "WebSocketDecoderOptions",
        "Options of decodeWebSocket().",
        &[
            (
                "maxMessageSize",
                SIZE,
                "a message larger than this, all its fragments counted, ends the stream (default 16m)",
            ),
            (
                "requireMask",
                "boolean",
                "an unmasked frame ends the stream, as a server must do with its clients' frames (RFC 6455 5.1; default false)",
            ),
        ],
    ),
];
