#!/usr/bin/env python3
"""Time from spawning a server to its first HTTP response, for bench/run workload (f).

  startup.py PORT CMD [ARGS...]

Spawns CMD, then tries every 0.5 ms to connect to 127.0.0.1:PORT, send a GET and read a
response. Prints the elapsed milliseconds, then stops the server (SIGTERM, then SIGKILL).
"""
import os
import signal
import socket
import subprocess
import sys
import time

port = int(sys.argv[1])
cmd = sys.argv[2:]
REQ = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def try_once():
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(REQ)
            return s.recv(4096).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


if try_once():
    sys.exit(f"error: port {port} already answers")

t0 = time.perf_counter()
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ok = False
while time.perf_counter() - t0 < 10:
    if try_once():
        ok = True
        break
    if p.poll() is not None:
        break
    time.sleep(0.0005)
t1 = time.perf_counter()
p.send_signal(signal.SIGTERM)
try:
    p.wait(5)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
if not ok:
    sys.exit("error: the server never answered")
print(f"{(t1 - t0) * 1000:.1f}")
