"""A gRPC test client (Python grpcio) for Sluice's gRPC tests: runs call shapes against a
target and prints one JSON object per case, for the Rust test to check.

Usage: client.py TARGET [--tls CA_PEM] CASE...
Cases: unary error stream collect bidi deadline boom cancel cancel_waiting server_cancel slow_reader slow_upstream
       concurrent unavailable
       many:N
"""
import json
import queue
import sys
import threading
import time

import grpc


def ident(b):
    return b


class Calls:
    def __init__(self, channel):
        self.ch = channel

    def unary(self, method):
        return self.ch.unary_unary("/test.Echo/" + method, ident, ident)

    def stream(self, method):
        return self.ch.unary_stream("/test.Echo/" + method, ident, ident)

    def collect(self):
        return self.ch.stream_unary("/test.Echo/Collect", ident, ident)

    def chat(self):
        return self.ch.stream_stream("/test.Echo/Chat", ident, ident)

    def cancels(self):
        return int(self.unary("Cancels")(b"", timeout=5))


def error_of(e):
    return {"code": e.code().name, "details": e.details(),
            "trailing": dict(e.trailing_metadata() or ())}


def case_unary(c):
    req = bytes(range(256)) * 400  # 100 KB
    resp, call = c.unary("Unary").with_call(req, timeout=10)
    return {"equal": resp == req, "size": len(resp), "code": call.code().name,
            "initial": dict(call.initial_metadata()), "trailing": dict(call.trailing_metadata())}


def case_error(c):
    try:
        c.unary("Unary")(b"fail:bad input here", timeout=10)
        return {"code": "OK"}
    except grpc.RpcError as e:
        return error_of(e)


def case_stream(c):
    call = c.stream("Stream")(b"1000", timeout=20)
    msgs = [m.decode() for m in call]
    in_order = msgs == ["msg-%d" % i for i in range(1000)]
    return {"count": len(msgs), "in_order": in_order, "code": call.code().name,
            "trailing": dict(call.trailing_metadata())}


def case_collect(c):
    resp = c.collect()(iter([b"x" * 1000] * 50), timeout=10)
    return {"answer": resp.decode()}


def case_bidi(c):
    outbox = queue.Queue()

    def requests():
        while True:
            m = outbox.get()
            if m is None:
                return
            yield m

    call = c.chat()(requests(), timeout=20)
    replies = []
    # Ping-pong: each message goes only after the answer to the one before came back.
    for i in range(20):
        outbox.put(b"ping-%d" % i)
        replies.append(next(call).decode())
    outbox.put(None)
    rest = list(call)
    return {"replies": len(replies), "ok": replies == ["pong:ping-%d" % i for i in range(20)],
            "rest": len(rest), "code": call.code().name}


def case_deadline(c):
    # The client sets no deadline of its own: the proxy turns x-deadline into grpc-timeout.
    before = c.cancels()
    t = time.time()
    try:
        c.unary("Slow")(b"3000", metadata=(("x-deadline", "300m"),))
        out = {"code": "OK"}
    except grpc.RpcError as e:
        out = error_of(e)
    out["seconds"] = round(time.time() - t, 2)
    time.sleep(0.5)
    out["upstream_cancelled"] = c.cancels() - before
    return out


def case_boom(c):
    try:
        c.unary("Unary")(b"x", metadata=(("x-boom", "1"),), timeout=10)
        return {"code": "OK"}
    except grpc.RpcError as e:
        return error_of(e)


def case_cancel(c):
    before = c.cancels()
    call = c.stream("Stream")(b"100000000", timeout=30)
    got = 0
    for _ in call:
        got += 1
        if got == 10:
            call.cancel()
            break
    try:
        for _ in call:
            pass
        code = call.code().name
    except grpc.RpcError as e:
        code = e.code().name
    time.sleep(0.5)
    return {"got": got, "code": code, "upstream_cancelled": c.cancels() - before}


def case_server_cancel(c):
    """The upstream cancels a streaming call midway: the client must see CANCELLED."""
    call = c.stream("Abort")(b"", timeout=10)
    got = 0
    try:
        for _ in call:
            got += 1
        code = call.code().name
    except grpc.RpcError as e:
        code = e.code().name
    return {"got": got, "code": code}


def case_cancel_waiting(c):
    """Cancels a unary call while the upstream is still working on it (no response yet)."""
    before = c.cancels()
    future = c.unary("Slow").future(b"3000", timeout=30)
    time.sleep(0.3)
    future.cancel()
    time.sleep(0.5)
    return {"cancelled": future.cancelled(), "upstream_cancelled": c.cancels() - before}


def case_slow_reader(c):
    """400 messages of 64 KiB read one every 2 ms: the proxy must not hold the stream."""
    n = 0
    for m in c.stream("Big")(b"400", timeout=60):
        n += len(m) == 65536
        time.sleep(0.002)
    return {"messages": n}


def case_slow_upstream(c):
    """400 messages of 64 KiB sent as fast as may be to an upstream reading one every 2 ms."""
    resp = c.ch.stream_unary("/test.Echo/SlowCollect", ident, ident)(
        iter([b"q" * 65536] * 400), timeout=60)
    return {"answer": resp.decode()}


def case_concurrent(c):
    results = []
    lock = threading.Lock()
    start = threading.Barrier(100)

    def one(i):
        start.wait()
        try:
            n = sum(1 for _ in c.stream("Stream")(b"50", timeout=30))
        except grpc.RpcError as e:
            n = "error " + e.code().name
        with lock:
            results.append(n)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"calls": len(results), "complete": sum(1 for r in results if r == 50),
            "failures": [r for r in results if r != 50][:5]}


def case_unavailable(c):
    try:
        c.unary("Unary")(b"x", timeout=10)
        return {"code": "OK"}
    except grpc.RpcError as e:
        return error_of(e)


def case_many(c, n):
    """n unary calls one after another (the memory check)."""
    ok = 0
    fn = c.unary("Unary")
    req = b"y" * 1000
    for _ in range(n):
        if fn(req, timeout=10) == req:
            ok += 1
    return {"calls": n, "ok": ok}


def main():
    args = sys.argv[1:]
    target = args.pop(0)
    if args and args[0] == "--tls":
        args.pop(0)
        ca = open(args.pop(0), "rb").read()
        creds = grpc.ssl_channel_credentials(root_certificates=ca)
        channel = grpc.secure_channel(target, creds, options=[("grpc.ssl_target_name_override", "localhost")])
    else:
        channel = grpc.insecure_channel(target)
    c = Calls(channel)
    for name in args:
        t = time.time()
        try:
            if name.startswith("many:"):
                out = case_many(c, int(name[5:]))
            else:
                out = globals()["case_" + name](c)
        except Exception as e:  # reported, for the test to show
            out = {"exception": repr(e)}
        out["case"] = name
        out["elapsed"] = round(time.time() - t, 2)
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
