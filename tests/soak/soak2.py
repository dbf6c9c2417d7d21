#!/usr/bin/env python3
"""Soak II for Sluice (run on demand, not in CI): mixed protocols, failing backends, reloads.

One proxy program serves, on 127.0.0.1:
  * HTTP/1.1 (keep-alive and one request per connection) and HTTP/2 (h2c prior knowledge) on
    one port, to an HTTP backend that fails about 1% of requests (a reset or a 500);
  * WebSocket, decoded and re-encoded by the proxy, to an echo backend;
  * Redis (RESP), decoded, queued per client and forwarded to a real redis-server.
The proxy is reloaded (its file rewritten, then SIGHUP) every RELOAD seconds. Every answer is
checked. Reports counts by outcome, and the proxy's RSS and open fds after warm-up and at the
end, sampled every RELOAD seconds.

Usage: soak2.py ENGINE [DURATION_SECONDS=3600] [RELOAD_SECONDS=60]
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter

import h2.config
import h2.connection
import h2.events
import h2.exceptions
from websockets.sync.client import connect as ws_connect

warnings.simplefilter("ignore", DeprecationWarning)
# python-h2 moves its connection to CLOSED on the first GOAWAY and then rejects every frame
# (the PING of a graceful shutdown, the answers of the streams still under way), although
# RFC 9113 §6.8 has both ends go on with the streams below the last stream id. Let it.
_S, _I = h2.connection.ConnectionState, h2.connection.ConnectionInputs
for _i in _I:
    if _i is not _I.SEND_HEADERS:
        h2.connection.H2ConnectionStateMachine._transitions.setdefault((_S.CLOSED, _i), (None, _S.CLOSED))
engine = os.path.abspath(sys.argv[1])
duration = float(sys.argv[2]) if len(sys.argv) > 2 else 3600
reload_every = float(sys.argv[3]) if len(sys.argv) > 3 else 60


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


http_port, ws_port, resp_port = free_port(), free_port(), free_port()
backend_port, echo_port, redis_port = free_port(), free_port(), free_port()
work = tempfile.mkdtemp(prefix="sluice-soak2-")

BACKEND = f"""pipy({{ _req: null }})
.listen({backend_port})
  .demuxHTTP().to($=>$
    .replaceMessage(msg => (
      Math.random() < 0.005 ? new StreamEnd('ConnectionReset') :
      Math.random() < 0.005 ? new Message({{ status: 500 }}, 'backend failed') :
      new Message('ok ' + (msg.body ? msg.body.size : 0))
    ))
  )
.listen({echo_port})
  .demuxHTTP().to($=>$
    .acceptHTTPTunnel(req => (_req = req.head,
      new Message({{ status: 101, headers: {{ upgrade: 'websocket', connection: 'Upgrade' }} }})))
    .to($=>$
      .decodeWebSocket()
      .replaceMessage(msg => (
        msg.head.opcode === 8 ? [new Message({{ opcode: 8 }}, msg.body), new StreamEnd] :
        msg.head.opcode === 9 ? new Message({{ opcode: 10 }}, msg.body) :
        new Message({{ opcode: msg.head.opcode }}, msg.body)
      ))
      .encodeWebSocket()
    )
  )
"""


def proxy_script(version):
    return f"""// soak II proxy, version {version}
pipy({{ _req: null }})
.listen({http_port})
  .demuxHTTP().to($=>$
    .handleMessageStart(msg => {{ msg.head.headers['x-version'] = '{version}' }})
    .muxHTTP(() => 'backend').to($=>$.connect('127.0.0.1:{backend_port}'))
  )
.listen({ws_port})
  .demuxHTTP().to($=>$
    .acceptHTTPTunnel(req => (_req = req.head,
      new Message({{ status: 101, headers: {{ upgrade: 'websocket', connection: 'Upgrade' }} }})))
    .to($=>$
      .decodeWebSocket()
      .encodeWebSocket()
      .connectHTTPTunnel(() => new Message({{
        method: 'GET', path: _req.path, headers: {{
          host: _req.headers.host, upgrade: 'websocket', connection: 'Upgrade',
          'sec-websocket-key': _req.headers['sec-websocket-key'], 'sec-websocket-version': '13',
        }}
      }}))
      .to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:{echo_port}')))
      .decodeWebSocket()
      .encodeWebSocket()
    )
  )
.listen({resp_port})
  .decodeRESP()
  .demuxQueue().to($=>$
    .muxQueue({{ maxQueue: 0 }}).to($=>$.encodeRESP().connect('127.0.0.1:{redis_port}').decodeRESP())
  )
  .encodeRESP()
"""


procs = []


def wait_port(port, proc):
    for _ in range(400):
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def start(args, port):
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    wait_port(port, p)
    return p


def usage(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


with open(os.path.join(work, "backend.js"), "w") as f:
    f.write(BACKEND)
proxy_file = os.path.join(work, "proxy.js")
with open(proxy_file, "w") as f:
    f.write(proxy_script(0))
start(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
       "--appendonly", "no"], redis_port)
start([engine, os.path.join(work, "backend.js")], echo_port)
proxy = start([engine, proxy_file], resp_port)

counts = Counter()
lock = threading.Lock()
stop_at = time.time() + duration


def count(kind):
    with lock:
        counts[kind] += 1


def read_h1(sock, buf):
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        rest += chunk
    return status, rest[:length], rest[length:], b"connection: close" in head.lower()


def http_outcome(proto, status, body, sent):
    if status == 200:
        return f"{proto} 200" if body == b"ok %d" % sent else f"{proto} 200 with a wrong body"
    return f"{proto} {status}"


def h1_client(keep_alive):
    rnd = random.Random()
    sock, buf = None, b""
    proto = "http/1 keep-alive" if keep_alive else "http/1 new connection"
    while time.time() < stop_at:
        body = b"x" * rnd.choice([0, 10, 1000, 70000])
        req = b"POST /soak HTTP/1.1\r\nHost: soak\r\nContent-Length: %d\r\n%s\r\n" % (
            len(body), b"" if keep_alive else b"Connection: close\r\n") + body
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", http_port), timeout=10)
                buf = b""
            sock.sendall(req)
            status, got, buf, close = read_h1(sock, buf)
            count(http_outcome(proto, status, got, len(body)))
            if close or not keep_alive:
                sock.close()
                sock = None
        except (OSError, ConnectionError, ValueError) as e:
            count(f"{proto} error {type(e).__name__}")
            if sock:
                sock.close()
            sock = None


def h2_client():
    """Requests one at a time on an h2c connection; a GOAWAY (a reload) means a new one."""
    rnd = random.Random()
    sock, conn = None, None
    while time.time() < stop_at:
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", http_port), timeout=10)
                conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
                conn.initiate_connection()
                sock.sendall(conn.data_to_send())
            size = rnd.choice([0, 10, 1000, 70000])
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, [(":method", "POST"), (":path", "/soak"), (":scheme", "http"),
                                    (":authority", "soak"), ("content-length", str(size))])
            body, sent = b"x" * size, 0
            status, got, done, gone = None, b"", False, False
            while not done:
                while 0 <= sent < size and conn.local_flow_control_window(sid) > 0:
                    n = min(size - sent, conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
                    try:
                        conn.send_data(sid, body[sent:sent + n], end_stream=sent + n == size)
                    except h2.exceptions.StreamClosedError:
                        break  # answered (and closed) before the whole body was sent
                    sent += n
                if size == 0 and sent == 0:
                    conn.end_stream(sid)
                    sent = -1
                sock.sendall(conn.data_to_send())
                data = sock.recv(65536)
                if not data:
                    raise ConnectionError("closed")
                for ev in conn.receive_data(data):
                    if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
                        status = int(dict(ev.headers)[b":status"])
                    elif isinstance(ev, h2.events.DataReceived) and ev.stream_id == sid:
                        got += ev.data
                        conn.acknowledge_received_data(ev.flow_controlled_length, sid)
                    elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                        done = True
                    elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == sid:
                        raise ConnectionError(f"stream reset {ev.error_code}")
                    elif isinstance(ev, h2.events.ConnectionTerminated):
                        gone = True
                        if ev.last_stream_id is not None and ev.last_stream_id < sid:
                            raise ConnectionError("goaway before the request")
                sock.sendall(conn.data_to_send())
            count(http_outcome("http/2", status, got, size))
            if gone:
                sock.close()
                sock = None
        except (OSError, ConnectionError, ValueError, h2.exceptions.ProtocolError) as e:
            count(f"http/2 error {type(e).__name__}: {e}"[:70])
            if sock:
                sock.close()
            sock = None


def ws_client():
    """Echo round trips on one WebSocket; a closed one (a reload) means a new one."""
    rnd = random.Random()
    ws = None
    while time.time() < stop_at:
        try:
            if ws is None:
                ws = ws_connect(f"ws://127.0.0.1:{ws_port}/echo", open_timeout=10, close_timeout=2)
            text = "m%d-" % rnd.randrange(1 << 30) + "y" * rnd.choice([0, 100, 10000])
            ws.send(text)
            count("websocket echo" if ws.recv(timeout=10) == text else "websocket wrong echo")
            if rnd.random() < 0.01:
                ws.close()
                ws = None
        except Exception as e:  # websockets raises its own ConnectionClosed family
            count(f"websocket error {type(e).__name__}")
            try:
                if ws:
                    ws.close()
            except Exception:
                pass
            ws = None


def resp_command(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Reader:
    """Reads RESP replies (simple strings, errors, integers, bulk strings) from a socket."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill(len(self.buf) + 1)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self._line()
        if line[:1] != b"$":
            return line
        n = int(line[1:])
        if n < 0:
            return None
        self._fill(n + 2)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data


first_wrong = []


def resp_client():
    """SET then GET, pipelined, on a long-lived connection."""
    rnd = random.Random()
    sock = reader = None
    while time.time() < stop_at:
        key, value = f"k{rnd.randrange(1000)}", "v" * rnd.choice([1, 100, 5000])
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", resp_port), timeout=10)
                reader = Reader(sock)
            sock.sendall(resp_command("SET", key, value) + resp_command("GET", key))
            got = (reader.reply(), reader.reply())
            if got == (b"+OK", value.encode()):
                count("redis SET+GET")
            else:
                count("redis wrong reply")
                if not first_wrong:
                    first_wrong.append(repr(got)[:200])
        except (OSError, ConnectionError, ValueError) as e:
            # A draining proxy closes a RESP connection between commands: the close comes
            # before any byte of a reply (the commands it did not read were not run). A close
            # inside a reply is an error.
            between = sock is not None and isinstance(e, ConnectionError) and not reader.buf
            count("redis closed between commands" if between else f"redis error {type(e).__name__}")
            if sock:
                sock.close()
            sock = None


clients = [lambda: h1_client(True), lambda: h1_client(False), h2_client, ws_client, resp_client]
threads = [threading.Thread(target=c, daemon=True) for c in clients]
for t in threads:
    t.start()

samples = []
version = 0
# Warm-up: the allocator grows to the load's peak in the first minutes (6 in a 35-minute run).
warm_at = time.time() + min(600, duration / 5)
warm = None
while time.time() < stop_at:
    time.sleep(max(0.0, min(reload_every, stop_at - time.time())))
    if warm is None and time.time() >= warm_at:
        warm = usage(proxy.pid)
    samples.append(usage(proxy.pid))
    if time.time() < stop_at:
        version += 1
        with open(proxy_file, "w") as f:
            f.write(proxy_script(version))
        proxy.send_signal(signal.SIGHUP)
for t in threads:
    t.join(timeout=30)
time.sleep(2)
end = usage(proxy.pid)
alive = proxy.poll() is None
for p in procs:
    p.terminate()
for p in procs:
    try:
        p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
shutil.rmtree(work, ignore_errors=True)
warm = warm or samples[0]

# Expected: the backend's 500, the proxy's 502 for a backend that reset, and a Redis
# connection closed between commands by a reload's drain (the client reconnects). An HTTP/2
# connection gets GOAWAY at a reload and is reopened after its stream; that is not counted.
# Anything else (a connection cut inside an answer, a reset stream) is an error.
expected = ("http/1 keep-alive 200", "http/1 new connection 200", "http/2 200", "websocket echo",
            "redis SET+GET")
allowed = tuple(f"{p} {s}" for p in ("http/1 keep-alive", "http/1 new connection", "http/2")
                for s in (500, 502)) + ("redis closed between commands",)
total = sum(counts.values())
print(f"# Soak II: {duration:.0f} s, reload every {reload_every:.0f} s ({version} reloads)")
print(f"outcomes: {total} ({total / duration:.0f}/s)")
for k, v in sorted(counts.items(), key=lambda kv: -kv[1]):
    print(f"  {k}: {v}")
print("proxy RSS / fds, one sample per reload period: " +
      " ".join(f"{r // 1024}M/{n}" for r, n in samples))
print(f"proxy RSS after warm-up: {warm[0]} kB, at end: {end[0]} kB")
print(f"proxy open fds after warm-up: {warm[1]}, at end: {end[1]}")
wrong = sum(v for k, v in counts.items() if "wrong" in k)
errors = sum(v for k, v in counts.items() if k not in expected and k not in allowed and "wrong" not in k)
print(f"wrong answers: {wrong}; connection errors (reconnected): {errors}")
if first_wrong:
    print(f"first wrong redis reply: {first_wrong[0]}")
grew = end[0] - warm[0] > max(16384, warm[0] // 5) or end[1] > warm[1] + 20
ok = alive and wrong == 0 and errors == 0 and not grew and all(counts[k] > 0 for k in expected)
print("RESULT: " + ("PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
