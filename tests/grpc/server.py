"""A gRPC test server (Python grpcio) for Sluice's gRPC tests.

Service `test.Echo`, raw bytes in and out (generic handlers, no protoc step):
  Unary     echoes the request; initial metadata x-initial, trailing metadata x-trailer.
            A request starting with b"fail:" is refused with INVALID_ARGUMENT and the rest as
            details, before any message (a trailers-only response).
  Slow      sleeps as many milliseconds as the request says, then answers; a call cancelled
            meanwhile is counted.
  Stream    answers the request's count (ASCII) with as many messages `msg-<i>`.
  Collect   client streaming: answers `<messages> <bytes>`.
  Big       answers the request's count with as many messages of 64 KiB, as fast as it may.
  SlowCollect  client streaming, reading one message every 2 ms: answers `<messages> <bytes>`.
  Chat      bidi streaming: answers each message `pong:<message>` as it comes.
  Abort     sends three messages, then cancels the call from the server's side.
  Cancels   answers how many calls were cancelled so far (as seen by the server).

Usage: server.py PORT   (prints "ready" once it serves)
"""
import sys
import threading
import time
from concurrent import futures

import grpc

cancelled = 0
lock = threading.Lock()


def ident(b):
    return b


def unary(request, context):
    if request.startswith(b"fail:"):
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, request[5:].decode())
    context.send_initial_metadata((("x-initial", "yes"),))
    context.set_trailing_metadata((("x-trailer", "unary-done"), ("x-size", str(len(request)))))
    return request


def note_cancel():
    global cancelled
    with lock:
        cancelled += 1


def watch(context):
    """Counts the call as cancelled if it ends before its handler finished."""
    finished = []
    context.add_callback(lambda: finished or note_cancel())
    return finished


def slow(request, context):
    finished = watch(context)
    end = time.time() + int(request) / 1000.0
    while time.time() < end and context.is_active():
        time.sleep(0.01)
    finished.append(True)
    return b"slept"


def stream(request, context):
    finished = watch(context)
    for i in range(int(request)):
        yield b"msg-%d" % i
    context.set_trailing_metadata((("x-count", request.decode()),))
    finished.append(True)


def collect(request_iterator, context):
    n = size = 0
    for m in request_iterator:
        n += 1
        size += len(m)
    return b"%d %d" % (n, size)


def big(request, context):
    chunk = b"z" * 65536
    for _ in range(int(request)):
        yield chunk


def slow_collect(request_iterator, context):
    n = size = 0
    for m in request_iterator:
        n += 1
        size += len(m)
        time.sleep(0.002)
    return b"%d %d" % (n, size)


def chat(request_iterator, context):
    for m in request_iterator:
        yield b"pong:" + m


def abort(request, context):
    for i in range(3):
        yield b"msg-%d" % i
    time.sleep(0.1)
    context.cancel()


def cancels(request, context):
    with lock:
        return str(cancelled).encode()


def main():
    port = int(sys.argv[1])
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary, ident, ident),
        "Slow": grpc.unary_unary_rpc_method_handler(slow, ident, ident),
        "Stream": grpc.unary_stream_rpc_method_handler(stream, ident, ident),
        "Collect": grpc.stream_unary_rpc_method_handler(collect, ident, ident),
        "Big": grpc.unary_stream_rpc_method_handler(big, ident, ident),
        "SlowCollect": grpc.stream_unary_rpc_method_handler(slow_collect, ident, ident),
        "Chat": grpc.stream_stream_rpc_method_handler(chat, ident, ident),
        "Abort": grpc.unary_stream_rpc_method_handler(abort, ident, ident),
        "Cancels": grpc.unary_unary_rpc_method_handler(cancels, ident, ident),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=160),
                         options=[("grpc.max_concurrent_streams", 1000)])
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Echo", handlers),))
    server.add_insecure_port("127.0.0.1:%d" % port)
    server.start()
    print("ready", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
