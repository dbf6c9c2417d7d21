"""A Thrift server or client built on Python's `thrift` protocols, without generated code.

    thrift_peer.py server binary|compact PORT
    thrift_peer.py client binary|compact PORT   (prints one JSON line per call)

The server answers `add(1: i32 a, 2: i32 b)` with `a + b`, and `echo(1: <any>)` with its
argument as field 0 of the reply.
"""
import json
import sys

from thrift.Thrift import TMessageType, TType
from thrift.protocol import TBinaryProtocol, TCompactProtocol
from thrift.transport import TSocket, TTransport


def make(trans, kind):
    if kind == "binary":
        return TBinaryProtocol.TBinaryProtocol(trans)
    return TCompactProtocol.TCompactProtocol(trans)


def read_value(p, t):
    if t == TType.BOOL:
        return p.readBool()
    if t == TType.BYTE:
        return p.readByte()
    if t == TType.I16:
        return p.readI16()
    if t == TType.I32:
        return p.readI32()
    if t == TType.I64:
        return p.readI64()
    if t == TType.DOUBLE:
        return p.readDouble()
    if t == TType.STRING:
        return p.readString()
    if t == TType.STRUCT:
        return read_struct(p)
    if t in (TType.LIST, TType.SET):
        et, n = p.readListBegin() if t == TType.LIST else p.readSetBegin()
        items = [read_value(p, et) for _ in range(n)]
        p.readListEnd() if t == TType.LIST else p.readSetEnd()
        return [et, items]
    if t == TType.MAP:
        kt, vt, n = p.readMapBegin()
        pairs = [[read_value(p, kt), read_value(p, vt)] for _ in range(n)]
        p.readMapEnd()
        return [kt, vt, pairs]
    raise ValueError(t)


def read_struct(p):
    p.readStructBegin()
    fields = []
    while True:
        _, t, fid = p.readFieldBegin()
        if t == TType.STOP:
            break
        fields.append([fid, t, read_value(p, t)])
        p.readFieldEnd()
    p.readStructEnd()
    return fields


def write_value(p, t, v):
    if t == TType.BOOL:
        p.writeBool(v)
    elif t == TType.BYTE:
        p.writeByte(v)
    elif t == TType.I16:
        p.writeI16(v)
    elif t == TType.I32:
        p.writeI32(v)
    elif t == TType.I64:
        p.writeI64(v)
    elif t == TType.DOUBLE:
        p.writeDouble(v)
    elif t == TType.STRING:
        p.writeString(v)
    elif t == TType.STRUCT:
        write_struct(p, v)
    elif t == TType.LIST:
        p.writeListBegin(v[0], len(v[1]))
        for e in v[1]:
            write_value(p, v[0], e)
        p.writeListEnd()
    elif t == TType.SET:
        p.writeSetBegin(v[0], len(v[1]))
        for e in v[1]:
            write_value(p, v[0], e)
        p.writeSetEnd()
    elif t == TType.MAP:
        p.writeMapBegin(v[0], v[1], len(v[2]))
        for k, x in v[2]:
            write_value(p, v[0], k)
            write_value(p, v[1], x)
        p.writeMapEnd()


def write_struct(p, fields):
    p.writeStructBegin("s")
    for fid, t, v in fields:
        p.writeFieldBegin("f", t, fid)
        write_value(p, t, v)
        p.writeFieldEnd()
    p.writeFieldStop()
    p.writeStructEnd()


def call(p, name, seq, args):
    p.writeMessageBegin(name, TMessageType.CALL, seq)
    write_struct(p, args)
    p.writeMessageEnd()
    p.trans.flush()
    rname, rtype, rseq = p.readMessageBegin()
    result = read_struct(p)
    p.readMessageEnd()
    return {"name": rname, "type": rtype, "seq": rseq, "result": result}


SAMPLE = [
    [1, TType.STRUCT, [
        [1, TType.STRING, "héllo"],
        [2, TType.I64, -(2 ** 40) - 5],
        [3, TType.DOUBLE, 2.75],
        [4, TType.BOOL, True],
        [5, TType.BOOL, False],
        [6, TType.LIST, [TType.I32, [1, -2, 300000]]],
        [7, TType.MAP, [TType.STRING, TType.I16, [["a", 1], ["b", -7]]]],
        [8, TType.SET, [TType.BOOL, [True, False]]],
        [40, TType.BYTE, -3],
        [41, TType.LIST, [TType.STRING, ["x" * 20] * 16]],
    ]],
]


def main():
    role, kind, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if role == "server":
        server = TSocket.TServerSocket(host="127.0.0.1", port=port)
        server.listen()
        print("ready", flush=True)
        while True:
            client = server.accept()
            trans = TTransport.TBufferedTransport(client)
            p = make(trans, kind)
            try:
                while True:
                    name, _, seq = p.readMessageBegin()
                    args = read_struct(p)
                    p.readMessageEnd()
                    if name == "add":
                        vals = {f[0]: f[2] for f in args}
                        result = [[0, TType.I32, vals[1] + vals[2]]]
                    else:
                        result = [[0, args[0][1], args[0][2]]]
                    p.writeMessageBegin(name, TMessageType.REPLY, seq)
                    write_struct(p, result)
                    p.writeMessageEnd()
                    trans.flush()
            except TTransport.TTransportException:
                client.close()
    else:
        sock = TSocket.TSocket("127.0.0.1", port)
        trans = TTransport.TBufferedTransport(sock)
        trans.open()
        p = make(trans, kind)
        print(json.dumps(call(p, "add", 7, [[1, TType.I32, 1], [2, TType.I32, 2]])))
        print(json.dumps(call(p, "echo", 8, SAMPLE)))
        print(json.dumps({"sample": SAMPLE[0][2]}))
        trans.close()


if __name__ == "__main__":
    main()
