//! Dubbo frames and Hessian 2 through Sluice: frames built after the Dubbo protocol spec go
//! through `decodeDubbo`, a Hessian decode and re-encode of each body, and `encodeDubbo`, and
//! come back byte for byte; `Hessian.encode` output is read by Python's python-hessian, and
//! the Hessian 2 spec's examples decode in Sluice as they do in Python.

mod common;

use std::process::Command;

use common::*;

const PEER: &str = include_str!("peers/hessian_peer.py");

/// A Hessian 2 compact string (under 32 characters).
fn hs(s: &str) -> Vec<u8> {
    assert!(s.len() < 32);
    let mut v = vec![s.len() as u8];
    v.extend_from_slice(s.as_bytes());
    v
}

fn frame(flags: u8, status: u8, id: u64, body: &[u8]) -> Vec<u8> {
    let mut f = vec![0xda, 0xbb, flags, status];
    f.extend_from_slice(&id.to_be_bytes());
    f.extend_from_slice(&(body.len() as u32).to_be_bytes());
    f.extend_from_slice(body);
    f
}

/// The examples of the Hessian 2 serialization spec, one value each, concatenated.
const SPEC: &str = "90 80 bf c800 c000 cfff d00000 d7ffff 4980000000 \
    e0 d8 ef f800 f000 f7ff 3c0000 380000 3fffff 5980000000 4c0000000080000000 \
    5b 5c 5d80 5d7f 5e8000 444028800000000000 \
    00 0568656c6c6f 01c383 4e 54 46 23010203 4a000000d04b9284b8 4b00e3838f \
    57 9091 5a 56045b696e74929091 72045b696e749091 7a9091 48 91 03666565 5a \
    430b6578616d706c652e436172920563 6f6c6f72056d6f64656c 6003726564 08636f727665747465 \
    6005677265656e 056d6f64656c 5190";

const SCRIPT: &str = r#"
const norm = v => (
  v === null || v === undefined ? null :
  v instanceof Int || typeof v === 'bigint' ? Number(v) :
  v instanceof Data ? { bin: v.toString('hex') } :
  v instanceof Date ? { ms: v.getTime() } :
  Array.isArray(v) ? v.map(norm) :
  typeof v !== 'object' ? v :
  v.kind === 'list' ? v.elements.map(norm) :
  v.kind === 'map' ? Object.fromEntries(v.elements.map(([k, x]) => [String(norm(k)), norm(x)])) :
  Object.assign({ __type: v.type }, Object.fromEntries(Object.entries(v.elements).map(([k, x]) => [k, norm(x)])))
)
const canon = v => (
  v === null || typeof v !== 'object' ? JSON.stringify(v) :
  Array.isArray(v) ? '[' + v.map(canon).join(',') + ']' :
  '{' + Object.keys(v).sort().map(k => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}'
)
const shared = { kind: 'list', elements: ['a', null] }
const values = [
  null, true, false,
  new Int('i32', 0), new Int('i32', -16), new Int('i32', 47), new Int('i32', 2047),
  new Int('i32', -262144), new Int('i32', 2147483647),
  new Int('i64', 15), new Int('i64', -2048), new Int('i64', 262143), new Int('i64', 2147483648), 12345678901234n,
  0, 1, -128, 32767, 2.5, -1e300,
  '', 'hello', 'x'.repeat(100), 'é'.repeat(1500), 'π€',
  new Data('bytes'), new Data('z'.repeat(2000)), new Date(1700000000000),
  { kind: 'list', type: '[int', elements: [new Int('i32', 1), new Int('i32', 2)] },
  shared,
  { kind: 'map', elements: [['k', new Int('i32', 1)], ['z', 'v']] },
  { kind: 'map', type: 'java.util.HashMap', elements: [[new Int('i32', 7), 'seven']] },
  { kind: 'object', type: 'com.example.User', elements: { name: 'Pipy', age: new Int('i32', 5) } },
  { kind: 'object', type: 'com.example.User', elements: { name: 'Sluice', age: new Int('i32', 1) } },
  shared,
]
const bin = Hessian.encode(values)
console.log('ENCODED ' + bin.toString('hex'))
console.log('VALUES ' + canon(norm(values)))
const back = Hessian.decode(bin)
console.log('REDECODED ' + canon(norm(back)))
console.log('SAME ' + (back[29] === back[34]) + ' ' + Hessian.encode(back).toString('hex').length)
console.log('SPEC ' + canon(norm(Hessian.decode(new Data(SPEC_HEX, 'hex')))))
console.log('FLOAT ' + Hessian.decode(new Data('5f41440000', 'hex'))[0])

pipy.listen(PORT, $=>$
  .decodeDubbo()
  .handleMessageStart(e => console.log('dubbo ' + JSON.stringify(e.head)))
  .replaceMessageBody(d => Hessian.encode(Hessian.decode(d)))
  .encodeDubbo()
)
pipy.listen(PORT2, $=>$
  .decodeDubbo({ maxMessageSize: 100 })
  .handleStreamEnd(e => console.log('ended ' + e.error))
  .encodeDubbo()
)
"#;

fn python_hessian(hex: &str) -> String {
    let cb = Codebase::new("hessian-peer");
    let peer = cb.file("peer.py", PEER);
    let out = Command::new("python3")
        .arg(peer)
        .arg(hex)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python-hessian failed (run scripts/setup.sh codecs2): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn line<'a>(log: &'a str, tag: &str) -> &'a str {
    let start = log
        .find(&format!("{tag} "))
        .unwrap_or_else(|| panic!("no {tag} in {log}"));
    let s = &log[start + tag.len() + 1..];
    &s[..s.find('\n').unwrap_or(s.len())]
}

#[test]
fn dubbo_frames_and_hessian_against_python() {
    let cb = Codebase::new("dubbo");
    let (port, port2) = (free_port(), free_port());
    let spec: String = SPEC.split_whitespace().collect();
    let main = cb.file(
        "main.js",
        &SCRIPT
            .replace("PORT2", &port2.to_string())
            .replace("PORT", &port.to_string())
            .replace("SPEC_HEX", &format!("'{spec}'")),
    );
    let e = Engine::start(&main, &[port, port2]);
    let log = e.wait_log("FLOAT ", 5);

    // Sluice's encoding reads the same in Python, and decodes back to the same values, with
    // the shared list a reference to one object.
    let values = line(&log, "VALUES");
    assert_eq!(python_hessian(line(&log, "ENCODED")), values);
    assert_eq!(line(&log, "REDECODED"), values);
    assert!(line(&log, "SAME").starts_with("true "), "{log}");
    // The spec's examples decode in Sluice as in Python.
    assert_eq!(line(&log, "SPEC"), python_hessian(&spec));
    assert_eq!(line(&log, "FLOAT"), "12.25");

    // A Dubbo 2 request (dubbo version, service, version, method, parameter types, arguments,
    // attachments), its response (RESPONSE_VALUE, value) and a heartbeat event.
    let mut req = Vec::new();
    for s in [
        "2.0.2",
        "com.example.DemoService",
        "0.0.0",
        "sayHello",
        "Ljava/lang/String;",
        "world",
    ] {
        req.extend(hs(s));
    }
    req.push(b'H');
    for s in ["path", "com.example.DemoService", "timeout", "3000"] {
        req.extend(hs(s));
    }
    req.push(b'Z');
    let mut resp = vec![0x91];
    resp.extend(hs("Hello world"));
    let mut stream = frame(0xc2, 0, 2, &req);
    stream.extend(frame(0x02, 20, 2, &resp));
    stream.extend(frame(0xe2, 0, 3, b"N"));
    let (back, _) = raw_exchange(port, &stream, 2);
    assert_eq!(back, stream);
    let log = e.wait_log("\"requestID\":3", 5);
    assert!(log.contains(r#"dubbo {"requestID":2,"isRequest":true,"isTwoWay":true,"isEvent":false,"serializationType":2,"status":0}"#), "{log}");
    assert!(log.contains(r#"dubbo {"requestID":2,"isRequest":false,"isTwoWay":false,"isEvent":false,"serializationType":2,"status":20}"#), "{log}");
    assert!(log.contains(r#"dubbo {"requestID":3,"isRequest":true,"isTwoWay":true,"isEvent":true,"serializationType":2,"status":0}"#), "{log}");

    // Over the limit, or not Dubbo: the stream ends with an error.
    // (A frame that claims 1000 bytes; 150 of them are enough to give up.)
    let big = frame(0xc2, 0, 4, &[0x4e; 1000]);
    let (_, closed) = raw_exchange(port2, &big[..166], 5);
    assert!(closed);
    e.wait_log("ended BufferOverflow", 5);
    let (_, closed) = raw_exchange(port2, b"GET / HTTP/1.1\r\n\r\n", 5);
    assert!(closed);
    e.wait_log("ended ProtocolError", 5);
}
