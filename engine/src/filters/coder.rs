//! The streaming compressors and decompressors that `compress`/`decompress` and
//! `compressHTTP`/`decompressHTTP` share (flate2 and brotli-decompressor, writing into a
//! buffer that is drained after each input).

use std::io::Write;

use brotli_decompressor::DecompressorWriter;
use bytes::Bytes;
use flate2::write::{GzDecoder, GzEncoder, ZlibDecoder, ZlibEncoder};
use flate2::Compression;

/// A streaming encoder or decoder writing into a buffer that is drained after each input.
pub(super) enum Coder {
    GzipOut(GzEncoder<Vec<u8>>),
    DeflateOut(ZlibEncoder<Vec<u8>>),
    GzipIn(GzDecoder<Vec<u8>>),
    InflateIn(ZlibDecoder<Vec<u8>>),
    BrotliIn(Box<DecompressorWriter<Vec<u8>>>),
}

impl Coder {
    /// The coder for `name` (`gzip`, `deflate`; and to decompress, `inflate`, `brotli` or
    /// `br`), if the direction knows it.
    pub(super) fn of(compress: bool, name: &str) -> Option<Coder> {
        Some(match (compress, name) {
            (true, "gzip") => Coder::GzipOut(GzEncoder::new(Vec::new(), Compression::default())),
            (true, "deflate") => {
                Coder::DeflateOut(ZlibEncoder::new(Vec::new(), Compression::default()))
            }
            (false, "gzip") => Coder::GzipIn(GzDecoder::new(Vec::new())),
            (false, "inflate" | "deflate") => Coder::InflateIn(ZlibDecoder::new(Vec::new())),
            (false, "brotli" | "br") => {
                Coder::BrotliIn(Box::new(DecompressorWriter::new(Vec::new(), 4096)))
            }
            _ => return None,
        })
    }

    /// Feeds bytes; returns what came out.
    pub(super) fn write(&mut self, b: &[u8]) -> std::io::Result<Bytes> {
        let buf = match self {
            Coder::GzipOut(c) => c.write_all(b).map(|_| c.get_mut())?,
            Coder::DeflateOut(c) => c.write_all(b).map(|_| c.get_mut())?,
            Coder::GzipIn(c) => c.write_all(b).map(|_| c.get_mut())?,
            Coder::InflateIn(c) => c.write_all(b).map(|_| c.get_mut())?,
            Coder::BrotliIn(c) => c.write_all(b).map(|_| c.get_mut())?,
        };
        Ok(Bytes::from(std::mem::take(buf)))
    }

    /// Ends the stream; returns the last bytes.
    pub(super) fn finish(self) -> std::io::Result<Bytes> {
        Ok(Bytes::from(match self {
            Coder::GzipOut(c) => c.finish()?,
            Coder::DeflateOut(c) => c.finish()?,
            Coder::GzipIn(c) => c.finish()?,
            Coder::InflateIn(c) => c.finish()?,
            Coder::BrotliIn(mut c) => {
                c.close()?;
                std::mem::take(c.get_mut())
            }
        }))
    }
}
