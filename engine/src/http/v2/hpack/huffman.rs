//! The Huffman code of HPACK (RFC 7541 §5.2, Appendix B).
//!
//! Decoding runs a state machine four bits at a time: a state is a node of the code's tree
//! (the bits read since the last symbol), and each (state, nibble) step says where it goes and
//! which symbol, if any, it completes. No code is shorter than five bits, so one nibble
//! completes at most one symbol. The table is built once from [`super::tables::CODES`].

use std::sync::OnceLock;

use super::tables::CODES;

/// The end-of-string symbol; decoding it is an error.
const EOS: u16 = 256;

/// One step of the decoding machine.
#[derive(Clone, Copy, Default)]
struct Step {
    /// The state after the nibble.
    next: u8,
    /// The symbol the nibble completed.
    sym: u8,
    flags: u8,
}

const EMITS: u8 = 1;
const FAILS: u8 = 2;

struct Machine {
    steps: Vec<[Step; 16]>,
    /// States in which the string may end: the bits since the last symbol are at most seven
    /// ones (a prefix of EOS), as the padding must be.
    accepting: Vec<bool>,
}

/// A node of the code tree: a child per bit, either another node or a symbol.
#[derive(Clone, Copy)]
enum Child {
    Node(u16),
    Symbol(u16),
    None,
}

fn machine() -> &'static Machine {
    static MACHINE: OnceLock<Machine> = OnceLock::new();
    MACHINE.get_or_init(build)
}

fn build() -> Machine {
    let mut tree: Vec<[Child; 2]> = vec![[Child::None; 2]];
    for (sym, &(code, len)) in CODES.iter().enumerate() {
        let mut node = 0usize;
        for i in (0..len).rev() {
            let bit = ((code >> i) & 1) as usize;
            if i == 0 {
                tree[node][bit] = Child::Symbol(sym as u16);
            } else {
                node = match tree[node][bit] {
                    Child::Node(n) => n as usize,
                    _ => {
                        tree.push([Child::None; 2]);
                        let n = tree.len() - 1;
                        tree[node][bit] = Child::Node(n as u16);
                        n
                    }
                };
            }
        }
    }
    debug_assert_eq!(
        tree.len(),
        256,
        "a complete code of 257 symbols has 256 inner nodes"
    );
    let steps = (0..tree.len())
        .map(|state| {
            let mut row = [Step::default(); 16];
            for (nibble, step) in row.iter_mut().enumerate() {
                let mut node = state;
                for i in (0..4).rev() {
                    match tree[node][(nibble >> i) & 1] {
                        Child::Node(n) => node = n as usize,
                        Child::Symbol(EOS) | Child::None => {
                            step.flags = FAILS;
                            break;
                        }
                        Child::Symbol(s) => {
                            step.sym = s as u8;
                            step.flags |= EMITS;
                            node = 0;
                        }
                    }
                }
                step.next = node as u8;
            }
            row
        })
        .collect();
    let mut accepting = vec![false; tree.len()];
    accepting[0] = true;
    let mut node = 0usize;
    for _ in 0..7 {
        match tree[node][1] {
            Child::Node(n) => {
                node = n as usize;
                accepting[node] = true;
            }
            _ => break,
        }
    }
    Machine { steps, accepting }
}

/// The string's Huffman code is not valid: a symbol not in the code, the EOS symbol, or
/// padding that is longer than seven bits or not all ones.
#[derive(Debug, PartialEq, Eq)]
pub struct BadHuffman;

/// Decodes `input` onto the end of `out`.
pub fn decode(input: &[u8], out: &mut Vec<u8>) -> Result<(), BadHuffman> {
    let m = machine();
    out.reserve(input.len() * 8 / 5);
    let mut state = 0usize;
    for &byte in input {
        for nibble in [byte >> 4, byte & 0xf] {
            let step = m.steps[state][nibble as usize];
            if step.flags & FAILS != 0 {
                return Err(BadHuffman);
            }
            if step.flags & EMITS != 0 {
                out.push(step.sym);
            }
            state = step.next as usize;
        }
    }
    if m.accepting[state] {
        Ok(())
    } else {
        Err(BadHuffman)
    }
}

/// The length of `input`'s Huffman code, in bytes.
pub fn encoded_len(input: &[u8]) -> usize {
    let bits: usize = input.iter().map(|&b| CODES[b as usize].1 as usize).sum();
    bits.div_ceil(8)
}

/// Encodes `input` onto the end of `out`, padded with ones.
pub fn encode(input: &[u8], out: &mut Vec<u8>) {
    let mut bits: u64 = 0;
    let mut count = 0u32;
    for &b in input {
        let (code, len) = CODES[b as usize];
        bits = (bits << len) | u64::from(code);
        count += u32::from(len);
        while count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    if count > 0 {
        let pad = 8 - count;
        out.push(((bits << pad) | ((1 << pad) - 1)) as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(s: &[u8]) {
        let mut code = Vec::new();
        encode(s, &mut code);
        assert_eq!(code.len(), encoded_len(s));
        let mut back = Vec::new();
        decode(&code, &mut back).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn every_byte_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        round_trip(&all);
        round_trip(b"");
        round_trip(b"www.example.com");
    }

    /// RFC 7541 C.4.1: "www.example.com" with the Huffman code.
    #[test]
    fn the_rfc_example() {
        let code = [
            0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff,
        ];
        let mut out = Vec::new();
        decode(&code, &mut out).unwrap();
        assert_eq!(out, b"www.example.com");
        let mut enc = Vec::new();
        encode(b"www.example.com", &mut enc);
        assert_eq!(enc, code);
    }

    #[test]
    fn bad_padding_and_eos_are_errors() {
        // 'a' is 00011 (5 bits): padding of three zeros is not a prefix of EOS.
        assert_eq!(decode(&[0b0001_1000], &mut Vec::new()), Err(BadHuffman));
        // 'a' then eight one bits of padding: longer than seven bits.
        assert_eq!(
            decode(&[0b0001_1111, 0xff], &mut Vec::new()),
            Err(BadHuffman)
        );
        // EOS itself (30 ones).
        assert_eq!(
            decode(&[0xff, 0xff, 0xff, 0xff], &mut Vec::new()),
            Err(BadHuffman)
        );
        // Padding of seven ones alone, after 'a': fine.
        let mut out = Vec::new();
        decode(&[0b0001_1111], &mut out).unwrap();
        assert_eq!(out, b"a");
    }
}
