//! IntSet: a sorted array of distinct integers, byte-for-byte the same as
//! Redis' intset (mirrors `intset.c` / `intset.h` of Redis 7.0.15).
//!
//! Layout (all little-endian, as Redis writes it on every platform):
//!
//! ```text
//! [u32 encoding = 2 | 4 | 8][u32 length][length * encoding bytes of integers]
//! ```
//!
//! Invariants kept by every method:
//! * `bytes.len() == 8 + length * encoding`;
//! * the integers are strictly ascending (so no duplicates);
//! * the encoding is the narrowest width that was ever needed: it grows when
//!   a wider value is inserted and never shrinks on removal (as in Redis, so
//!   the bytes we hand to DUMP / RDB match Redis' exactly).
//!
//! The bytes are one exact allocation with no header of ours
//! ([`SelfSized`]: the intset's own header gives its size), so a set of ten
//! 32-bit members costs the 48 bytes Redis' intset does. The structure
//! imports nothing else from the rest of the crate.

use crate::util::thin::{Measure, SelfSized, ThinRepr};

/// Width in bytes of each element, stored in the header's first field.
const ENC_INT16: u32 = 2;
const ENC_INT32: u32 = 4;
const ENC_INT64: u32 = 8;

/// Size of the fixed header (encoding + length).
const HEADER: usize = 8;

/// A set of integers in Redis' exact intset byte format.
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct IntSet {
    bytes: SelfSized<IntsetSize>,
}

// SAFETY: repr(transparent) over a SelfSized, which is a ThinRepr.
unsafe impl ThinRepr for IntSet {}

/// An intset's size from its header: 8 + count * encoding.
#[derive(Debug)]
pub struct IntsetSize;

impl Measure for IntsetSize {
    const MIN: usize = HEADER;
    fn measure(head: &[u8]) -> Option<usize> {
        let (enc, count) = (read_u32(head, 0)?, read_u32(head, 4)?);
        if !matches!(enc, ENC_INT16 | ENC_INT32 | ENC_INT64) {
            return None;
        }
        (count as usize)
            .checked_mul(enc as usize)?
            .checked_add(HEADER)
    }
}

impl Default for IntSet {
    fn default() -> Self {
        Self::new()
    }
}

/// Narrowest encoding able to hold `v` (intset.c's `_intsetValueEncoding`).
fn value_encoding(v: i64) -> u32 {
    if v < i64::from(i32::MIN) || v > i64::from(i32::MAX) {
        ENC_INT64
    } else if v < i64::from(i16::MIN) || v > i64::from(i16::MAX) {
        ENC_INT32
    } else {
        ENC_INT16
    }
}

/// Reads a little-endian u32 at `off`; `None` when out of bounds.
fn read_u32(bytes: &[u8], off: usize) -> Option<u32> {
    let s = bytes.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads element `pos` of an element area with width `enc` (no header).
fn read_elem(body: &[u8], enc: u32, pos: usize) -> Option<i64> {
    let w = enc as usize;
    let start = pos.checked_mul(w)?;
    let s = body.get(start..start.checked_add(w)?)?;
    match enc {
        ENC_INT16 => Some(i64::from(i16::from_le_bytes([s[0], s[1]]))),
        ENC_INT32 => Some(i64::from(i32::from_le_bytes([s[0], s[1], s[2], s[3]]))),
        ENC_INT64 => {
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            Some(i64::from_le_bytes(a))
        }
        _ => None,
    }
}

/// Writes the header fields. Lengths never exceed u32 in practice (sets
/// convert to a hashtable long before); saturate rather than wrap if they
/// somehow did (the buffer then refuses the edit).
fn write_header(bytes: &mut [u8], enc: u32, len: usize) {
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    bytes[0..4].copy_from_slice(&enc.to_le_bytes());
    bytes[4..8].copy_from_slice(&len.to_le_bytes());
}

/// Bytes built whole by this module (their header is right by
/// construction); an empty 16-bit set if that were ever not so.
fn adopt(bytes: &[u8]) -> SelfSized<IntsetSize> {
    match SelfSized::new(bytes) {
        Some(b) => b,
        None => adopt(&[2, 0, 0, 0, 0, 0, 0, 0]),
    }
}

/// Appends `v` to `out` using width `enc`. The caller guarantees `v` fits:
/// the truncating casts below are exact under that guarantee.
fn push_elem(out: &mut Vec<u8>, enc: u32, v: i64) {
    match enc {
        ENC_INT16 => out.extend_from_slice(&(v as i16).to_le_bytes()),
        ENC_INT32 => out.extend_from_slice(&(v as i32).to_le_bytes()),
        _ => out.extend_from_slice(&v.to_le_bytes()),
    }
}

impl IntSet {
    /// An empty set with the narrowest (16-bit) encoding, like `intsetNew`.
    pub fn new() -> Self {
        let mut head = [0u8; HEADER];
        head[0..4].copy_from_slice(&ENC_INT16.to_le_bytes());
        IntSet {
            bytes: adopt(&head),
        }
    }

    /// Adopts serialized intset bytes (e.g. from an RDB file) after the same
    /// checks as `intsetValidateIntegrity(.., deep=1)`: known encoding, size
    /// matching the length, not empty (Redis rejects an empty intset blob),
    /// strictly ascending elements. Never panics on garbage.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<IntSet> {
        if !Self::validate(&bytes) {
            return None;
        }
        Some(IntSet {
            bytes: SelfSized::new(&bytes)?,
        })
    }

    /// Deep integrity check of a serialized intset (see `from_bytes`).
    pub fn validate(bytes: &[u8]) -> bool {
        let (Some(enc), Some(count)) = (read_u32(bytes, 0), read_u32(bytes, 4)) else {
            return false;
        };
        if !matches!(enc, ENC_INT16 | ENC_INT32 | ENC_INT64) {
            return false;
        }
        // u64 arithmetic: count * 8 cannot overflow it, unlike a 32-bit usize.
        let expected = HEADER as u64 + u64::from(count) * u64::from(enc);
        if expected != bytes.len() as u64 || count == 0 {
            return false;
        }
        let body = &bytes[HEADER..];
        let mut prev = match read_elem(body, enc, 0) {
            Some(v) => v,
            None => return false,
        };
        for pos in 1..count as usize {
            match read_elem(body, enc, pos) {
                Some(cur) if cur > prev => prev = cur,
                _ => return false,
            }
        }
        true
    }

    /// The exact serialized bytes (what RDB / DUMP store).
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    /// Consumes the set, returning its bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes.as_slice().to_vec()
    }

    /// Element width in bytes: 2, 4 or 8.
    pub fn encoding(&self) -> u32 {
        read_u32(self.bytes.as_slice(), 0).unwrap_or(ENC_INT16)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        read_u32(self.bytes.as_slice(), 4).unwrap_or(0) as usize
    }

    /// True when the set holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size of the serialized blob (`intsetBlobLen`).
    pub fn blob_len(&self) -> usize {
        self.bytes.len()
    }

    fn body(&self) -> &[u8] {
        self.bytes.as_slice().get(HEADER..).unwrap_or(&[])
    }

    /// Element at position `pos` in ascending order.
    pub fn get(&self, pos: usize) -> Option<i64> {
        if pos >= self.len() {
            return None;
        }
        read_elem(self.body(), self.encoding(), pos)
    }

    /// Smallest element.
    pub fn min(&self) -> Option<i64> {
        self.get(0)
    }

    /// Largest element.
    pub fn max(&self) -> Option<i64> {
        self.get(self.len().checked_sub(1)?)
    }

    /// Binary search (intsetSearch): `Ok(pos)` if found, else `Err(pos)`
    /// where `pos` is where `v` would be inserted.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let len = self.len();
        if len == 0 {
            return Err(0);
        }
        // Fast paths for values beyond either end, the common case when
        // members arrive in order.
        if let (Some(lo), Some(hi)) = (self.min(), self.max()) {
            if v > hi {
                return Err(len);
            }
            if v < lo {
                return Err(0);
            }
        }
        let (enc, body) = (self.encoding(), self.body());
        let (mut lo, mut hi) = (0usize, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let cur = read_elem(body, enc, mid).unwrap_or(i64::MAX);
            match cur.cmp(&v) {
                std::cmp::Ordering::Equal => return Ok(mid),
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        Err(lo)
    }

    /// Membership test (intsetFind). Values wider than the current encoding
    /// cannot be present, so they are rejected without searching.
    pub fn contains(&self, v: i64) -> bool {
        value_encoding(v) <= self.encoding() && self.search(v).is_ok()
    }

    /// Adds `v`; returns false if it was already present. Widens the
    /// encoding of every element first when `v` needs more bytes.
    pub fn insert(&mut self, v: i64) -> bool {
        let venc = value_encoding(v);
        if venc > self.encoding() {
            self.upgrade_and_add(venc, v);
            return true;
        }
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(pos) => pos,
        };
        let enc = self.encoding();
        let mut elem = Vec::with_capacity(enc as usize);
        push_elem(&mut elem, enc, v);
        let at = HEADER + pos * enc as usize;
        let len = self.len() + 1;
        // Exactly one element bigger, as Redis' zrealloc.
        self.bytes.edit(self.bytes.len() + elem.len(), |old, new| {
            new[..at].copy_from_slice(&old[..at]);
            new[at..at + elem.len()].copy_from_slice(&elem);
            new[at + elem.len()..].copy_from_slice(&old[at..]);
            write_header(new, enc, len);
        })
    }

    /// Re-encodes all elements with width `enc` and adds `v`, which is known
    /// to be outside the current range: a value that needs a wider encoding
    /// is either smaller than every element (negative) or larger than all.
    fn upgrade_and_add(&mut self, enc: u32, v: i64) {
        let len = self.len();
        let mut out = Vec::with_capacity(HEADER + (len + 1) * enc as usize);
        out.extend_from_slice(&self.as_bytes()[..HEADER]);
        if v < 0 {
            push_elem(&mut out, enc, v);
        }
        for x in self.iter() {
            push_elem(&mut out, enc, x);
        }
        if v >= 0 {
            push_elem(&mut out, enc, v);
        }
        write_header(&mut out, enc, len + 1);
        self.bytes = adopt(&out);
    }

    /// Removes `v`; returns false when absent. The encoding is kept even if
    /// the remaining values would fit a narrower one (Redis never downgrades).
    pub fn remove(&mut self, v: i64) -> bool {
        if value_encoding(v) > self.encoding() {
            return false;
        }
        let Ok(pos) = self.search(v) else {
            return false;
        };
        let enc = self.encoding();
        let at = HEADER + pos * enc as usize;
        let w = enc as usize;
        let len = self.len() - 1;
        // One element smaller, like Redis' intsetResize on removal.
        self.bytes.edit(self.bytes.len() - w, |old, new| {
            new[..at].copy_from_slice(&old[..at]);
            new[at..].copy_from_slice(&old[at + w..]);
            write_header(new, enc, len);
        })
    }

    /// A uniformly chosen element (intsetRandom: `rng() % len`), using the
    /// caller's random source so the structure stays deterministic in tests.
    pub fn random<F: FnMut() -> u64>(&self, rng: &mut F) -> Option<i64> {
        let len = self.len() as u64;
        if len == 0 {
            return None;
        }
        self.get((rng() % len) as usize)
    }

    /// Ascending iterator over the elements.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            set: self,
            pos: 0,
            end: self.len(),
        }
    }
}

/// Iterator over an [`IntSet`] in ascending order.
pub struct Iter<'a> {
    set: &'a IntSet,
    pos: usize,
    end: usize,
}

impl Iterator for Iter<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        if self.pos >= self.end {
            return None;
        }
        let v = self.set.get(self.pos);
        self.pos += 1;
        v
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.saturating_sub(self.pos);
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<i64> {
        if self.pos >= self.end {
            return None;
        }
        self.end -= 1;
        self.set.get(self.end)
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a IntSet {
    type Item = i64;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn storage_stays_exact_like_redis_zrealloc() {
        let mut s = IntSet::new();
        assert_eq!(std::mem::size_of::<IntSet>(), 8);
        for v in 0..1000 {
            s.insert(v);
            assert_eq!(s.bytes.len(), 8 + 2 * (v as usize + 1));
        }
        for v in 0..500 {
            s.remove(v);
        }
        assert_eq!(s.bytes.len(), 8 + 2 * 500);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            (500..1000).collect::<Vec<_>>()
        );
    }

    fn from(vals: &[i64]) -> IntSet {
        let mut s = IntSet::new();
        for &v in vals {
            s.insert(v);
        }
        s
    }

    #[test]
    fn empty_set_bytes() {
        let s = IntSet::new();
        assert_eq!(s.as_bytes(), &[2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(s.len(), 0);
        assert!(s.is_empty());
        assert_eq!(s.min(), None);
        assert_eq!(s.max(), None);
        assert_eq!(s.random(&mut || 7), None);
        // An empty blob is refused, as Redis does when loading.
        assert!(IntSet::from_bytes(s.as_bytes().to_vec()).is_none());
    }

    #[test]
    fn exact_bytes_int16() {
        let s = from(&[3, 1, 2, 2]);
        assert_eq!(s.as_bytes(), &[2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0]);
        assert_eq!(s.blob_len(), 14);
        assert_eq!(s.encoding(), 2);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(IntSet::from_bytes(s.as_bytes().to_vec()), Some(s));
    }

    #[test]
    fn upgrades_with_negatives() {
        let mut s = from(&[5, -3]);
        assert_eq!(s.as_bytes(), &[2, 0, 0, 0, 2, 0, 0, 0, 0xfd, 0xff, 5, 0]);
        // 16 -> 32 with a negative value: goes to the front.
        assert!(s.insert(-70000));
        assert_eq!(s.encoding(), 4);
        let mut want = vec![4, 0, 0, 0, 3, 0, 0, 0];
        want.extend_from_slice(&(-70000i32).to_le_bytes());
        want.extend_from_slice(&(-3i32).to_le_bytes());
        want.extend_from_slice(&5i32.to_le_bytes());
        assert_eq!(s.as_bytes(), &want[..]);
        // 32 -> 64 with a positive value: goes to the end.
        assert!(s.insert(1 << 40));
        assert_eq!(s.encoding(), 8);
        assert_eq!(s.blob_len(), 8 + 4 * 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![-70000, -3, 5, 1 << 40]);
        assert!(s.insert(i64::MIN));
        assert!(s.insert(i64::MAX));
        assert!(!s.insert(i64::MAX));
        assert_eq!(s.min(), Some(i64::MIN));
        assert_eq!(s.max(), Some(i64::MAX));
        // Removal never downgrades.
        for v in [i64::MIN, i64::MAX, 1 << 40, -70000] {
            assert!(s.remove(v));
        }
        assert_eq!(s.encoding(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![-3, 5]);
        assert!(IntSet::validate(s.as_bytes()));
    }

    /// DUMP payloads from a real redis-server 7.0.15: RDB_TYPE_SET_INTSET
    /// (11), string length, intset bytes (CRC/version trailer removed).
    #[test]
    fn matches_real_redis_dump() {
        // SADD s 3 1 2
        let dump_s: &[u8] = &[11, 14, 2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0];
        assert_eq!(&dump_s[2..], from(&[3, 1, 2]).as_bytes());
        // SADD s2 5 -3 -70000 1099511627776
        let dump_s2: &[u8] = &[
            11, 40, 8, 0, 0, 0, 4, 0, 0, 0, 144, 238, 254, 255, 255, 255, 255, 255, 253, 255, 255,
            255, 255, 255, 255, 255, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0,
        ];
        assert_eq!(&dump_s2[2..], from(&[5, -3, -70000, 1 << 40]).as_bytes());
        assert!(IntSet::from_bytes(dump_s2[2..].to_vec()).is_some());
    }

    #[test]
    fn boundaries_of_encodings() {
        assert_eq!(value_encoding(32767), 2);
        assert_eq!(value_encoding(-32768), 2);
        assert_eq!(value_encoding(32768), 4);
        assert_eq!(value_encoding(-32769), 4);
        assert_eq!(value_encoding(i64::from(i32::MAX)), 4);
        assert_eq!(value_encoding(i64::from(i32::MIN)), 4);
        assert_eq!(value_encoding(i64::from(i32::MAX) + 1), 8);
        assert_eq!(value_encoding(i64::from(i32::MIN) - 1), 8);
    }

    #[test]
    fn contains_and_remove() {
        let mut s = from(&[10, 20, 30]);
        assert!(s.contains(20));
        assert!(!s.contains(25));
        assert!(!s.contains(1 << 40)); // wider than the encoding
        assert!(!s.remove(1 << 40));
        assert!(!s.remove(25));
        assert!(s.remove(20));
        assert_eq!(s.as_bytes(), &[2, 0, 0, 0, 2, 0, 0, 0, 10, 0, 30, 0]);
        assert_eq!(s.get(1), Some(30));
        assert_eq!(s.get(2), None);
        assert_eq!(s.iter().rev().collect::<Vec<_>>(), vec![30, 10]);
    }

    #[test]
    fn random_uses_modulo() {
        let s = from(&[1, 2, 3]);
        let mut n = 0u64;
        let mut rng = || {
            n += 1;
            n
        };
        assert_eq!(s.random(&mut rng), Some(2));
        assert_eq!(s.random(&mut rng), Some(3));
        assert_eq!(s.random(&mut rng), Some(1));
    }

    #[test]
    fn validation_rejects_corruption() {
        // Bad encoding.
        assert!(IntSet::from_bytes(vec![3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]).is_none());
        // Unsorted.
        assert!(IntSet::from_bytes(vec![2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0]).is_none());
        // Duplicate.
        assert!(IntSet::from_bytes(vec![2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1, 0]).is_none());
        // Truncated body, too long body, short header.
        assert!(IntSet::from_bytes(vec![2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 2]).is_none());
        assert!(IntSet::from_bytes(vec![2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 2, 0]).is_none());
        assert!(IntSet::from_bytes(vec![2, 0, 0, 0, 1]).is_none());
        assert!(IntSet::from_bytes(vec![]).is_none());
        // Huge length must not overflow.
        assert!(IntSet::from_bytes(vec![8, 0, 0, 0, 255, 255, 255, 255]).is_none());
        // Valid 32-bit set.
        let mut v = vec![4, 0, 0, 0, 2, 0, 0, 0];
        v.extend_from_slice(&(-1i32).to_le_bytes());
        v.extend_from_slice(&100000i32.to_le_bytes());
        let s = IntSet::from_bytes(v).unwrap();
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![-1, 100000]);
    }

    #[test]
    fn fuzz_validation_never_panics() {
        let base = from(&[-5, 1, 7, 300, 70000]).into_bytes();
        let mut x = 0x9e3779b97f4a7c15u64;
        let mut rnd = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..5000 {
            let mut b = base.clone();
            match rnd() % 3 {
                0 => {
                    let i = (rnd() as usize) % b.len();
                    b[i] = rnd() as u8;
                }
                1 => b.truncate((rnd() as usize) % b.len()),
                _ => b.push(rnd() as u8),
            }
            if let Some(s) = IntSet::from_bytes(b) {
                let v: Vec<i64> = s.iter().collect();
                assert!(v.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }

    #[test]
    fn random_ops_against_btreeset() {
        let mut model = BTreeSet::new();
        let mut s = IntSet::new();
        let mut x = 12345u64;
        let mut rnd = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 11
        };
        for i in 0..4000 {
            let r = rnd();
            // Mostly small values, occasionally wide ones to force upgrades.
            let v = match r % 20 {
                0 => (rnd() as i64).wrapping_mul(1 << 20),
                1 => (rnd() % 200000) as i64 - 100000,
                _ => (rnd() % 100) as i64 - 50,
            };
            if rnd() % 3 == 0 {
                assert_eq!(s.remove(v), model.remove(&v));
            } else {
                assert_eq!(s.insert(v), model.insert(v));
            }
            assert_eq!(s.contains(v), model.contains(&v));
            if i % 100 == 0 {
                assert!(s.iter().eq(model.iter().copied()));
                assert_eq!(s.len(), model.len());
                assert_eq!(s.blob_len(), 8 + s.len() * s.encoding() as usize);
            }
        }
        assert!(s.iter().eq(model.iter().copied()));
    }
}
