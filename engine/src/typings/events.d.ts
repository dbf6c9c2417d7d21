// Script API declarations for the IDE's editor, part 1 of 3: values and events (Data,
// Message, heads, ...). mod.rs joins the parts; tests/typings/ compiles them with TypeScript and
// checks that every declaration has a purpose and every parameter a name and a type.

/** A length of time: a number of seconds, or a string like '100ms', '5s', '2m', '1h' or '1d'. */
type Duration = number | string;

/** A number of bytes, or a string like '16k' or '1m' (binary multiples). */
type Size = number | string;

/** A sub-pipeline: the name of a layout, or a builder like $=>$.connect('host:80'). */
type Layout = string | ((pipeline: Configuration) => Configuration | void);

/** A branch condition: a value, or a function (of the message, for branchMessage*) returning one. */
type Condition<T = undefined> = boolean | number | string | null | ((input: T) => any);

/** A compression algorithm compressHTTP() applies. */
type Compression = 'gzip' | 'deflate';

/** What acceptSOCKS() asks its handler about: where the client wants to go. */
interface SOCKSRequest {
  /** The request's number on this connection. */
  id: number;
  /** The target IP address, when the client gave one. */
  ip?: string;
  /** The target host name, when the client gave one. */
  domain?: string;
  /** The target port. */
  port: number;
}

/** A PROXY protocol header, as acceptProxyProtocol() reads it and connectProxyProtocol() writes it. */
interface ProxyProtocolHeader {
  /** 1 (text) or 2 (binary); connectProxyProtocol() writes 1 by default. */
  version?: 1 | 2;
  /** 'PROXY' (a relayed connection) or 'LOCAL' (the proxy's own; version 2). */
  command?: 'PROXY' | 'LOCAL';
  /** Transport and family; 'TCP4' by default. */
  protocol?: 'TCP4' | 'TCP6' | 'UDP4' | 'UDP6' | 'UNIX' | 'UNIX_DGRAM' | 'UNKNOWN';
  /** The original client's address. */
  sourceAddress?: string;
  /** The original client's port. */
  sourcePort?: number;
  /** The address the client connected to. */
  targetAddress?: string;
  /** The port the client connected to. */
  targetPort?: number;
}

/** A certificate and its private key, for TLS. */
interface TLSCertificate {
  /** The certificate (chain). */
  cert: crypto.Certificate | crypto.CertificateChain;
  /** The private key. */
  key: crypto.PrivateKey;
}

/**
 * What fork(), forkJoin() and forkRace() make branches from: an array (a branch per element,
 * started with (element, index)) or one value. In the early form fork('name', ...), an object's
 * properties also set the branch's context variables of the same names.
 */
type ForkInitializers = any[] | any;

/** What the replace* filters put in place of their input: events, or a function making them. */
type Replacement<T> = Events | ((input: T, counter: number) => Events);

/** The stream-end error codes. */
type ErrorName =
  | 'Replay' | 'RuntimeError' | 'ReadError' | 'WriteError' | 'CannotResolve' | 'ConnectionAborted'
  | 'ConnectionReset' | 'ConnectionRefused' | 'ConnectionTimeout' | 'ReadTimeout' | 'WriteTimeout'
  | 'IdleTimeout' | 'BufferOverflow' | 'ProtocolError' | 'Unauthorized';

/** Byte encodings Data converts from and to. */
type Encoding = 'utf8' | 'hex' | 'base64' | 'base64url' | 'utf16le' | 'utf16be';

/** A chunk of bytes flowing through a pipeline. */
declare class Data {
  /**
   * Makes Data from text, bytes or another Data.
   * @param value the bytes: a string, an array of byte values, Data or a Uint8Array
   * @param encoding how a string value is encoded (default 'utf8')
   */
  constructor(value?: string | number[] | Data | Uint8Array, encoding?: Encoding);
  /**
   * Like the constructor; returns null on bad input.
   * @param value the text to convert
   * @param encoding how the text is encoded (default 'utf8')
   */
  static from(value: string, encoding?: Encoding): Data | null;
  /** Always 'Data': tells events apart. */
  readonly type: 'Data';
  /** Number of bytes. */
  readonly size: number;
  /**
   * Appends bytes; returns this Data.
   * @param data the bytes to append
   */
  push(data: Data | string): Data;
  /**
   * Removes and returns the first bytes.
   * @param count how many bytes
   */
  shift(count: number): Data;
  /**
   * Removes and returns the last bytes.
   * @param count how many bytes
   */
  pop(count: number): Data;
  /**
   * Removes and returns bytes up to and including the first one the predicate accepts.
   * @param predicate called with each byte value until it returns true
   */
  shiftTo(predicate: (byte: number) => boolean): Data;
  /**
   * Removes and returns bytes from the front while the predicate accepts them.
   * @param predicate called with each byte value while it returns true
   */
  shiftWhile(predicate: (byte: number) => boolean): Data;
  /** The bytes as an array of numbers. */
  toArray(): number[];
  /**
   * The bytes as text.
   * @param encoding how to encode the bytes (default 'utf8')
   */
  toString(encoding?: Encoding): string;
}

/** Start of a message, with its protocol head (e.g. an HTTP request head). */
declare class MessageStart {
  /**
   * Makes a MessageStart event.
   * @param head the protocol head, like an HTTP request or response head
   */
  constructor(head?: RequestHead | ResponseHead | object);
  /** Always 'MessageStart': tells events apart. */
  readonly type: 'MessageStart';
  /** The protocol head: a RequestHead or ResponseHead for HTTP. */
  head: RequestHead & ResponseHead & { [field: string]: any };
}

/** End of a message, with its tail and payload. */
declare class MessageEnd {
  /**
   * Makes a MessageEnd event.
   * @param tail protocol trailer, like HTTP trailers
   * @param payload any value carried along with the message
   */
  constructor(tail?: object | null, payload?: any);
  /** Always 'MessageEnd': tells events apart. */
  readonly type: 'MessageEnd';
  /** The protocol trailer, like HTTP trailers. */
  tail: { [field: string]: any } | null;
  /** A value carried along with the message. */
  payload: any;
}

/** End of a stream; error is a code name like 'ConnectionRefused', or undefined. */
declare class StreamEnd {
  /**
   * Makes a StreamEnd event.
   * @param error the error code name; none for a normal end
   */
  constructor(error?: ErrorName);
  /** Always 'StreamEnd': tells events apart. */
  readonly type: 'StreamEnd';
  /** Why the stream ended: an error code name, or undefined for a normal end. */
  readonly error: ErrorName | undefined;
}

/** HTTP request head as decoded by demuxHTTP/serveHTTP. */
interface RequestHead {
  /** Request method, like 'GET'. */
  method: string;
  /** Request target: path and query, like '/api/users?id=1'. */
  path: string;
  /** 'HTTP/1.1', 'HTTP/1.0' or 'HTTP/2'. */
  protocol: string;
  /** Header values by lower-cased name; a header sent more than once has an array. */
  headers: { [name: string]: string | string[] };
  /** The header names as the client spelled them, by lower-cased name. */
  headerNames?: { [lowercase: string]: string };
}

/** HTTP response head. */
interface ResponseHead {
  /** Status code (default 200). */
  status?: number;
  /** Reason phrase, like 'OK'. */
  statusText?: string;
  /** 'HTTP/1.1', 'HTTP/1.0' or 'HTTP/2'. */
  protocol?: string;
  /** Header values by name; an array sends the header once per value. */
  headers?: { [name: string]: string | string[] };
}

/** A whole message: head, body, tail and payload. */
declare class Message {
  /**
   * Makes a message with a body and no head (a 200 response where one is expected).
   * @param body the body
   */
  constructor(body?: string | Data);
  /**
   * Makes a message.
   * @param head the head, like { status: 404 } or { method: 'GET', path: '/' }
   * @param body the body
   * @param tail the trailer, like HTTP trailers
   */
  constructor(head: RequestHead | ResponseHead | object, body?: string | Data | null, tail?: object | null);
  /** The protocol head: a RequestHead or ResponseHead for HTTP. */
  head: RequestHead & ResponseHead & { [field: string]: any };
  /** The body, or null when there is none. */
  body: Data | null;
  /** The protocol trailer, like HTTP trailers. */
  tail: { [field: string]: any } | null;
  /** A value carried along with the message. */
  payload: any;
}

/** One event in a pipeline. */
type Event = Data | MessageStart | MessageEnd | StreamEnd;
/** What a filter may output: events, messages, arrays of them, or nothing. */
type Events = Event | Message | (Event | Message | null | undefined)[] | null | undefined;

/** The connection a context belongs to. */
interface Inbound {
  /** The connection's number, from 1. */
  readonly id: number;
  /** The client's address. */
  readonly remoteAddress: string;
  /** The client's port. */
  readonly remotePort: number;
  /** The address the connection came in on. */
  readonly localAddress: string;
  /** The port the connection came in on. */
  readonly localPort: number;
}

/** The connection of the current context (null in tasks). */
declare const __inbound: Inbound;
/** This module's codebase path. */
declare const __filename: string;
