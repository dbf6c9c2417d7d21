//! Decoding header blocks (RFC 7541 §6): indexed fields, literals with and without indexing,
//! and dynamic table size updates, against one connection's dynamic table.

use bytes::Bytes;

use super::huffman;
use super::table::DynamicTable;
use super::HpackError;

/// One decoded header field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The name, as sent (HTTP/2 requires lower case; the caller checks).
    pub name: Bytes,
    /// The value.
    pub value: Bytes,
    /// Sent as never-indexed: an intermediary must forward it the same way (§6.2.3).
    pub sensitive: bool,
}

/// The decoding side of one connection.
#[derive(Debug)]
pub struct Decoder {
    table: DynamicTable,
    /// The most the peer may make the table: what we announced in SETTINGS_HEADER_TABLE_SIZE.
    limit: usize,
}

impl Decoder {
    /// A decoder whose table may hold `limit` bytes (SETTINGS_HEADER_TABLE_SIZE; 4096 by
    /// default).
    pub fn new(limit: usize) -> Decoder {
        Decoder {
            table: DynamicTable::new(limit),
            limit,
        }
    }

    /// The dynamic table (for tests and inspection).
    pub fn table(&self) -> &DynamicTable {
        &self.table
    }

    /// Decodes one complete header block, calling `field` for each field in order. The whole
    /// block is always read, so that the table stays in step with the peer's, even when the
    /// caller will refuse the fields.
    pub fn decode(
        &mut self,
        block: &Bytes,
        mut field: impl FnMut(Field),
    ) -> Result<(), HpackError> {
        let mut r = Reader { buf: block, pos: 0 };
        let mut fields_seen = false;
        while let Some(&first) = r.peek() {
            if first & 0x80 != 0 {
                let index = r.integer(7)?;
                let (name, value) = self.table.get(index).ok_or(HpackError::BadIndex(index))?;
                field(Field {
                    name,
                    value,
                    sensitive: false,
                });
            } else if first & 0x40 != 0 {
                let (name, value) = self.literal(&mut r, 6)?;
                // The table keeps copies: a slice would keep the whole block alive.
                self.table.insert(
                    Bytes::copy_from_slice(&name),
                    Bytes::copy_from_slice(&value),
                );
                field(Field {
                    name,
                    value,
                    sensitive: false,
                });
            } else if first & 0x20 != 0 {
                if fields_seen {
                    return Err(HpackError::SizeUpdateNotFirst);
                }
                let size = r.integer(5)?;
                if size > self.limit {
                    return Err(HpackError::SizeUpdateTooLarge(size));
                }
                self.table.set_max_size(size);
                continue;
            } else {
                let sensitive = first & 0x10 != 0;
                let (name, value) = self.literal(&mut r, 4)?;
                field(Field {
                    name,
                    value,
                    sensitive,
                });
            }
            fields_seen = true;
        }
        Ok(())
    }

    /// A literal field: an indexed name (the prefix's integer, when not 0) or a literal one,
    /// then the value.
    fn literal(&self, r: &mut Reader<'_>, prefix: u8) -> Result<(Bytes, Bytes), HpackError> {
        let index = r.integer(prefix)?;
        let name = if index == 0 {
            r.string()?
        } else {
            self.table.get(index).ok_or(HpackError::BadIndex(index))?.0
        };
        Ok((name, r.string()?))
    }
}

/// A cursor over a header block.
struct Reader<'a> {
    buf: &'a Bytes,
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<&u8> {
        self.buf.get(self.pos)
    }

    fn byte(&mut self) -> Result<u8, HpackError> {
        let b = *self.peek().ok_or(HpackError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    /// An integer with an N-bit prefix (§5.1). Values past 2^28 are refused: nothing in a
    /// header block is that large.
    fn integer(&mut self, prefix: u8) -> Result<usize, HpackError> {
        let mask = (1u8 << prefix) - 1;
        let mut value = usize::from(self.byte()? & mask);
        if value < usize::from(mask) {
            return Ok(value);
        }
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift > 21 {
                return Err(HpackError::IntegerTooLarge);
            }
            value += usize::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
    }

    /// A string literal (§5.2): raw bytes are shared with the block, Huffman ones decoded.
    fn string(&mut self) -> Result<Bytes, HpackError> {
        let huffman = *self.peek().ok_or(HpackError::Truncated)? & 0x80 != 0;
        let len = self.integer(7)?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|&e| e <= self.buf.len())
            .ok_or(HpackError::Truncated)?;
        let raw = &self.buf[self.pos..end];
        let s = if huffman {
            let mut out = Vec::new();
            huffman::decode(raw, &mut out).map_err(|_| HpackError::BadHuffman)?;
            Bytes::from(out)
        } else {
            self.buf.slice(self.pos..end)
        };
        self.pos = end;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(d: &mut Decoder, hex: &str) -> Result<Vec<(String, String)>, HpackError> {
        let block = Bytes::from(
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect::<Vec<_>>(),
        );
        let mut out = Vec::new();
        d.decode(&block, |f| {
            out.push((
                String::from_utf8(f.name.to_vec()).unwrap(),
                String::from_utf8(f.value.to_vec()).unwrap(),
            ))
        })?;
        Ok(out)
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// RFC 7541 C.4: three requests with Huffman coding, sharing one dynamic table.
    #[test]
    fn the_rfc_request_examples_with_huffman() {
        let mut d = Decoder::new(4096);
        assert_eq!(
            decode_all(&mut d, "828684418cf1e3c2e5f23a6ba0ab90f4ff").unwrap(),
            pairs(&[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/"),
                (":authority", "www.example.com")
            ])
        );
        assert_eq!(d.table().size(), 57);
        assert_eq!(
            decode_all(&mut d, "828684be5886a8eb10649cbf").unwrap(),
            pairs(&[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/"),
                (":authority", "www.example.com"),
                ("cache-control", "no-cache")
            ])
        );
        assert_eq!(
            decode_all(&mut d, "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf").unwrap(),
            pairs(&[
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/index.html"),
                (":authority", "www.example.com"),
                ("custom-key", "custom-value")
            ])
        );
        assert_eq!(d.table().size(), 164);
    }

    /// RFC 7541 C.5.1-C.5.3: responses with a 256-byte table, so entries are evicted.
    #[test]
    fn the_rfc_response_examples_evict() {
        let mut d = Decoder::new(256);
        d.table.set_max_size(256);
        decode_all(
            &mut d,
            "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
        )
        .unwrap();
        assert_eq!(d.table().size(), 222);
        let second = decode_all(&mut d, "4803333037c1c0bf").unwrap();
        assert_eq!(second[0], (":status".into(), "307".into()));
        assert_eq!(
            second[3],
            ("location".into(), "https://www.example.com".into())
        );
        assert_eq!(d.table().size(), 222);
    }

    /// Sixty response blocks from another implementation (Python's `hpack` 4, the one the
    /// `h2` package uses), one encoder for all, half with Huffman, the table shrunk to 200
    /// bytes halfway: fixtures made once with engine/tests/data/hpack-python.json's generator
    /// described in that folder's README.
    #[test]
    fn blocks_from_another_implementation_decode() {
        let cases: serde_json::Value =
            serde_json::from_str(include_str!("../../../../tests/data/hpack-python.json")).unwrap();
        let mut d = Decoder::new(4096);
        for case in cases.as_array().unwrap() {
            let got = decode_all(&mut d, case["block"].as_str().unwrap()).unwrap();
            let want: Vec<(String, String)> = case["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f[0].as_str().unwrap().into(), f[1].as_str().unwrap().into()))
                .collect();
            assert_eq!(got, want);
        }
        assert!(d.table().max_size() <= 200);
    }

    #[test]
    fn malformed_blocks_are_errors() {
        let mut d = Decoder::new(4096);
        // Index 70 with an empty dynamic table.
        assert_eq!(decode_all(&mut d, "c6"), Err(HpackError::BadIndex(70)));
        // Index 0.
        assert_eq!(decode_all(&mut d, "80"), Err(HpackError::BadIndex(0)));
        // A literal whose value runs past the block.
        assert_eq!(decode_all(&mut d, "400161"), Err(HpackError::Truncated));
        // A size update above the announced limit, and one after a field.
        assert_eq!(
            decode_all(&mut d, "3fe21f"),
            Err(HpackError::SizeUpdateTooLarge(4097))
        );
        assert_eq!(
            decode_all(&mut d, "8220"),
            Err(HpackError::SizeUpdateNotFirst)
        );
        // An integer that does not end.
        assert_eq!(
            decode_all(&mut d, "ffffffffffff7f"),
            Err(HpackError::IntegerTooLarge)
        );
    }
}
