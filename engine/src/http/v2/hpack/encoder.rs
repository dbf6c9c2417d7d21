//! Encoding header blocks (RFC 7541 §6).
//!
//! A field found whole in the static or dynamic table goes as its index. Otherwise it goes as a
//! literal with its name indexed when the name is in a table, and is added to the dynamic table
//! (so the next response's `content-type: text/html` is one byte), except fields marked
//! sensitive and the few whose values rarely repeat or must not be kept (§7.1: credentials and
//! cookies), which go never-indexed or without indexing. Strings use the Huffman code when it
//! is shorter.

use rustc_hash::FxHashMap as HashMap;
use std::sync::OnceLock;

use bytes::Bytes;

use super::huffman;
use super::table::{entry_size, DynamicTable};
use super::tables::STATIC;

/// The static table's lookups: a (name, value) pair and a name to their first index.
struct StaticIndex {
    fields: HashMap<(&'static [u8], &'static [u8]), usize>,
    names: HashMap<&'static [u8], usize>,
}

fn static_index() -> &'static StaticIndex {
    static INDEX: OnceLock<StaticIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut fields = HashMap::default();
        let mut names = HashMap::default();
        for (i, (n, v)) in STATIC.iter().enumerate() {
            if !v.is_empty() {
                fields.entry((n.as_bytes(), v.as_bytes())).or_insert(i + 1);
            }
            names.entry(n.as_bytes()).or_insert(i + 1);
        }
        StaticIndex { fields, names }
    })
}

/// Names whose fields are never added to the dynamic table: credentials and cookies go
/// never-indexed (an intermediary must keep them so), and fields that differ per message
/// would only push useful entries out.
fn never_indexed(name: &[u8]) -> bool {
    matches!(
        name,
        b"authorization" | b"proxy-authorization" | b"cookie" | b"set-cookie"
    )
}

fn not_worth_indexing(name: &[u8]) -> bool {
    matches!(
        name,
        b":path" | b"content-length" | b"date" | b"etag" | b"last-modified" | b"age"
    )
}

/// The dynamic entries of one name.
#[derive(Debug, Default)]
struct Named {
    /// The insertion number of the newest.
    newest: u64,
    values: HashMap<Bytes, u64>,
}

/// The encoding side of one connection.
#[derive(Debug)]
pub struct Encoder {
    table: DynamicTable,
    /// The dynamic entries by name, then value: their insertion numbers. Looked up by
    /// borrowed slices, so a lookup allocates nothing.
    names: HashMap<Bytes, Named>,
    /// Entries in `names` (some may be evicted from the table already).
    tracked: usize,
    /// A size change the next block must announce first: the smallest size since the last
    /// block, and the size to end with.
    pending_resize: Option<(usize, usize)>,
}

impl Default for Encoder {
    fn default() -> Encoder {
        Encoder::new(4096)
    }
}

impl Encoder {
    /// An encoder whose peer's table holds `size` bytes (its SETTINGS_HEADER_TABLE_SIZE).
    pub fn new(size: usize) -> Encoder {
        Encoder {
            table: DynamicTable::new(size),
            names: HashMap::default(),
            tracked: 0,
            pending_resize: None,
        }
    }

    /// The peer changed SETTINGS_HEADER_TABLE_SIZE: the table follows, and the next block
    /// starts with the size update(s) that tell the peer so (§4.2).
    pub fn set_max_size(&mut self, size: usize) {
        let lowest = match self.pending_resize {
            Some((low, _)) => low.min(size),
            None => size.min(self.table.max_size()),
        };
        self.pending_resize = Some((lowest, size));
        self.table.set_max_size(lowest);
        self.forget_evicted();
    }

    /// Encodes one header block onto `out`. Each field is (name, value, sensitive); names
    /// must be lower case, as HTTP/2 requires.
    pub fn encode<'a>(
        &mut self,
        fields: impl IntoIterator<Item = (&'a [u8], &'a [u8], bool)>,
        out: &mut Vec<u8>,
    ) {
        if let Some((lowest, last)) = self.pending_resize.take() {
            integer(out, 0x20, 5, lowest);
            if last != lowest {
                integer(out, 0x20, 5, last);
                self.table.set_max_size(last);
            }
        }
        for (name, value, sensitive) in fields {
            self.field(name, value, sensitive, out);
        }
    }

    fn field(&mut self, name: &[u8], value: &[u8], sensitive: bool, out: &mut Vec<u8>) {
        let statics = static_index();
        let sensitive = sensitive || never_indexed(name);
        if !sensitive {
            if let Some(&i) = statics.fields.get(&(name, value)) {
                integer(out, 0x80, 7, i);
                return;
            }
            let found = self.names.get(name).and_then(|e| e.values.get(value));
            if let Some(i) = found.and_then(|&n| self.table.index_of_insertion(n)) {
                integer(out, 0x80, 7, i);
                return;
            }
        }
        let name_index = statics.names.get(name).copied().or_else(|| {
            self.names
                .get(name)
                .and_then(|e| self.table.index_of_insertion(e.newest))
        });
        let index_it = !sensitive
            && !not_worth_indexing(name)
            && entry_size(name, value) <= self.table.max_size() / 2;
        let (flags, prefix) = match (sensitive, index_it) {
            (true, _) => (0x10, 4),
            (false, true) => (0x40, 6),
            (false, false) => (0x00, 4),
        };
        match name_index {
            Some(i) => integer(out, flags, prefix, i),
            None => {
                out.push(flags);
                string(out, name);
            }
        }
        string(out, value);
        if index_it {
            let (n, v) = (Bytes::copy_from_slice(name), Bytes::copy_from_slice(value));
            let number = self.table.inserted();
            self.table.insert(n.clone(), v.clone());
            let named = self.names.entry(n).or_default();
            named.newest = number;
            if named.values.insert(v, number).is_none() {
                self.tracked += 1;
            }
            self.forget_evicted();
        }
    }

    /// Drops the lookups of entries the table no longer has.
    fn forget_evicted(&mut self) {
        // Amortised: a sweep only when a quarter more are tracked than the table holds.
        if self.tracked <= self.table.len() + self.table.len() / 4 + 8 {
            return;
        }
        let oldest_kept = self.table.inserted() - self.table.len() as u64;
        let mut tracked = 0;
        self.names.retain(|_, named| {
            named.values.retain(|_, n| *n >= oldest_kept);
            tracked += named.values.len();
            !named.values.is_empty()
        });
        self.tracked = tracked;
    }
}

/// An integer with an N-bit prefix whose high bits are `flags` (§5.1).
fn integer(out: &mut Vec<u8>, flags: u8, prefix: u8, value: usize) {
    let mask = (1usize << prefix) - 1;
    if value < mask {
        out.push(flags | value as u8);
        return;
    }
    out.push(flags | mask as u8);
    let mut rest = value - mask;
    while rest >= 0x80 {
        out.push(0x80 | (rest & 0x7f) as u8);
        rest >>= 7;
    }
    out.push(rest as u8);
}

/// A string literal, Huffman-coded when that is shorter (§5.2).
fn string(out: &mut Vec<u8>, s: &[u8]) {
    let coded = huffman::encoded_len(s);
    if coded < s.len() {
        integer(out, 0x80, 7, coded);
        huffman::encode(s, out);
    } else {
        integer(out, 0x00, 7, s.len());
        out.extend_from_slice(s);
    }
}

#[cfg(test)]
mod tests {
    use super::super::decoder::Decoder;
    use super::*;

    fn round_trip(e: &mut Encoder, d: &mut Decoder, fields: &[(&str, &str, bool)]) -> usize {
        let mut block = Vec::new();
        e.encode(
            fields
                .iter()
                .map(|(n, v, s)| (n.as_bytes(), v.as_bytes(), *s)),
            &mut block,
        );
        let mut got = Vec::new();
        d.decode(&Bytes::from(block.clone()), |f| {
            got.push((f.name, f.value, f.sensitive))
        })
        .unwrap();
        let want: Vec<_> = fields
            .iter()
            .map(|(n, v, s)| {
                (
                    Bytes::copy_from_slice(n.as_bytes()),
                    Bytes::copy_from_slice(v.as_bytes()),
                    *s || never_indexed(n.as_bytes()),
                )
            })
            .collect();
        assert_eq!(got, want);
        block.len()
    }

    #[test]
    fn blocks_decode_to_what_was_encoded_and_repeats_get_short() {
        let (mut e, mut d) = (Encoder::default(), Decoder::new(4096));
        let fields = [
            (":status", "200", false),
            ("content-type", "text/html; charset=utf-8", false),
            ("x-served-by", "backend-7", false),
            ("set-cookie", "id=42", false),
            ("x-secret", "s3cr3t", true),
            ("content-length", "11", false),
        ];
        let first = round_trip(&mut e, &mut d, &fields);
        let second = round_trip(&mut e, &mut d, &fields);
        assert!(
            second < first / 2,
            "second block {second} bytes, first {first}"
        );
        assert_eq!(e.table.size(), d.table().size());
    }

    #[test]
    fn many_fields_evict_in_step_with_the_decoder() {
        let (mut e, mut d) = (Encoder::new(256), Decoder::new(256));
        for i in 0..200 {
            let v = format!("value-{}", i % 37);
            let n = format!("x-h{}", i % 11);
            round_trip(&mut e, &mut d, &[(n.as_str(), v.as_str(), false)]);
            assert_eq!(e.table.size(), d.table().size());
        }
        assert!(e.tracked <= e.table.len() + e.table.len() / 4 + 8);
    }

    #[test]
    fn a_smaller_table_is_announced_first() {
        let (mut e, mut d) = (Encoder::default(), Decoder::new(4096));
        round_trip(&mut e, &mut d, &[("x-a", "1", false)]);
        e.set_max_size(0);
        e.set_max_size(100);
        let mut block = Vec::new();
        e.encode([(&b"x-a"[..], &b"1"[..], false)], &mut block);
        assert_eq!(&block[..2], &[0x20, 0x3f]); // 0, then 100 (31 + 69)
        d.decode(&Bytes::from(block), |_| {}).unwrap();
        assert_eq!(d.table().max_size(), 100);
        assert_eq!(e.table.size(), d.table().size());
    }

    #[test]
    fn integers_past_the_prefix() {
        let mut out = Vec::new();
        integer(&mut out, 0, 5, 1337);
        assert_eq!(out, [0x1f, 0x9a, 0x0a]); // RFC 7541 C.1.2
    }
}
