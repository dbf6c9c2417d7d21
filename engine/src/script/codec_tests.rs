//! Byte-vector tests of the codecs written in the prelude (`js/hessian.js`, `js/protobuf.js`,
//! `js/bgp.js`, `js/dns.js`): each test loads a module that checks encodings against vectors
//! from the format's spec and throws on the first mismatch.

use crate::fuzzing::check_source;

/// Assertion helpers every test module starts with.
const HELPERS: &str = r#"
const hex = d => d.toString('hex')
const bytes = h => new Data(h.replace(/\s+/g, ''), 'hex')
const eq = (a, b, what) => {
  const x = JSON.stringify(a), y = JSON.stringify(b)
  if (x !== y) throw new Error(`${what}: ${x} !== ${y}`)
}
"#;

fn run(name: &str, body: &str) {
    let dir = std::env::temp_dir().join(format!("sluice-codec-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = format!("{HELPERS}{body}");
    let r = check_source(&dir, src.as_bytes());
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = r {
        panic!("{name}: {e}");
    }
}

#[test]
fn hessian_spec_vectors() {
    run(
        "hessian",
        r#"
const ints = [[0, '90'], [-16, '80'], [47, 'bf'], [-2048, 'c000'], [2047, 'cfff'],
  [-262144, 'd00000'], [262143, 'd7ffff'], [262144, '4900040000']]
for (const [n, h] of ints) eq(hex(Hessian.encode(new Int('i32', n))), h, `int ${n}`)
const longs = [[0, 'e0'], [-8, 'd8'], [15, 'ef'], [-2048, 'f000'], [2047, 'ffff'],
  [262143, '3fffff'], [2147483647, '597fffffff'], [2147483648, '4c0000000080000000']]
for (const [n, h] of longs) eq(hex(Hessian.encode(new Int('i64', n))), h, `long ${n}`)
const doubles = [[0, '5b'], [1, '5c'], [-128, '5d80'], [32767, '5e7fff'], [12.25, '444028800000000000']]
for (const [n, h] of doubles) eq(hex(Hessian.encode(n)), h, `double ${n}`)
eq(hex(Hessian.encode([null, true, false, 'hello', ''])), '4e54460568656c6c6f00', 'scalars')
const all = [
  '56045b696e74929091',
  '489103666565 5a',
  '430b6578616d706c652e436172920563 6f6c6f72056d6f64656c 6003726564 08636f727665747465',
  '23010203',
  '4a000000d04b9284b8',
]
for (const h of all) eq(hex(Hessian.encode(Hessian.decode(bytes(h)))), h.replace(/\s+/g, ''), `round trip ${h}`)
const [car] = Hessian.decode(bytes(all[2]))
eq(car, { kind: 'object', type: 'example.Car', elements: { color: 'red', model: 'corvette' } }, 'object')
eq(Hessian.decode(bytes('4a000000d04b9284b8'))[0].getTime(), 894621091000, 'date')
eq(Hessian.decode(bytes('4b00e3838f'))[0].getTime(), 894621060000, 'compact date')
eq(Hessian.decode(bytes('5f41440000'))[0], 12.25, 'float')
eq(Hessian.decode(bytes('7a9091'))[0].elements.map(Number), [0, 1], 'compact list')
const [a, b] = Hessian.decode(bytes('7a9091 5190'))
if (a !== b) throw new Error('a reference is the same object')
eq(Hessian.decode(bytes('0568656c')), [], 'truncated')
const long = 'x'.repeat(70000)
eq(Hessian.decode(Hessian.encode(long))[0], long, 'chunked string')
"#,
    );
}

#[test]
fn protobuf_encoding_guide_vectors() {
    run(
        "protobuf",
        r#"
const m = protobuf.decode(bytes('089601'))
eq([m.getWireType(1), m.getInt32(1), m.getWireType(2)], ['VARINT', 150, ''], 'varint')
eq(hex(protobuf.encode(m)), '089601', 'varint back')
const n = new protobuf.Message()
n.setInt32Array(4, [3, 270, 86942])
n.setString(2, 'testing')
n.setSint32(5, -2)
n.setFixed32(6, 1)
n.setDouble(7, 1.5)
n.setInt64(8, -1)
const h = '120774657374696e67 2206038e029ea705 2803 3501000000 39000000000000f83f 40ffffffffffffffffff01'
eq(hex(protobuf.encode(n)), h.replace(/\s+/g, ''), 'fields in order')
const back = protobuf.decode(protobuf.encode(n))
eq([back.getString(2), back.getInt32Array(4), back.getSint32(5), back.getFixed32(6),
  back.getDouble(7), back.getInt64(8)], ['testing', [3, 270, 86942], -2, 1, 1.5, -1], 'read back')
eq(protobuf.decode(bytes('0a05ab')), null, 'truncated')
eq(protobuf.decode(bytes('0801 0a00')), null, 'one field, two wire types')
const outer = new protobuf.Message()
outer.setMessageArray(3, [m, m])
eq(outer.getMessageArray(3).map(x => x.getInt32(1)), [150, 150], 'nested')
"#,
    );
}

#[test]
fn bgp_rfc4271_vectors() {
    run(
        "bgp",
        r#"
const M = 'ffffffffffffffffffffffffffffffff'
const keepalive = M + '001304'
eq(BGP.decode(bytes(keepalive)), [{ type: 'KEEPALIVE', body: null }], 'keepalive')
eq(hex(BGP.encode({ type: 'KEEPALIVE' })), keepalive, 'keepalive back')
const open = M + '001d01 04 fde9 005a 0a000001 00'
const [o] = BGP.decode(bytes(open))
eq(o, { type: 'OPEN', body: { version: 4, myAS: 65001, holdTime: 90, identifier: '10.0.0.1' } }, 'open')
eq(hex(BGP.encode(o)), open.replace(/\s+/g, ''), 'open back')
const update = M + '002802 0000 000d 400101 00 400206 0202 fde9 0064 18c0a800'
const [u] = BGP.decode(bytes(update), false)
eq(u.body.pathAttributes[1].value, [[65001, 100]], '2-byte AS_PATH')
eq(u.body.destinations.map(String), ['192.168.0.0/24'], 'prefix')
eq(hex(BGP.encode(u, false)), update.replace(/\s+/g, ''), 'update back')
eq(BGP.decode(bytes(M + '001e02 0000')), [], 'truncated')
const note = M + '001803 06 02 627965'
eq(hex(BGP.encode(BGP.decode(bytes(note)))), note.replace(/\s+/g, ''), 'notification')
"#,
    );
}

#[test]
fn dns_rfc1035_vectors() {
    run(
        "dns",
        r#"
const q = '1234 0100 0001 0000 0000 0000 076578616d706c6503636f6d00 0001 0001'
const query = DNS.decode(bytes(q))
eq(query, { id: 0x1234, rd: 1, question: [{ name: 'example.com', type: 'A' }] }, 'query')
eq(hex(DNS.encode(query)), q.replace(/\s+/g, ''), 'query back')
const r = '1234 8180 0001 0002 0000 0000 076578616d706c6503636f6d00 0001 0001' +
  'c00c 0001 0001 0000012c 0004 5db8d822' +
  'c00c 0010 0001 0000003c 0006 05 68656c6c6f'
const resp = DNS.decode(bytes(r))
eq(resp.answer, [
  { name: 'example.com', type: 'A', ttl: 300, rdata: '93.184.216.34' },
  { name: 'example.com', type: 'TXT', ttl: 60, rdata: 'hello' },
], 'compressed names')
eq([resp.qr, resp.ra, resp.rcode], [1, 1, undefined], 'flags')
eq(DNS.decode(DNS.encode(resp)), resp, 'response back')
const mx = { id: 1, qr: 1, answer: [
  { name: 'example.com', type: 'MX', ttl: 1, rdata: { preference: 10, exchange: 'mail.example.com' } },
  { name: 'example.com', type: 'AAAA', ttl: 1, rdata: '2001:db8::1' },
  { name: 'example.com', type: 99, class: 3, ttl: 1, rdata: 'cafe' },
] }
eq(DNS.decode(DNS.encode(mx)), mx, 'MX, AAAA, others')
let threw = false
try { DNS.decode(bytes('0000 0000 0001 0000 0000 0000 c00c 0001 0001')) } catch (e) { threw = true }
if (!threw) throw new Error('a pointer loop must throw')
"#,
    );
}
