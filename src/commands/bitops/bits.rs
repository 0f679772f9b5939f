//! The bit-level algorithms behind the bitmap and bitfield commands (the
//! helpers at the top of Redis' bitops.c), on plain byte slices so they can
//! be tested without a server.
//!
//! Bit numbering is Redis': bit 0 is the most significant bit of byte 0,
//! bit 8 the most significant bit of byte 1, and so on, so a bitmap reads
//! left to right like the string's bytes written out in binary. A bitfield
//! of N bits at offset O is the N bits O..O+N read in that order as a
//! big-endian integer.
//!
//! Nothing here indexes past a slice: reads beyond the end see zero bits
//! (strings are virtually padded with zeros on the right), writes beyond
//! the end are dropped (callers grow the string first).

/// Number of bits set in `p`. Uses the POPCNT instruction when the CPU
/// has it (the build targets baseline x86-64, which lacks it, so the
/// check is made at run time and cached by std).
pub fn popcount(p: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("popcnt") {
        // SAFETY: popcount_hw only needs POPCNT, which the CPU was just
        // found to support.
        return unsafe { popcount_hw(p) };
    }
    popcount_words(p)
}

/// `popcount_words` compiled with POPCNT enabled: `count_ones` becomes one
/// instruction per word instead of a dozen shifts and masks.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn popcount_hw(p: &[u8]) -> u64 {
    popcount_words(p)
}

/// Eight bytes at a time with `count_ones`, in four independent
/// accumulators so the additions do not serialise.
#[inline(always)]
fn popcount_words(p: &[u8]) -> u64 {
    let mut chunks = p.chunks_exact(32);
    let mut acc = [0u64; 4];
    for c in &mut chunks {
        for (k, a) in acc.iter_mut().enumerate() {
            *a += u64::from(word_at(c, k * 8).count_ones());
        }
    }
    let mut total = acc.iter().sum::<u64>();
    let rest = chunks.remainder();
    let mut words = rest.chunks_exact(8);
    for w in &mut words {
        total += u64::from(word_at(w, 0).count_ones());
    }
    total
        + words
            .remainder()
            .iter()
            .map(|b| u64::from(b.count_ones()))
            .sum::<u64>()
}

/// The 8 bytes at `at` as a native-endian word (0 if out of range, which
/// the callers' chunking rules out).
#[inline]
fn word_at(p: &[u8], at: usize) -> u64 {
    p.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_ne_bytes)
}

/// Position of the first bit equal to `bit` in `p`, or None. Whole words
/// made only of the other bit value are skipped eight bytes at a time:
/// long runs of zeros (or ones) are the common case in a sparse bitmap.
pub fn first_bit(p: &[u8], bit: bool) -> Option<u64> {
    let skip_byte = if bit { 0u8 } else { 0xff };
    let skip_word = if bit { 0u64 } else { u64::MAX };
    let mut words = p.chunks_exact(8);
    let mut base = 0usize;
    for w in &mut words {
        if word_at(w, 0) != skip_word {
            break;
        }
        base += 8;
    }
    let tail = p.get(base..).unwrap_or(&[]);
    tail.iter().position(|&b| b != skip_byte).and_then(|i| {
        let b = *tail.get(i)?;
        let v = if bit { b } else { !b };
        Some((base + i) as u64 * 8 + u64::from(v.leading_zeros()))
    })
}

/// Position of the first bit equal to `bit` among bits `first..=last` of
/// `p` (bit numbers), or None. Requires `first <= last`; bits past the end
/// of `p` count as zero.
pub fn first_bit_in(p: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
    let (fb, lb) = (first / 8, last / 8);
    // Masks of the bits of the first and last byte that are in range.
    let head_mask = 0xffu8 >> (first & 7);
    let tail_mask = (0xff00u16 >> ((last & 7) + 1)) as u8;
    // Looks for `bit` among the `mask` bits of byte `idx`.
    let probe = |idx: u64, mask: u8| -> Option<u64> {
        let b = usize::try_from(idx).ok().and_then(|i| p.get(i)).copied();
        let b = b.unwrap_or(0);
        let v = if bit { b } else { !b } & mask;
        (v != 0).then(|| idx * 8 + u64::from(v.leading_zeros()))
    };
    if fb == lb {
        return probe(fb, head_mask & tail_mask);
    }
    if let Some(pos) = probe(fb, head_mask) {
        return Some(pos);
    }
    let middle = slice(p, fb + 1, lb);
    if let Some(pos) = first_bit(middle, bit) {
        return Some((fb + 1) * 8 + pos);
    }
    // Middle bytes past the end of `p` are zeros: a clear bit is there.
    if !bit && (middle.len() as u64) < lb - fb - 1 {
        return Some((fb + 1 + middle.len() as u64) * 8);
    }
    probe(lb, tail_mask)
}

/// Bytes `from..to` of `p`, cut to what exists.
fn slice(p: &[u8], from: u64, to: u64) -> &[u8] {
    let len = p.len() as u64;
    let (from, to) = (from.min(len) as usize, to.min(len) as usize);
    p.get(from..to.max(from)).unwrap_or(&[])
}

/// Number of set bits among bits `first..=last` of `p` (`first <= last`).
pub fn count_bits_in(p: &[u8], first: u64, last: u64) -> u64 {
    let (fb, lb) = (first / 8, last / 8);
    let mut n = popcount(slice(p, fb, lb + 1));
    // Take away the bits of the edge bytes that fall outside the range.
    let byte = |i: u64| usize::try_from(i).ok().and_then(|i| p.get(i)).copied();
    let before = !(0xffu8 >> (first & 7));
    let after = (0xffu16 >> ((last & 7) + 1)) as u8;
    n -= u64::from((byte(fb).unwrap_or(0) & before).count_ones());
    n -= u64::from((byte(lb).unwrap_or(0) & after).count_ones());
    n
}

/// The `bits`-wide (1..=64) unsigned field at bit `offset`, zero-padded
/// past the end of `p`.
pub fn get_field(p: &[u8], offset: u64, bits: u32) -> u64 {
    let (window, shift) = load_window(p, offset);
    // The field's first bit is bit 71 - shift of the 72-bit window.
    let v = window >> (72 - shift - bits);
    if bits == 64 {
        v as u64
    } else {
        (v as u64) & ((1u64 << bits) - 1)
    }
}

/// `get_field` read as a two's complement signed integer.
pub fn get_signed_field(p: &[u8], offset: u64, bits: u32) -> i64 {
    let v = get_field(p, offset, bits);
    if bits < 64 && v & (1u64 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

/// Store the low `bits` bits of `value` at bit `offset`. Bytes past the
/// end of `p` are not written (the caller grows the string beforehand).
pub fn set_field(p: &mut [u8], offset: u64, bits: u32, value: u64) {
    let (window, shift) = load_window(p, offset);
    let low = 72 - shift - bits;
    let mask: u128 = ((1u128 << bits) - 1) << low;
    let window = (window & !mask) | ((u128::from(value) << low) & mask);
    let Ok(first) = usize::try_from(offset / 8) else {
        return;
    };
    for (i, b) in p.iter_mut().skip(first).take(9).enumerate() {
        *b = (window >> (64 - 8 * i)) as u8;
    }
}

/// The 9 bytes from the one holding bit `offset`, as the low 72 bits of a
/// u128 (first byte most significant), and the offset's bit within that
/// first byte. Nine bytes cover any 64-bit field at any alignment.
fn load_window(p: &[u8], offset: u64) -> (u128, u32) {
    let first = usize::try_from(offset / 8).unwrap_or(usize::MAX);
    let mut w = 0u128;
    for i in 0..9 {
        let b = first.checked_add(i).and_then(|j| p.get(j)).copied();
        w = (w << 8) | u128::from(b.unwrap_or(0));
    }
    (w, (offset & 7) as u32)
}

/// What BITFIELD does when a SET or INCRBY result does not fit.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// Whether `value + incr` overflows an unsigned field of `bits` (1..=63),
/// and if so the value to store under WRAP or SAT (ignored under FAIL).
///
/// The comparisons are those of Redis' checkUnsignedBitfieldOverflow,
/// including its wrapping 64-bit arithmetic, so that edge cases (values
/// set from negative numbers) give the same results.
pub fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = 0u64.wrapping_sub(value) as i64;
    let up = value > max || (incr > 0 && incr > max_incr);
    let down = !up && incr < 0 && incr < min_incr;
    if !up && !down {
        return None;
    }
    Some(match ow {
        Overflow::Sat if up => max,
        Overflow::Sat => 0,
        _ => value.wrapping_add(incr as u64) & max,
    })
}

/// The signed twin of `unsigned_overflow` for fields of 1..=64 bits,
/// following checkSignedBitfieldOverflow. Its quirk is kept: the
/// headroom `max - value` is computed in wrapping arithmetic, so a very
/// negative SET value can count as an overflow upwards and saturate to
/// the maximum (Redis 7.0 does the same).
pub fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max = if bits >= 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let narrow = bits != 64;
    let up =
        value > max || (narrow && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr);
    let down = !up
        && (value < min
            || (narrow && incr < min_incr)
            || (value < 0 && incr < 0 && incr < min_incr));
    if !up && !down {
        return None;
    }
    Some(match ow {
        Overflow::Sat if up => max,
        Overflow::Sat => min,
        _ => {
            // Add as unsigned, then sign-extend from the field's top bit.
            let c = (value as u64).wrapping_add(incr as u64);
            if narrow {
                let high = u64::MAX << bits;
                if c & (1u64 << (bits - 1)) != 0 {
                    (c | high) as i64
                } else {
                    (c & !high) as i64
                }
            } else {
                c as i64
            }
        }
    })
}

/// dst = dst OP src over the first `src.len()` bytes of `dst`, a word at a
/// time (the compiler vectorises the loop).
pub fn combine(dst: &mut [u8], src: &[u8], op: fn(u64, u64) -> u64) {
    let n = dst.len().min(src.len());
    let (d, s) = (&mut dst[..n], &src[..n]);
    let mut dw = d.chunks_exact_mut(8);
    let mut sw = s.chunks_exact(8);
    for (a, b) in (&mut dw).zip(&mut sw) {
        let r = op(word_at(a, 0), word_at(b, 0));
        a.copy_from_slice(&r.to_ne_bytes());
    }
    for (a, b) in dw.into_remainder().iter_mut().zip(sw.remainder()) {
        *a = op(u64::from(*a), u64::from(*b)) as u8;
    }
}

/// Invert every bit of `p`, a word at a time.
pub fn invert(p: &mut [u8]) {
    let mut words = p.chunks_exact_mut(8);
    for w in &mut words {
        let r = !word_at(w, 0);
        w.copy_from_slice(&r.to_ne_bytes());
    }
    for b in words.into_remainder() {
        *b = !*b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_bit(p: &[u8], i: u64) -> bool {
        p.get((i / 8) as usize)
            .is_some_and(|b| b & (0x80 >> (i % 8)) != 0)
    }

    /// A deterministic pseudo-random byte string (xorshift).
    fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn popcount_matches_byte_by_byte_count() {
        for n in [0, 1, 7, 8, 9, 31, 32, 33, 100, 1000] {
            let p = noise(n, n as u64 + 3);
            let want: u64 = p.iter().map(|b| u64::from(b.count_ones())).sum();
            assert_eq!(popcount(&p), want, "len {n}");
            assert_eq!(popcount_words(&p), want, "portable, len {n}");
        }
        // "foobar" has 26 set bits (BITCOUNT foobar in the Redis docs).
        assert_eq!(popcount(b"foobar"), 26);
    }

    #[test]
    fn count_bits_in_a_bit_range() {
        // Redis: SET s foobar; BITCOUNT s 5 30 BIT -> 17, BITCOUNT s 1 1 -> 6.
        assert_eq!(count_bits_in(b"foobar", 5, 30), 17);
        assert_eq!(count_bits_in(b"foobar", 8, 15), 6);
        let p = noise(50, 9);
        for (a, b) in [(0, 0), (3, 3), (3, 12), (7, 8), (0, 399), (13, 250)] {
            let want = (a..=b).filter(|&i| naive_bit(&p, i)).count() as u64;
            assert_eq!(count_bits_in(&p, a, b), want, "{a}..={b}");
        }
    }

    #[test]
    fn first_bit_skips_words_of_the_other_value() {
        let mut p = vec![0u8; 40];
        assert_eq!(first_bit(&p, true), None);
        assert_eq!(first_bit(&p, false), Some(0));
        p[33] = 0x10;
        assert_eq!(first_bit(&p, true), Some(33 * 8 + 3));
        let mut q = vec![0xffu8; 40];
        assert_eq!(first_bit(&q, false), None);
        q[17] = 0xfe;
        assert_eq!(first_bit(&q, false), Some(17 * 8 + 7));
    }

    #[test]
    fn first_bit_in_respects_both_edges() {
        // Redis: SET s "\xff\xf0\x00"; BITPOS s 0 -> 12, BITPOS s 1 2 -1 -> -1,
        // BITPOS s 1 7 15 BIT -> 7; SET t "\x00\xff\xf0"; BITPOS t 1 0 -> 8.
        assert_eq!(first_bit_in(b"\xff\xf0\x00", false, 0, 23), Some(12));
        assert_eq!(first_bit_in(b"\xff\xf0\x00", true, 16, 23), None);
        assert_eq!(first_bit_in(b"\xff\xf0\x00", true, 7, 15), Some(7));
        assert_eq!(first_bit_in(b"\x00\xff\xf0", true, 0, 23), Some(8));
        let p = noise(64, 77);
        for bit in [false, true] {
            for (a, b) in [(0, 0), (5, 6), (5, 300), (9, 511), (100, 101)] {
                let want = (a..=b).find(|&i| naive_bit(&p, i) == bit);
                assert_eq!(first_bit_in(&p, bit, a, b), want, "{bit} {a}..={b}");
            }
        }
    }

    #[test]
    fn fields_round_trip_at_any_alignment() {
        let mut p = vec![0u8; 16];
        // Redis' example: u5 = 23 at offset 7 gives 00000001 01110000.
        set_field(&mut p, 7, 5, 23);
        assert_eq!(&p[..2], &[0b0000_0001, 0b0111_0000]);
        assert_eq!(get_field(&p, 7, 5), 23);
        for bits in [1, 7, 8, 13, 32, 63, 64] {
            for off in [0, 1, 7, 9, 40] {
                let mut q = noise(16, bits as u64 * 31 + off);
                let before = q.clone();
                let v = 0x9e37_79b9_7f4a_7c15u64;
                set_field(&mut q, off, bits, v);
                let mask = if bits == 64 {
                    u64::MAX
                } else {
                    (1 << bits) - 1
                };
                assert_eq!(get_field(&q, off, bits), v & mask);
                // Bits outside the field are untouched.
                for i in 0..128 {
                    if i < off || i >= off + u64::from(bits) {
                        assert_eq!(naive_bit(&q, i), naive_bit(&before, i));
                    }
                }
            }
        }
    }

    #[test]
    fn fields_past_the_end_read_as_zero() {
        assert_eq!(get_field(b"\xff", 4, 8), 0xf0);
        assert_eq!(get_field(b"", 1000, 64), 0);
        // Redis: SET k "\xff"; BITFIELD k GET i8 0 -> -1, GET i4 4 -> -1.
        assert_eq!(get_signed_field(b"\xff", 0, 8), -1);
        assert_eq!(get_signed_field(b"\xff", 4, 4), -1);
        assert_eq!(get_signed_field(b"\x7f", 0, 8), 127);
    }

    #[test]
    fn unsigned_overflow_wraps_and_saturates() {
        // Redis: BITFIELD k SET u8 0 255 INCRBY u8 0 10 -> 255 9 (WRAP).
        assert_eq!(unsigned_overflow(255, 10, 8, Overflow::Wrap), Some(9));
        assert_eq!(unsigned_overflow(255, 10, 8, Overflow::Sat), Some(255));
        assert_eq!(unsigned_overflow(3, -10, 8, Overflow::Sat), Some(0));
        assert_eq!(unsigned_overflow(3, -10, 8, Overflow::Wrap), Some(249));
        assert_eq!(unsigned_overflow(3, 10, 8, Overflow::Fail), None);
        // SET u8 0 -1: the value itself is out of range (as u64 it is huge).
        assert_eq!(unsigned_overflow(u64::MAX, 0, 8, Overflow::Wrap), Some(255));
    }

    #[test]
    fn signed_overflow_wraps_and_saturates() {
        // Redis: SET i8 0 127 then INCRBY i8 0 1 -> -128 (WRAP), 127 (SAT).
        assert_eq!(signed_overflow(127, 1, 8, Overflow::Wrap), Some(-128));
        assert_eq!(signed_overflow(127, 1, 8, Overflow::Sat), Some(127));
        assert_eq!(signed_overflow(-128, -1, 8, Overflow::Sat), Some(-128));
        assert_eq!(signed_overflow(-128, -1, 8, Overflow::Wrap), Some(127));
        assert_eq!(signed_overflow(100, -200, 8, Overflow::Fail), None);
        assert_eq!(
            signed_overflow(i64::MAX, 1, 64, Overflow::Wrap),
            Some(i64::MIN)
        );
        assert_eq!(
            signed_overflow(i64::MIN, -1, 64, Overflow::Sat),
            Some(i64::MIN)
        );
        // Redis' quirk, checked against redis-server 7.0.15:
        // BITFIELD k OVERFLOW SAT SET i8 0 -9223372036854775808 stores 127.
        assert_eq!(signed_overflow(i64::MIN, 0, 8, Overflow::Sat), Some(127));
    }

    #[test]
    fn combine_and_invert_work_on_unaligned_tails() {
        let a = noise(21, 5);
        let b = noise(21, 6);
        let mut d = a.clone();
        combine(&mut d, &b, |x, y| x & y);
        let want: Vec<u8> = a.iter().zip(&b).map(|(x, y)| x & y).collect();
        assert_eq!(d, want);
        let mut e = a.clone();
        combine(&mut e, &b[..11], |x, y| x ^ y);
        assert_eq!(e[10], a[10] ^ b[10]);
        assert_eq!(e[11..], a[11..]);
        invert(&mut e);
        assert_eq!(e[20], !a[20]);
    }
}
