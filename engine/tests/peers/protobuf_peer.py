"""Python's protobuf library on a message type made from a descriptor (no protoc needed):

    protobuf_peer.py encode          prints the hex of a sample Person
    protobuf_peer.py decode HEX      prints the Person in HEX as JSON (json_format)

message Person {
  string name = 1; int32 id = 2; string email = 3;
  message Phone { string number = 1; int32 type = 2; }
  repeated Phone phones = 4;
  sint32 delta = 5; sint64 big = 6; fixed32 f32 = 7; double ratio = 8; float score = 9;
  bool active = 10; repeated int32 tags = 11; bytes blob = 12; uint64 count = 13;
  int64 neg = 14; sfixed64 sf64 = 15;
}
"""
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

F = descriptor_pb2.FieldDescriptorProto


def person_class():
    fd = descriptor_pb2.FileDescriptorProto(name="person.proto", package="t", syntax="proto3")
    person = fd.message_type.add(name="Person")
    phone = person.nested_type.add(name="Phone")
    phone.field.add(name="number", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    phone.field.add(name="type", number=2, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    fields = [
        ("name", 1, F.TYPE_STRING), ("id", 2, F.TYPE_INT32), ("email", 3, F.TYPE_STRING),
        ("delta", 5, F.TYPE_SINT32), ("big", 6, F.TYPE_SINT64), ("f32", 7, F.TYPE_FIXED32),
        ("ratio", 8, F.TYPE_DOUBLE), ("score", 9, F.TYPE_FLOAT), ("active", 10, F.TYPE_BOOL),
        ("blob", 12, F.TYPE_BYTES), ("count", 13, F.TYPE_UINT64), ("neg", 14, F.TYPE_INT64),
        ("sf64", 15, F.TYPE_SFIXED64),
    ]
    for name, number, t in fields:
        person.field.add(name=name, number=number, type=t, label=F.LABEL_OPTIONAL)
    person.field.add(name="phones", number=4, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED,
                     type_name=".t.Person.Phone")
    person.field.add(name="tags", number=11, type=F.TYPE_INT32, label=F.LABEL_REPEATED)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("t.Person"))


def main():
    Person = person_class()
    if sys.argv[1] == "encode":
        p = Person(name="Pipy", id=12345678, email="pipy@flomesh.io", delta=-77, big=-(2 ** 40),
                   f32=4000000000, ratio=0.125, score=1.5, active=True, tags=[1, -1, 300],
                   blob=b"\x00\xff", count=2 ** 63 + 5, neg=-3, sf64=-9)
        p.phones.add(number="86-21-88888888", type=2)
        p.phones.add(number="86-21-66666666", type=1)
        print(p.SerializeToString().hex())
    else:
        p = Person()
        p.ParseFromString(bytes.fromhex(sys.argv[2]))
        print(json_format.MessageToJson(p, indent=None, sort_keys=True))


if __name__ == "__main__":
    main()
