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
