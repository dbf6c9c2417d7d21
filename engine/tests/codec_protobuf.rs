//! The `protobuf` global against Python's protobuf library: a message Python wrote is read
//! field by field in Sluice, encodes back to the same bytes, and after changes in Sluice reads
//! in Python as changed.

mod common;

use std::process::Command;

use common::*;

const PEER: &str = include_str!("peers/protobuf_peer.py");

fn python(cb: &Codebase, args: &[&str]) -> String {
    let peer = cb.file("peer.py", PEER);
    let out = Command::new("python3")
        .arg(peer)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "Python protobuf failed (run scripts/setup.sh codecs2): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

const SCRIPT: &str = r#"
const m = protobuf.decode(new Data(HEX, 'hex'))
console.log('READ ' + JSON.stringify({
  wire: [1, 2, 4, 7, 8, 9, 11, 99].map(f => m.getWireType(f)),
  name: m.getString(1), id: m.getInt32(2), email: m.getString(3),
  phones: m.getMessageArray(4).map(p => [p.getString(1), p.getInt32(2)]),
  delta: m.getSint32(5), big: m.getSint64(6), f32: m.getFixed32(7), ratio: m.getDouble(8),
  score: m.getFloat(9), active: m.getBool(10), tags: m.getInt32Array(11),
  blob: m.getBytes(12).toString('hex'), neg: m.getInt64(14), sf64: m.getSfixed64(15),
}))
console.log('SAME ' + protobuf.encode(m).toString('hex'))
const p = new protobuf.Message()
p.setString(1, '000')
p.setInt32(2, 3)
m.setString(1, 'Sluice')
m.setInt32(2, -5)
m.setMessageArray(4, [...m.getMessageArray(4), p])
m.setSint64(6, 123456789012)
m.setFloat(9, -0.25)
m.setBool(10, false)
m.setInt32Array(11, [7, -8])
m.setBytes(12, new Data('hi'))
m.setUint64(13, 42)
console.log('CHANGED ' + protobuf.encode(m).toString('hex'))
console.log('BAD ' + protobuf.decode(new Data('0a05ab', 'hex')))
pipy.listen(PORT, $=>$.dummy())
"#;

fn line<'a>(log: &'a str, tag: &str) -> &'a str {
    let start = log
        .find(&format!("{tag} "))
        .unwrap_or_else(|| panic!("no {tag} in {log}"));
    let s = &log[start + tag.len() + 1..];
    &s[..s.find('\n').unwrap_or(s.len())]
}

#[test]
fn messages_written_by_python_read_change_and_read_back() {
    let cb = Codebase::new("protobuf");
    let hex = python(&cb, &["encode"]);
    let port = free_port();
    let main = cb.file(
        "main.js",
        &SCRIPT
            .replace("HEX", &format!("'{hex}'"))
            .replace("PORT", &port.to_string()),
    );
    let e = Engine::start(&main, &[port]);
    let log = e.wait_log("BAD ", 5);
    assert_eq!(
        line(&log, "READ"),
        r#"{"wire":["LEN","VARINT","LEN","I32","I64","I32","LEN",""],"name":"Pipy","id":12345678,"email":"pipy@flomesh.io","phones":[["86-21-88888888",2],["86-21-66666666",1]],"delta":-77,"big":-1099511627776,"f32":4000000000,"ratio":0.125,"score":1.5,"active":true,"tags":[1,-1,300],"blob":"00ff","neg":-3,"sf64":-9}"#
    );
    assert_eq!(line(&log, "SAME"), hex);
    assert_eq!(line(&log, "BAD"), "null");
    assert_eq!(
        python(&cb, &["decode", line(&log, "CHANGED")]),
        r#"{"big": "123456789012", "blob": "aGk=", "count": "42", "delta": -77, "email": "pipy@flomesh.io", "f32": 4000000000, "id": -5, "name": "Sluice", "neg": "-3", "phones": [{"number": "86-21-88888888", "type": 2}, {"number": "86-21-66666666", "type": 1}, {"number": "000", "type": 3}], "ratio": 0.125, "score": -0.25, "sf64": "-9", "tags": [7, -8]}"#
    );
}
