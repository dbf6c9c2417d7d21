// TypeScript declarations of the Sluice (Pipy-compatible) script API, for editor completion.
// The Configuration filter methods are generated from the engine's filter registry.

/** A chunk of bytes flowing through a pipeline. */
declare class Data {
  constructor(value?: string | number[] | Data | Uint8Array, encoding?: 'utf8' | 'hex' | 'base64' | 'base64url' | 'utf16le' | 'utf16be');
  /** Like the constructor; returns null on bad input. */
  static from(value: string, encoding?: string): Data | null;
  readonly type: 'Data';
  /** Number of bytes. */
  readonly size: number;
  /** Appends bytes; returns this Data. */
  push(data: Data | string): Data;
  /** Removes and returns the first n bytes. */
  shift(n: number): Data;
  /** Removes and returns the last n bytes. */
  pop(n: number): Data;
  /** Removes bytes up to and including the first byte for which f is true. */
  shiftTo(f: (byte: number) => boolean): Data;
  /** Removes bytes while f is true. */
  shiftWhile(f: (byte: number) => boolean): Data;
  toArray(): number[];
  toString(encoding?: 'utf8' | 'hex' | 'base64' | 'base64url'): string;
}

/** Start of a message, with its protocol head (e.g. an HTTP request head). */
declare class MessageStart {
  constructor(head?: any);
  readonly type: 'MessageStart';
  head: any;
}

/** End of a message, with its tail and payload. */
declare class MessageEnd {
  constructor(tail?: any, payload?: any);
  readonly type: 'MessageEnd';
  tail: any;
  payload: any;
}

/** End of a stream; error is a code name like 'ConnectionRefused', or undefined. */
declare class StreamEnd {
  constructor(error?: 'Replay' | 'RuntimeError' | 'ReadError' | 'WriteError' | 'CannotResolve' | 'ConnectionAborted' | 'ConnectionReset' | 'ConnectionRefused' | 'ConnectionTimeout' | 'ReadTimeout' | 'WriteTimeout' | 'IdleTimeout' | 'BufferOverflow' | 'ProtocolError' | 'Unauthorized' | any);
  readonly type: 'StreamEnd';
  readonly error: any;
}

/** HTTP request head as decoded by demuxHTTP/serveHTTP. */
interface RequestHead {
  method: string;
  path: string;
  protocol: string;
  /** Lower-cased header names. */
  headers: { [name: string]: string | string[] };
  headerNames?: { [lowercase: string]: string };
}

/** HTTP response head. */
interface ResponseHead {
  status?: number;
  statusText?: string;
  protocol?: string;
  headers?: { [name: string]: string | string[] };
}

/** A whole message: head, body, tail and payload. */
declare class Message {
  constructor(body?: string | Data);
  constructor(head: RequestHead | ResponseHead | object, body?: string | Data | null, tail?: any);
  head: any;
  body: Data | null;
  tail: any;
  payload: any;
}

type Event = Data | MessageStart | MessageEnd | StreamEnd;
type Events = Event | Message | (Event | Message | null | undefined)[] | null | undefined;

/** The connection a context belongs to. */
interface Inbound {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

/** The connection of the current context (null in tasks). */
declare const __inbound: Inbound;
/** This module's codebase path. */
declare const __filename: string;

/** Chained builder of pipeline layouts returned by pipy(). */
interface Configuration {
  /** Publishes context variables under a namespace other modules can import. */
  export(namespace: string, variables: { [name: string]: any }): Configuration;
  /** Binds variables exported by other modules: { __name: 'namespace' }. */
  import(variables: { [name: string]: string }): Configuration;
  /** Starts a pipeline per connection on a port, or 'ip:port'. */
  listen(port: number | string | null, options?: { maxConnections?: number; idleTimeout?: number | string; readTimeout?: number | string }): Configuration;
  /** Starts a task: once (no interval), every interval like '5s', or on a signal like 'SIGHUP'. */
  task(interval?: string): Configuration;
  /** Starts a named sub-pipeline layout, or the module entrance with no name. */
  pipeline(name?: string): Configuration;
  /** Attaches the sub-pipeline of the last joint filter: a name or a builder $=>$... */
  to(layout: string | ((c: Configuration) => Configuration | void)): Configuration;
  /** Events fed first when a pipeline starts (current API). */
  onStart(events: Events | ((...args: any[]) => Events)): Configuration;
  /** Called when a pipeline ends (current API). */
  onEnd(f: () => any): Configuration;
  /** Configuration-time loop. */
  repeat(n: number | any[], f: (c: Configuration, ...args: any[]) => any): Configuration;
/*FILTERS*/
}

/** Makes a Configuration, declaring this module's context variables. */
declare function pipy(contextVariables?: { [name: string]: any } | (() => { [name: string]: any })): Configuration;
declare namespace pipy {
  /** Reads a codebase file; null if it does not exist. */
  function load(path: string): Data | null;
  /** Evaluates a codebase file as one expression (cached). */
  function solve(path: string): any;
  /** Exits the process. */
  function exit(code?: number): void;
  function now(): number;
  const pid: number;
  const argv: string[];
}

interface JSON {
  /** Parses JSON from Data. */
  decode(data: Data | string, reviver?: (k: string, v: any) => any): any;
  /** Encodes a value as JSON Data. */
  encode(value: any, replacer?: any, space?: number | string): Data;
}

declare namespace os {
  const env: { [name: string]: string };
  const platform: string;
  function readFile(path: string): Data | null;
}

declare namespace algo {
  /** Routes by host and path: '/x/*' prefixes, exact paths, 'host/path' and '*.host/path'. */
  class URLRouter<T = any> {
    constructor(rules?: { [pattern: string]: T });
    add(pattern: string, value: T): URLRouter<T>;
    find(...hostAndPath: (string | undefined)[]): T | undefined;
  }
  class RoundRobinLoadBalancer {
    constructor(targets: string[] | { [target: string]: number }, unhealthy?: Cache);
    select(key?: any, unhealthy?: Cache): string | undefined;
    deselect(target: string): void;
    set(target: string, weight: number): RoundRobinLoadBalancer;
    next(borrower?: any, key?: any, unhealthy?: Cache): { id: string } | undefined;
    borrow(borrower?: any, key?: any, unhealthy?: Cache): { id: string } | undefined;
  }
  class LeastWorkLoadBalancer extends RoundRobinLoadBalancer {}
  class HashingLoadBalancer {
    constructor(targets: string[], unhealthy?: Cache);
    add(target: string): HashingLoadBalancer;
    select(key: any, unhealthy?: Cache): string | undefined;
  }
  class Cache<K = any, V = any> {
    constructor(onAllocate?: (k: K) => V, onFree?: (k: K, v: V) => void, options?: { size?: number; ttl?: number | string });
    get(k: K): V | undefined;
    set(k: K, v: V): Cache<K, V>;
    find(k: K): V | undefined;
    has(k: K): boolean;
    remove(k: K): boolean;
    clear(): void;
  }
  class Quota {
    constructor(initial: number, options?: { per?: number | string; produce?: number; max?: number });
    readonly initial: number;
    readonly current: number;
    consume(n: number): number;
    produce(n: number): void;
    reset(): void;
  }
  class ResourcePool {
    constructor(allocator: (tag?: any) => any);
    allocate(tag?: any): any;
    free(resource: any): void;
  }
  function hash(value: any): number;
}

declare namespace stats {
  class Counter {
    constructor(name: string, labelNames?: string[]);
    withLabels(...values: string[]): Counter;
    increase(n?: number): void;
    zero(): void;
  }
  class Gauge {
    constructor(name: string, labelNames?: string[]);
    withLabels(...values: string[]): Gauge;
    set(n: number): void;
    increase(n?: number): void;
    decrease(n?: number): void;
    zero(): void;
  }
  class Histogram {
    constructor(name: string, buckets: number[], labelNames?: string[]);
    withLabels(...values: string[]): Histogram;
    observe(n: number): void;
  }
}

declare namespace logging {
  class TextLogger {
    constructor(name: string);
    toStdout(): TextLogger;
    toStderr(): TextLogger;
    toFile(path: string): TextLogger;
    log(...values: any[]): void;
  }
  class JSONLogger {
    constructor(name: string);
    toStdout(): JSONLogger;
    toStderr(): JSONLogger;
    toFile(path: string): JSONLogger;
    log(...values: any[]): void;
  }
}

declare namespace crypto {
  class Certificate {
    constructor(pem: string | Data);
    readonly subject: string;
    readonly issuer: string;
    readonly subjectAltNames: string[];
  }
  class CertificateChain {
    constructor(pem: string | Data);
  }
  class PrivateKey {
    constructor(pem: string | Data);
  }
  class PublicKey {
    constructor(pem: string | Data);
  }
}

/** The worker this code runs in. */
declare const __thread: { readonly id: number; readonly concurrency: number };

/** YAML (every scalar decodes as the string it was written as, as in Pipy). */
declare namespace YAML {
  function parse(text: string, reviver?: (k: string, v: any, container: any) => any): any;
  function decode(data: Data | string, reviver?: (k: string, v: any, container: any) => any): any;
  function stringify(value: any, replacer?: (k: string, v: any, container: any) => any): string;
  function encode(value: any, replacer?: (k: string, v: any, container: any) => any): Data;
}

/** XML documents: a nameless node whose only child is the root element. */
declare namespace XML {
  class Node {
    constructor(name: string, attributes?: { [name: string]: string } | null, children?: (Node | string)[] | null);
    readonly name: string;
    readonly attributes: { [name: string]: string } | null;
    readonly children: (Node | string)[] | null;
  }
  /** The document, or null when the text is not well-formed. */
  function parse(text: string): Node | null;
  function decode(data: Data): Node | null;
  function stringify(doc: Node, space?: number): string;
  function encode(doc: Node, space?: number): Data;
}

/** zlib: Data in, Data out (deflate/inflate in the zlib format). */
declare namespace zlib {
  function deflate(data: Data): Data;
  function inflate(data: Data): Data;
  function gzip(data: Data): Data;
  function gunzip(data: Data): Data;
}

declare class URLSearchParams {
  constructor(init?: string | { [name: string]: any });
  get(name: string): string | null;
  getAll(name: string): string[];
  set(name: string, value: any): void;
  append(name: string, value: any): void;
  delete(name: string): void;
  has(name: string): boolean;
  toObject(): { [name: string]: string | string[] };
  toString(): string;
}

/** A URL as Pipy reads it: every part a string, the port defaulting from the protocol. */
declare class URL {
  constructor(url: string, base?: string);
  readonly href: string;
  readonly protocol: string;
  readonly auth: string;
  readonly username: string;
  readonly password: string;
  readonly host: string;
  readonly hostname: string;
  readonly port: string;
  readonly origin: string;
  readonly pathname: string;
  readonly search: string;
  readonly searchParams: URLSearchParams;
  readonly query: string;
  readonly path: string;
  readonly hash: string;
  static encode(s: string): string;
  static decode(s: string): string;
  static encodeComponent(s: string): string;
  static decodeComponent(s: string): string;
}

declare class IP {
  constructor(address: string | number[]);
  readonly version: 4 | 6;
  decompose(): number[];
  toBytes(): number[];
  toString(): string;
  static isV4(s: string): boolean;
  static isV6(s: string): boolean;
}

/** An address range in CIDR notation ('10.0.0.0/8'); also called Netmask. */
declare class IPMask {
  constructor(cidr: string);
  constructor(bits: number, bytes: number[]);
  readonly version: 4 | 6;
  readonly ip: string;
  readonly bitmask: number;
  readonly base: string;
  readonly mask: string;
  readonly hostmask: string;
  readonly broadcast: string;
  readonly size: number;
  readonly first: string;
  readonly last: string;
  contains(address: string): boolean;
  /** The next host address of the range, '' when there are no more. */
  next(): string;
  decompose(): number[];
  toBytes(): number[];
}
declare class Netmask extends IPMask {}

declare class IPEndpoint {
  constructor(address: string | IP, port?: number, protocol?: 'tcp' | 'udp');
  ip: IP;
  port: number;
  protocol: 'tcp' | 'udp';
}

declare class CString {
  constructor(value?: string | Data);
  readonly size: number;
  readonly data: Data;
}
/** A C struct layout: { name: 'uint16' | 'int32[4]' | 'char[8]' | 'double' ... | CStruct | CUnion }. */
declare class CStruct {
  constructor(fields: { [name: string]: string | CStruct | CUnion });
  readonly size: number;
  encode(values: { [name: string]: any }): Data;
  decode(data: Data): { [name: string]: any };
  reflect(): { [name: string]: { offset: number; size: number; count: number; isArray: boolean; isIntegral: boolean; isUnsigned: boolean } };
}
declare class CUnion extends CStruct {}

/** Writes the values to standard output (no log prefix), separated by spaces. */
declare function print(...values: any[]): void;
/** Like print, then a line break. */
declare function println(...values: any[]): void;

declare namespace algo {
  class Percentile {
    constructor(buckets: number[]);
    observe(sample: number): void;
    calculate(percentage: number): number;
    reset(): void;
  }
  /** A named map shared by every worker thread; values are copied as JSON. */
  class SharedMap {
    constructor(name: string);
    readonly size: number;
    get(key: string): any;
    set(key: string, value: any): void;
    has(key: string): boolean;
    delete(key: string): boolean;
    clear(): void;
    add(key: string, n: number): number;
    sub(key: string, n: number): number;
  }
  class LoadBalancer<T = any> {
    constructor(targets: T[], options?: { algorithm?: 'round-robin' | 'least-load'; key?: (t: T) => any; weight?: (t: T) => number; capacity?: number | ((t: T) => number) });
    provision(targets: T[]): void;
    schedule(size: number, validator?: (t: T) => boolean): T[];
    allocate(tag?: any, validator?: (t: T) => boolean): { readonly target: T; free(): void } | null;
  }
}

declare namespace http {
  /** A file of the codebase with its .gz/.br variants. */
  class File {
    constructor(path: string);
    static from(path: string): File | null;
    toMessage(acceptEncoding?: string): Message;
  }
  /** Serves a folder: the response for a request, or null when there is no such file. */
  class Directory {
    constructor(path: string, options?: { fs?: boolean; tarball?: boolean; index?: string | string[]; contentTypes?: { [ext: string]: string } | ((req: Message, path: string) => any); defaultContentType?: string; compression?: (head: any, accepted: { gzip?: boolean; br?: boolean }, path: string, size: number) => string | null });
    static readonly defaultContentTypes: { [ext: string]: string };
    serve(request: Message): Message | null;
  }
}
