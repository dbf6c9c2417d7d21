// Script API declarations for the IDE's editor, part 3 of 3: the global namespaces (JSON,
// os, algo, stats, logging, crypto) and the other globals (YAML, XML, zlib, URL, IP, C layouts,
// print, http).

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

/** Algorithms: routing, load balancing, caches, quotas, percentiles and maps shared across threads. */
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
  /** Estimates percentiles of samples counted in buckets. */
  class Percentile {
    /**
     * Makes the buckets.
     * @param buckets upper limits of the buckets, ascending
     */
    constructor(buckets: number[]);
    /**
     * Counts a sample in the first bucket whose limit it does not pass (not at all above the last).
     * @param sample the value observed
     */
    observe(sample: number): void;
    /**
     * The value below which a percentage of the samples fall, interpolated inside its bucket; 0 for 0 and below.
     * @param percentage from 1 to 100
     */
    calculate(percentage: number): number;
    /** Forgets every sample. */
    reset(): void;
  }
  /** A named map shared by every worker thread; values are copied as JSON. */
  class SharedMap {
    /**
     * Opens the map of a name (every thread using the name sees the same map).
     * @param name the map's name
     */
    constructor(name: string);
    /** Number of keys. */
    readonly size: number;
    /**
     * A copy of the value of a key, undefined when it is not there.
     * @param key the key
     */
    get(key: string): any;
    /**
     * Stores a copy of a value (undefined removes the key).
     * @param key the key
     * @param value any value JSON can hold
     */
    set(key: string, value: any): void;
    /**
     * Whether the key is there.
     * @param key the key
     */
    has(key: string): boolean;
    /**
     * Removes a key; true if it was there.
     * @param key the key
     */
    delete(key: string): boolean;
    /** Removes every key. */
    clear(): void;
    /**
     * Adds to the number a key holds, atomically; returns the new value (NaN when the key holds no number).
     * @param key the key
     * @param n how much to add
     */
    add(key: string, n: number): number;
    /**
     * Subtracts from the number a key holds, atomically; returns the new value (NaN when the key holds no number).
     * @param key the key
     * @param n how much to subtract
     */
    sub(key: string, n: number): number;
  }
  /** Pipy's unified balancer: picks targets by weight (round robin) or by load, and hands out resources of them. */
  class LoadBalancer<T = any> {
    /**
     * Makes a balancer over targets.
     * @param targets the targets, any values
     * @param options `{algorithm, key, weight, capacity}`: 'round-robin' (default) or 'least-load'; a target's key (default the target itself); its weight (default 1, 0 never picks it); the most resources per target, a number or a function of the target (default unlimited)
     */
    constructor(targets: T[], options?: { algorithm?: 'round-robin' | 'least-load'; key?: (t: T) => any; weight?: (t: T) => number; capacity?: number | ((t: T) => number) });
    /**
     * Replaces the targets, keeping the state of those whose key stays.
     * @param targets the new targets
     */
    provision(targets: T[]): void;
    /**
     * The next targets in order, without allocating (undefined where none passes).
     * @param size how many picks
     * @param validator skips targets it returns false for
     */
    schedule(size: number, validator?: (t: T) => boolean): (T | undefined)[];
    /**
     * A resource of the target keyed by tag, else of the next target; null when no target is usable.
     * @param tag the key of a target to use when it passes validator
     * @param validator skips targets it returns false for
     */
    allocate(tag?: any, validator?: (t: T) => boolean): { readonly target: T; free(): void } | null;
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
  /**
   * Parses YAML text; an alias is the anchored value itself.
   * @param text the YAML text
   * @param reviver transforms each parsed value bottom-up, as in JSON.parse, also given the containing object
   */
  function parse(text: string, reviver?: (key: string, value: any, container: any) => any): any;
  /**
   * Parses YAML from Data; null for null or undefined.
   * @param data the YAML text, as Data or a string
   * @param reviver transforms each parsed value bottom-up, as in JSON.parse, also given the containing object
   */
  function decode(data: Data | string, reviver?: (key: string, value: any, container: any) => any): any;
  /**
   * Writes a value as block-style YAML text; undefined for undefined.
   * @param value the value to write (anything JSON can hold)
   * @param replacer transforms or drops each value first, as in JSON.stringify, also given the containing object
   */
  function stringify(value: any, replacer?: (key: string, value: any, container: any) => any): string;
  /**
   * Like stringify(), as Data.
   * @param value the value to write (anything JSON can hold)
   * @param replacer transforms or drops each value first, as in JSON.stringify, also given the containing object
   */
  function encode(value: any, replacer?: (key: string, value: any, container: any) => any): Data;
}

/** XML documents: a nameless node whose only child is the root element. */
declare namespace XML {
  /** An element (or, nameless, a document): name, attributes and children. */
  class Node {
    /**
     * Makes a node.
     * @param name the element name; null for a document node
     * @param attributes attribute values by name, or null for none
     * @param children child nodes and text strings, or null for none
     */
    constructor(name: string | null, attributes?: { [name: string]: string } | null, children?: (Node | string)[] | null);
    /** The element name; null for a document node. */
    readonly name: string | null;
    /** Attribute values by name; null when there are none. */
    readonly attributes: { [name: string]: string } | null;
    /** Child nodes and text strings; null when there are none. */
    readonly children: (Node | string)[] | null;
  }
  /**
   * Parses XML text: the document, or null when the text is not well-formed.
   * @param text the XML text
   */
  function parse(text: string): Node | null;
  /**
   * Parses XML from Data: the document, or null when it is not well-formed (or data is null).
   * @param data the XML text, as Data or a string
   */
  function decode(data: Data | string): Node | null;
  /**
   * Writes a document as XML text ('' when it has no single root element); text with '<', '>' or '&' is written as CDATA.
   * @param doc the document node, whose only child is the root element
   * @param space spaces of indentation per level, 0 to 10 (default 0: all on one line)
   */
  function stringify(doc: Node, space?: number): string;
  /**
   * Like stringify(), as Data; null when doc is null.
   * @param doc the document node, whose only child is the root element
   * @param space spaces of indentation per level, 0 to 10 (default 0: all on one line)
   */
  function encode(doc: Node, space?: number): Data;
}

/** zlib: Data in, Data out (deflate/inflate in the zlib format, gzip/gunzip in the gzip one). */
declare namespace zlib {
  /**
   * Compresses in the zlib format.
   * @param data the bytes to compress (a string is taken as UTF-8)
   */
  function deflate(data: Data | string): Data;
  /**
   * Decompresses the zlib format.
   * @param data the compressed bytes
   */
  function inflate(data: Data): Data;
  /**
   * Compresses in the gzip format.
   * @param data the bytes to compress (a string is taken as UTF-8)
   */
  function gzip(data: Data | string): Data;
  /**
   * Decompresses the gzip format.
   * @param data the compressed bytes
   */
  function gunzip(data: Data): Data;
}

/**
 * RESP, the Redis protocol: a simple string is a string, an error an Error, an integer a
 * number, a bulk string Data, an array an array, and a null bulk string or array null.
 */
declare namespace RESP {
  /**
   * The RESP bytes of one value (a number is written as an integer; null and undefined as a
   * null bulk string; other values as a simple string of their text).
   * @param value the value to write
   */
  function encode(value: any): Data;
  /**
   * Every whole value in the bytes, in order; null for null or undefined.
   * @param data RESP bytes
   */
  function decode(data: Data): any[];
}

/** A fixed-width integer, as Pipy's Int: what Hessian decodes int and long into. */
declare class Int {
  /**
   * Makes an integer of a given width.
   * @param type 'i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64' or 'u64' (default 'i32')
   * @param value the value, a number, BigInt or numeric string
   */
  constructor(type: 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64', value?: number | bigint | string);
  /** The type given to the constructor. */
  readonly type: string;
  /** Bits: 8, 16, 32 or 64. */
  readonly width: number;
  /** True for the u types. */
  readonly isUnsigned: boolean;
  /** The low 32 bits, signed. */
  readonly low: number;
  /** The high 32 bits, signed. */
  readonly high: number;
}

/** Hessian 2 serialization (Dubbo's bodies), as Pipy has it. */
declare namespace Hessian {
  /** A list, map, object or class definition: map elements are [key, value] pairs, object elements its fields by name. */
  interface Collection {
    /** What it is. */
    kind: 'list' | 'map' | 'object' | 'class_def';
    /** The Java type, or null when untyped. */
    type: string | null;
    /** The elements. */
    elements: any[] | { [field: string]: any };
  }
  /**
   * Decodes every top-level value in data (int and long as Int, double as number, references as the same object).
   * @param data the Hessian bytes
   * @param options maxStringSize: longer strings decode as CString
   */
  function decode(data: Data, options?: { maxStringSize?: number }): any[];
  /**
   * Encodes a value, or each value of an array (a number as a double, an Int by its width, a BigInt as a long).
   * @param value the value or values
   */
  function encode(value: any): Data;
}

/** Protocol Buffers at the wire level, as Pipy 1.5 has it: no schema, fields by number. */
declare namespace protobuf {
  /** A message: records by field number, read and written with typed getters and setters. */
  class Message {
    /** An empty message. */
    constructor();
    /**
     * The wire type of a field's last record: 'VARINT', 'I32', 'I64', 'LEN', or '' when absent.
     * @param field the field number
     */
    getWireType(field: number): 'VARINT' | 'I32' | 'I64' | 'LEN' | '';
    /**
     * A field's last value read as text (UTF-8); null unless it is length-delimited.
     * @param field the field number
     */
    getString(field: number): string | null;
    /**
     * A field's last value as bytes; null unless it is length-delimited.
     * @param field the field number
     */
    getBytes(field: number): Data | null;
    /**
     * A field's last value as a nested message; null when it is not one.
     * @param field the field number
     */
    getMessage(field: number): Message | null;
    /**
     * Sets a field to text.
     * @param field the field number
     * @param value the text
     */
    setString(field: number, value: string): void;
    /**
     * Sets a field to bytes.
     * @param field the field number
     * @param value the bytes
     */
    setBytes(field: number, value: Data): void;
    /**
     * Sets a field to a nested message.
     * @param field the field number
     * @param value the message
     */
    setMessage(field: number, value: Message): void;
    /** Typed access: get/set + Float, Double, Int32, Int64, Uint32, Uint64, Sint32, Sint64, Fixed32, Fixed64, Sfixed32, Sfixed64, Bool, each also as ...Array (written packed), and StringArray, BytesArray, MessageArray. */
    [method: string]: any;
  }
  /**
   * Reads a message; null when data is not a well-formed message.
   * @param data the bytes
   */
  function decode(data: Data): Message | null;
  /**
   * Writes a message, fields in ascending number order.
   * @param message the message
   */
  function encode(message: Message): Data;
}

/** BGP-4 messages, as Pipy 1.5 has them (decodeBGP and encodeBGP use the same shapes). */
declare namespace BGP {
  /** A message: type and a body whose shape depends on it (OPEN, UPDATE, NOTIFICATION, ROUTE_REFRESH; null for KEEPALIVE). */
  interface Message {
    /** 'OPEN', 'UPDATE', 'NOTIFICATION', 'KEEPALIVE', 'ROUTE_REFRESH', or a number. */
    type: string | number;
    /** The body. */
    body: any;
  }
  /**
   * Reads every whole message in data.
   * @param data the bytes
   * @param enableAS4 4-octet AS numbers in AS_PATH and AGGREGATOR
   */
  function decode(data: Data, enableAS4?: boolean): Message[];
  /**
   * Writes a message, or each message of an array.
   * @param message the message or messages
   * @param enableAS4 4-octet AS numbers in AS_PATH and AGGREGATOR
   */
  function encode(message: Message | Message[], enableAS4?: boolean): Data;
}

/** DNS messages, as Pipy 1.5 has them. */
declare namespace DNS {
  /** A question or resource record. */
  interface Record {
    /** The domain name, without the final dot. */
    name: string;
    /** 'A', 'AAAA', 'CNAME', 'NS', 'PTR', 'MX', 'SOA', 'SRV', 'TXT', 'OPT', or a number. */
    type: string | number;
    /** Left out for IN (1). */
    class?: number;
    /** Time to live (records only). */
    ttl?: number;
    /** The data: text, an address, an object (MX, SRV, SOA), or hex. */
    rdata?: any;
  }
  /** A message: header fields (left out when 0) and sections (left out when empty). */
  interface Message {
    /** Message id. */
    id: number;
    /** 1 for a response. */
    qr?: number;
    /** Operation code. */
    opcode?: number;
    /** Authoritative answer. */
    aa?: number;
    /** Truncated. */
    tc?: number;
    /** Recursion desired. */
    rd?: number;
    /** Recursion available. */
    ra?: number;
    /** Reserved bits. */
    zero?: number;
    /** Response code. */
    rcode?: number;
    /** Questions. */
    question?: Record[];
    /** Answers. */
    answer?: Record[];
    /** Authority records. */
    authority?: Record[];
    /** Additional records. */
    additional?: Record[];
  }
  /**
   * Reads a message; throws when it is malformed.
   * @param data the bytes
   */
  function decode(data: Data): Message;
  /**
   * Writes a message (names uncompressed); throws when it cannot.
   * @param message the message
   */
  function encode(message: Message): Data;
}

/** A query string's parameters, in order; a name given more than once has several values. */
declare class URLSearchParams {
  /**
   * Makes parameters from a query string or an object.
   * @param init a query string like 'a=1&b=2' (a leading '?' is skipped, %-escapes decoded), or values by name as set() takes them
   */
  constructor(init?: string | { [name: string]: string | number | boolean | (string | number | boolean)[] | null | undefined });
  /**
   * The first value of a name, or null when it is not there.
   * @param name the parameter name
   */
  get(name: string): string | null;
  /**
   * Every value of a name, [] when it is not there.
   * @param name the parameter name
   */
  getAll(name: string): string[];
  /**
   * Replaces the values of a name; null or undefined removes it.
   * @param name the parameter name
   * @param value the value (made a string), or an array of values
   */
  set(name: string, value: string | number | boolean | (string | number | boolean)[] | null | undefined): void;
  /**
   * Adds a value to a name, after any it has.
   * @param name the parameter name
   * @param value the value (made a string)
   */
  append(name: string, value: string | number | boolean): void;
  /**
   * Removes a name and all its values.
   * @param name the parameter name
   */
  delete(name: string): void;
  /**
   * Whether a name is there.
   * @param name the parameter name
   */
  has(name: string): boolean;
  /** The values by name: a string, or an array for a name with several. */
  toObject(): { [name: string]: string | string[] };
  /** The query string (without '?'), names and values %-escaped. */
  toString(): string;
}

/** A URL as Pipy reads it: every part a string, the port defaulting from the protocol. */
declare class URL {
  /**
   * Reads a URL as written (no normalisation); the protocol defaults to 'http:' and the path to '/'.
   * @param url the URL, absolute or relative to base
   * @param base the URL a relative url is resolved against
   */
  constructor(url: string, base?: string);
  /** The whole URL, like 'http://user:pw@example.com:8080/a?b=1#c'. */
  readonly href: string;
  /** The scheme with its colon, like 'https:'. */
  readonly protocol: string;
  /** The 'user:password' part, '' when there is none. */
  readonly auth: string;
  /** The user name, '' when there is none. */
  readonly username: string;
  /** The password, '' when there is none. */
  readonly password: string;
  /** The host name and any port as written, like 'example.com:8080'. */
  readonly host: string;
  /** The host name (an IPv6 address keeps its brackets). */
  readonly hostname: string;
  /** The port, or the protocol's default ('80', '443', ...), '' when it has none. */
  readonly port: string;
  /** The protocol and host, like 'https://example.com'. */
  readonly origin: string;
  /** The path without the query, like '/a/b'. */
  readonly pathname: string;
  /** The query with its '?', '' when there is none. */
  readonly search: string;
  /** The query's parameters. */
  readonly searchParams: URLSearchParams;
  /** The query without '?', '' when there is none. */
  readonly query: string;
  /** The path and query, like '/a/b?c=1'. */
  readonly path: string;
  /** The fragment with its '#', '' when there is none. */
  readonly hash: string;
  /**
   * %-escapes a URL's text, keeping letters, digits, -_.!~*'() and the URL punctuation ;/?:@&=+$,#.
   * @param s the text to escape (as UTF-8)
   */
  static encode(s: string): string;
  /**
   * Undoes %-escapes, except those of letters, digits, -_.!~*'() and URL punctuation; throws on a malformed escape.
   * @param s the escaped text
   */
  static decode(s: string): string;
  /**
   * %-escapes everything but letters, digits and -_.!~*'(), for one part of a URL.
   * @param s the text to escape (as UTF-8)
   */
  static encodeComponent(s: string): string;
  /**
   * Undoes %-escapes of a URL part, except those of letters, digits and -_.!~*'(); throws on a malformed escape.
   * @param s the escaped text
   */
  static decodeComponent(s: string): string;
}

/** An IPv4 or IPv6 address. */
declare class IP {
  /**
   * Reads an address; throws when it is not one.
   * @param address text like '10.0.0.1' or '::1', or its bytes (4 for IPv4, 16 for IPv6)
   */
  constructor(address: string | number[]);
  /** 4 or 6. */
  readonly version: 4 | 6;
  /** The address in parts: 4 bytes for IPv4, 8 16-bit groups for IPv6. */
  decompose(): number[];
  /** The address as bytes: 4 for IPv4, 16 for IPv6. */
  toBytes(): number[];
  /** The address as text, IPv6 in its shortest form. */
  toString(): string;
  /**
   * Whether the text is an IPv4 address.
   * @param s the text to check
   */
  static isV4(s: string): boolean;
  /**
   * Whether the text is an IPv6 address.
   * @param s the text to check
   */
  static isV6(s: string): boolean;
}

/** An address range in CIDR notation ('10.0.0.0/8'); also called Netmask. */
declare class IPMask {
  /**
   * Reads a range; throws on bad notation or a mask out of range.
   * @param cidr like '10.0.0.0/8' or 'fd00::/64' (no '/bits' means /0)
   */
  constructor(cidr: string);
  /**
   * Makes a range from a mask length and an address's bytes.
   * @param bits the mask length, like 24
   * @param bytes the address: 4 bytes for IPv4, 16 for IPv6
   */
  constructor(bits: number, bytes: number[]);
  /** 4 or 6. */
  readonly version: 4 | 6;
  /** The address as given, like '10.1.2.3' for '10.1.2.3/8'. */
  readonly ip: string;
  /** The mask length, like 8. */
  readonly bitmask: number;
  /** The first address of the range, like '10.0.0.0'. */
  readonly base: string;
  /** The mask as an address, like '255.0.0.0'. */
  readonly mask: string;
  /** The host bits as an address, like '0.255.255.255'. */
  readonly hostmask: string;
  /** The last address of the range, like '10.255.255.255'. */
  readonly broadcast: string;
  /** How many addresses the range holds. */
  readonly size: number;
  /** The first host address: base + 1 (the base itself for /32 and /128). */
  readonly first: string;
  /** The last host address: broadcast - 1 (the base itself for /32 and /128). */
  readonly last: string;
  /**
   * Whether an address of the same version is in the range.
   * @param address the address as text
   */
  contains(address: string): boolean;
  /** The next host address of the range, '' when there are no more. */
  next(): string;
  /** The address given, in parts: 4 bytes for IPv4, 8 16-bit groups for IPv6. */
  decompose(): number[];
  /** The address given, as bytes: 4 for IPv4, 16 for IPv6. */
  toBytes(): number[];
  /** The range as given, like '10.0.0.0/8'. */
  toString(): string;
}
/** Another name of IPMask (the same class). */
declare const Netmask: typeof IPMask;
/** Another name of IPMask (the same class). */
type Netmask = IPMask;

/** An address, port and transport protocol. */
declare class IPEndpoint {
  /**
   * Makes an endpoint; throws on a bad address, port or protocol.
   * @param address an IP, or text like '10.0.0.1', or with a port when none is given, like '10.0.0.1:80' or '[::1]:80'
   * @param port the port, 0 to 65535 (default 0, or the one in address)
   * @param protocol 'tcp' (the default) or 'udp'
   */
  constructor(address: string | IP, port?: number, protocol?: 'tcp' | 'udp');
  /**
   * Makes an endpoint with the port in address (or 0).
   * @param address text like '10.0.0.1:80' or '[::1]:80', or an IP
   * @param protocol 'tcp' or 'udp'
   */
  constructor(address: string | IP, protocol: 'tcp' | 'udp');
  /** The address. */
  ip: IP;
  /** The port (0 when none was given). */
  port: number;
  /** The transport protocol. */
  protocol: 'tcp' | 'udp';
  /** Like '10.0.0.1:80' or '[::1]:80'. */
  toString(): string;
}

/** A string for C layouts: its bytes as Data. */
declare class CString {
  /**
   * Makes a C string.
   * @param value the text (as UTF-8) or its bytes (default empty)
   */
  constructor(value?: string | Data);
  /** Number of bytes. */
  readonly size: number;
  /** The bytes. */
  readonly data: Data;
  /** The bytes as UTF-8 text. */
  toString(): string;
}
/** A C struct layout: { name: 'uint16' | 'int32[4]' | 'char[8]' | 'double' ... | CStruct | CUnion }. */
declare class CStruct {
  /**
   * Makes a layout; fields are aligned on their element size, numbers little-endian.
   * @param fields each field's type by name, in order: 'int8' to 'uint64', 'float', 'double', 'char', an array like 'int32[4]' or 'char[8]' (a string), or a nested CStruct or CUnion; a name starting with a digit sets a CUnion's fields at this level
   */
  constructor(fields: { [name: string]: string | CStruct | CUnion });
  /** Number of bytes the layout takes. */
  readonly size: number;
  /**
   * Encodes values in the layout (missing ones are zero); null when values is null.
   * @param values by field name: numbers (bigint too for 64-bit), arrays of numbers, strings for char arrays, objects for nested layouts
   */
  encode(values: { [name: string]: any }): Data;
  /**
   * Decodes values from the layout's bytes (missing bytes read as zero); null when data is null.
   * @param data the bytes
   */
  decode(data: Data): { [name: string]: any };
  /** Each field's offset, element size, element count and kind, by name. */
  reflect(): { [name: string]: { offset: number; size: number; count: number; isArray: boolean; isIntegral: boolean; isUnsigned: boolean } };
}
/** A C union layout: like CStruct, but every field starts at offset 0 (not an instance of CStruct). */
declare class CUnion {
  /**
   * Makes a union layout; it is as big as its biggest field.
   * @param fields each field's type by name, as CStruct takes them
   */
  constructor(fields: { [name: string]: string | CStruct | CUnion });
  /** Number of bytes the layout takes. */
  readonly size: number;
  /**
   * Encodes values in the layout (fields not given are skipped); null when values is null.
   * @param values by field name, as CStruct.encode() takes them
   */
  encode(values: { [name: string]: any }): Data;
  /**
   * Decodes every field from the layout's bytes; null when data is null.
   * @param data the bytes
   */
  decode(data: Data): { [name: string]: any };
  /** Each field's offset (0), element size, element count and kind, by name. */
  reflect(): { [name: string]: { offset: number; size: number; count: number; isArray: boolean; isIntegral: boolean; isUnsigned: boolean } };
}

/**
 * Writes the values to standard output (no log prefix), separated by spaces.
 * @param values strings as they are, other values dumped as console does
 */
declare function print(...values: any[]): void;
/**
 * Like print, then a line break.
 * @param values strings as they are, other values dumped as console does
 */
declare function println(...values: any[]): void;
/** A SQLite database opened by sqlite(). */
interface SqliteDatabase {
  /**
   * Prepares one SQL statement.
   * @param statement the SQL, with ? for parameters
   */
  sql(statement: string): SqliteStatement;
  /**
   * Runs every statement of the SQL text and returns the rows, every value as a string or null.
   * @param statements one or more SQL statements
   */
  exec(statements: string): { [column: string]: string | null }[];
  /** Closes the database; later calls throw. */
  close(): void;
}
/** A prepared SQL statement. */
interface SqliteStatement {
  /**
   * Binds a parameter.
   * @param index the parameter's number, from 1
   * @param value null, a boolean, a number, a string or a Data
   */
  bind(index: number, value: null | boolean | number | string | Data): SqliteStatement;
  /** Runs the statement and returns its rows (numbers, strings, null, Data for blobs). */
  exec(): { [column: string]: any }[];
  /** Moves to the next row: false while there is one, true when done. */
  step(): boolean;
  /** The current row. */
  row(): { [column: string]: any } | undefined;
  /**
   * A value of the current row.
   * @param index the column's number, from 0
   */
  column(index: number): any;
  /** Starts over; the bindings stay. */
  reset(): SqliteStatement;
}
/**
 * Opens (or creates) a SQLite database file.
 * @param filename the file's path on disk
 * @param flags SQLite open flags (default: read, write and create)
 */
declare function sqlite(filename: string, flags?: number): SqliteDatabase;
/**
 * Calls a function; when it throws, answers the catcher instead.
 * @param f the function to call
 * @param catcher called with the error message, or a value to answer as it is
 */
declare function invoke(f: () => any, catcher?: any): any;
/**
 * Calls f(0), f(1), ... until one returns something other than undefined, and returns that.
 * @param f called with the iteration number
 */
declare function repeat(f: (i: number) => any): any;
/**
 * Calls f for each index below count (or each item of the array), stopping at the first defined result.
 * @param countOrItems how many times, or the items to go through
 * @param f called with the index (or the item and its index)
 */
declare function repeat(countOrItems: number | any[], f: (item: any, i?: number) => any): any;
/**
 * The result of the first true condition: branch(cond1, result1, cond2, result2, ..., otherwise).
 * @param conditionsAndResults conditions and results, in pairs (functions are called when reached), then an optional fallback
 */
declare function branch(...conditionsAndResults: any[]): any;

/** Static files: from the codebase, the file system or a tar archive. */
declare namespace http {
  /** A file of the codebase with its .gz/.br variants. */
  class File {
    /**
     * Loads a file and its .gz/.br variants (or path/index.html); throws when none exists.
     * @param path the codebase path, like '/www/index.html'
     */
    constructor(path: string);
    /**
     * Like the constructor; null when the file does not exist.
     * @param path the codebase path, like '/www/index.html'
     */
    static from(path: string): File | null;
    /** The path as given. */
    path: string;
    /** The file name, like 'index.html'. */
    name: string;
    /** The extension without its dot, like 'html'; '' when there is none. */
    extension: string;
    /** The content type the extension gives, 'application/octet-stream' when unknown. */
    contentType: string;
    /**
     * A 200 response with the file: the br or gzip variant when accepted and there is one (a .gz-only file is unpacked; 400 when there is only a .br).
     * @param acceptEncoding the request's Accept-Encoding header
     */
    toMessage(acceptEncoding?: string): Message;
  }
  /** An HTTP client for scripts, with pooled connections to one server (Pipy's http.Agent). */
  class Agent {
    /**
     * A client of one server.
     * @param host 'host:port' (port 80, or 443 with tls, when left out)
     * @param options `{tls, version, maxIdle, connectTimeout, readTimeout}`: connectTLS options to use TLS; 2 for HTTP/2; muxHTTP and connect options
     */
    constructor(host: string, options?: { tls?: object; version?: number | string; maxIdle?: number | string; connectTimeout?: number | string; readTimeout?: number | string; idleTimeout?: number | string });
    /**
     * Sends a request; the Host header is the agent's host unless given.
     * @param method the method, like 'GET', or a whole request Message
     * @param path the request path, like '/api'
     * @param headers header names and values
     * @param body the request body
     * @returns a Promise of the response Message, rejected with the error answer (502, 504...) when the server cannot be reached
     */
    request(method: string | Message, path?: string, headers?: { [name: string]: string }, body?: string | Data | null): Promise<Message>;
  }
  /** Serves a folder: the response for a request, or null when there is no such file. */
  class Directory {
    /**
     * Serves a folder (or a tar archive); responses carry etag and last-modified.
     * @param path the folder (or archive), a codebase path unless options.fs
     * @param options `{fs, tarball, index, contentTypes, defaultContentType, compression}`: read the host file system; path is a tar archive; index file names (default 'index', 'index.html'); content types by extension, or a function of the request and file path returning a type or such a map; the type for other extensions; a function choosing 'gzip' (or null) for a file without a .gz variant
     */
    constructor(path: string, options?: { fs?: boolean; tarball?: boolean; index?: string | string[]; contentTypes?: { [ext: string]: string } | ((req: Message, path: string) => { [ext: string]: string } | string | null | undefined); defaultContentType?: string; compression?: (head: RequestHead, accepted: { gzip?: boolean; br?: boolean }, path: string, size: number) => 'gzip' | null | undefined });
    /** The built-in content types by extension (a copy). */
    static readonly defaultContentTypes: { [ext: string]: string };
    /**
     * The response for a request (304 when its If-None-Match or If-Modified-Since shows it is fresh), or null when there is no such file.
     * @param request the HTTP request; its path picks the file
     */
    serve(request: Message): Message | null;
  }
}
