#!/usr/bin/env python3
"""Soak test for Sluice (run on demand, not in CI).

Starts a backend (an engine script that fails about 1% of requests) and the proxy under test,
then drives mixed keep-alive and new-connection load through the proxy for DURATION seconds,
all on 127.0.0.1. Reports requests, errors by kind, and the proxy's RSS and open file
descriptors after warm-up and at the end.

Usage: soak.py ENGINE [DURATION_SECONDS=600] [THREADS=8]
"""
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

engine = os.path.abspath(sys.argv[1])
duration = float(sys.argv[2]) if len(sys.argv) > 2 else 600
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 8


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


backend_port, proxy_port = free_port(), free_port()
work = tempfile.mkdtemp(prefix="sluice-soak-")
with open(os.path.join(work, "backend.js"), "w") as f:
    f.write(f"""pipy({{ _n: 0 }})
.listen({backend_port})
  .demuxHTTP().to($=>$
    .replaceMessage(msg => (
      Math.random() < 0.005 ? new StreamEnd('ConnectionReset') :
      Math.random() < 0.005 ? new Message({{ status: 500 }}, 'backend failed') :
      new Message('ok ' + (msg.body ? msg.body.size : 0))
    ))
  )
""")
with open(os.path.join(work, "proxy.js"), "w") as f:
    f.write(f"""pipy()
.listen({proxy_port})
  .demuxHTTP().to($=>$
    .handleMessageStart(msg => void msg.head.headers['user-agent'])
    .muxHTTP(() => 'backend').to($=>$.connect('127.0.0.1:{backend_port}'))
  )
""")

procs = []


def start(script, port):
    p = subprocess.Popen([engine, script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return p
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"engine did not listen on {port}")


def usage(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds


start(os.path.join(work, "backend.js"), backend_port)
proxy = start(os.path.join(work, "proxy.js"), proxy_port)

counts = Counter()
lock = threading.Lock()
stop = time.time() + duration


def read_response(sock, buf):
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
    return status, rest[length:], b"connection: close" in head.lower()


def client(keep_alive):
    rnd = random.Random()
    sock, buf = None, b""
    while time.time() < stop:
        body = b"x" * rnd.choice([0, 10, 1000, 70000])
        req = b"POST /soak HTTP/1.1\r\nHost: soak\r\nContent-Length: %d\r\n%s\r\n" % (
            len(body), b"" if keep_alive else b"Connection: close\r\n") + body
        kind = None
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", proxy_port), timeout=10)
                buf = b""
            sock.sendall(req)
            status, buf, close = read_response(sock, buf)
            kind = f"status {status}"
            if close or not keep_alive:
                sock.close()
                sock = None
        except (OSError, ConnectionError, ValueError) as e:
            kind = f"error {type(e).__name__}: {e}"[:60]
            if sock:
                sock.close()
            sock = None
        with lock:
            counts[kind] += 1


workers = [threading.Thread(target=client, args=(i % 2 == 0,), daemon=True) for i in range(threads)]
for w in workers:
    w.start()
time.sleep(min(30, duration / 5))
warm = usage(proxy.pid)
warm_total = sum(counts.values())
for w in workers:
    w.join()
time.sleep(2)
end = usage(proxy.pid)
for p in procs:
    p.terminate()

total = sum(counts.values())
print(f"# Soak: {duration:.0f} s, {threads} client threads (half keep-alive), backend fails ~1%")
print(f"requests: {total} ({total / duration:.0f}/s)")
for k, v in sorted(counts.items(), key=lambda kv: -kv[1]):
    print(f"  {k}: {v}")
print(f"proxy RSS after warm-up: {warm[0]} kB, at end: {end[0]} kB")
print(f"proxy open fds after warm-up: {warm[1]}, at end: {end[1]}")
unexpected = sum(v for k, v in counts.items() if not (k.startswith("status 200") or k in ("status 500", "status 502")))
print(f"unexpected outcomes: {unexpected} (200, the backend's 500 and the proxy's 502 for a reset backend are expected)")
grew = end[0] - warm[0] > max(8192, warm[0] // 5) or end[1] > warm[1] + 20
print("RESULT: " + ("FAIL" if unexpected or grew else "PASS"))
sys.exit(1 if unexpected or grew else 0)
