//! A small unsigned big integer, just enough for exact decimal <-> binary
//! floating point conversion (no Redis counterpart: glibc's strtold and
//! printf do this work for Redis with their own multi-precision code).
//!
//! Values are at most a few tens of thousands of bits (10^5000 or 2^16500:
//! the long double range and Redis' 5 KB limit on float strings), so
//! schoolbook algorithms are plenty. Limbs are u32, little-endian, and the
//! vector never ends in a zero limb (zero is the empty vector), which makes
//! `bit_len` and comparisons cheap.

use std::cmp::Ordering;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Big {
    limbs: Vec<u32>,
}

/// 10^9: the largest power of ten in a u32, so decimal work goes 9 digits a step.
const BILLION: u32 = 1_000_000_000;

impl Big {
    pub(super) fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::with_capacity(4);
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big { limbs }
    }

    /// Parses ASCII decimal digits (the caller has checked them).
    pub(super) fn from_decimal(digits: &[u8]) -> Big {
        let mut b = Big::default();
        for chunk in digits.chunks(9) {
            let mut part = 0u32;
            for &d in chunk {
                part = part * 10 + u32::from(d.wrapping_sub(b'0') % 10);
            }
            b.mul_small(10u32.pow(chunk.len() as u32));
            b.add_small(part);
        }
        b
    }

    pub(super) fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    /// Number of significant bits (0 for zero).
    pub(super) fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(&top) => self.limbs.len() as u64 * 32 - u64::from(top.leading_zeros()),
        }
    }

    /// The value if it fits in a u128.
    pub(super) fn to_u128(&self) -> Option<u128> {
        if self.limbs.len() > 4 {
            return None;
        }
        Some(
            self.limbs
                .iter()
                .rev()
                .fold(0u128, |acc, &l| (acc << 32) | u128::from(l)),
        )
    }

    pub(super) fn bit(&self, i: u64) -> bool {
        let limb = (i / 32) as usize;
        self.limbs
            .get(limb)
            .is_some_and(|&l| (l >> (i % 32)) & 1 == 1)
    }

    /// True if any of the bits below position `i` is set.
    pub(super) fn any_bits_below(&self, i: u64) -> bool {
        let full = ((i / 32) as usize).min(self.limbs.len());
        if self.limbs[..full].iter().any(|&l| l != 0) {
            return true;
        }
        let part = i % 32;
        part != 0
            && self
                .limbs
                .get(full)
                .is_some_and(|&l| l & ((1u32 << part) - 1) != 0)
    }

    pub(super) fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for l in &mut self.limbs {
            let v = u64::from(*l) * u64::from(m) + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    pub(super) fn add_small(&mut self, a: u32) {
        let mut carry = u64::from(a);
        for l in &mut self.limbs {
            if carry == 0 {
                return;
            }
            let v = u64::from(*l) + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
    }

    /// Multiplies by 10^n.
    pub(super) fn mul_pow10(&mut self, mut n: u64) {
        while n >= 9 {
            self.mul_small(BILLION);
            n -= 9;
        }
        self.mul_small(10u32.pow(n as u32));
    }

    pub(super) fn shl(&mut self, bits: u64) {
        if self.is_zero() {
            return;
        }
        let (words, bits) = ((bits / 32) as usize, (bits % 32) as u32);
        if bits != 0 {
            let mut carry = 0u32;
            for l in &mut self.limbs {
                let v = (*l << bits) | carry;
                carry = *l >> (32 - bits);
                *l = v;
            }
            if carry != 0 {
                self.limbs.push(carry);
            }
        }
        if words != 0 {
            self.limbs.splice(0..0, std::iter::repeat_n(0, words));
        }
    }

    pub(super) fn shr(&mut self, bits: u64) {
        let words = ((bits / 32) as usize).min(self.limbs.len());
        self.limbs.drain(..words);
        let bits = (bits % 32) as u32;
        if bits != 0 {
            let mut carry = 0u32;
            for l in self.limbs.iter_mut().rev() {
                let v = (*l >> bits) | carry;
                carry = *l << (32 - bits);
                *l = v;
            }
        }
        self.trim();
    }

    /// self -= other; the caller guarantees self >= other.
    pub(super) fn sub_assign(&mut self, other: &Big) {
        debug_assert!(Ord::cmp(&*self, other) != Ordering::Less);
        let mut borrow = 0i64;
        for (i, l) in self.limbs.iter_mut().enumerate() {
            let o = other.limbs.get(i).copied().map_or(0, i64::from);
            let mut v = i64::from(*l) - o - borrow;
            borrow = 0;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            }
            *l = v as u32;
            if borrow == 0 && i + 1 >= other.limbs.len() {
                break;
            }
        }
        self.trim();
    }

    /// self /= d, returning the remainder.
    pub(super) fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for l in self.limbs.iter_mut().rev() {
            let v = (rem << 32) | u64::from(*l);
            *l = (v / u64::from(d)) as u32;
            rem = v % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    /// Divides self by `den` when the quotient is known to fit in 128 bits,
    /// leaving the remainder in self. Shift-and-subtract, one quotient bit a
    /// step, so the cost is (quotient bits) x (length).
    pub(super) fn div_rem_small_quotient(&mut self, den: &Big) -> u128 {
        debug_assert!(!den.is_zero());
        let span = self.bit_len().saturating_sub(den.bit_len());
        debug_assert!(span < 128);
        let mut shifted = den.clone();
        shifted.shl(span);
        let mut q = 0u128;
        for i in (0..=span).rev() {
            if Ord::cmp(&*self, &shifted) != Ordering::Less {
                self.sub_assign(&shifted);
                q |= 1u128 << i;
            }
            shifted.shr(1);
        }
        q
    }

    /// Appends the decimal digits (at least one) to `out`.
    pub(super) fn write_decimal(&self, out: &mut Vec<u8>) {
        let mut n = self.clone();
        let mut chunks = Vec::new(); // base 10^9, least significant first
        while !n.is_zero() {
            chunks.push(n.div_small(BILLION));
        }
        match chunks.split_last() {
            None => out.push(b'0'),
            Some((top, rest)) => {
                out.extend_from_slice(top.to_string().as_bytes());
                for c in rest.iter().rev() {
                    out.extend_from_slice(format!("{c:09}").as_bytes());
                }
            }
        }
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Big) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Big {
    fn cmp(&self, other: &Big) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::Big;

    fn dec(b: &Big) -> String {
        let mut out = Vec::new();
        b.write_decimal(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn decimal_round_trip_and_arithmetic() {
        let s = "123456789012345678901234567890123456789012345678901234567890";
        let mut b = Big::from_decimal(s.as_bytes());
        assert_eq!(dec(&b), s);
        b.mul_pow10(20);
        assert_eq!(dec(&b), format!("{s}{}", "0".repeat(20)));
        assert_eq!(dec(&Big::default()), "0");
        let mut x = Big::from_u128(u128::MAX);
        x.add_small(1);
        assert_eq!(x.bit_len(), 129);
        assert_eq!(x.to_u128(), None);
        x.shr(1);
        assert_eq!(x.to_u128(), Some(1u128 << 127));
    }

    #[test]
    fn shifts_bits_and_division() {
        let mut b = Big::from_u128(0b1011);
        b.shl(100);
        assert_eq!(b.bit_len(), 104);
        assert!(b.bit(100) && b.bit(101) && !b.bit(102) && b.bit(103));
        assert!(!b.any_bits_below(100));
        assert!(b.any_bits_below(101));
        let mut n = Big::from_decimal(b"1000000000000000000000000000000000000007");
        let d = Big::from_decimal(b"1000000000000000000000000000");
        let q = n.div_rem_small_quotient(&d);
        assert_eq!(q, 1_000_000_000_000);
        assert_eq!(n.to_u128(), Some(7));
        let mut m = Big::from_u128(1 << 70);
        m.sub_assign(&Big::from_u128(1));
        assert_eq!(m.to_u128(), Some((1 << 70) - 1));
        assert_eq!(m.div_small(7), (((1u128 << 70) - 1) % 7) as u32);
    }
}
