#!/usr/bin/env python3
"""Bulk TCP throughput helper for bench/run workload (d).

  tput.py sink PORT              serve on 127.0.0.1:PORT: each connection sends an 8-byte
                                 big-endian length, then that many bytes; the sink reads them
                                 all and answers one byte. Prints "ready" once listening.
  tput.py send PORT BYTES        connect to 127.0.0.1:PORT, push BYTES (+ header), wait for the
                                 one-byte answer; prints "<bytes> <seconds> <MB/s>" (MB = 1e6 B).
"""
import socket
import struct
import sys
import time

CHUNK = 1 << 20


def sink(port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    print("ready", flush=True)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while True:
        conn, _ = srv.accept()
        try:
            head = b""
            while len(head) < 8:
                part = conn.recv(8 - len(head))
                if not part:
                    break
                head += part
            if len(head) < 8:
                continue
            left = struct.unpack(">Q", head)[0]
            while left > 0:
                n = conn.recv_into(view, min(CHUNK, left))
                if n == 0:
                    break
                left -= n
            if left == 0:
                conn.sendall(b"k")
                conn.recv(1)  # wait for the sender to close
        except OSError:
            pass
        finally:
            conn.close()


def send(port, total):
    data = memoryview(b"\x5a" * CHUNK)
    t0 = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(struct.pack(">Q", total))
    left = total
    while left > 0:
        n = min(CHUNK, left)
        s.sendall(data[:n])
        left -= n
    ack = s.recv(1)
    t1 = time.perf_counter()
    s.close()
    if ack != b"k":
        print("error: no acknowledgement from the sink", file=sys.stderr)
        sys.exit(1)
    secs = t1 - t0
    print(f"{total} {secs:.4f} {total / secs / 1e6:.1f}")


if __name__ == "__main__":
    if sys.argv[1] == "sink":
        sink(int(sys.argv[2]))
    elif sys.argv[1] == "send":
        send(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit(__doc__)
