//! Writes one MQTT control packet from a head, a body and a payload (the shapes
//! [`super::Decoder`] produces).

use super::properties;
use super::wire::{put_prefixed, put_varint};
use crate::codec::Value;

/// Encodes a packet. The head's `protocolLevel` (default 5, as Pipy) decides the layout;
/// `body` is used by PUBLISH only, `payload` by CONNECT, SUBSCRIBE, SUBACK, UNSUBSCRIBE and
/// UNSUBACK.
pub fn encode(head: &Value, body: &[u8], payload: Option<&Value>) -> Result<Vec<u8>, String> {
    let kind = match head.get("type") {
        Some(Value::Str(s)) => super::type_number(s),
        Some(v) => u8::try_from(v.to_i64())
            .ok()
            .filter(|n| (1..=15).contains(n)),
        None => None,
    }
    .ok_or("MQTT head without a valid type")?;
    let level = head.get("protocolLevel").map_or(5, |v| v.to_i64()) as u8;
    let v5 = level >= 5;
    let int = |k: &str| head.get(k).map_or(0, |v| v.to_i64());
    let qos = (int("qos") & 3) as u8;
    let props = head.get("properties");
    let mut flags = 0u8;
    let mut b = Vec::new();
    match kind {
        1 => connect(&mut b, head, level, payload.unwrap_or(&Value::Undefined))?,
        2 => {
            b.push(u8::from(
                head.get("sessionPresent").is_some_and(Value::truthy),
            ));
            b.push(int("reasonCode") as u8);
            if v5 {
                properties::write(&mut b, props)?;
            }
        }
        3 => {
            flags = qos << 1;
            if head.get("dup").is_some_and(Value::truthy) {
                flags |= 0x08;
            }
            if head.get("retain").is_some_and(Value::truthy) {
                flags |= 0x01;
            }
            let topic = head
                .get("topicName")
                .map(Value::to_text)
                .unwrap_or_default();
            put_prefixed(&mut b, topic.as_bytes())?;
            if qos > 0 {
                b.extend_from_slice(&(int("packetIdentifier") as u16).to_be_bytes());
            }
            if v5 {
                properties::write(&mut b, props)?;
            }
            b.extend_from_slice(body);
        }
        4..=7 => {
            if kind == 6 {
                flags = 0x02;
            }
            b.extend_from_slice(&(int("packetIdentifier") as u16).to_be_bytes());
            if v5 {
                b.push(int("reasonCode") as u8);
                properties::write(&mut b, props)?;
            }
        }
        8 | 10 => {
            flags = 0x02;
            b.extend_from_slice(&(int("packetIdentifier") as u16).to_be_bytes());
            if v5 {
                properties::write(&mut b, props)?;
            }
            if kind == 8 {
                subscriptions(&mut b, payload, v5)?;
            } else if let Some(Value::Array(filters)) = payload {
                for f in filters {
                    put_prefixed(&mut b, f.to_text().as_bytes())?;
                }
            }
        }
        9 | 11 => {
            b.extend_from_slice(&(int("packetIdentifier") as u16).to_be_bytes());
            if v5 {
                properties::write(&mut b, props)?;
            }
            if let Some(Value::Array(codes)) = payload {
                b.extend(codes.iter().map(|c| c.to_i64() as u8));
            }
        }
        12 | 13 => {}
        _ => {
            if v5 {
                b.push(int("reasonCode") as u8);
                properties::write(&mut b, props)?;
            }
        }
    }
    if b.len() > super::MAX_REMAINING_LENGTH {
        return Err(format!("MQTT packet of {} bytes is too long", b.len()));
    }
    let mut out = Vec::with_capacity(b.len() + 5);
    out.push(kind << 4 | flags);
    put_varint(&mut out, b.len() as u32);
    out.extend_from_slice(&b);
    Ok(out)
}

fn connect(b: &mut Vec<u8>, head: &Value, level: u8, p: &Value) -> Result<(), String> {
    let will = p.get("will");
    let mut flags = 0u8;
    if p.get("cleanStart").is_some_and(Value::truthy) {
        flags |= 0x02;
    }
    if let Some(w) = will {
        flags |= 0x04 | ((w.get("qos").map_or(0, Value::to_i64) as u8 & 3) << 3);
        if w.get("retain").is_some_and(Value::truthy) {
            flags |= 0x20;
        }
    }
    if p.get("username").is_some() {
        flags |= 0x80;
    }
    if p.get("password").is_some() {
        flags |= 0x40;
    }
    put_prefixed(b, if level == 3 { b"MQIsdp" } else { b"MQTT" })?;
    b.push(level);
    b.push(flags);
    let keep_alive = head.get("keepAlive").map_or(0, Value::to_i64) as u16;
    b.extend_from_slice(&keep_alive.to_be_bytes());
    if level >= 5 {
        properties::write(b, head.get("properties"))?;
    }
    let client_id = p.get("clientID").map(Value::to_text).unwrap_or_default();
    put_prefixed(b, client_id.as_bytes())?;
    if let Some(w) = will {
        if level >= 5 {
            properties::write(b, w.get("properties"))?;
        }
        let topic = w.get("topic").map(Value::to_text).unwrap_or_default();
        put_prefixed(b, topic.as_bytes())?;
        put_prefixed(
            b,
            &w.get("payload")
                .and_then(Value::to_bytes)
                .unwrap_or_default(),
        )?;
    }
    if let Some(u) = p.get("username") {
        put_prefixed(b, u.to_text().as_bytes())?;
    }
    if let Some(pw) = p.get("password") {
        put_prefixed(b, &pw.to_bytes().unwrap_or_default())?;
    }
    Ok(())
}

fn subscriptions(b: &mut Vec<u8>, payload: Option<&Value>, v5: bool) -> Result<(), String> {
    let Some(Value::Array(filters)) = payload.and_then(|p| p.get("topicFilters")) else {
        return Ok(());
    };
    for f in filters {
        let name = f.get("filter").map(Value::to_text).unwrap_or_default();
        put_prefixed(b, name.as_bytes())?;
        let mut options = f.get("qos").map_or(0, Value::to_i64) as u8 & 3;
        if v5 {
            if f.get("noLocal").is_some_and(Value::truthy) {
                options |= 0x04;
            }
            if f.get("retainAsPublished").is_some_and(Value::truthy) {
                options |= 0x08;
            }
            options |= (f.get("retainHandling").map_or(0, Value::to_i64) as u8 & 3) << 4;
        }
        b.push(options);
    }
    Ok(())
}
