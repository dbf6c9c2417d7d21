"""A small authoritative DNS server and a client, both with dnspython.

    dns_peer.py server PORT   answers over UDP on 127.0.0.1:PORT; prints "ready"
    dns_peer.py client PORT   asks the questions below, one JSON line per answer
"""
import json
import socket
import sys

import dns.message
import dns.query
import dns.rdatatype
import dns.rrset

ZONE = {
    ("www.example.com.", "A"): ["10.0.0.1", "10.0.0.2"],
    ("www.example.com.", "AAAA"): ["2001:db8::1"],
    ("example.com.", "MX"): ["10 mail.example.com."],
    ("example.com.", "TXT"): ['"hello world"'],
    ("example.com.", "SOA"): ["ns1.example.com. admin.example.com. 2024010101 7200 3600 1209600 300"],
    ("_sip._tcp.example.com.", "SRV"): ["0 5 5060 sip.example.com."],
    ("alias.example.com.", "CNAME"): ["www.example.com."],
    ("blocked.example.com.", "A"): ["6.6.6.6"],
    ("1.0.0.10.in-addr.arpa.", "PTR"): ["www.example.com."],
}

QUESTIONS = [
    ("www.example.com", "A"), ("www.example.com", "AAAA"), ("example.com", "MX"),
    ("example.com", "TXT"), ("example.com", "SOA"), ("_sip._tcp.example.com", "SRV"),
    ("alias.example.com", "CNAME"), ("blocked.example.com", "A"), ("1.0.0.10.in-addr.arpa", "PTR"),
    ("missing.example.com", "A"),
]


def serve(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    print("ready", flush=True)
    while True:
        wire, peer = sock.recvfrom(4096)
        query = dns.message.from_wire(wire)
        resp = dns.message.make_response(query)
        q = query.question[0]
        key = (q.name.to_text(), dns.rdatatype.to_text(q.rdtype))
        if key in ZONE:
            resp.answer.append(dns.rrset.from_text_list(q.name, 300, "IN", key[1], ZONE[key]))
        else:
            resp.set_rcode(3)  # NXDOMAIN
        sock.sendto(resp.to_wire(), peer)


def ask(port):
    for name, rdtype in QUESTIONS:
        q = dns.message.make_query(name, rdtype)
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=5)
        answers = sorted(rd.to_text() for rrset in r.answer for rd in rrset)
        ttls = sorted({rrset.ttl for rrset in r.answer})
        print(json.dumps({"q": name, "type": rdtype, "id": r.id == q.id, "rcode": r.rcode(),
                          "answers": answers, "ttl": ttls}))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(int(sys.argv[2]))
    else:
        ask(int(sys.argv[2]))
