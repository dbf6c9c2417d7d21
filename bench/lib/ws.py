#!/usr/bin/env python3
"""WebSocket helper for bench/run workload (j), a WebSocket relay.

  ws.py echo PORT                  serve on 127.0.0.1:PORT: answer each upgrade request with 101,
                                   then send every text or binary message back (unmasked), answer
                                   a ping with a pong and a close with a close. Prints "ready".
  ws.py load PORT CONNS SECS [SIZE [WINDOW]]
                                   open CONNS connections, upgrade each, then keep WINDOW
                                   (default 16) masked SIZE-byte (default 64) text messages in
                                   flight on each, sending one more for every echo; after SECS
                                   seconds prints "<echoes> <seconds> <messages/s> <CPU %>" (its
                                   own CPU time over the run's, % of a CPU). If a connection
                                   fails or an echo is wrong, it prints the same for what it got
                                   until then, the reason on standard error, and exits with 3.
  ws.py check PORT                 one message each way with the `websockets` library (a second
                                   implementation): exits non-zero unless the echo comes back.

Both ends are single-threaded epoll loops that do as little as they can per message, so that
CPU 1 (where bench/run puts them) limits the relay late: the client sends pre-encoded frames
(the same mask key each time; a server does not check keys) and takes a read of whole echoes
at once when it is the expected frame repeated; the server does the same with a read of the
last frame it saw, repeated, and otherwise parses frame by frame. Anything unexpected (a wrong
echo, a close, a lost connection) ends the client with an error.
"""
import base64
import hashlib
import os
import select
import socket
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
READ = 1 << 18


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def frame(opcode, payload, mask=None):
    """One final frame; masked (client to server) when mask is 4 bytes."""
    n = len(payload)
    head = bytes([0x80 | opcode])
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 1 << 16:
        head += bytes([bit | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([bit | 127]) + n.to_bytes(8, "big")
    if mask:
        return head + mask + unmask(payload, mask)
    return head + payload


def unmask(data, mask):
    n = len(data)
    if n == 0:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


def parse(buf, pos):
    """The frame at buf[pos:]: (fin, opcode, payload, next position), or None when incomplete."""
    end = len(buf)
    if end - pos < 2:
        return None
    b0, b1 = buf[pos], buf[pos + 1]
    n = b1 & 0x7F
    p = pos + 2
    if n == 126:
        if end - p < 2:
            return None
        n = int.from_bytes(buf[p:p + 2], "big")
        p += 2
    elif n == 127:
        if end - p < 8:
            return None
        n = int.from_bytes(buf[p:p + 8], "big")
        p += 8
    mask = None
    if b1 & 0x80:
        if end - p < 4:
            return None
        mask = bytes(buf[p:p + 4])
        p += 4
    if end - p < n:
        return None
    payload = bytes(buf[p:p + n])
    if mask:
        payload = unmask(payload, mask)
    return b0 & 0x80, b0 & 0x0F, payload, p + n


def nodelay(s):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# --- the echo server ---------------------------------------------------------------------------
class Peer:
    __slots__ = ("sock", "buf", "out", "open", "last_in", "last_out", "parts", "op")

    def __init__(self, sock):
        self.sock, self.buf, self.out, self.open = sock, bytearray(), b"", False
        self.last_in, self.last_out, self.parts, self.op = b"", b"", [], 0


def echo(port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1024)
    srv.setblocking(False)
    ep = select.epoll()
    ep.register(srv.fileno(), select.EPOLLIN)
    peers = {}
    print("ready", flush=True)

    def close(p):
        ep.unregister(p.sock.fileno())
        del peers[p.sock.fileno()]
        p.sock.close()

    def send(p, data):
        if p.out:
            p.out += data
            return
        try:
            n = p.sock.send(data)
        except BlockingIOError:
            n = 0
        if n < len(data):
            p.out = data[n:]
            ep.modify(p.sock.fileno(), select.EPOLLIN | select.EPOLLOUT)

    def handshake(p):
        end = p.buf.find(b"\r\n\r\n")
        if end < 0:
            return len(p.buf) < 65536
        head = bytes(p.buf[:end]).decode("latin-1").split("\r\n")
        del p.buf[:end + 4]
        key = None
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-key":
                key = value.strip().encode()
        if key is None:
            p.sock.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            return False
        p.sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n"
                       b"connection: Upgrade\r\nsec-websocket-accept: " + accept_key(key) + b"\r\n\r\n")
        p.open = True
        return True

    def frames(p):
        buf, L = p.buf, len(p.last_in)
        # The common case: a read of the last frame seen, repeated.
        if L and len(buf) >= L:
            k = len(buf) // L
            if buf[:k * L] == p.last_in * k:
                del buf[:k * L]
                send(p, p.last_out * k)
                if not buf:
                    return True
        out, pos = [], 0
        while True:
            f = parse(buf, pos)
            if f is None:
                break
            fin, op, payload, nxt = f
            if op == 8:
                if out:
                    send(p, b"".join(out))
                send(p, frame(8, payload[:2]))
                return False
            if op == 9:
                out.append(frame(10, payload))
            elif op in (0, 1, 2):
                if op:
                    p.op, p.parts = op, []
                p.parts.append(payload)
                if fin:
                    echoed = frame(p.op, b"".join(p.parts))
                    out.append(echoed)
                    p.parts = []
                    if op and fin:
                        p.last_in, p.last_out = bytes(buf[pos:nxt]), echoed
            pos = nxt
        del buf[:pos]
        if out:
            send(p, b"".join(out))
        return True

    while True:
        for fd, ev in ep.poll():
            if fd == srv.fileno():
                while True:
                    try:
                        s, _ = srv.accept()
                    except BlockingIOError:
                        break
                    s.setblocking(False)
                    nodelay(s)
                    peers[s.fileno()] = Peer(s)
                    ep.register(s.fileno(), select.EPOLLIN)
                continue
            p = peers.get(fd)
            if p is None:
                continue
            if ev & select.EPOLLOUT and p.out:
                try:
                    n = p.sock.send(p.out)
                except BlockingIOError:
                    n = 0
                except OSError:
                    close(p)
                    continue
                p.out = p.out[n:]
                if not p.out:
                    ep.modify(fd, select.EPOLLIN)
            if ev & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                try:
                    data = p.sock.recv(READ)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    close(p)
                    continue
                p.buf += data
                try:
                    ok = frames(p) if p.open else handshake(p) and frames(p)
                except OSError:
                    ok = False
                if not ok:
                    close(p)


# --- the load generator ------------------------------------------------------------------------
def upgrade(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    nodelay(s)
    key = base64.b64encode(hashlib.sha1(str(time.time()).encode() + s.getsockname()[1].to_bytes(2, "big")).digest()[:16])
    s.sendall(b"GET /ws HTTP/1.1\r\nhost: 127.0.0.1:" + str(port).encode() +
              b"\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-version: 13\r\n"
              b"sec-websocket-key: " + key + b"\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = s.recv(4096)
        if not data:
            sys.exit("ws.py: the connection closed during the upgrade: %r" % buf)
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if lines[0].split(" ")[1:2] != ["101"]:
        sys.exit("ws.py: the upgrade got %r, not 101" % lines[0])
    got = [l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("sec-websocket-accept:")]
    if got != [accept_key(key).decode()]:
        sys.exit("ws.py: wrong or missing sec-websocket-accept: %r" % got)
    s.setblocking(False)
    return s, bytearray(rest)


def load(port, conns, secs, size, window):
    payload = (b"0123456789abcdefghijklmnopqrstuvwxyz" * (size // 36 + 1))[:size]
    out1 = frame(1, payload, mask=b"\x1f\x2e\x3d\x4c")
    in1 = frame(1, payload)
    L = len(in1)
    outs = [out1 * k for k in range(window + 1)]  # k messages, pre-encoded
    ins = [in1 * k for k in range(window + 1)]  # k echoes, as they should come back
    socks = [upgrade(port) for _ in range(conns)]
    ep = select.epoll()
    state = {}
    for s, buf in socks:
        ep.register(s.fileno(), select.EPOLLIN)
        state[s.fileno()] = [s, buf, b""]  # socket, bytes read, bytes not yet sent

    def send(st, data):
        if st[2]:
            st[2] += data
            return
        try:
            n = st[0].send(data)
        except BlockingIOError:
            n = 0
        if n < len(data):
            st[2] = data[n:]
            ep.modify(st[0].fileno(), select.EPOLLIN | select.EPOLLOUT)

    count, failed = 0, None
    c0, t0 = time.process_time(), time.perf_counter()
    deadline = t0 + secs
    try:
        for st in state.values():
            send(st, outs[window])
        while True:
            now = time.perf_counter()
            if now >= deadline:
                break
            for fd, ev in ep.poll(deadline - now):
                st = state[fd]
                s = st[0]
                if ev & select.EPOLLOUT and st[2]:
                    n = s.send(st[2])
                    st[2] = st[2][n:]
                    if not st[2]:
                        ep.modify(fd, select.EPOLLIN)
                if not ev & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                    continue
                try:
                    data = s.recv(READ)
                except BlockingIOError:
                    continue
                if not data:
                    raise OSError("a connection was closed")
                buf = st[1]
                buf += data
                k = len(buf) // L
                if k and k <= window and buf[:k * L] == ins[k]:
                    del buf[:k * L]
                    count += k
                    send(st, outs[k])
                    continue
                # Not whole copies of the expected echo: frame by frame.
                pos, k = 0, 0
                while True:
                    f = parse(buf, pos)
                    if f is None:
                        break
                    fin, op, got, pos = f
                    if op == 8:
                        raise OSError("the server sent a close frame (%r)" % got[:40])
                    if op == 10:
                        continue
                    if op != 1 or not fin or got != payload:
                        raise OSError("an unexpected frame: opcode %d, fin %d, %d bytes" % (op, bool(fin), len(got)))
                    k += 1
                del buf[:pos]
                count += k
                if k:
                    send(st, out1 * k)
    except OSError as e:
        failed = "%s, after %d echoes" % (e, count)
    c1, t1 = time.process_time(), time.perf_counter()
    for s, _ in socks:
        s.close()
    print(f"{count} {t1 - t0:.3f} {count / (t1 - t0):.0f} {100 * (c1 - c0) / (t1 - t0):.0f}")
    if failed:
        print("ws.py: " + failed, file=sys.stderr)
        sys.exit(3)


def check(port):
    msgs = ("hello through the relay", b"\x00\x01binary\xff" * 10, "x" * 70000)
    try:
        from websockets.sync.client import connect
    except ImportError:
        connect = None
    if connect is None:  # without the library: this file's own frames
        s, buf = upgrade(port)
        s.setblocking(True)
        for msg in msgs:
            data = msg.encode() if isinstance(msg, str) else msg
            s.sendall(frame(1 if isinstance(msg, str) else 2, data, mask=os.urandom(4)))
            while (f := parse(buf, 0)) is None:
                got = s.recv(READ)
                if not got:
                    sys.exit("ws.py: the connection closed before the echo")
                buf += got
            del buf[:f[3]]
            if f[2] != data:
                sys.exit(f"ws.py: sent {data[:40]!r} ({len(data)}), got back {f[2][:40]!r} ({len(f[2])})")
        s.close()
        print("ok (ws.py's own frames; the websockets library is not installed)")
        return
    import websockets

    with connect(f"ws://127.0.0.1:{port}/check", open_timeout=5, close_timeout=2) as ws:
        for msg in msgs:
            ws.send(msg)
            got = ws.recv(timeout=5)
            if got != msg:
                sys.exit(f"ws.py: sent {msg[:40]!r} ({len(msg)}), got back {got[:40]!r} ({len(got)})")
    print(f"ok (websockets {websockets.__version__})")


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[:1] == ["echo"] and len(a) == 2:
        echo(int(a[1]))
    elif a[:1] == ["load"] and 4 <= len(a) <= 6:
        load(int(a[1]), int(a[2]), float(a[3]), int(a[4]) if len(a) > 4 else 64, int(a[5]) if len(a) > 5 else 16)
    elif a[:1] == ["check"] and len(a) == 2:
        check(int(a[1]))
    else:
        sys.exit(__doc__)
