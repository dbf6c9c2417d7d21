// TypeScript declarations of the Sluice (Pipy-compatible) script API, for editor completion.
// The Configuration filter methods and their option objects are generated from the engine's
// filter registry (engine/src/admin/typings/); everything else is declared here. Every
// declaration has a one-line purpose and every parameter a name and a type: the typings test
// (tests/typings/) compiles this with TypeScript and checks both.

/** A length of time: a number of seconds, or a string like '5s', '2m', '1h' or '1d'. */
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

/** A certificate and its private key, for TLS. */
interface TLSCertificate {
  /** The certificate (chain). */
  cert: crypto.Certificate | crypto.CertificateChain;
  /** The private key. */
  key: crypto.PrivateKey;
}

/** Values fork() assigns to each clone's context variables: one object per clone. */
type ForkInitializers = { [variable: string]: any } | { [variable: string]: any }[];

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

/** Options of listen(). */
interface ListenOptions {
  /** Most connections open at once; more wait to be accepted. */
  maxConnections?: number;
  /** Closes a connection after this long without traffic. */
  idleTimeout?: Duration;
  /** Closes a connection when the client sends nothing for this long. */
  readTimeout?: Duration;
}

/*OPTIONS*/
/** Chained builder of pipeline layouts returned by pipy(). */
interface Configuration {
  /**
   * Publishes context variables under a namespace other modules can import.
   * @param namespace the name other modules import the variables by
   * @param variables variable names and their initial values
   */
  export(namespace: string, variables: { [name: string]: any }): Configuration;
  /**
   * Binds variables exported by other modules.
   * @param variables variable names and the namespace of each, like { __name: 'namespace' }
   */
  import(variables: { [name: string]: string }): Configuration;
  /**
   * Starts a pipeline per connection on a port.
   * @param port a port number, 'ip:port', or null to declare no listener
   * @param options limits and timeouts of the connections
   */
  listen(port: number | string | null, options?: ListenOptions): Configuration;
  /**
   * Starts a task: once (no interval), every interval like '5s', or on a signal like 'SIGHUP'.
   * @param interval how often to run, or the signal to run on; none runs once at start
   */
  task(interval?: string): Configuration;
  /**
   * Starts a named sub-pipeline layout, or the module entrance with no name.
   * @param name the layout's name; none for the entrance other modules chain to
   */
  pipeline(name?: string): Configuration;
  /**
   * Attaches the sub-pipeline of the last joint filter.
   * @param layout a layout name or a builder like $=>$.connect('host:80')
   */
  to(layout: Layout): Configuration;
  /**
   * Events fed first when a pipeline starts.
   * @param events events, or a function of the pipeline's start arguments returning them
   */
  onStart(events: Events | ((...args: any[]) => Events)): Configuration;
  /**
   * Called when a pipeline ends.
   * @param callback called with no arguments once the pipeline is done
   */
  onEnd(callback: () => void): Configuration;
  /**
   * Configuration-time loop: calls the function once per item or count.
   * @param items a count, or an array whose items are passed on
   * @param body called with the configuration and the item or index
   */
  repeat(items: number | any[], body: (config: Configuration, ...item: any[]) => void): Configuration;
/*FILTERS*/
}

/**
 * Makes a Configuration, declaring this module's context variables.
 * @param contextVariables variable names and initial values, or a function returning them per context
 */
declare function pipy(contextVariables?: { [name: string]: any } | (() => { [name: string]: any })): Configuration;
/** Codebase files, the process and the clock. */
declare namespace pipy {
  /**
   * Reads a codebase file; null if it does not exist.
   * @param path the file, like '/config.json'
   */
  function load(path: string): Data | null;
  /**
   * Evaluates a codebase file as one expression (cached).
   * @param path the file, like '/config.js'
   */
  function solve(path: string): any;
  /**
   * Exits the process.
   * @param code the exit code (default 0)
   */
  function exit(code?: number): void;
  /** Milliseconds since 1970, like Date.now(). */
  function now(): number;
  /** The engine's process id. */
  const pid: number;
  /** The engine's command-line arguments. */
  const argv: string[];
}

interface JSON {
  /**
   * Parses JSON from Data.
   * @param data the JSON text
   * @param reviver transforms each parsed value, as in JSON.parse
   */
  decode(data: Data | string, reviver?: (key: string, value: any) => any): any;
  /**
   * Encodes a value as JSON Data.
   * @param value the value to encode
   * @param replacer transforms or filters values, as in JSON.stringify
   * @param space indentation, as in JSON.stringify
   */
  encode(value: any, replacer?: ((key: string, value: any) => any) | (string | number)[] | null, space?: number | string): Data;
}

/** The operating system: environment and files outside the codebase. */
declare namespace os {
  /** Environment variables. */
  const env: { [name: string]: string };
  /** The platform, like 'linux'. */
  const platform: string;
  /**
   * Reads a file from the host; null if it does not exist.
   * @param path the host path
   */
  function readFile(path: string): Data | null;
}

/** Algorithms: routing, load balancing, caches, quotas. */
declare namespace algo {
  /** Routes by host and path: '/x/*' prefixes, exact paths, 'host/path' and '*.host/path'. */
  class URLRouter<T = any> {
    /**
     * Makes a router.
     * @param rules patterns and the value each routes to
     */
    constructor(rules?: { [pattern: string]: T });
    /**
     * Adds a rule; returns this router.
     * @param pattern like '/api/*', 'example.com/x' or '*.example.com/*'
     * @param value what the pattern routes to
     */
    add(pattern: string, value: T): URLRouter<T>;
    /**
     * The value of the best matching rule.
     * @param hostAndPath the host, then the path (or just the path)
     */
    find(...hostAndPath: (string | undefined)[]): T | undefined;
  }
  /** Picks targets in turn, each as often as its weight says. */
  class RoundRobinLoadBalancer {
    /**
     * Makes a balancer over targets.
     * @param targets target names like 'host:port', or names and weights
     * @param unhealthy targets to skip while they are in this cache
     */
    constructor(targets: string[] | { [target: string]: number }, unhealthy?: Cache<string, any>);
    /**
     * The next target; the same key gets the same target while it stays healthy.
     * @param key keeps a client on one target when given
     * @param unhealthy targets to skip while they are in this cache
     */
    select(key?: any, unhealthy?: Cache<string, any>): string | undefined;
    /**
     * Gives a target back after select(), for balancers that count work.
     * @param target the target select() returned
     */
    deselect(target: string): void;
    /**
     * Adds a target or changes its weight; returns this balancer.
     * @param target the target name
     * @param weight its share of the picks (0 removes it)
     */
    set(target: string, weight: number): RoundRobinLoadBalancer;
    /**
     * Borrows the next target for a borrower, Pipy's newer API.
     * @param borrower who borrows it (the same borrower gets the same target)
     * @param key keeps a client on one target when given
     * @param unhealthy targets to skip while they are in this cache
     */
    next(borrower?: any, key?: any, unhealthy?: Cache<string, any>): { id: string } | undefined;
    /**
     * Like next().
     * @param borrower who borrows it
     * @param key keeps a client on one target when given
     * @param unhealthy targets to skip while they are in this cache
     */
    borrow(borrower?: any, key?: any, unhealthy?: Cache<string, any>): { id: string } | undefined;
  }
  /** Picks the target with the least work selected and not yet deselected. */
  class LeastWorkLoadBalancer extends RoundRobinLoadBalancer {}
  /** Picks a target by a hash of the key, so a key keeps its target. */
  class HashingLoadBalancer {
    /**
     * Makes a balancer over targets.
     * @param targets target names like 'host:port'
     * @param unhealthy targets to skip while they are in this cache
     */
    constructor(targets: string[], unhealthy?: Cache<string, any>);
    /**
     * Adds a target; returns this balancer.
     * @param target the target name
     */
    add(target: string): HashingLoadBalancer;
    /**
     * The target for a key.
     * @param key what is hashed, like a client address
     * @param unhealthy targets to skip while they are in this cache
     */
    select(key: any, unhealthy?: Cache<string, any>): string | undefined;
  }
  /** A map with optional size limit, time to live, and values made on demand. */
  class Cache<K = any, V = any> {
    /**
     * Makes a cache.
     * @param onAllocate makes the value of a missing key on get()
     * @param onFree called when an entry is removed or expires
     * @param options most entries kept (oldest go first) and their time to live
     */
    constructor(onAllocate?: (key: K) => V, onFree?: (key: K, value: V) => void, options?: { size?: number; ttl?: Duration });
    /**
     * The value of a key, made by onAllocate when missing.
     * @param key the key
     */
    get(key: K): V | undefined;
    /**
     * Stores a value; returns this cache.
     * @param key the key
     * @param value the value
     */
    set(key: K, value: V): Cache<K, V>;
    /**
     * The value of a key, without making one.
     * @param key the key
     */
    find(key: K): V | undefined;
    /**
     * Whether the key has a value.
     * @param key the key
     */
    has(key: K): boolean;
    /**
     * Removes a key; true if it was there.
     * @param key the key
     */
    remove(key: K): boolean;
    /** Removes every entry. */
    clear(): void;
  }
  /** An amount that is consumed and produced again over time, for rate limits. */
  class Quota {
    /**
     * Makes a quota.
     * @param initial the starting (and default maximum) amount
     * @param options how much comes back and how often, and the most it can hold
     */
    constructor(initial: number, options?: { per?: Duration; produce?: number; max?: number });
    /** The starting amount. */
    readonly initial: number;
    /** The amount left now. */
    readonly current: number;
    /**
     * Takes up to an amount; returns how much was taken.
     * @param amount how much is wanted
     */
    consume(amount: number): number;
    /**
     * Gives an amount back.
     * @param amount how much
     */
    produce(amount: number): void;
    /** Back to the starting amount. */
    reset(): void;
  }
  /** Hands out reusable resources, making new ones when none is free. */
  class ResourcePool<T = any> {
    /**
     * Makes a pool.
     * @param allocator makes a new resource
     */
    constructor(allocator: (tag?: any) => T);
    /**
     * A free resource, or a new one.
     * @param tag passed to the allocator
     */
    allocate(tag?: any): T;
    /**
     * Returns a resource to the pool.
     * @param resource what allocate() gave
     */
    free(resource: T): void;
  }
  /**
   * A number hashed from any value.
   * @param value what to hash
   */
  function hash(value: any): number;
}

/** Metrics the /metrics endpoint and the dashboard show. */
declare namespace stats {
  /** A number that only goes up. */
  class Counter {
    /**
     * Defines a counter (or finds it again after a reload).
     * @param name the metric name, like 'requests_total'
     * @param labelNames names of its labels
     */
    constructor(name: string, labelNames?: string[]);
    /**
     * The counter for one set of label values.
     * @param values one value per label name
     */
    withLabels(...values: string[]): Counter;
    /**
     * Adds to the counter.
     * @param amount how much (default 1)
     */
    increase(amount?: number): void;
    /** Back to zero. */
    zero(): void;
  }
  /** A number that goes up and down. */
  class Gauge {
    /**
     * Defines a gauge (or finds it again after a reload).
     * @param name the metric name
     * @param labelNames names of its labels
     */
    constructor(name: string, labelNames?: string[]);
    /**
     * The gauge for one set of label values.
     * @param values one value per label name
     */
    withLabels(...values: string[]): Gauge;
    /**
     * Sets the value.
     * @param value the new value
     */
    set(value: number): void;
    /**
     * Adds to the value.
     * @param amount how much (default 1)
     */
    increase(amount?: number): void;
    /**
     * Subtracts from the value.
     * @param amount how much (default 1)
     */
    decrease(amount?: number): void;
    /** Back to zero. */
    zero(): void;
  }
  /** Counts observations in buckets. */
  class Histogram {
    /**
     * Defines a histogram (or finds it again after a reload).
     * @param name the metric name
     * @param buckets upper bounds of the buckets, ascending
     * @param labelNames names of its labels
     */
    constructor(name: string, buckets: number[], labelNames?: string[]);
    /**
     * The histogram for one set of label values.
     * @param values one value per label name
     */
    withLabels(...values: string[]): Histogram;
    /**
     * Records one observation.
     * @param value the observed value
     */
    observe(value: number): void;
  }
}

/** Loggers that write lines of text or JSON. */
declare namespace logging {
  /** Writes each log() call as a line of text. */
  class TextLogger {
    /**
     * Makes a logger.
     * @param name the logger's name, shown as the topic
     */
    constructor(name: string);
    /** Also writes to standard output; returns this logger. */
    toStdout(): TextLogger;
    /** Also writes to standard error; returns this logger. */
    toStderr(): TextLogger;
    /**
     * Also writes to a file; returns this logger.
     * @param path the host path of the file
     */
    toFile(path: string): TextLogger;
    /**
     * Writes one line.
     * @param values joined with spaces
     */
    log(...values: any[]): void;
  }
  /** Writes each log() call as a line of JSON. */
  class JSONLogger {
    /**
     * Makes a logger.
     * @param name the logger's name, shown as the topic
     */
    constructor(name: string);
    /** Also writes to standard output; returns this logger. */
    toStdout(): JSONLogger;
    /** Also writes to standard error; returns this logger. */
    toStderr(): JSONLogger;
    /**
     * Also writes to a file; returns this logger.
     * @param path the host path of the file
     */
    toFile(path: string): JSONLogger;
    /**
     * Writes one line of JSON.
     * @param values each value is encoded as JSON
     */
    log(...values: any[]): void;
  }
}

/** Certificates and keys for TLS. */
declare namespace crypto {
  /** An X.509 certificate. */
  class Certificate {
    /**
     * Reads a certificate.
     * @param pem the PEM text
     */
    constructor(pem: string | Data);
    /** The subject's distinguished name. */
    readonly subject: string;
    /** The issuer's distinguished name. */
    readonly issuer: string;
    /** The names the certificate is valid for. */
    readonly subjectAltNames: string[];
  }
  /** A chain of certificates, the server's first. */
  class CertificateChain {
    /**
     * Reads a chain.
     * @param pem the PEM text with one or more certificates
     */
    constructor(pem: string | Data);
  }
  /** A private key. */
  class PrivateKey {
    /**
     * Reads a private key.
     * @param pem the PEM text
     */
    constructor(pem: string | Data);
  }
  /** A public key. */
  class PublicKey {
    /**
     * Reads a public key.
     * @param pem the PEM text
     */
    constructor(pem: string | Data);
  }
}

/** The worker this code runs in: its number and how many there are. */
declare const __thread: { readonly id: number; readonly concurrency: number };
