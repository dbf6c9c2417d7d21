"""Calls one gRPC method with a text message and prints the answer, for tutorial 14.

Usage: python3 client.py HOST:PORT /package.Service/Method MESSAGE
Prints "OK <answer>", or "<STATUS>: <details>" when the call fails.
"""
import sys

import grpc

target, method, message = sys.argv[1:4]
call = grpc.insecure_channel(target).unary_unary(method, lambda b: b, lambda b: b)
try:
    print("OK", call(message.encode(), timeout=5).decode())
except grpc.RpcError as e:
    print("%s: %s" % (e.code().name, e.details()))
