//! MQTT 3.1, 3.1.1 and 5 control packets (OASIS MQTT 3.1.1 and 5.0), as Pipy 1.5's
//! `decodeMQTT`/`encodeMQTT` model them: a packet is a message whose head has Pipy's fields
//! (`type`, `qos`, `dup`, `retain`, `packetIdentifier`, `topicName`, `properties`, ...), whose
//! body is the bytes after the variable header (a PUBLISH's application message), and whose
//! `MessageEnd` payload carries what the packet's payload section lists (a CONNECT's client
//! id and will, a SUBSCRIBE's topic filters, a SUBACK's reason codes).

mod decode;
mod encode;
mod properties;
mod wire;

pub use decode::{Decoder, Packet};
pub use encode::encode;

/// The largest remaining length MQTT's variable-length integer can say (256 MiB - 1).
pub const MAX_REMAINING_LENGTH: usize = 268_435_455;

/// The 15 control packet types, by their number in the fixed header.
pub const PACKET_TYPES: [&str; 15] = [
    "CONNECT",
    "CONNACK",
    "PUBLISH",
    "PUBACK",
    "PUBREC",
    "PUBREL",
    "PUBCOMP",
    "SUBSCRIBE",
    "SUBACK",
    "UNSUBSCRIBE",
    "UNSUBACK",
    "PINGREQ",
    "PINGRESP",
    "DISCONNECT",
    "AUTH",
];

/// The name of packet type `n` (1 to 15).
pub fn type_name(n: u8) -> Option<&'static str> {
    PACKET_TYPES.get(usize::from(n).checked_sub(1)?).copied()
}

/// The number of a packet type by name.
pub fn type_number(name: &str) -> Option<u8> {
    PACKET_TYPES
        .iter()
        .position(|t| *t == name)
        .and_then(|i| u8::try_from(i + 1).ok())
}

#[cfg(test)]
mod tests;
