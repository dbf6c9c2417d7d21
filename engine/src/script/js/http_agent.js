// http.Agent (Pipy 1.5): an HTTP client for scripts. `new http.Agent('host:port', options)`
// keeps pooled connections to one server (muxHTTP over connect, or connectTLS when `tls` is
// given); `agent.request(method, path, headers, body)` or `agent.request(message)` returns a
// Promise of the response Message, rejected with a Message whose head has the error status
// (502, 504 ...) when the server cannot be reached.
'use strict';
(function (S) {
  const hostPort = (host, tls) => {
    if (/^\[.*\]:\d+$/.test(host) || /^[^:\[\]]+:\d+$/.test(host)) return host;
    if (host.includes(':') && !host.startsWith('[')) return `[${host}]:${tls ? 443 : 80}`;
    return `${host}:${tls ? 443 : 80}`;
  };

  class Agent {
    constructor(host, options) {
      if (typeof host !== 'string' || host === '') throw new TypeError('http.Agent: the host must be a string like "example.com:8080"');
      const opts = options || {};
      const tls = opts.tls || null;
      const target = hostPort(host, tls);
      const mux = {};
      for (const k of ['version', 'maxIdle', 'bufferSize', 'maxHeaderSize']) if (k in opts) mux[k] = opts[k];
      const conn = {};
      for (const k of ['connectTimeout', 'readTimeout', 'writeTimeout', 'idleTimeout']) if (k in opts) conn[k] = opts[k];
      this._host = host;
      this._pipeline = pipeline($ => {
        const m = $.muxHTTP(mux);
        if (tls) m.to($ => $.connectTLS(tls).to($ => $.connect(target, conn)));
        else m.to($ => $.connect(target, conn));
        return m;
      });
    }

    request(method, path, headers, body) {
      let head;
      if (method instanceof Message) {
        const h = method.head || {};
        head = { method: h.method || 'GET', path: h.path || '/', headers: h.headers || {} };
        body = method.body;
      } else {
        head = { method: String(method || 'GET'), path: String(path || '/'), headers: headers || {} };
      }
      if (!('host' in head.headers) && !('Host' in head.headers)) {
        head.headers = Object.assign({}, head.headers, { host: this._host });
      }
      const msg = new Message(head, body === undefined ? null : body);
      // An answer muxHTTP made itself (the server was not reached) rejects, as in Pipy.
      return this._pipeline.request([msg, new StreamEnd()]).then(
        res => (res.head && res.head.errorAnswer ? Promise.reject(res) : res)
      );
    }
  }

  globalThis.http = globalThis.http || {};
  globalThis.http.Agent = Agent;
})(globalThis.__sluice);
