//! RESP through the real engine: Debian's redis-server behind a Sluice proxy that decodes
//! every command and reply (`decodeRESP`), logs them, and encodes them again (`encodeRESP`).
//! redis-cli runs commands of every reply type; a raw client pipelines 2,000 commands in one
//! write and stores and reads back a 1 MB value; a value over `maxMessageSize` ends only its
//! own connection. The script also uses the `RESP` global.

mod codec_common;
mod common;

use std::io::{Read, Write};
use std::process::Command;

use codec_common::*;
use common::*;

/// A redis-server on a free loopback port, without persistence.
struct Redis {
    port: u16,
    _peer: Peer,
}

impl Redis {
    fn start() -> Redis {
        let port = free_port();
        let mut cmd = Command::new(program("redis-server"));
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"]);
        let peer = Peer::start(cmd);
        wait_listening(port, 10);
        Redis { port, _peer: peer }
    }
}

/// Two free consecutive ports.
fn two_ports() -> u16 {
    loop {
        let p = free_port();
        if p < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
}

fn proxy(redis: u16, port: u16) -> (Engine, Codebase) {
    let cb = Codebase::new("resp-proxy");
    let main = cb.file(
        "main.js",
        &format!(
            r#"
const sample = RESP.encode(['SET', new Data('k'), 42, null, new Error('E')]);
console.log('api encode', JSON.stringify(sample.toString()));
const back = RESP.decode(sample)[0];
console.log('api decode', back.length, back[0], back[1].toString(), back[2], back[3],
  back[4] instanceof Error, back[4].message);

pipy({{ _commands: 0 }})
.listen({port})
  .decodeRESP()
  .handleMessageEnd(e => {{
    _commands++;
    const v = e.payload;
    if (v[0].toString() !== 'SET' || _commands % 500 === 0 || v[2].size > 64)
      console.log('command', v.map(x => x.size > 64 ? `<${{x.size}} bytes>` : x.toString()).join(' '));
  }})
  .encodeRESP()
  .connect('127.0.0.1:{redis}')
  .decodeRESP()
  .handleMessageEnd(e => {{
    const v = e.payload;
    if (v instanceof Error) console.log('reply error', v.message);
    else if (v instanceof Data && v.size > 64) console.log('reply bulk', v.size);
    else if (typeof v === 'number') console.log('reply integer', v);
  }})
  .encodeRESP()

pipy()
.listen({small})
  .decodeRESP({{ maxMessageSize: '64k' }})
  .encodeRESP()
  .connect('127.0.0.1:{redis}')
"#,
            small = port + 1
        ),
    );
    let e = Engine::start(&main, &[port, port + 1]);
    (e, cb)
}

fn cli(port: u16, args: &[&str]) -> String {
    let mut cmd = Command::new("redis-cli");
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args);
    let (code, out, err) = run(cmd, 20);
    assert_eq!(code, Some(0), "redis-cli {args:?}: {out}{err}");
    out
}

fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn read_exactly(s: &mut std::net::TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf).expect("the whole reply");
    buf
}

#[test]
fn redis_cli_through_a_decoding_proxy() {
    let redis = Redis::start();
    let port = two_ports();
    let (engine, _cb) = proxy(redis.port, port);
    let log = engine.log();
    assert!(
        log.contains(r#"api encode "*5\r\n+SET\r\n$1\r\nk\r\n:42\r\n$-1\r\n-E\r\n""#),
        "{log}"
    );
    assert!(log.contains("api decode 5 SET k 42 null true E"), "{log}");

    assert_eq!(cli(port, &["SET", "greeting", "hello world"]), "OK\n");
    assert_eq!(cli(port, &["GET", "greeting"]), "hello world\n");
    assert_eq!(cli(port, &["GET", "missing"]), "\n");
    assert_eq!(cli(port, &["INCRBY", "counter", "12345"]), "12345\n");
    assert_eq!(cli(port, &["RPUSH", "list", "a", "b", "c"]), "3\n");
    assert_eq!(cli(port, &["LRANGE", "list", "0", "-1"]), "a\nb\nc\n");
    let wrong = cli(port, &["INCR", "greeting"]);
    assert!(wrong.contains("not an integer"), "{wrong}");

    let log = engine.wait_log("reply error ERR value is not an integer", 10);
    assert!(log.contains("command GET greeting"), "{log}");
    assert!(log.contains("command LRANGE list 0 -1"), "{log}");
    assert!(log.contains("reply integer 12345"), "{log}");
}

#[test]
fn pipelined_commands_and_a_1mb_value() {
    let redis = Redis::start();
    let port = two_ports();
    let (engine, _cb) = proxy(redis.port, port);
    let mut s = connect(port);

    // 1,000 SETs then 1,000 GETs, all in one write.
    let mut batch = Vec::new();
    for i in 0..1000 {
        batch.extend(command(&[
            b"SET",
            format!("k{i}").as_bytes(),
            format!("v{i}").as_bytes(),
        ]));
    }
    let mut expected = b"+OK\r\n".repeat(1000);
    for i in 0..1000 {
        batch.extend(command(&[b"GET", format!("k{i}").as_bytes()]));
        let v = format!("v{i}");
        expected.extend(format!("${}\r\n{v}\r\n", v.len()).into_bytes());
    }
    s.write_all(&batch).unwrap();
    assert_eq!(read_exactly(&mut s, expected.len()), expected);

    // A 1 MB value, stored and read back.
    let big: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
    s.write_all(&command(&[b"SET", b"big", &big])).unwrap();
    assert_eq!(read_exactly(&mut s, 5), b"+OK\r\n");
    s.write_all(&command(&[b"GET", b"big"])).unwrap();
    let mut want = format!("${}\r\n", big.len()).into_bytes();
    want.extend_from_slice(&big);
    want.extend_from_slice(b"\r\n");
    assert_eq!(read_exactly(&mut s, want.len()), want);
    assert_eq!(cli(port, &["STRLEN", "big"]), "1048576\n");

    let log = engine.wait_log("reply bulk 1048576", 10);
    assert!(log.contains("command SET k999 v999"), "{log}");
    assert!(log.contains("command SET big <1048576 bytes>"), "{log}");
}

#[test]
fn a_value_over_the_limit_ends_its_connection_only() {
    let redis = Redis::start();
    let port = two_ports();
    let (engine, _cb) = proxy(redis.port, port);
    let mut s = connect(port + 1);
    s.write_all(&command(&[b"PING"])).unwrap();
    assert_eq!(read_exactly(&mut s, 7), b"+PONG\r\n");
    s.write_all(&command(&[b"SET", b"k", &vec![b'x'; 100_000]]))
        .unwrap_or(());
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(rest.is_empty(), "no reply: {rest:?}");
    engine.wait_log("decodeRESP: ", 10);
    assert_eq!(cli(port + 1, &["PING"]), "PONG\n");
    assert_eq!(cli(port + 1, &["EXISTS", "k"]), "0\n");
}
