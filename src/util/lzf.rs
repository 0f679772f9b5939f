//! LZF compression in the exact stream format of liblzf 3.6 as Redis 7.0
//! embeds it (`lzf_c.c`, `lzf_d.c`, `lzfP.h`). Redis uses it for compressed
//! RDB strings and for compressed quicklist nodes (`list-compress-depth`), so
//! what we write must decode with Redis' `lzf_decompress` and we must decode
//! what Redis writes.
//!
//! Stream format: a sequence of chunks, each introduced by one control byte.
//!
//! ```text
//! 000LLLLL <L+1 bytes>          literal run of 1..=32 bytes
//! LLLooooo oooooooo             back reference, length L+2 (3..=8),
//!                               offset o+1 (1..=8192) behind the output end
//! 111ooooo LLLLLLLL oooooooo    back reference, length L+9 (9..=264)
//! ```
//!
//! The compressor follows liblzf's parse decisions with Redis' build
//! settings (HLOG 16, VERY_FAST, the same hash), so for the same input it
//! makes the same choices as Redis with a clean hash table. (Redis leaves its
//! table uninitialised, so a stale entry can occasionally give it a different
//! but equally valid stream; decoding is unaffected either way.)
//!
//! The decompressor never trusts its input: every read and copy is bounds
//! checked and a malformed stream yields `None`, never a panic.

use std::cell::RefCell;

/// log2 of the hash table size (lzfP.h HLOG).
const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
/// Longest literal run one control byte can announce.
const MAX_LIT: usize = 1 << 5;
/// Back references reach at most this far behind the current position.
const MAX_OFF: usize = 1 << 13;
/// Longest back reference (in bytes, counted from the third one on).
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// The compressor's hash table, kept per thread so a call costs no 256 KB
/// allocation. Each slot holds `(generation << 32) | position`; a slot
/// written by an earlier call has an older generation and reads as empty,
/// which makes every call behave as if the table had been cleared.
struct HashTable {
    slots: Vec<u64>,
    generation: u32,
}

thread_local! {
    static HTAB: RefCell<HashTable> = const {
        RefCell::new(HashTable {
            slots: Vec::new(),
            generation: 0,
        })
    };
}

/// The hash of the three bytes at `p` (FRST/NEXT/IDX of lzf_c.c with
/// VERY_FAST): `h` keeps sliding in bytes, and IDX reads all 32 bits of it.
#[inline]
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Compresses `input` into `out`, using at most `out.len()` bytes. Returns
/// the compressed length, or 0 when the input is empty, `out` is empty, or
/// the result would not fit (lzf_compress's contract: callers pass
/// `out.len() < input.len()` to demand an actual saving).
pub fn compress_into(input: &[u8], out: &mut [u8]) -> usize {
    // Positions are stored in 32 bits; such inputs are simply left raw.
    if input.is_empty() || out.is_empty() || input.len() >= u32::MAX as usize {
        return 0;
    }
    HTAB.with(|t| {
        let mut t = t.borrow_mut();
        if t.slots.is_empty() {
            t.slots = vec![0; HSIZE];
        }
        t.generation = t.generation.wrapping_add(1);
        if t.generation == 0 {
            // After 2^32 calls old stamps could look current again.
            t.slots.iter_mut().for_each(|s| *s = 0);
            t.generation = 1;
        }
        let HashTable { slots, generation } = &mut *t;
        compress_with(input, out, slots, *generation)
    })
}

/// `compress_into` with an owned result: `Some` only when the compressed
/// form fits in `max_out` bytes.
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; max_out];
    match compress_into(input, &mut out) {
        0 => None,
        n => {
            out.truncate(n);
            out.shrink_to_fit();
            Some(out)
        }
    }
}

/// The body of lzf_compress. `slots`/`gen` is the hash table: a slot is a
/// live entry only if its high half equals `gen`.
fn compress_with(input: &[u8], out: &mut [u8], slots: &mut [u64], gen: u32) -> usize {
    let in_len = input.len();
    let out_len = out.len();
    let stamp = u64::from(gen) << 32;
    let mut ip = 0usize;
    // `op` may run one past the last byte written: it always points where
    // the next byte goes, with out[op - lit - 1] reserved for the control
    // byte of the literal run in progress (as in lzf_c.c).
    let mut op = 1usize;
    let mut lit = 0usize;

    let frst = |p: usize| (u32::from(input[p]) << 8) | u32::from(input[p + 1]);
    let mut hval = if in_len >= 2 { frst(0) } else { 0 };

    while ip + 2 < in_len {
        hval = (hval << 8) | u32::from(input[ip + 2]);
        let slot = &mut slots[idx(hval)];
        let prev = *slot;
        *slot = stamp | ip as u64;
        // A live slot holds an earlier position; liblzf also insists the
        // match does not start at offset 0 (its `ref > in_data` test).
        let reference = if prev >> 32 == u64::from(gen) {
            Some((prev & 0xFFFF_FFFF) as usize)
        } else {
            None
        };
        let matched = reference.filter(|&r| {
            r < ip
                && ip - r - 1 < MAX_OFF
                && r > 0
                && input[r + 2] == input[ip + 2]
                && input[r] == input[ip]
                && input[r + 1] == input[ip + 1]
        });
        let Some(r) = matched else {
            // One more literal byte.
            if op >= out_len {
                return 0;
            }
            lit += 1;
            out[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
            continue;
        };
        let off = ip - r - 1;
        // Room for the longest back reference plus the next run's control
        // byte; the exact test only when the quick one fails (as liblzf).
        if op + 3 + 1 >= out_len && op - usize::from(lit == 0) + 3 + 1 >= out_len {
            return 0;
        }
        // Close the literal run; an empty run gives its byte back.
        out[op - lit - 1] = (lit as u8).wrapping_sub(1);
        op -= usize::from(lit == 0);

        let len = match_len(input, r, ip);
        let len = len - 2; // now the number of bytes minus one
        ip += 1;
        if len < 7 {
            out[op] = ((off >> 8) + (len << 5)) as u8;
            op += 1;
        } else {
            out[op] = ((off >> 8) + (7 << 5)) as u8;
            out[op + 1] = (len - 7) as u8;
            op += 2;
        }
        out[op] = off as u8;
        op += 1;
        lit = 0;
        op += 1; // start a new literal run
        ip += len + 1;
        if ip + 2 >= in_len {
            break;
        }
        // VERY_FAST: hash the last two positions the match covered.
        ip -= 2;
        hval = frst(ip);
        for _ in 0..2 {
            hval = (hval << 8) | u32::from(input[ip + 2]);
            slots[idx(hval)] = stamp | ip as u64;
            ip += 1;
        }
    }

    // The tail: at most a couple of bytes left, plus possibly a new run.
    if op + 3 > out_len {
        return 0;
    }
    while ip < in_len {
        lit += 1;
        out[op] = input[ip];
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op - usize::from(lit == 0)
}

/// Length of the match between positions `r` and `ip` (the first three
/// bytes are known equal), exactly as liblzf counts it: it may stop a
/// little short of the end of the input, and its unrolled first stretch
/// can overshoot `maxlen` by up to two bytes that were compared.
fn match_len(input: &[u8], r: usize, ip: usize) -> usize {
    let mut len = 2usize;
    let maxlen = (input.len() - ip - len).min(MAX_REF);
    if maxlen > 16 {
        for _ in 0..16 {
            len += 1;
            if input[r + len] != input[ip + len] {
                return len;
            }
        }
    }
    loop {
        len += 1;
        if !(len < maxlen && input[r + len] == input[ip + len]) {
            return len;
        }
    }
}

/// Decompresses `input` into `out`. Returns the number of bytes produced,
/// or `None` when the stream is malformed or does not fit in `out`
/// (lzf_decompress's E2BIG and EINVAL cases). Never panics.
pub fn decompress_into(input: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut ip = 0usize;
    let mut op = 0usize;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < (1 << 5) {
            // Literal run of ctrl + 1 bytes.
            let n = ctrl + 1;
            let src = input.get(ip..ip + n)?;
            out.get_mut(op..op + n)?.copy_from_slice(src);
            ip += n;
            op += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip)?);
                ip += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + usize::from(*input.get(ip)?) + 1;
            ip += 1;
            len += 2;
            let from = op.checked_sub(back)?;
            if op + len > out.len() {
                return None;
            }
            if back >= len {
                out.copy_within(from..from + len, op);
            } else {
                // Overlapping copy: each byte may be one just written.
                for i in 0..len {
                    out[op + i] = out[from + i];
                }
            }
            op += len;
        }
    }
    Some(op)
}

/// Decompresses a stream that must expand to exactly `len` bytes (how both
/// RDB loading and quicklist nodes use it: the raw size is stored beside).
pub fn decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; len];
    match decompress_into(input, &mut out)? {
        n if n == len => Some(out),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(data: &[u8]) {
        let max = data.len() + data.len() / 16 + 64;
        let c = compress(data, max).expect("compressible into generous room");
        assert_eq!(decompress(&c, data.len()).as_deref(), Some(data));
    }

    use crate::util::testrng::Rng;

    #[test]
    fn empty_input_or_output_compress_to_nothing() {
        assert_eq!(compress_into(b"", &mut [0u8; 16]), 0);
        assert_eq!(compress_into(b"abc", &mut []), 0);
        assert_eq!(compress(b"", 10), None);
    }

    /// Streams worked out by hand from the format and liblzf's choices.
    #[test]
    fn hand_checked_vectors() {
        // Too short to match anything: one literal run.
        assert_eq!(compress(b"a", 10).unwrap(), b"\x00a");
        assert_eq!(compress(b"abc", 10).unwrap(), b"\x02abc");
        // 20 'a's: position 0 is never a match source, so "aa" goes out as
        // literals; then one reference at offset 1 (stored as 0) covering
        // 16 bytes (long form: 7 + extra 7, +2), since liblzf stops a
        // reference two bytes short of the end; those two are literals.
        let c = compress(&[b'a'; 20], 64).unwrap();
        assert_eq!(c, b"\x01aa\xe0\x07\x00\x01aa");
        assert_eq!(decompress(&c, 20).unwrap(), vec![b'a'; 20]);
        // "abcabcabcabc": literals "abca", then "bcabca" (6 bytes: short
        // form, length field 4) from 3 back (offset field 2), then "bc".
        let c = compress(b"abcabcabcabc", 64).unwrap();
        assert_eq!(c, b"\x03abca\x80\x02\x01bc");
        assert_eq!(decompress(&c, 12).unwrap(), b"abcabcabcabc");
    }

    /// A stream taken from Redis 7.0.15 itself: `DUMP` of a 123-byte
    /// string ("hello world " x 10 + "end") carries it as an LZF blob. We
    /// decode it, and our compressor (given the same budget, len - 4, as
    /// rdbSaveLzfStringObject) produces the very same bytes.
    #[test]
    fn matches_a_redis_dump_payload() {
        let from_redis = b"\x0chello world h\xe0\x62\x0b\x02end";
        let mut original = b"hello world ".repeat(10);
        original.extend_from_slice(b"end");
        assert_eq!(original.len(), 123);
        assert_eq!(decompress(from_redis, 123).unwrap(), original);
        assert_eq!(compress(&original, 123 - 4).unwrap(), from_redis);
    }

    /// Hand-made streams (as Redis could send them) decode as specified.
    #[test]
    fn decodes_hand_made_streams() {
        // literal "ab", then copy 3 bytes from 2 back (overlapping).
        assert_eq!(decompress(b"\x01ab\x20\x01", 5).unwrap(), b"ababa");
        // long reference form: 111 00000, extra len 2 -> 7+2+2 = 11 bytes.
        assert_eq!(
            decompress(b"\x00x\xe0\x02\x00", 12).unwrap(),
            vec![b'x'; 12]
        );
    }

    #[test]
    fn malformed_streams_are_rejected() {
        // Literal run longer than the input.
        assert_eq!(decompress_into(b"\x05ab", &mut [0u8; 16]), None);
        // Back reference before the start of the output.
        assert_eq!(decompress_into(b"\x20\x00", &mut [0u8; 16]), None);
        assert_eq!(decompress_into(b"\x00a\x20\x05", &mut [0u8; 16]), None);
        // Truncated back reference (missing offset / length bytes).
        assert_eq!(decompress_into(b"\x00a\x20", &mut [0u8; 16]), None);
        assert_eq!(decompress_into(b"\x00a\xe0", &mut [0u8; 16]), None);
        assert_eq!(decompress_into(b"\x00a\xe0\x01", &mut [0u8; 16]), None);
        // Output too small.
        assert_eq!(decompress_into(b"\x02abc", &mut [0u8; 2]), None);
        assert_eq!(decompress_into(b"\x00a\x20\x00", &mut [0u8; 3]), None);
        // Wrong expected length.
        assert_eq!(decompress(b"\x02abc", 4), None);
        assert_eq!(decompress(b"\x02abc", 3).unwrap(), b"abc");
    }

    #[test]
    fn random_garbage_never_panics() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let n = rng.below(64) as usize;
            let data: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            let mut out = vec![0u8; rng.below(200) as usize];
            let _ = decompress_into(&data, &mut out);
        }
    }

    #[test]
    fn round_trips_of_many_shapes() {
        let mut rng = Rng(42);
        roundtrip(b"hello hello hello hello");
        roundtrip(&[0u8; 100_000]);
        roundtrip(&(0..=255u8).cycle().take(70_000).collect::<Vec<_>>());
        for _ in 0..500 {
            let n = rng.below(3000) as usize;
            // Small alphabets give many matches of every length.
            let alpha = 1 + rng.below(8);
            let data: Vec<u8> = (0..n).map(|_| b'a' + rng.below(alpha) as u8).collect();
            roundtrip(&data);
            let data: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            roundtrip(&data);
        }
    }

    /// With a tight output limit the compressor either fits or gives up;
    /// whatever it returns decodes to the input.
    #[test]
    fn tight_output_limits_are_respected() {
        let mut rng = Rng(7);
        for _ in 0..3000 {
            let n = 1 + rng.below(400) as usize;
            let alpha = 1 + rng.below(4);
            let data: Vec<u8> = (0..n).map(|_| b'a' + rng.below(alpha) as u8).collect();
            let limit = rng.below(n as u64 + 40) as usize;
            let mut out = vec![0u8; limit];
            let got = compress_into(&data, &mut out);
            assert!(got <= limit);
            if got > 0 {
                assert_eq!(decompress(&out[..got], n).unwrap(), data);
            }
        }
    }

    /// Incompressible data does not fit in less than its own size, which is
    /// how callers detect "not worth it".
    #[test]
    fn incompressible_data_fails_with_a_smaller_budget() {
        let mut rng = Rng(99);
        let data: Vec<u8> = (0..1000).map(|_| rng.next() as u8).collect();
        assert_eq!(compress(&data, data.len() - 4), None);
    }

    /// Each call behaves as if the table were fresh: the same input always
    /// gives the same stream, whatever was compressed before.
    #[test]
    fn output_does_not_depend_on_earlier_calls() {
        let a: Vec<u8> = b"abcdefgh".repeat(50);
        let first = compress(&a, 1000).unwrap();
        let _ = compress(&b"xyzxyzxyz".repeat(100), 2000);
        assert_eq!(compress(&a, 1000).unwrap(), first);
    }
}
