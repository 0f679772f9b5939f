//! A software model of C's `long double` on x86-64 Linux (the x87 80-bit
//! extended format: sign, 15-bit exponent, 64-bit significand with an
//! explicit integer bit), as far as Redis 7.0.15 uses it: INCRBYFLOAT
//! (t_string.c), HINCRBYFLOAT (t_hash.c), blocking timeouts (timeout.c),
//! GEO coordinates replies (networking.c addReplyHumanLongDouble) and the
//! ZSCAN score text (db.c, `%.17Lg`). Reproducing the arithmetic bit for bit
//! is what makes our INCRBYFLOAT answers, and the SET it propagates, the
//! same bytes as Redis'.
//!
//! Invariants of a finite value `mant * 2^exp`: either mant is zero (and
//! exp is `F80.min_lsb`), or mant has its top bit set (a normal number), or
//! exp is `F80.min_lsb` (a subnormal). Operations round to nearest, ties to
//! even, exactly once, as the x87 does at its default 64-bit precision.

use super::float::{self, Exact, Rounded, Scanned, Unrounded, F80};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Finite { mant: u64, exp: i64 },
    Inf,
    Nan,
}

/// An x87 extended-precision value. `PartialEq` compares representations
/// (so NaN == NaN and -0 != +0), which is what tests want.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    neg: bool,
    kind: Kind,
}

/// Redis' MAX_LONG_DOUBLE_CHARS: string2ld refuses inputs this long or longer.
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// The x87 exponent bias, and the shift from our LSB exponent to it.
const BIAS: i64 = 16383;

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble {
        neg: false,
        kind: Kind::Finite {
            mant: 0,
            exp: F80.min_lsb,
        },
    };

    /// Parses a number the way Redis' `string2ld()` does: `strtold()` on the
    /// whole input, refusing leading space, trailing bytes, NaN, overflow to
    /// infinity and underflow to zero, and inputs of 5120 bytes or more.
    /// Infinity spelled out ("inf", "-Infinity") is accepted.
    pub fn parse(b: &[u8]) -> Option<LongDouble> {
        if b.is_empty() || b.len() >= MAX_LONG_DOUBLE_CHARS {
            return None;
        }
        let (neg, exact) = match float::scan(b)? {
            Scanned::Inf { neg } => {
                return Some(LongDouble {
                    neg,
                    kind: Kind::Inf,
                })
            }
            Scanned::Decimal {
                neg,
                int,
                frac,
                exp,
            } => (neg, float::decimal_exact(int, frac, exp)),
            Scanned::Hex {
                neg,
                int,
                frac,
                exp,
            } => (neg, float::hex_exact(int, frac, exp)),
        };
        match exact {
            Exact::Zero => Some(LongDouble::zero(neg)),
            Exact::Huge | Exact::Tiny => None, // ERANGE
            Exact::Value(u) => match float::round_parsed(&u, &F80) {
                Rounded::Overflow => None,
                Rounded::Finite { mant: 0, .. } => None, // underflow to zero
                Rounded::Finite { mant, exp } => Some(LongDouble::finite(neg, mant, exp)),
            },
        }
    }

    /// `(long double)v`: exact, since 64 bits of mantissa hold any i64.
    pub fn from_i64(v: i64) -> LongDouble {
        LongDouble::from_parts(v < 0, u128::from(v.unsigned_abs()), 0)
    }

    /// `(long double)v`: exact.
    pub fn from_f64(v: f64) -> LongDouble {
        let bits = v.to_bits();
        let neg = bits >> 63 == 1;
        let field = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1 << 52) - 1);
        match field {
            0x7ff if frac == 0 => LongDouble {
                neg,
                kind: Kind::Inf,
            },
            0x7ff => LongDouble {
                neg,
                kind: Kind::Nan,
            },
            0 => LongDouble::from_parts(neg, u128::from(frac), -1074),
            _ => LongDouble::from_parts(neg, u128::from(frac | 1 << 52), field - 1075),
        }
    }

    /// `(double)self`, rounded to nearest.
    pub fn to_f64(self) -> f64 {
        let (mant, exp) = match self.kind {
            Kind::Nan => return if self.neg { -f64::NAN } else { f64::NAN },
            Kind::Inf => (0, i64::MAX),
            Kind::Finite { mant, exp } => (mant, exp),
        };
        let magnitude = if exp == i64::MAX {
            f64::INFINITY
        } else {
            let u = Unrounded {
                q: u128::from(mant),
                sticky: false,
                exp,
            };
            match float::round(&u, &float::F64) {
                Rounded::Overflow => f64::INFINITY,
                Rounded::Finite { mant: 0, .. } => 0.0,
                Rounded::Finite { mant, exp } => {
                    if mant >> 52 == 0 {
                        f64::from_bits(mant) // subnormal: exp is -1074
                    } else {
                        f64::from_bits((((exp + 1075) as u64) << 52) | (mant & ((1 << 52) - 1)))
                    }
                }
            }
        };
        if self.neg {
            -magnitude
        } else {
            magnitude
        }
    }

    pub fn is_finite(&self) -> bool {
        matches!(self.kind, Kind::Finite { .. })
    }

    pub fn is_nan(&self) -> bool {
        self.kind == Kind::Nan
    }

    pub fn is_infinite(&self) -> bool {
        self.kind == Kind::Inf
    }

    /// `self + other` as the x87 computes it: exact sum, one rounding to
    /// nearest-even; inf - inf is the default NaN; x + (-x) is +0.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, other: LongDouble) -> LongDouble {
        use Kind::*;
        match (self.kind, other.kind) {
            (Nan, _) => self,
            (_, Nan) => other,
            (Inf, Inf) if self.neg != other.neg => LongDouble {
                neg: true, // the x87 "real indefinite"
                kind: Nan,
            },
            (Inf, _) => self,
            (_, Inf) => other,
            (Finite { mant: 0, .. }, Finite { mant: 0, .. }) => {
                LongDouble::zero(self.neg && other.neg)
            }
            (Finite { mant: 0, .. }, _) => other,
            (_, Finite { mant: 0, .. }) => self,
            (Finite { mant: ma, exp: ea }, Finite { mant: mb, exp: eb }) => {
                let (a, b) = if ea >= eb {
                    ((self.neg, ma, ea), (other.neg, mb, eb))
                } else {
                    ((other.neg, mb, eb), (self.neg, ma, ea))
                };
                add_finite(a, b)
            }
        }
    }

    /// `(long long) ceill(self * 1000.0)` as compiled for x86-64: what
    /// Redis' getTimeoutFromObjectOrReply makes of a timeout in seconds. The
    /// product rounds to long double first; a result that does not fit (or
    /// NaN, or infinity) becomes i64::MIN, the x87 "integer indefinite".
    pub fn seconds_to_ms_ceil(self) -> i64 {
        let (mant, exp) = match self.kind {
            Kind::Finite { mant, exp } => (mant, exp),
            _ => return i64::MIN,
        };
        let product = Unrounded {
            q: u128::from(mant) * 1000,
            sticky: false,
            exp,
        };
        let (mant, exp) = match float::round(&product, &F80) {
            Rounded::Finite { mant, exp } => (mant, exp),
            Rounded::Overflow => return i64::MIN,
        };
        // ceil(|x|) for a positive x, floor(|x|) for a negative one.
        let magnitude: u128 = if exp >= 0 {
            if exp > 64 {
                return i64::MIN;
            }
            u128::from(mant) << exp
        } else if exp <= -64 {
            u128::from(!self.neg && mant != 0)
        } else {
            let whole = u128::from(mant >> (-exp));
            let has_frac = mant & ((1u64 << (-exp)) - 1) != 0;
            whole + u128::from(has_frac && !self.neg)
        };
        if self.neg {
            if magnitude > 1u128 << 63 {
                return i64::MIN;
            }
            (magnitude as i64).wrapping_neg()
        } else {
            i64::try_from(magnitude).unwrap_or(i64::MIN)
        }
    }

    /// Redis' `ld2string(.., LD_STR_HUMAN)`: `%.17Lf`, then trailing zeros
    /// and a trailing point dropped, and "-0" turned into "0". This is the
    /// INCRBYFLOAT / HINCRBYFLOAT result text.
    pub fn format_human(&self) -> String {
        let mut out = Vec::new();
        self.write_human(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// `format_human`, appended to `out`.
    pub fn write_human(&self, out: &mut Vec<u8>) {
        let start = out.len();
        match self.kind {
            Kind::Inf => return write_inf(out, self.neg),
            Kind::Nan => return write_nan(out, self.neg),
            Kind::Finite { mant, exp } => {
                if self.neg {
                    out.push(b'-');
                }
                float::write_fixed(out, mant, exp, 17);
            }
        }
        // %.17Lf always prints a point here, so this only trims fractions.
        while out.last() == Some(&b'0') {
            out.pop();
        }
        if out.last() == Some(&b'.') {
            out.pop();
        }
        if &out[start..] == b"-0" {
            out.truncate(start);
            out.push(b'0');
        }
    }

    /// Redis' `ld2string(.., LD_STR_AUTO)`: `%.17Lg`, except that infinities
    /// are spelled "inf" / "-inf" whatever libc does. Used for ZSCAN scores.
    pub fn format_auto(&self) -> String {
        let mut out = Vec::new();
        self.write_auto(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// `format_auto`, appended to `out`.
    pub fn write_auto(&self, out: &mut Vec<u8>) {
        match self.kind {
            Kind::Inf => write_inf(out, self.neg),
            Kind::Nan => write_nan(out, self.neg),
            Kind::Finite { mant, exp } => {
                if self.neg {
                    out.push(b'-');
                }
                if mant == 0 {
                    out.push(b'0');
                } else {
                    float::write_general(out, mant, exp, 17);
                }
            }
        }
    }

    /// The 80-bit memory image: (sign and biased exponent, significand).
    /// NaN comes out as the x87 default NaN with its sign.
    pub fn to_x87_bits(&self) -> (u16, u64) {
        let sign = u16::from(self.neg) << 15;
        match self.kind {
            Kind::Inf => (sign | 0x7fff, 1 << 63),
            Kind::Nan => (sign | 0x7fff, 0xc000_0000_0000_0000),
            Kind::Finite { mant, exp } => {
                if mant >> 63 == 0 {
                    (sign, mant) // zero or subnormal
                } else {
                    (sign | (exp + 63 + BIAS) as u16, mant)
                }
            }
        }
    }

    /// Inverse of `to_x87_bits`. Pseudo-denormals and the other encodings
    /// the x87 itself rejects are read by value.
    pub fn from_x87_bits(se: u16, mant: u64) -> LongDouble {
        let neg = se >> 15 == 1;
        let field = i64::from(se & 0x7fff);
        if field == 0x7fff {
            let kind = if mant << 1 == 0 { Kind::Inf } else { Kind::Nan };
            return LongDouble { neg, kind };
        }
        let exp = if field == 0 {
            F80.min_lsb
        } else {
            field - 63 - BIAS
        };
        LongDouble::from_parts(neg, u128::from(mant), exp)
    }

    fn zero(neg: bool) -> LongDouble {
        LongDouble {
            neg,
            kind: LongDouble::ZERO.kind,
        }
    }

    fn finite(neg: bool, mant: u64, exp: i64) -> LongDouble {
        LongDouble {
            neg,
            kind: Kind::Finite { mant, exp },
        }
    }

    /// Normalises (and if needed rounds) `q * 2^exp`.
    fn from_parts(neg: bool, q: u128, exp: i64) -> LongDouble {
        let u = Unrounded {
            q,
            sticky: false,
            exp,
        };
        match float::round(&u, &F80) {
            Rounded::Finite { mant: 0, .. } => LongDouble::zero(neg),
            Rounded::Finite { mant, exp } => LongDouble::finite(neg, mant, exp),
            Rounded::Overflow => LongDouble {
                neg,
                kind: Kind::Inf,
            },
        }
    }
}

/// Adds two nonzero finite values, `a` having the larger (or equal) LSB
/// exponent.
fn add_finite(a: (bool, u64, i64), b: (bool, u64, i64)) -> LongDouble {
    let (a_neg, a_mant, a_exp) = a;
    let (b_neg, b_mant, b_exp) = b;
    let d = a_exp - b_exp;
    // Line both up in a u128 with a common LSB exponent. If b lies entirely
    // below a's LSB, a is moved to the top of the u128 and b's lost bits are
    // "jammed" into bit 0: rounding happens some 62 bits higher up, so only
    // whether they were nonzero matters, even for a subtraction.
    let (x, y, lsb) = if d <= 63 {
        (u128::from(a_mant) << d, u128::from(b_mant), b_exp)
    } else {
        let sh = d - 64;
        let kept = if sh >= 64 { 0 } else { b_mant >> sh };
        let lost = sh >= 64 || b_mant & ((1u64 << sh) - 1) != 0;
        (
            u128::from(a_mant) << 64,
            u128::from(kept | u64::from(lost)),
            a_exp - 64,
        )
    };
    let (neg, sum) = if a_neg == b_neg {
        (a_neg, x + y)
    } else if x >= y {
        (a_neg, x - y)
    } else {
        (b_neg, y - x)
    };
    if sum == 0 {
        return LongDouble::ZERO; // x + (-x) is +0 when rounding to nearest
    }
    LongDouble::from_parts(neg, sum, lsb)
}

fn write_inf(out: &mut Vec<u8>, neg: bool) {
    out.extend_from_slice(if neg { b"-inf" } else { b"inf" });
}

fn write_nan(out: &mut Vec<u8>, neg: bool) {
    out.extend_from_slice(if neg { b"-nan" } else { b"nan" });
}
