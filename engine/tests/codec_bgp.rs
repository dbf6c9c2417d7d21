//! BGP-4 through Sluice with byte vectors after RFC 4271: OPEN with capabilities, UPDATE,
//! NOTIFICATION, KEEPALIVE and ROUTE-REFRESH decode to Pipy's shapes and encode back byte
//! for byte; `BGP.encode` writes 2-byte AS numbers without enableAS4; bad lengths end the
//! stream.

mod common;

use common::*;

fn message(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![0xff; 16];
    m.extend_from_slice(&((body.len() + 19) as u16).to_be_bytes());
    m.push(ty);
    m.extend_from_slice(body);
    m
}

#[test]
fn messages_round_trip_with_pipy_shapes() {
    let cb = Codebase::new("bgp");
    let (port, port2) = (free_port(), free_port());
    let main = cb.file(
        "main.js",
        &format!(
            "pipy.listen({port}, $=>$\n\
               .decodeBGP({{ enableAS4: true }})\n\
               .handleMessageEnd(e => console.log('bgp ' + JSON.stringify(e.payload, (k, v) => v instanceof Data ? v.toString('hex') : v)))\n\
               .encodeBGP({{ enableAS4: () => true }})\n\
             )\n\
             pipy.listen({port2}, $=>$\n\
               .decodeBGP()\n\
               .handleStreamEnd(e => console.log('ended ' + e.error))\n\
               .encodeBGP()\n\
             )\n\
             const u = BGP.encode({{ type: 'UPDATE', body: {{\n\
               pathAttributes: [\n\
                 {{ name: 'AS_PATH', transitive: true, value: [[100, 200]] }},\n\
                 {{ name: 'NEXT_HOP', transitive: true, value: '1.2.3.4' }},\n\
                 {{ name: 'AGGREGATOR', optional: true, transitive: true, value: [300, '5.6.7.8'] }},\n\
               ],\n\
               destinations: ['172.16.0.0/12', new IPMask('10.0.0.128/25')],\n\
             }} }})\n\
             console.log('UPDATE2 ' + u.toString('hex') + ' ' + JSON.stringify(BGP.decode(u)))\n"
        ),
    );
    let e = Engine::start(&main, &[port, port2]);

    // OPEN: version 4, AS 65001, hold time 90, id 10.0.0.1, capabilities MP-BGP IPv4
    // unicast (1) and 4-octet AS 65001 (65).
    let open = message(
        1,
        &[
            4, 0xfd, 0xe9, 0, 90, 10, 0, 0, 1, 14, 2, 12, 1, 4, 0, 1, 0, 1, 65, 4, 0, 0, 0xfd, 0xe9,
        ],
    );
    // UPDATE: withdraw 10.1.0.0/16; ORIGIN IGP, AS_PATH sequence [65001, 65002] (4-octet),
    // NEXT_HOP 10.0.0.1, MED 100; announce 192.168.0.0/24 and 10.2.3.0/24.
    let mut update = vec![0, 3, 16, 10, 1];
    let attrs: Vec<u8> = [
        &[0x40, 1, 1, 0][..],
        &[0x40, 2, 10, 2, 2, 0, 0, 0xfd, 0xe9, 0, 0, 0xfd, 0xea][..],
        &[0x40, 3, 4, 10, 0, 0, 1][..],
        &[0x80, 4, 4, 0, 0, 0, 100][..],
    ]
    .concat();
    update.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    update.extend(attrs);
    update.extend_from_slice(&[24, 192, 168, 0, 24, 10, 2, 3]);
    let mut stream = open;
    stream.extend(message(4, &[]));
    stream.extend(message(2, &update));
    stream.extend(message(3, b"\x06\x02bye"));
    stream.extend(message(5, &[0, 1, 0, 1]));
    let (back, _) = raw_exchange(port, &stream, 2);
    assert_eq!(back, stream);

    let log = e.wait_log(r#"bgp {"type":"ROUTE_REFRESH""#, 5);
    for want in [
        r#"bgp {"type":"OPEN","body":{"version":4,"myAS":65001,"holdTime":90,"identifier":"10.0.0.1","parameters":[{"name":"Capabilities","value":[{"code":1,"value":"00010001"},{"code":65,"value":"0000fde9"}],"code":2}]}}"#,
        r#"bgp {"type":"KEEPALIVE","body":null}"#,
        r#"bgp {"type":"UPDATE","body":{"withdrawnRoutes":["10.1.0.0/16"],"pathAttributes":[{"name":"ORIGIN","value":0,"code":1,"optional":false,"transitive":true,"partial":false},{"name":"AS_PATH","value":[[65001,65002]],"code":2,"optional":false,"transitive":true,"partial":false},{"name":"NEXT_HOP","value":"10.0.0.1","code":3,"optional":false,"transitive":true,"partial":false},{"name":"MULTI_EXIT_DISC","value":100,"code":4,"optional":true,"transitive":false,"partial":false}],"destinations":["192.168.0.0/24","10.2.3.0/24"]}}"#,
        r#"bgp {"type":"NOTIFICATION","body":{"errorCode":6,"errorSubcode":2,"data":"627965"}}"#,
        r#"bgp {"type":"ROUTE_REFRESH","body":{"afi":1,"safi":1}}"#,
    ] {
        assert!(log.contains(want), "missing {want} in\n{log}");
    }

    // Written from objects, 2-byte AS numbers, prefixes as strings or IPMask.
    let line = log.lines().find(|l| l.contains("UPDATE2 ")).unwrap();
    // Length 56; no withdrawn routes; 25 bytes of attributes: AS_PATH sequence of two
    // 2-byte ASes, NEXT_HOP, AGGREGATOR (2-byte AS 300); /12 in 2 bytes, /25 in 4.
    let hex = "ffffffffffffffffffffffffffffffff0038020000001940020602020064 00c8\
               40030401020304 c00706012c05060708 0cac10 190a000080";
    let hex: String = hex.split_whitespace().collect();
    assert!(line.contains(&format!("UPDATE2 {hex} ")), "{line}");
    assert!(line.ends_with(" [{\"type\":\"UPDATE\",\"body\":{\"pathAttributes\":[{\"name\":\"AS_PATH\",\"value\":[[100,200]],\"code\":2,\"optional\":false,\"transitive\":true,\"partial\":false},{\"name\":\"NEXT_HOP\",\"value\":\"1.2.3.4\",\"code\":3,\"optional\":false,\"transitive\":true,\"partial\":false},{\"name\":\"AGGREGATOR\",\"value\":[300,\"5.6.7.8\"],\"code\":7,\"optional\":true,\"transitive\":true,\"partial\":false}],\"destinations\":[\"172.16.0.0/12\",\"10.0.0.128/25\"]}}]"), "{line}");

    // A header whose length is under 19 bytes.
    let mut bad = vec![0xff; 16];
    bad.extend_from_slice(&[0, 5, 4]);
    let (_, closed) = raw_exchange(port2, &bad, 5);
    assert!(closed);
    e.wait_log("ended ProtocolError", 5);
}
