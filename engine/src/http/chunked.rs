//! The lines of the chunked transfer coding (RFC 9112 §7.1): chunk-size lines with their
//! extensions, and trailer field lines. The decoder ([`super::decoder`]) cuts the lines; this
//! module only judges them, so a chunk line means one thing or is refused.

use super::decoder::DecodeError;
use super::syntax::{is_ctl_free_value, is_tchar};

/// Longest chunk-size line accepted (size and extensions), in bytes.
pub const MAX_CHUNK_LINE: usize = 1024;

/// Reads a chunk-size line (without its CRLF): `1*HEXDIG *( BWS ";" BWS name [ BWS "=" BWS
/// value ] )`. Extensions are checked and ignored. Anything else (a sign, white space before
/// the size, a NUL or a bare LF anywhere, a size that does not fit 64 bits) is an error.
pub fn chunk_size(line: &[u8]) -> Result<u64, DecodeError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(bad("bad chunk size"));
    }
    let mut size: u64 = 0;
    for &b in &line[..digits] {
        let d = (b as char).to_digit(16).unwrap_or(0) as u64;
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(d))
            .ok_or_else(|| bad("chunk size too large"))?;
    }
    extensions(&line[digits..])?;
    Ok(size)
}

/// Checks chunk extensions: each is `BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ]`.
fn extensions(mut rest: &[u8]) -> Result<(), DecodeError> {
    loop {
        if rest.is_empty() {
            return Ok(());
        }
        // White space is allowed only before a ";" (BWS), not at the end of the line.
        let Some(after) = skip_ws(rest).strip_prefix(b";") else {
            return Err(bad("invalid chunk extension"));
        };
        rest = skip_ws(after);
        let name = rest.iter().take_while(|&&b| is_tchar(b)).count();
        if name == 0 {
            return Err(bad("invalid chunk extension"));
        }
        rest = &rest[name..];
        let ws = skip_ws(rest);
        let Some(after) = ws.strip_prefix(b"=") else {
            continue;
        };
        rest = skip_ws(after);
        rest = if rest.first() == Some(&b'"') {
            quoted_string(rest)?
        } else {
            let value = rest.iter().take_while(|&&b| is_tchar(b)).count();
            if value == 0 {
                return Err(bad("invalid chunk extension"));
            }
            &rest[value..]
        };
    }
}

/// Skips a quoted-string (which starts at `s[0] == '"'`), returning what follows it.
fn quoted_string(s: &[u8]) -> Result<&[u8], DecodeError> {
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'"' => return Ok(&s[i + 1..]),
            b'\\' => {
                let next = s
                    .get(i + 1)
                    .copied()
                    .ok_or_else(|| bad("unterminated quote"))?;
                if !is_text(next) {
                    return Err(bad("invalid chunk extension"));
                }
                i += 2;
            }
            b if is_text(b) => i += 1,
            _ => return Err(bad("invalid chunk extension")),
        }
    }
    Err(bad("invalid chunk extension"))
}

/// HTAB, SP, visible ASCII and obs-text: what a quoted-string may hold.
fn is_text(b: u8) -> bool {
    b == b'\t' || b == b' ' || (0x21..=0x7e).contains(&b) || b >= 0x80
}

fn skip_ws(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    &s[n..]
}

/// Checks one trailer field line (without its CRLF): `token ":" OWS value OWS`, the value free
/// of CR, LF and NUL.
pub fn trailer_line(line: &[u8]) -> Result<(), DecodeError> {
    let name = line.iter().take_while(|&&b| is_tchar(b)).count();
    if name == 0 || line.get(name) != Some(&b':') || !is_ctl_free_value(&line[name + 1..]) {
        return Err(bad("invalid trailer field"));
    }
    Ok(())
}

fn bad(why: &str) -> DecodeError {
    DecodeError::Malformed(why.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts that `read` refuses each of `lines`.
    fn all_refused<T: std::fmt::Debug, E>(read: fn(&[u8]) -> Result<T, E>, lines: &[&[u8]]) {
        for line in lines {
            assert!(read(line).is_err(), "{:?}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn sizes_and_extensions_that_mean_one_thing_are_read() {
        assert_eq!(chunk_size(b"5"), Ok(5));
        assert_eq!(chunk_size(b"1aF"), Ok(0x1af));
        assert_eq!(chunk_size(b"0000000000000000000010"), Ok(16));
        assert_eq!(chunk_size(b"5;x=y"), Ok(5));
        assert_eq!(chunk_size(b"5 ; x = \"a \\\" b\" ;flag"), Ok(5));
    }

    #[test]
    fn anything_else_is_refused() {
        all_refused(
            chunk_size,
            &[
                b"",
                b" 5",
                b"+5",
                b"-5",
                b"0x5",
                b"5 ",
                b"5;x=y ",
                b"5;",
                b"5;=y",
                b"5;x=",
                b"5;x=\"open",
                b"5;x\0=y",
                b"5;x=y\0",
                b"5\nGET / HTTP/1.1",
                b"5,6",
                b"10000000000000000",
            ],
        );
    }

    #[test]
    fn trailer_lines_are_fields() {
        assert!(trailer_line(b"X-Sum: 42").is_ok());
        assert!(trailer_line(b"X-Empty:").is_ok());
        all_refused(
            trailer_line,
            &[b"no colon", b": v", b"X Sum: 1", b"X: a\0b", b"X: a\nb"],
        );
    }
}
