//! Exact conversions between text and binary floating point, shared by the
//! `f64` helpers and `LongDouble`. This is the part of glibc's `strtod`,
//! `strtold` and `printf("%.17g" / "%.17Lf" / "%.17Lg")` that Redis' util.c
//! leans on, rebuilt so that every result is bit-for-bit what glibc gives:
//!
//! * Parsing is correctly rounded (nearest, ties to even), with gradual
//!   underflow, for any binary format given as a `Format`, except for the
//!   one subnormal corner where glibc is not, which `round_parsed` copies.
//! * Formatting rounds the *exact* binary value to the requested decimal
//!   digits, ties to even, as glibc does in the default rounding mode.
//!
//! A finite binary value is always handled as `mant * 2^exp` with an integer
//! mantissa. Common magnitudes stay in u128 arithmetic; the rest go through
//! the `Big` helper.

use super::bignum::Big;

/// A binary floating point format: `prec` significant bits, the exponent of
/// the least significant bit of the smallest subnormal, and the largest
/// exponent the top bit may have.
pub(super) struct Format {
    pub prec: u32,
    pub min_lsb: i64,
    pub max_top: i64,
}

/// IEEE double.
pub(super) const F64: Format = Format {
    prec: 53,
    min_lsb: -1074,
    max_top: 1023,
};

/// x87 80-bit extended, C's `long double` on x86-64.
pub(super) const F80: Format = Format {
    prec: 64,
    min_lsb: -16445,
    max_top: 16383,
};

/// The syntax `strtod` accepts, restricted to what Redis lets through: the
/// whole input must be consumed, leading white space is refused (Redis'
/// `isspace(buf[0])` check), and NaN is refused later anyway, so it is simply
/// not recognised here.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Scanned<'a> {
    Inf {
        neg: bool,
    },
    /// `int.frac x 10^exp` (either digit run may be empty, not both).
    Decimal {
        neg: bool,
        int: &'a [u8],
        frac: &'a [u8],
        exp: i64,
    },
    /// `0x int.frac x 2^exp`, digits in hex, the prefix stripped.
    Hex {
        neg: bool,
        int: &'a [u8],
        frac: &'a [u8],
        exp: i64,
    },
}

/// Exponents are clamped well past anything that can change a result, so
/// that absurd exponent strings neither overflow nor matter.
const EXP_CLAMP: i64 = 1 << 40;

pub(super) fn scan(b: &[u8]) -> Option<Scanned<'_>> {
    let (neg, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
        return Some(Scanned::Inf { neg });
    }
    // strtod takes "0x" as a hex prefix only if a hex digit follows (after an
    // optional point); otherwise it reads the "0" and stops at the 'x'.
    if rest.len() > 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        let body = &rest[2..];
        let (int, frac, tail) = split_mantissa(body, |c| c.is_ascii_hexdigit());
        if !int.is_empty() || !frac.is_empty() {
            let exp = scan_exponent(tail, b'p')?;
            return Some(Scanned::Hex {
                neg,
                int,
                frac,
                exp,
            });
        }
        return None;
    }
    let (int, frac, tail) = split_mantissa(rest, |c| c.is_ascii_digit());
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let exp = scan_exponent(tail, b'e')?;
    Some(Scanned::Decimal {
        neg,
        int,
        frac,
        exp,
    })
}

/// Splits `digits [. digits]` off the front; returns (int, frac, rest).
fn split_mantissa(b: &[u8], is_digit: impl Fn(u8) -> bool) -> (&[u8], &[u8], &[u8]) {
    let n = b.iter().take_while(|&&c| is_digit(c)).count();
    let (int, rest) = b.split_at(n);
    match rest.split_first() {
        Some((b'.', after)) => {
            let m = after.iter().take_while(|&&c| is_digit(c)).count();
            let (frac, rest) = after.split_at(m);
            (int, frac, rest)
        }
        _ => (int, &[], rest),
    }
}

/// Parses the optional exponent that must end the input. `None` means
/// something else is left over (strtod would stop early: trailing garbage).
fn scan_exponent(b: &[u8], letter: u8) -> Option<i64> {
    let Some((&c, rest)) = b.split_first() else {
        return Some(0);
    };
    if (c | 0x20) != letter {
        return None;
    }
    let (neg, digits) = match rest.first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b'+') => (false, &rest[1..]),
        _ => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        v = (v * 10 + i64::from(d - b'0')).min(EXP_CLAMP);
    }
    Some(if neg { -v } else { v })
}

/// An exact or sticky-marked binary value `q * 2^exp`: when `sticky` is set
/// the true value is a little above (never a whole unit of q), and q then
/// has at least 66 significant bits so the sticky part sits below the
/// rounding bit of any format here.
pub(super) struct Unrounded {
    pub q: u128,
    pub sticky: bool,
    pub exp: i64,
}

/// What a parsed number is before rounding into a given format.
pub(super) enum Exact {
    Zero,
    /// Far above every format's range: strtod gives HUGE_VAL with ERANGE.
    Huge,
    /// Far below every format's smallest subnormal: 0 with ERANGE.
    Tiny,
    Value(Unrounded),
}

/// Bounds (in decimal orders of magnitude) beyond which a decimal input is
/// surely out of the long double range, so no big arithmetic is spent on it.
const DEC_HUGE: i64 = 5000;
const DEC_TINY: i64 = -5000;

/// Exact binary value of `int.frac x 10^exp`.
pub(super) fn decimal_exact(int: &[u8], frac: &[u8], exp: i64) -> Exact {
    // All digits as one integer D, so the value is D x 10^(exp - frac.len()).
    let mut digits: Vec<u8> = Vec::with_capacity(int.len() + frac.len());
    digits.extend_from_slice(int);
    digits.extend_from_slice(frac);
    let mut exp10 = exp - frac.len() as i64;
    let lead = digits.iter().take_while(|&&d| d == b'0').count();
    let trail = digits[lead..]
        .iter()
        .rev()
        .take_while(|&&d| d == b'0')
        .count();
    let sig = &digits[lead..digits.len() - trail];
    if sig.is_empty() {
        return Exact::Zero;
    }
    exp10 += trail as i64;
    // 10^(order-1) <= value < 10^order
    let order = exp10 + sig.len() as i64;
    if order > DEC_HUGE {
        return Exact::Huge;
    }
    if order < DEC_TINY {
        return Exact::Tiny;
    }
    let mut n = Big::from_decimal(sig);
    if exp10 >= 0 {
        n.mul_pow10(exp10 as u64);
        return Exact::Value(top_bits(&n, 0));
    }
    // value = D / 10^k. Scale so that the quotient has 66 or 67 bits: D is
    // shifted up when small; when large, the divisor is shifted up instead.
    // Either way the remainder only says whether the value is above q.
    let mut den = Big::from_u128(1);
    den.mul_pow10(exp10.unsigned_abs());
    let shift = 66 + den.bit_len() as i64 - n.bit_len() as i64;
    if shift >= 0 {
        n.shl(shift as u64);
    } else {
        den.shl(shift.unsigned_abs());
    }
    let q = n.div_rem_small_quotient(&den);
    Exact::Value(Unrounded {
        q,
        sticky: !n.is_zero(),
        exp: -shift,
    })
}

/// Exact binary value of `0x int.frac p exp`.
pub(super) fn hex_exact(int: &[u8], frac: &[u8], exp: i64) -> Exact {
    let mut digits: Vec<u8> = Vec::with_capacity(int.len() + frac.len());
    digits.extend_from_slice(int);
    digits.extend_from_slice(frac);
    let lead = digits.iter().take_while(|&&d| d == b'0').count();
    let sig = &digits[lead..];
    if sig.is_empty() {
        return Exact::Zero;
    }
    let exp2 = exp - 4 * frac.len() as i64;
    let order = exp2 + 4 * sig.len() as i64; // value < 2^order
    if order > 4 * DEC_HUGE {
        return Exact::Huge;
    }
    if order < 4 * DEC_TINY {
        return Exact::Tiny;
    }
    // 32 hex digits fill a u128 (at least 125 significant bits); later
    // digits can only tip a tie, so they become the sticky bit. This keeps
    // the work linear however long the input (string2d has no length cap).
    let (kept, dropped) = sig.split_at(sig.len().min(32));
    let q = kept.iter().fold(0u128, |acc, &d| {
        (acc << 4) | u128::from((d as char).to_digit(16).unwrap_or(0))
    });
    Exact::Value(Unrounded {
        q,
        sticky: dropped.iter().any(|&d| d != b'0'),
        exp: exp2 + 4 * dropped.len() as i64,
    })
}

/// `n x 2^exp` as an Unrounded keeping the top 128 bits of n.
fn top_bits(n: &Big, exp: i64) -> Unrounded {
    match n.to_u128() {
        Some(q) => Unrounded {
            q,
            sticky: false,
            exp,
        },
        None => {
            let drop = n.bit_len() - 128;
            let mut top = n.clone();
            top.shr(drop);
            Unrounded {
                q: top.to_u128().unwrap_or(u128::MAX),
                sticky: n.any_bits_below(drop),
                exp: exp + drop as i64,
            }
        }
    }
}

/// A value rounded into a format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Rounded {
    /// `mant * 2^exp`, mant < 2^prec; normal values have the top bit set,
    /// subnormals have exp == min_lsb; zero is mant 0.
    Finite {
        mant: u64,
        exp: i64,
    },
    Overflow,
}

/// Rounds `u` to nearest, ties to even, into `fmt`.
pub(super) fn round(u: &Unrounded, fmt: &Format) -> Rounded {
    if u.q == 0 {
        return Rounded::Finite {
            mant: 0,
            exp: fmt.min_lsb,
        };
    }
    let len = i64::from(128 - u.q.leading_zeros());
    let top = u.exp + len - 1;
    let mut lsb = (top - (i64::from(fmt.prec) - 1)).max(fmt.min_lsb);
    let shift = lsb - u.exp;
    let mut wide = if shift <= 0 {
        // Exact: fewer bits than the format holds (sticky needs >= 66 bits).
        debug_assert!(!u.sticky);
        u.q << (-shift) as u32
    } else if shift > 128 {
        0 // below half of the smallest subnormal
    } else {
        let kept = if shift == 128 { 0 } else { u.q >> shift };
        let rem = if shift == 128 {
            u.q
        } else {
            u.q - (kept << shift)
        };
        let half = 1u128 << (shift - 1);
        let up = rem > half || (rem == half && (u.sticky || kept & 1 == 1));
        kept + u128::from(up)
    };
    if wide == 1u128 << fmt.prec {
        // Rounding carried into a new binade.
        wide >>= 1;
        lsb += 1;
    }
    let mant = wide as u64;
    if mant != 0 && lsb + 63 - i64::from(mant.leading_zeros()) > fmt.max_top {
        return Rounded::Overflow;
    }
    Rounded::Finite { mant, exp: lsb }
}

/// Rounds a parsed number exactly as glibc 2.36's `strtod`/`strtold` do,
/// which is `round` except for one quirk in subnormal results (strtod_l.c,
/// `round_and_return`): glibc keeps the first `prec` significant bits plus a
/// separate "round bit" and "more bits" flag, and when it shifts a subnormal
/// into place it folds the bits below the round bit into "more bits" but
/// loses the round bit itself. So a value whose only nonzero bit below the
/// first `prec` is that next bit reads as an exact tie. Hex input reaches
/// this easily ("0x1fc9ebe184852e.d41p-16440"), decimal input only for
/// doubles in [2^-1023, 2^-1022) (see `parse_f64`).
pub(super) fn round_parsed(u: &Unrounded, fmt: &Format) -> Rounded {
    let len = i64::from(128 - u.q.leading_zeros());
    let top = u.exp + len - 1;
    let min_normal_top = fmt.min_lsb + i64::from(fmt.prec) - 1;
    let prec = i64::from(fmt.prec);
    if u.q != 0 && top < min_normal_top && len > prec {
        let lost = 1u128 << (len - prec - 1);
        let q = u.q & !lost;
        return round(
            &Unrounded {
                q,
                sticky: u.sticky,
                exp: u.exp,
            },
            fmt,
        );
    }
    round(u, fmt)
}

/// glibc reads decimal digits only down to 10^-(prec - min_exp + 2), i.e.
/// 10^-1076 for doubles, and notes whether anything nonzero lies beyond;
/// that is what its subnormal quirk then sees. Returns the exact value of
/// the kept digits with the "beyond" flag folded into the sticky bit.
pub(super) fn decimal_exact_truncated(int: &[u8], frac: &[u8], exp: i64, cutoff: i64) -> Exact {
    let mut digits: Vec<u8> = Vec::with_capacity(int.len() + frac.len());
    digits.extend_from_slice(int);
    digits.extend_from_slice(frac);
    let exp10 = exp - frac.len() as i64;
    // Digits below 10^-cutoff go; the lowest kept one is then at 10^-cutoff.
    let drop = (-cutoff - exp10).clamp(0, digits.len() as i64) as usize;
    let beyond = digits[digits.len() - drop..].iter().any(|&d| d != b'0');
    digits.truncate(digits.len() - drop);
    match decimal_exact(&digits, &[], exp10 + drop as i64) {
        Exact::Value(mut u) => {
            u.sticky |= beyond;
            Exact::Value(u)
        }
        Exact::Zero if beyond => Exact::Tiny,
        other => other,
    }
}

// ---------------------------------------------------------------------------
// Formatting.

/// 10^0 ..= 10^38, everything a u128 holds.
const fn pow10_table() -> [u128; 39] {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
}
static POW10: [u128; 39] = pow10_table();

/// An integer produced by scaled rounding: u128 when it fits.
enum Int {
    Small(u128),
    Big(Big),
}

impl Int {
    fn write_decimal(&self, out: &mut Vec<u8>) {
        match self {
            Int::Small(v) => write_u128(out, *v),
            Int::Big(b) => b.write_decimal(out),
        }
    }
}

pub(super) fn write_u128(out: &mut Vec<u8>, v: u128) {
    let mut buf = [0u8; 39];
    out.extend_from_slice(u128_digits(v, &mut buf));
}

/// The decimal digits of `v`, written at the end of `buf` (no allocation).
fn u128_digits(mut v: u128, buf: &mut [u8; 39]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

/// round(mant * 2^exp * 10^scale), ties to even, computed exactly.
fn scaled_round(mant: u64, exp: i64, scale: i64) -> Int {
    if let Some(v) = scaled_round_small(mant, exp, scale) {
        return Int::Small(v);
    }
    let mut num = Big::from_u128(u128::from(mant));
    if exp > 0 {
        num.shl(exp as u64);
    }
    if scale > 0 {
        num.mul_pow10(scale as u64);
    }
    if scale >= 0 {
        // The divisor is a power of two: a shift, and the shifted-out bits
        // decide the rounding.
        let sh = exp.min(0).unsigned_abs();
        if sh == 0 {
            return Int::Big(num);
        }
        let half = num.bit(sh - 1);
        let rest = num.any_bits_below(sh - 1);
        num.shr(sh);
        if half && (rest || num.bit(0)) {
            num.add_small(1);
        }
        return match num.to_u128() {
            Some(v) => Int::Small(v),
            None => Int::Big(num),
        };
    }
    // Dividing by a power of ten (and maybe of two): the callers only get
    // here with quotients of at most 18 digits.
    let mut den = Big::from_u128(1);
    den.mul_pow10(scale.unsigned_abs());
    if exp < 0 {
        den.shl(exp.unsigned_abs());
    }
    let q = num.div_rem_small_quotient(&den);
    num.shl(1); // compare 2 * remainder with the divisor
    let up = match num.cmp(&den) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => q & 1 == 1,
        std::cmp::Ordering::Less => false,
    };
    Int::Small(q + u128::from(up))
}

/// The u128 fast path of `scaled_round`, None if an operand would not fit.
fn scaled_round_small(mant: u64, exp: i64, scale: i64) -> Option<u128> {
    let mut num = u128::from(mant);
    let mut den = 1u128;
    if exp >= 0 {
        if exp >= i64::from(num.leading_zeros()) {
            return None;
        }
        num <<= exp;
    } else {
        if exp < -127 {
            return None;
        }
        den <<= -exp;
    }
    let p = *POW10.get(scale.unsigned_abs() as usize)?;
    if scale >= 0 {
        num = num.checked_mul(p)?;
    } else {
        den = den.checked_mul(p)?;
    }
    let (q, r) = (num / den, num % den);
    let up = r > den - r || (r == den - r && q & 1 == 1);
    Some(q + u128::from(up))
}

/// Appends `|mant * 2^exp|` as C's `%.{frac}f` would print it (no sign).
pub(super) fn write_fixed(out: &mut Vec<u8>, mant: u64, exp: i64, frac: u32) {
    let r = scaled_round(mant, exp, i64::from(frac));
    let start = out.len();
    r.write_decimal(out);
    let frac = frac as usize;
    let n = out.len() - start;
    if n <= frac {
        // Pad so there is one integer digit: 5 with frac 3 -> 0.005.
        out.splice(start..start, std::iter::repeat_n(b'0', frac + 1 - n));
    }
    if frac > 0 {
        let at = out.len() - frac;
        out.insert(at, b'.');
    }
}

/// Appends `|mant * 2^exp|` (mant != 0) as C's `%.{prec}g` would print it,
/// for 1 <= prec <= 17 (no sign, no '#' flag: trailing zeros dropped).
pub(super) fn write_general(out: &mut Vec<u8>, mant: u64, exp: i64, prec: u32) {
    debug_assert!(mant != 0 && (1..=17).contains(&prec));
    let p = i64::from(prec);
    let lo = POW10[prec as usize - 1];
    let hi = POW10[prec as usize];
    // Estimate the decimal exponent from the binary one, then fix it up.
    let top = exp + 63 - i64::from(mant.leading_zeros());
    let mut k = (top as f64 * std::f64::consts::LOG10_2).floor() as i64;
    let digits = loop {
        let r = match scaled_round(mant, exp, p - 1 - k) {
            Int::Small(v) => v,
            Int::Big(_) => u128::MAX, // cannot happen: treat as too large
        };
        if r >= hi {
            k += 1; // estimate too low, or rounding carried into a new digit
        } else if r < lo {
            k -= 1;
        } else {
            break r;
        }
    };
    let mut scratch = [0u8; 39];
    let buf = u128_digits(digits, &mut scratch);
    if k < -4 || k >= p {
        // Exponential style: d.ddd e±XX
        out.push(buf[0]);
        let rest = trim_zeros(&buf[1..]);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        out.push(b'e');
        out.push(if k < 0 { b'-' } else { b'+' });
        if k.abs() < 10 {
            out.push(b'0');
        }
        write_u128(out, u128::from(k.unsigned_abs()));
    } else if k >= 0 {
        let (int, frac) = buf.split_at(k as usize + 1);
        out.extend_from_slice(int);
        let frac = trim_zeros(frac);
        if !frac.is_empty() {
            out.push(b'.');
            out.extend_from_slice(frac);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-k - 1) as usize));
        out.extend_from_slice(trim_zeros(buf));
    }
}

fn trim_zeros(b: &[u8]) -> &[u8] {
    let n = b.iter().rev().take_while(|&&c| c == b'0').count();
    &b[..b.len() - n]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(m: u64, e: i64, f: u32) -> String {
        let mut v = Vec::new();
        write_fixed(&mut v, m, e, f);
        String::from_utf8(v).unwrap()
    }

    fn general(m: u64, e: i64) -> String {
        let mut v = Vec::new();
        write_general(&mut v, m, e, 17);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn scan_accepts_strtod_syntax_only() {
        assert!(matches!(
            scan(b"1.5e3"),
            Some(Scanned::Decimal { exp: 3, .. })
        ));
        assert!(matches!(
            scan(b"-.5"),
            Some(Scanned::Decimal { neg: true, .. })
        ));
        assert!(matches!(scan(b"5."), Some(Scanned::Decimal { .. })));
        assert!(matches!(
            scan(b"0x1p-2"),
            Some(Scanned::Hex { exp: -2, .. })
        ));
        assert!(matches!(scan(b"0X.8"), Some(Scanned::Hex { .. })));
        assert!(matches!(
            scan(b"-INFinity"),
            Some(Scanned::Inf { neg: true })
        ));
        for bad in [
            &b""[..],
            b".",
            b"e5",
            b"1e",
            b"1e+",
            b"0x",
            b"0x.",
            b"0xg",
            b"0x1p",
            b" 1",
            b"1 ",
            b"nan",
            b"infin",
            b"+-1",
            b"1.5.2",
            b"1\0",
        ] {
            assert_eq!(scan(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rounding_ties_to_even_and_carries() {
        let r = |q: u128, e: i64| {
            round(
                &Unrounded {
                    q,
                    sticky: false,
                    exp: e,
                },
                &F64,
            )
        };
        // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: even wins.
        assert_eq!(
            r((1 << 53) + 1, 0),
            Rounded::Finite {
                mant: 1 << 52,
                exp: 1
            }
        );
        assert_eq!(
            r((1 << 53) + 3, 0),
            Rounded::Finite {
                mant: (1 << 52) + 2,
                exp: 1
            }
        );
        // All ones rounds up into the next binade.
        assert_eq!(
            r((1 << 54) - 1, 0),
            Rounded::Finite {
                mant: 1 << 52,
                exp: 2
            }
        );
        assert_eq!(r(1, 1024), Rounded::Overflow);
        assert_eq!(
            r(1, -1075),
            Rounded::Finite {
                mant: 0,
                exp: -1074
            }
        );
        assert_eq!(
            r(3, -1076),
            Rounded::Finite {
                mant: 1,
                exp: -1074
            }
        );
        let r80 = |q: u128| {
            round(
                &Unrounded {
                    q,
                    sticky: false,
                    exp: 0,
                },
                &F80,
            )
        };
        assert_eq!(
            r80(u128::MAX),
            Rounded::Finite {
                mant: 1 << 63,
                exp: 65
            }
        );
    }

    #[test]
    fn fixed_and_general_digits() {
        assert_eq!(fixed(1, -3, 2), "0.12"); // 0.125: tie to even
        assert_eq!(fixed(3, -3, 2), "0.38");
        assert_eq!(fixed(5, 0, 3), "5.000");
        assert_eq!(
            fixed(1, 200, 0),
            "1606938044258990275541962092341162602522202993782792835301376"
        );
        assert_eq!(general(1, 0), "1");
        assert_eq!(general(1, -1), "0.5");
        assert_eq!(general(1, 70), "1.1805916207174113e+21");
        assert_eq!(general(1, -20), "9.5367431640625e-07");
        assert_eq!(general(1, -14), "6.103515625e-05");
        assert_eq!(general(1, -13), "0.0001220703125");
    }
}
