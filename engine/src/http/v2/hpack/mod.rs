//! HPACK, HTTP/2's header compression (RFC 7541), with no I/O: a [`Decoder`] and an
//! [`Encoder`] per connection, each with its dynamic table.
//!
//! Files: [`tables`] (the RFC's static table and Huffman code, as data), [`huffman`] (the
//! string code), [`table`] (the dynamic table), [`decoder`] and [`encoder`].

pub mod decoder;
pub mod encoder;
pub mod huffman;
pub mod table;
mod tables;

pub use decoder::{Decoder, Field};
pub use encoder::Encoder;

/// A header block that cannot be decoded. Every one is a connection error of type
/// COMPRESSION_ERROR (RFC 9113 §4.3): the two tables can no longer be in step.
#[derive(Debug, PartialEq, Eq)]
pub enum HpackError {
    /// The block ends inside a field.
    Truncated,
    /// An integer larger than anything a header block holds.
    IntegerTooLarge,
    /// An index that is 0 or past the end of the tables.
    BadIndex(usize),
    /// A Huffman-coded string that is not valid.
    BadHuffman,
    /// A dynamic table size update above the size we announced.
    SizeUpdateTooLarge(usize),
    /// A dynamic table size update after the first field of a block.
    SizeUpdateNotFirst,
}

impl std::fmt::Display for HpackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HpackError::Truncated => write!(f, "header block ends inside a field"),
            HpackError::IntegerTooLarge => write!(f, "header block integer too large"),
            HpackError::BadIndex(i) => write!(
                f,
                "header block refers to table index {i}, which does not exist"
            ),
            HpackError::BadHuffman => write!(f, "header block string has a bad Huffman code"),
            HpackError::SizeUpdateTooLarge(n) => {
                write!(
                    f,
                    "header table size update to {n} bytes, above the size allowed"
                )
            }
            HpackError::SizeUpdateNotFirst => {
                write!(
                    f,
                    "header table size update after the first field of a block"
                )
            }
        }
    }
}

impl std::error::Error for HpackError {}
