// Script API declarations for the IDE's editor, part 2 of 3: the pipeline builder (pipy(),
// Configuration). The filter methods and their option objects are generated from the filter
// registry (mod.rs, filters.rs) in place of the two markers below.

/** Options of listen(). */
interface ListenOptions {
  /** Most connections open at once; more wait to be accepted. */
  maxConnections?: number;
  /** Closes a connection after this long without traffic. */
  idleTimeout?: Duration;
  /** Closes a connection when the client sends nothing for this long. */
  readTimeout?: Duration;
  /** 'udp': a pipeline per peer address, one Data per datagram (default 'tcp'). */
  protocol?: 'tcp' | 'udp';
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
   * Starts a layout answering the admin port's requests under a path; each worker's answer body is joined.
   * @param path the path prefix, starting with '/admin/'
   */
  admin(path: string): Configuration;
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
  /** Loads the program again from its codebase without dropping a connection, as SIGHUP does. */
  function restart(): void;
  /**
   * Codebase files under a folder, recursively, as paths relative to it.
   * @param dir the folder, like '/' or '/static'
   */
  function list(dir: string): string[];
  /**
   * Shows a folder of the file system as /name/ in the codebase, for the whole process.
   * @param name one path segment the codebase does not use yet
   * @param dir the folder on disk
   */
  function mount(name: string, dir: string): void;
  /**
   * Removes a mount made with pipy.mount().
   * @param name the mounted name
   */
  function unmount(name: string): void;
  /**
   * Replaces a codebase file's content in memory (the file on disk stays).
   * @param path the file, like '/config.json'
   * @param content the new content
   */
  function patch(path: string, content: string | Data): void;
  /**
   * Resolves once the codebase file (or a file under the folder) changes.
   * @param path the file or folder
   */
  function watch(path: string): Promise<string[]>;
  /** The engine's process id. */
  const pid: number;
  /** The engine's command-line arguments. */
  const argv: string[];
  /** This instance's UUID (--instance-uuid, or a random one). */
  const uuid: string;
  /**
   * Accepts connections on a port into a pipeline (Pipy 1.x).
   * @param port the port, or 'ip:port'
   * @param protocolOrOptions 'tcp', 'udp', or the listen options
   * @param options the listen options, after a protocol
   * @param pipeline a builder like $=>$.serveHTTP(...), or a pipeline() template
   */
  function listen(port: number | string, protocolOrOptions?: 'tcp' | 'udp' | ListenOptions | ((layout: Configuration) => any) | PipelineTemplate, options?: ListenOptions | ((layout: Configuration) => any) | PipelineTemplate, pipeline?: ((layout: Configuration) => any) | PipelineTemplate): void;
  /**
   * Loads (once) a module and returns what it exports.
   * @param path the module, like './lib.js'
   */
  function _import(path: string): { [name: string]: any };
  export { _import as import };
}

/** A pipeline layout made by pipeline($=>$...), usable with pipy.listen() and as a sub-pipeline. */
interface PipelineTemplate {
  /** Says which layout this is. */
  toString(): string;
  /**
   * Runs an instance once the program has started: `args` go to its onStart, and its input ends after what onStart returned.
   * @param args the arguments of the layout's onStart callback
   * @returns a Promise of what the layout's onEnd callback returns
   */
  spawn(...args: any[]): Promise<any>;
  /**
   * Runs an instance fed with `events`, then the end of its input.
   * @param events a Message, an event, or an array of them
   * @returns a Promise of what the layout's onEnd callback returns
   */
  process(events: Message | Event | (Message | Event)[]): Promise<any>;
}

/**
 * Makes a standalone pipeline layout (Pipy 1.x).
 * @param builder a function like $=>$.demuxHTTP().to(...)
 */
declare function pipeline(builder: (layout: Configuration) => any): PipelineTemplate;

/** What belongs to pipelines: `pipeline.Hub`, the meeting point of `swap` streams. */
declare namespace pipeline {
  /** Where the streams of swap(hub) meet: what enters one member's swap leaves every other's. */
  class Hub {
    /** Makes an empty hub. */
    constructor();
  }
}

/** A hub for two streams (Pipy 1.5): link(() => swap) joins it; a third stream is refused. */
declare class Swap extends pipeline.Hub {
  /** Makes an empty swap. */
  constructor();
}

/** What pipe() sends a stream through: a pipeline, a name, or a chain of them. */
type PipeTarget = PipelineTemplate | string | (PipelineTemplate | string)[];

/** A timer: new Timeout(seconds).wait() is a Promise fulfilled after that time. */
declare class Timeout {
  /**
   * Makes a timer.
   * @param seconds how long: a number of seconds, or like '1.5s' or '2m'
   */
  constructor(seconds: Duration);
  /** A Promise fulfilled when the time has passed (in the context the timer was made in). */
  wait(): Promise<void>;
  /** Stops the timer: its Promise never settles. */
  cancel(): void;
}
