// Script API declarations for the IDE's editor, part 3 of 3: the global namespaces (JSON,
// os, algo, stats, logging, crypto).

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
