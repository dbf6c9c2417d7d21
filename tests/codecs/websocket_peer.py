"""WebSocket peers for engine/tests/codec_websocket.rs, on Python's websockets library.

  websocket_peer.py server PORT   an echo server: text and binary messages come back as they
                                  came; prints "ready" once it listens
  websocket_peer.py client URL    runs the client cases against URL and prints one JSON line
                                  of results
  websocket_peer.py oversize URL N  sends one message of N bytes and prints how the
                                  connection ended
"""
import asyncio
import json
import sys

import websockets


async def echo(ws):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def server(port):
    async with websockets.serve(echo, "127.0.0.1", port, max_size=None):
        print("ready", flush=True)
        await asyncio.Future()


async def client(url):
    results = {}
    async with websockets.connect(url, max_size=None, close_timeout=5) as ws:
        await ws.send("hello")
        results["text"] = await ws.recv()
        big = bytes(i % 251 for i in range(1 << 20))
        await ws.send(big)
        reply = await ws.recv()
        results["binary"] = len(reply) if reply == big else "mismatch"
        await ws.send(["frag", "mented", "!"])
        results["fragmented"] = await ws.recv()
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 5)
        results["pong"] = True
        await ws.close(4001, "bye")
        results["close"] = [ws.close_code, ws.close_reason]
    print(json.dumps(results), flush=True)


async def oversize(url, size):
    async with websockets.connect(url, max_size=None, close_timeout=5) as ws:
        await ws.send(b"x" * size)
        try:
            await asyncio.wait_for(ws.recv(), 10)
            print("answered", flush=True)
        except websockets.ConnectionClosed as e:
            print("closed", e.rcvd is None, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        asyncio.run(server(int(sys.argv[2])))
    elif sys.argv[1] == "oversize":
        asyncio.run(oversize(sys.argv[2], int(sys.argv[3])))
    else:
        asyncio.run(client(sys.argv[2]))
