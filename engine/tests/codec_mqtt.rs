//! MQTT through the real engine: Debian's mosquitto broker, and its mosquitto_sub and
//! mosquitto_pub clients, talk through a Sluice proxy that decodes every packet both ways
//! (`decodeMQTT`), logs and rewrites some (a PUBLISH's topic), and encodes them again
//! (`encodeMQTT`). Both MQTT 3.1.1 and 5 sessions, QoS 0 to 2, a 100 KB message, v5 user
//! properties; and a packet over `maxPacketSize` ends only its own connection.

mod codec_common;
mod common;

use std::io::{Read, Write};
use std::process::Command;

use codec_common::*;
use common::*;

/// A mosquitto broker on a free loopback port, with a generated configuration.
struct Broker {
    port: u16,
    _peer: Peer,
    _dir: Codebase,
}

impl Broker {
    fn start() -> Broker {
        let port = free_port();
        let dir = Codebase::new("mosquitto");
        let conf = dir.file(
            "mosquitto.conf",
            &format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
        );
        let mut cmd = Command::new(program("mosquitto"));
        cmd.arg("-c").arg(conf);
        let peer = Peer::start(cmd);
        wait_listening(port, 10);
        Broker {
            port,
            _peer: peer,
            _dir: dir,
        }
    }
}

/// The proxy: client packets are logged, PUBLISHes to `a/in` go on to `a/out`; the broker's
/// packets are logged with their payloads.
fn proxy(broker: u16, port: u16) -> (Engine, Codebase) {
    let cb = Codebase::new("mqtt-proxy");
    let main = cb.file(
        "main.js",
        &format!(
            r#"
pipy({{ _level: 5 }})
.listen({port})
  .decodeMQTT()
  .handleMessageStart(msg => {{
    const h = msg.head;
    if (h.type === 'CONNECT') _level = h.protocolLevel;
    if (h.type === 'PUBLISH' && h.topicName === 'a/in') h.topicName = 'a/out';
    console.log('client>', h.type, 'level', h.protocolLevel, 'qos', h.qos,
      'topic', h.topicName || '-', 'props', JSON.stringify(h.properties || {{}}));
  }})
  .handleMessage(msg => msg.head.type === 'PUBLISH' && console.log('publish body', msg.body.size))
  .encodeMQTT()
  .connect('127.0.0.1:{broker}')
  .decodeMQTT({{ protocolLevel: () => _level }})
  .handleMessage(msg => console.log('broker>', msg.head.type, JSON.stringify(msg.payload || null)))
  .encodeMQTT()

pipy()
.listen({small})
  .decodeMQTT({{ maxPacketSize: 1000 }})
  .encodeMQTT()
  .connect('127.0.0.1:{broker}')
"#,
            small = port + 1
        ),
    );
    let e = Engine::start(&main, &[port]);
    (e, cb)
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

fn subscriber(port: u16, version: &str, count: usize) -> Peer {
    let mut cmd = Command::new("mosquitto_sub");
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string(), "-V", version])
        .args(["-t", "a/#", "-q", "1", "-C", &count.to_string()])
        .args([
            "-F",
            if version == "mqttv5" {
                "%t|%P|%p"
            } else {
                "%t||%p"
            },
        ]);
    Peer::start(cmd)
}

fn publish(port: u16, version: &str, args: &[&str]) {
    let mut cmd = Command::new("mosquitto_pub");
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string(), "-V", version])
        .args(args);
    let (code, out, err) = run(cmd, 20);
    assert_eq!(code, Some(0), "mosquitto_pub {args:?}: {out}{err}");
}

fn session(version: &str, level: u8) {
    let broker = Broker::start();
    let port = two_ports();
    let (engine, cb) = proxy(broker.port, port);
    let sub = subscriber(port, version, 3);
    engine.wait_log("broker> SUBACK [1]", 10);

    publish(port, version, &["-t", "a/in", "-m", "hello", "-q", "1"]);
    let big: String = (0..100_000)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let file = cb.file("big.txt", &big);
    publish(
        port,
        version,
        &["-t", "a/big", "-f", file.to_str().unwrap(), "-q", "2"],
    );
    let mut extra = vec!["-t", "a/zero", "-m", "qos0", "-q", "0"];
    if level == 5 {
        extra.extend(["-D", "publish", "user-property", "who", "sluice"]);
    }
    publish(port, version, &extra);

    let out = sub.wait_output("a/zero|", 20);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0], "a/out||hello", "the proxy rewrote the topic");
    assert_eq!(
        lines[1],
        format!("a/big||{big}"),
        "the 100 KB message is whole"
    );
    if level == 5 {
        assert_eq!(lines[2], "a/zero|who:sluice|qos0");
    } else {
        assert_eq!(lines[2], "a/zero||qos0");
    }

    let log = engine.log();
    for expected in [
        format!("client> CONNECT level {level} qos 0"),
        format!("client> SUBSCRIBE level {level} qos 1"),
        format!("client> PUBLISH level {level} qos 1 topic a/out"),
        format!("client> PUBLISH level {level} qos 2 topic a/big"),
        format!("client> PUBREL level {level}"),
        "publish body 100000".to_string(),
        "broker> CONNACK null".to_string(),
        "broker> PUBREC null".to_string(),
        "broker> PUBCOMP null".to_string(),
        format!("client> DISCONNECT level {level}"),
    ] {
        assert!(
            log.contains(&expected),
            "no {expected:?} in the log:\n{log}"
        );
    }
    if level == 5 {
        assert!(log.contains(r#"props {"who":"sluice"}"#), "{log}");
    }
}

#[test]
fn mqtt_3_1_1_through_a_decoding_proxy() {
    session("mqttv311", 4);
}

#[test]
fn mqtt_5_through_a_decoding_proxy() {
    session("mqttv5", 5);
}

#[test]
fn a_packet_over_the_limit_ends_its_connection_only() {
    let broker = Broker::start();
    let port = two_ports();
    let (engine, _cb) = proxy(broker.port, port);
    engine.wait_port(port + 1);
    // A 3.1.1 CONNECT; after its CONNACK, a PUBLISH announcing 5000 bytes (only its start sent).
    let mut s = connect(port + 1);
    s.write_all(b"\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04big1")
        .unwrap();
    let mut connack = [0u8; 4];
    s.read_exact(&mut connack).unwrap();
    assert_eq!(&connack, b"\x20\x02\x00\x00");
    s.write_all(b"\x30\x88\x27\x00\x01t").unwrap();
    let mut rest = Vec::new();
    let n = s
        .read_to_end(&mut rest)
        .expect("the proxy closes the connection");
    assert_eq!(n, 0);
    engine.wait_log("decodeMQTT: 5000 bytes is over the limit of 1000", 10);

    // Others still get through.
    publish(
        port + 1,
        "mqttv311",
        &["-t", "a/in", "-m", "small", "-q", "1"],
    );
}

/// A tiny broker written in the script: it answers CONNECT with a CONNACK head that names no
/// `protocolLevel`, so encodeMQTT writes it at the level decodeMQTT read from the client.
fn script_broker(port: u16) -> (Engine, Codebase) {
    let cb = Codebase::new("mqtt-broker");
    let main = cb.file(
        "main.js",
        &format!(
            r#"
pipy.listen({port}, $=>$
  .decodeMQTT()
  .replaceMessage(msg => {{
    const t = msg.head.type
    if (t === 'CONNECT') return new Message({{ type: 'CONNACK' }})
    if (t === 'PUBLISH') console.log(`published ${{msg.head.topicName}}: ${{msg.body.toString()}}`)
    if (t === 'DISCONNECT') return new StreamEnd()
    return []
  }})
  .encodeMQTT()
)
"#
        ),
    );
    let e = Engine::start(&main, &[port]);
    (e, cb)
}

#[test]
fn encode_mqtt_answers_a_3_1_1_client_in_3_1_1() {
    let port = free_port();
    let (engine, _cb) = script_broker(port);
    // Raw bytes: a 3.1.1 CONNECT gets a 3.1.1 CONNACK (no properties length).
    let mut s = connect(port);
    s.write_all(b"\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04raw1")
        .unwrap();
    let mut connack = [0u8; 4];
    s.read_exact(&mut connack).unwrap();
    assert_eq!(&connack, b"\x20\x02\x00\x00");
    // An MQTT 5 CONNECT still gets an MQTT 5 CONNACK.
    let mut s5 = connect(port);
    s5.write_all(b"\x10\x11\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x04raw5")
        .unwrap();
    let mut connack5 = [0u8; 5];
    s5.read_exact(&mut connack5).unwrap();
    assert_eq!(&connack5, b"\x20\x03\x00\x00\x00");
    // A real 3.1.1 client accepts the CONNACK and publishes.
    publish(port, "mqttv311", &["-t", "x/y", "-m", "from311", "-q", "0"]);
    engine.wait_log("published x/y: from311", 10);
    publish(port, "mqttv5", &["-t", "x/z", "-m", "from5", "-q", "0"]);
    engine.wait_log("published x/z: from5", 10);
}
