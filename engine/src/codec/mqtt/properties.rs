//! MQTT 5 properties (section 2.2.2.2), by Pipy's names. User properties (id 38) are kept
//! as plain `name: value` entries of the same object, as Pipy does.

use super::wire::{put_prefixed, put_varint, Reader};
use crate::codec::{malformed, DecodeError, Value};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    VarInt,
    Byte,
    Two,
    Four,
    Str,
    Bin,
}

const USER_PROPERTY: u8 = 38;

const TABLE: &[(u8, &str, Kind)] = &[
    (1, "payloadFormatIndicator", Kind::Byte),
    (2, "messageExpiryInterval", Kind::Four),
    (3, "contentType", Kind::Str),
    (8, "responseTopic", Kind::Str),
    (9, "correlationData", Kind::Bin),
    (11, "subscriptionIdentifier", Kind::VarInt),
    (17, "sessionExpiryInterval", Kind::Four),
    (18, "assignedClientIdentifier", Kind::Str),
    (19, "serverKeepAlive", Kind::Two),
    (21, "authenticationMethod", Kind::Str),
    (22, "authenticationData", Kind::Bin),
    (23, "requestProblemInfo", Kind::Byte),
    (24, "willDelayInterval", Kind::Four),
    (25, "requestResponseInfo", Kind::Byte),
    (26, "responseInfo", Kind::Str),
    (28, "serverReference", Kind::Str),
    (31, "reasonString", Kind::Str),
    (33, "receiveMaximum", Kind::Two),
    (34, "topicAliasMaximum", Kind::Two),
    (35, "topicAlias", Kind::Two),
    (36, "maximumQoS", Kind::Byte),
    (37, "retainAvailable", Kind::Byte),
    (39, "maximumPacketSize", Kind::Four),
    (40, "wildcardSubscriptionAvailable", Kind::Byte),
    (41, "subscriptionIdentifierAvailable", Kind::Byte),
    (42, "sharedSubscriptionAvailable", Kind::Byte),
];

/// Reads a property list; `None` when it is empty (Pipy leaves `properties` unset then).
pub fn read(r: &mut Reader<'_>) -> Result<Option<Value>, DecodeError> {
    let size = r.varint()? as usize;
    if size == 0 {
        return Ok(None);
    }
    if size > r.remaining() {
        return malformed("property length past the end of the packet");
    }
    let end = r.remaining() - size;
    let mut props = Value::object();
    while r.remaining() > end {
        let id = r.u8()?;
        if id == USER_PROPERTY {
            let k = r.string()?;
            let v = r.string()?;
            props.set(&k, Value::Str(v));
            continue;
        }
        let Some((_, name, kind)) = TABLE.iter().find(|p| p.0 == id) else {
            return malformed(format!("unknown property {id}"));
        };
        let v = match kind {
            Kind::VarInt => Value::from(r.varint()?),
            Kind::Byte => Value::from(r.u8()?),
            Kind::Two => Value::from(r.u16()?),
            Kind::Four => Value::from(r.u32()?),
            Kind::Str => Value::Str(r.string()?),
            Kind::Bin => Value::Bytes(r.binary()?),
        };
        props.set(name, v);
    }
    if r.remaining() != end {
        return malformed("a property overruns the property length");
    }
    Ok(Some(props))
}

/// Appends a property list (its length first) for `props` (an object, or nothing).
pub fn write(out: &mut Vec<u8>, props: Option<&Value>) -> Result<(), String> {
    let mut buf = Vec::new();
    if let Some(Value::Object(fields)) = props {
        for (k, v) in fields {
            if v.is_nullish() {
                continue;
            }
            let Some((id, _, kind)) = TABLE.iter().find(|p| p.1 == k) else {
                buf.push(USER_PROPERTY);
                put_prefixed(&mut buf, k.as_bytes())?;
                put_prefixed(&mut buf, v.to_text().as_bytes())?;
                continue;
            };
            buf.push(*id);
            let n = v.to_i64();
            match kind {
                Kind::VarInt => {
                    put_varint(&mut buf, (n as u32).min(super::MAX_REMAINING_LENGTH as u32))
                }
                Kind::Byte => buf.push(n as u8),
                Kind::Two => buf.extend_from_slice(&(n as u16).to_be_bytes()),
                Kind::Four => buf.extend_from_slice(&(n as u32).to_be_bytes()),
                Kind::Str => put_prefixed(&mut buf, v.to_text().as_bytes())?,
                Kind::Bin => put_prefixed(&mut buf, &v.to_bytes().unwrap_or_default())?,
            }
        }
    }
    let n = u32::try_from(buf.len())
        .ok()
        .filter(|n| *n as usize <= super::MAX_REMAINING_LENGTH)
        .ok_or("properties too long")?;
    put_varint(out, n);
    out.extend_from_slice(&buf);
    Ok(())
}
