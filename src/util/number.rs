//! Number <-> text conversions with Redis 7.0.15's exact rules (util.c:
//! string2ll, string2ull, string2d, ll2string, d2string,
//! fixedpoint_d2string; networking.c addReplyDouble; object.c
//! getIntFromObjectOrReply), plus `LongDouble`, a software x87 long double
//! for INCRBYFLOAT and friends.
//!
//! Redis accepts and prints numbers through libc (`strtod`, `strtold`,
//! `printf`), so "exact" here means "exactly what glibc 2.36 on x86-64
//! does": correctly rounded parsing (plus glibc's one subnormal misrounding,
//! reproduced on purpose, see float::round_parsed), and printing that rounds
//! the exact binary value to the requested digits, ties to even. The integer
//! writers and the common `%.17g` cases are on the reply hot path and do not
//! allocate.

mod bignum;
mod float;
mod longdouble;

pub use longdouble::LongDouble;

/// Redis' LONG_STR_SIZE: string2ll refuses inputs of 21 bytes or more.
const LONG_STR_SIZE: usize = 21;

/// Parses a strict decimal i64 like Redis' `string2ll()`: optional '-', no
/// '+', no spaces, no leading zeros (so "-0" and "007" are refused), no
/// overflow, at most 20 bytes. Anything accepted prints back identically.
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() >= LONG_STR_SIZE {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    // The first digit must be 1-9; this also refuses a lone "-".
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if neg {
        // -(2^63) is the one magnitude that has no positive twin.
        if v > 1 << 63 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Redis' `string2l()`: on x86-64 a long is 64 bits, so the same as
/// `parse_i64`.
pub fn parse_long(b: &[u8]) -> Option<i64> {
    parse_i64(b)
}

/// What `getIntFromObjectOrReply()` accepts: a strict i64 (`parse_i64`) in
/// the C `int` range. (Redis tells the two failures apart only through the
/// error text: "value is not an integer or out of range" against "value is
/// out of range, value must between ..."; callers that care check the range
/// themselves on `parse_i64`'s result.)
pub fn parse_i32(b: &[u8]) -> Option<i32> {
    parse_i64(b).and_then(|v| i32::try_from(v).ok())
}

/// Redis' `string2ull()` (stream IDs, module API). The input is taken as a C
/// string, so it ends at the first NUL byte. First tried as a strict i64
/// (negative values refused); failing that, glibc's `strtoull(s, 10)` rules
/// apply: leading white space, a '+' or '-' sign and leading zeros are
/// accepted, and a '-' negates modulo 2^64 ("-00001" is 18446744073709551615,
/// "-18446744073709551615" is 1). Out of range, trailing bytes, or no digits
/// at all are refused.
pub fn parse_u64(b: &[u8]) -> Option<u64> {
    let s = match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    };
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    // strtoull: skip C-locale white space, then an optional sign, then digits.
    let ws = s
        .iter()
        .take_while(|&&c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .count();
    let rest = &s[ws..];
    let (neg, digits) = match rest.split_first() {
        Some((b'-', r)) => (true, r),
        Some((b'+', r)) => (false, r),
        _ => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Two ASCII digits for every value 0..100, as ull2string uses.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Number of decimal digits of `v` (Redis' `digits10()`).
pub fn digits10(v: u64) -> usize {
    let mut n = 1;
    let mut v = v;
    while v >= 10_000 {
        v /= 10_000;
        n += 4;
    }
    n + usize::from(v >= 10) + usize::from(v >= 100) + usize::from(v >= 1000)
}

/// Writes `v` at the end of `buf` and returns the digits (ll2string's output).
pub fn fmt_u64(v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let start = write_digits_back(v, buf);
    &buf[start..]
}

/// Writes `n` at the end of `buf` and returns the text, '-' included; 20
/// bytes hold i64::MIN.
pub fn fmt_i64(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = write_digits_back(n.unsigned_abs(), buf);
    if n < 0 {
        // |i64::MIN| has 19 digits, so there is always room for the sign.
        start -= 1;
        buf[start] = b'-';
    }
    &buf[start..]
}

/// Appends the decimal form of `n` to `out` (no allocation beyond growing out).
pub fn write_i64(out: &mut Vec<u8>, n: i64) {
    let mut buf = [0u8; 20];
    out.extend_from_slice(fmt_i64(n, &mut buf));
}

/// Appends the decimal form of `v` to `out`.
pub fn write_u64(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 20];
    out.extend_from_slice(fmt_u64(v, &mut buf));
}

/// Fills `buf` from the right, two digits a step; returns the start index.
fn write_digits_back(mut v: u64, buf: &mut [u8; 20]) -> usize {
    let mut i = buf.len();
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    i
}

/// Parses a double like Redis' `string2d()` (getDoubleFromObject: ZADD
/// scores, GEO coordinates, ...): all of `strtod`'s syntax, decimal or hex
/// ("0x1.8p1"), "inf"/"infinity" in any case with an optional sign; refused
/// are the empty string, leading white space, trailing bytes (a NUL too),
/// NaN in any spelling, and values that overflow to infinity or underflow to
/// zero (a subnormal result is fine).
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    match float::scan(b)? {
        float::Scanned::Inf { neg } => Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        float::Scanned::Decimal {
            neg,
            int,
            frac,
            exp,
        } => {
            // The scanner admitted only ASCII digits, signs, '.', 'e'/'E',
            // and the std parser is correctly rounded like glibc.
            let v: f64 = std::str::from_utf8(b).ok()?.parse().ok()?;
            if v.is_infinite() {
                return None; // overflow: HUGE_VAL with ERANGE
            }
            let nonzero = int.iter().chain(frac).any(|&d| d != b'0');
            if v == 0.0 && nonzero {
                return None; // underflow to zero
            }
            if v != 0.0 && v.abs() < f64::MIN_POSITIVE {
                // Subnormal: redo it glibc's way, quirk included (see
                // float::round_parsed).
                let exact = float::decimal_exact_truncated(int, frac, exp, 1076);
                return exact_to_f64(neg, exact);
            }
            Some(v)
        }
        float::Scanned::Hex {
            neg,
            int,
            frac,
            exp,
        } => exact_to_f64(neg, float::hex_exact(int, frac, exp)),
    }
}

/// Rounds an exactly parsed value to a double, refusing what strtod reports
/// as out of range (Redis' ERANGE checks).
fn exact_to_f64(neg: bool, exact: float::Exact) -> Option<f64> {
    let magnitude = match exact {
        float::Exact::Zero => 0.0,
        float::Exact::Huge | float::Exact::Tiny => return None,
        float::Exact::Value(u) => match float::round_parsed(&u, &float::F64) {
            float::Rounded::Overflow => return None,
            float::Rounded::Finite { mant: 0, .. } => return None,
            float::Rounded::Finite { mant, exp } => f64_from_parts(mant, exp),
        },
    };
    Some(if neg { -magnitude } else { magnitude })
}

/// Builds a positive double from a rounded F64 mantissa and LSB exponent.
fn f64_from_parts(mant: u64, exp: i64) -> f64 {
    if mant >> 52 == 0 {
        f64::from_bits(mant) // subnormal, exp == -1074
    } else {
        f64::from_bits((((exp + 1075) as u64) << 52) | (mant & ((1 << 52) - 1)))
    }
}

/// Appends C's `printf("%.17g", x)` to `out`: what addReplyDouble sends for
/// scores and what ZSCORE, ZINCRBY, GEO... print. NaN prints as "nan" or
/// "-nan" after its sign bit, as glibc does.
pub fn write_f64_g17(out: &mut Vec<u8>, x: f64) {
    if x.is_sign_negative() {
        out.push(b'-');
    }
    if x.is_nan() {
        out.extend_from_slice(b"nan");
    } else if x.is_infinite() {
        out.extend_from_slice(b"inf");
    } else if x == 0.0 {
        out.push(b'0');
    } else {
        let (mant, exp) = f64_parts(x);
        float::write_general(out, mant, exp, 17);
    }
}

/// `printf("%.17g", x)` as a String.
pub fn fmt_f64_g17(x: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_f64_g17(&mut out, x);
    String::from_utf8(out).unwrap_or_default()
}

/// Redis' `d2string()`: how a score is stored as text in a listpack-encoded
/// zset (and RM_CreateStringFromDouble). "nan", "inf", "-inf", "0", "-0";
/// integral values with |x| <= 2^62 as plain integers (double2ll's safe
/// range); everything else `%.17g`.
pub fn write_d2string(out: &mut Vec<u8>, x: f64) {
    if x.is_nan() {
        out.extend_from_slice(b"nan");
    } else if x.is_infinite() {
        out.extend_from_slice(if x < 0.0 { b"-inf" } else { b"inf" });
    } else if x == 0.0 {
        out.extend_from_slice(if x.is_sign_negative() { b"-0" } else { b"0" });
    } else if let Some(v) = double_to_i64(x) {
        write_i64(out, v);
    } else {
        write_f64_g17(out, x);
    }
}

/// Redis' `double2ll()`: Some(n) when `x` is an integer inside
/// [-(2^62), 2^62], where an i64 holds it without loss.
pub fn double_to_i64(x: f64) -> Option<i64> {
    // (double)(LLONG_MAX/2) rounds up to exactly 2^62.
    const LIMIT: f64 = 4_611_686_018_427_387_904.0;
    if !(-LIMIT..=LIMIT).contains(&x) {
        return None; // NaN lands here too
    }
    let v = x as i64;
    (v as f64 == x).then_some(v)
}

/// Redis' `fixedpoint_d2string()` (GEODIST, GEOSEARCH WITHDIST): `x` with
/// exactly `digits` (1..=17) fractional digits, rounded through
/// `llrint(x * 10^digits)`. A product beyond the i64 range becomes i64::MIN
/// as on x86-64, which Redis' callers never reach. Returns false (and writes
/// nothing) for a `digits` outside 1..=17, as Redis returns 0.
pub fn write_fixedpoint(out: &mut Vec<u8>, x: f64, digits: u32) -> bool {
    if !(1..=17).contains(&digits) {
        return false;
    }
    let d = digits as usize;
    if x == 0.0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', d));
        return true;
    }
    let scaled = (x * 10f64.powi(digits as i32)).round_ties_even();
    // cvtsd2si: NaN and anything outside [-2^63, 2^63) is "indefinite".
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let v = if (-TWO_63..TWO_63).contains(&scaled) {
        scaled as i64
    } else {
        i64::MIN
    };
    if v < 0 {
        out.push(b'-');
    }
    let mut buf = [0u8; 20];
    let text = fmt_u64(v.unsigned_abs(), &mut buf);
    if text.len() <= d {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', d - text.len()));
        out.extend_from_slice(text);
    } else {
        let (int, frac) = text.split_at(text.len() - d);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    }
    true
}

/// Splits a finite nonzero double into an integer mantissa and exponent.
fn f64_parts(x: f64) -> (u64, i64) {
    let bits = x.to_bits();
    let field = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1 << 52) - 1);
    if field == 0 {
        (frac, -1074)
    } else {
        (frac | 1 << 52, field - 1075)
    }
}

#[cfg(test)]
mod tests;
