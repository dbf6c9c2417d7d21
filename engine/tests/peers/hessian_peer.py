"""Parses Hessian 2 bytes with Python's python-hessian (ParserV2) and prints the values as
canonical JSON, in the same normal form the Sluice side of codec_dubbo.rs prints.

    hessian_peer.py HEX   (the concatenation of one or more top-level values)
"""
import calendar
import datetime
import io
import json
import sys

from pyhessian.parser import ParserV2
from pyhessian.protocol import Binary


class Source:
    def __init__(self, data):
        self.stream = io.BytesIO(data)
        self.size = len(data)

    def _read(self, n):
        b = self.stream.read(n)
        if len(b) < n:
            raise EOFError
        return b


def norm(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v) if v.is_integer() and abs(v) < 2 ** 53 else v
    if isinstance(v, Binary):
        return {"bin": bytes(v.value).hex()}
    if isinstance(v, bytes):
        return {"bin": v.hex()}
    if isinstance(v, datetime.datetime):
        return {"ms": calendar.timegm(v.utctimetuple()) * 1000 + v.microsecond // 1000}
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {str(norm(k)): norm(x) for k, x in v.items()}
    out = {"__type": type(v).__module__ + "." + type(v).__name__}
    out.update({k: norm(x) for k, x in vars(v).items()})
    return out


def main():
    src = Source(bytes.fromhex(sys.argv[1]))
    parser = ParserV2(src)
    values = []
    while src.stream.tell() < src.size:
        values.append(norm(parser._read_object()))
    print(json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


if __name__ == "__main__":
    main()
