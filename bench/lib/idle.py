#!/usr/bin/env python3
"""Opens N idle HTTP/1.1 keep-alive connections to 127.0.0.1:PORT for bench/run workload (e).

  idle.py PORT N

Each connection sends one GET and reads its response, so the server holds it as an idle
keep-alive connection. Prints "ready <n>" once all are open, then holds them until killed.
Sockets close with SO_LINGER 0 (reset), so no TIME_WAIT is left to eat ephemeral ports.
"""
import resource
import signal
import socket
import struct
import sys
import time

port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < hard:
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

REQ = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: idle.py\r\n\r\n"
LINGER0 = struct.pack("ii", 1, 0)
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    s.sendall(REQ)
    got = b""
    while not got.endswith(b"hello world"):
        part = s.recv(4096)
        if not part:
            sys.exit(f"error: connection {i} closed by the server")
        got += part
    socks.append(s)

print(f"ready {len(socks)}", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(3600)
