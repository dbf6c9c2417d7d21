//! `decodeNetlink` / `encodeNetlink`: a buffer of netlink messages as the kernel writes them
//! (host byte order, each message starting at a 4-byte boundary) decodes into messages with
//! Pipy's head and re-encodes to the same bytes; a message over the limit ends the stream.
//! With `connect(..., {protocol: 'netlink'})` a script asks the kernel itself: the route
//! family's link dump names the loopback interface.

mod common;

use common::*;

/// One netlink message: header in host order, then the payload, padded to 4 bytes.
fn message(kind: u16, flags: u16, seq: u32, pid: u32, payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&((16 + payload.len()) as u32).to_ne_bytes());
    m.extend_from_slice(&kind.to_ne_bytes());
    m.extend_from_slice(&flags.to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&pid.to_ne_bytes());
    m.extend_from_slice(payload);
    while m.len() % 4 != 0 {
        m.push(0);
    }
    m
}

#[test]
fn a_kernel_dump_decodes_and_re_encodes_to_the_same_bytes() {
    let cb = Codebase::new("netlink");
    let mut input = message(16, 0x2, 1, 4242, b"link-one");
    input.extend(message(16, 0x2, 1, 4242, b"odd"));
    input.extend(message(3, 0x2, 1, 4242, &[]));
    let dir = cb.file("main.js", "").parent().unwrap().to_path_buf();
    std::fs::write(dir.join("input"), &input).unwrap();
    let script = cb.file(
        "main.js",
        "pipy.read('input', $=>$
  .decodeNetlink()
  .handleMessage(m => console.log(`type=${m.head.type} flags=${m.head.flags} seq=${m.head.seq} pid=${m.head.pid} body=${m.body.size}`))
  .encodeNetlink()
  .tee('output')
)",
    );
    let (code, _out, err) = run_in(&dir, &[script.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for line in [
        "type=16 flags=2 seq=1 pid=4242 body=8",
        "type=16 flags=2 seq=1 pid=4242 body=3",
        "type=3 flags=2 seq=1 pid=4242 body=0",
    ] {
        assert!(err.contains(line), "{line} missing in:\n{err}");
    }
    assert_eq!(std::fs::read(dir.join("output")).unwrap(), input);
}

#[test]
fn a_message_over_the_limit_or_shorter_than_its_header_ends_the_stream() {
    let cb = Codebase::new("netlink-bad");
    let dir = cb.file("main.js", "").parent().unwrap().to_path_buf();
    std::fs::write(dir.join("big"), message(1, 0, 0, 0, &[7u8; 2000])).unwrap();
    let mut short = message(1, 0, 0, 0, b"ok");
    short.extend_from_slice(&8u32.to_ne_bytes());
    short.extend_from_slice(&[0u8; 12]);
    std::fs::write(dir.join("short"), short).unwrap();
    let script = cb.file(
        "main.js",
        "['big', 'short'].forEach(f => pipy.read(f, $=>$
  .decodeNetlink({ maxMessageSize: 1024 })
  .handleMessage(m => console.log(`${f}: message of ${m.body.size}`))
  .handleStreamEnd(e => console.log(`${f}: end ${e.error}`))
))",
    );
    let (code, _out, err) = run_in(&dir, &[script.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("big: end BufferOverflow"), "{err}");
    assert!(err.contains("short: message of 2"), "{err}");
    assert!(err.contains("short: end ProtocolError"), "{err}");
    assert!(!err.contains("big: message"), "{err}");
}

#[test]
fn a_route_netlink_query_lists_the_loopback_interface() {
    let cb = Codebase::new("netlink-socket");
    // RTM_GETLINK (18) with NLM_F_REQUEST | NLM_F_DUMP; each RTM_NEWLINK (16) answer is an
    // ifinfomsg (16 bytes) and attributes, IFLA_IFNAME (3) among them; NLMSG_DONE (3) ends it.
    let script = cb.file(
        "main.js",
        "var ifinfomsg = new CStruct({ family: 'uint8', pad: 'uint8', type: 'uint16', index: 'uint32', flags: 'uint32', change: 'uint32' })
function name(body) {
  var b = body.toArray().slice(16)
  for (var i = 0; i + 4 <= b.length;) {
    var len = b[i] | (b[i + 1] << 8), type = b[i + 2] | (b[i + 3] << 8)
    if (len < 4) break
    if (type === 3) return String.fromCharCode(...b.slice(i + 4, i + len - 1))
    i += (len + 3) & ~3
  }
}
var names = []
var query = pipeline($=>$
  .onStart(msg => msg)
  .encodeNetlink()
  .connect('pid=0;groups=0', { protocol: 'netlink', netlinkFamily: 0 })
  .decodeNetlink()
  .handleMessage(msg => {
    if (msg.head.type === 16) names.push(name(msg.body))
    if (msg.head.type === 3) { println(names.join(',')); pipy.exit(0) }
  })
)
query.spawn(new Message({ type: 18, flags: 0x301 }, ifinfomsg.encode({})))
pipeline($=>$.connect('pid=x', { protocol: 'netlink' })).process(new Data('x'))
",
    );
    let (code, out, err) = run_in(&cb.dir, &["--no-graph", script.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.split(',').any(|n| n.trim() == "lo"), "{out}\n{err}");
    assert!(err.contains("pid must be a number"), "{err}");
}

/// Runs the engine to its end in `dir` (pipy.read paths are the working directory's).
fn run_in(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(engine_bin())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("engine runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
