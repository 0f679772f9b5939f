//! Listpack: a compact serialized list of strings and integers, byte-for-byte
//! the same as Redis' listpack (mirrors `listpack.c` / `listpack.h` of Redis
//! 7.0.15). Small hashes, sets, sorted sets and list nodes use it, and RDB /
//! DUMP store these bytes verbatim, so the format must match exactly.
//!
//! Layout:
//!
//! ```text
//! [u32 LE total bytes][u16 LE element count, 65535 = unknown] entry* [0xFF]
//! entry = encoding byte(s) + data + backlen
//! ```
//!
//! Encodings (first byte):
//!
//! ```text
//! 0xxxxxxx                 7-bit unsigned int (0..=127), no data
//! 10llllll                 string of up to 63 bytes
//! 110xxxxx yyyyyyyy        13-bit signed int (-4096..=4095), big-endian bits
//! 1110llll llllllll        string of up to 4095 bytes
//! 0xF0 + u32 LE len        longer string
//! 0xF1/0xF2/0xF3/0xF4      16/24/32/64-bit signed int, little-endian
//! 0xFF                     end of listpack
//! ```
//!
//! `backlen` stores the size of encoding+data in 1..=5 bytes, seven bits per
//! byte, most significant group first; every byte but the first has the
//! high bit set, so it can be read right-to-left when walking backwards.
//!
//! Invariants kept by every method (and checked by `from_bytes`):
//! * the header's total equals `bytes.len()` and the last byte is 0xFF;
//! * every entry's backlen matches its size;
//! * the header count is exact, or 65535 when there are 65535+ entries (as
//!   in Redis, an unknown count stays unknown until it is recomputed);
//! * strings that read as integers (`lpStringToInt64`) are stored as ints.
//!
//! Positions in the listpack are byte offsets (`usize`), playing the role of
//! Redis' `unsigned char *p`. They are invalidated by any mutation, and must
//! come from `first/next/prev/last/seek/find`: a made-up offset into the
//! middle of an entry cannot panic, but (as in Redis) may corrupt the data.
//! The structure is standalone: it uses only util::number (string2ll) and
//! util::thin (its byte buffer).

use crate::util::thin::{ThinBuf, ThinRepr};

/// Bytes of the header (total length + element count).
pub const HDR_SIZE: usize = 6;
/// Header count value meaning "count the entries to know".
const NUMELE_UNKNOWN: u16 = u16::MAX;
/// Terminator byte.
const EOF: u8 = 0xFF;
/// Redis refuses to grow a listpack beyond this (lpSafeToAdd).
pub const MAX_SAFETY_SIZE: usize = 1 << 30;

/// One element: listpacks only store these two kinds of values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Entry<'_> {
    /// The element as bytes (integers in decimal), as a reply would show it.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Entry::Int(v) => v.to_string().into_bytes(),
            Entry::Str(s) => s.to_vec(),
        }
    }
}

/// Parses a strict decimal i64 like Redis' `lpStringToInt64`, which has
/// exactly string2ll's rules (shared with util::number).
pub use crate::util::number::parse_i64 as string_to_i64;

/// Number of bytes `encode_backlen` uses for `l` (lpEncodeBacklen sizes).
fn backlen_size(l: u64) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2097151 {
        3
    } else if l < 268435455 {
        4
    } else {
        5
    }
}

/// Appends the backlen of an entry whose encoding+data is `l` bytes.
fn encode_backlen(l: u64, out: &mut impl Sink) {
    let n = backlen_size(l);
    // Most significant 7-bit group first; all but the first byte flagged.
    for i in (0..n).rev() {
        let group = ((l >> (7 * i)) & 127) as u8;
        out.push(if i == n - 1 { group } else { group | 128 });
    }
}

/// Reads a backlen whose last byte is at `end`, right to left. `None` when
/// it would use more than 5 bytes or run off the buffer (lpDecodeBacklen).
fn decode_backlen(bytes: &[u8], end: usize) -> Option<u64> {
    let mut val: u64 = 0;
    let mut shift = 0u32;
    let mut pos = end;
    loop {
        let b = *bytes.get(pos)?;
        val |= u64::from(b & 127) << shift;
        if b & 128 == 0 {
            return Some(val);
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
        pos = pos.checked_sub(1)?;
    }
}

/// Bytes `value` takes as a listpack entry (encoding, data and backlen),
/// with lpInsert's rule that integer-looking strings are stored as
/// integers. Lets callers size a buffer exactly before inserting.
pub fn entry_size(value: &[u8]) -> usize {
    let body = match string_to_i64(value) {
        Some(v) => match v {
            0..=127 => 1,
            -4096..=4095 => 2,
            -32768..=32767 => 3,
            -8388608..=8388607 => 4,
            _ if i32::try_from(v).is_ok() => 5,
            _ => 9,
        },
        None => {
            let len = value.len().min(u32::MAX as usize);
            len + match len {
                0..64 => 1,
                64..4096 => 2,
                _ => 5,
            }
        }
    };
    body + backlen_size(body as u64)
}

/// Appends the encoding+data of integer `v`, in the narrowest encoding.
fn encode_int(v: i64, out: &mut impl Sink) {
    if (0..=127).contains(&v) {
        out.push(v as u8);
    } else if (-4096..=4095).contains(&v) {
        // 13-bit two's complement split over the two bytes.
        let u = (v as u16) & 0x1fff;
        out.push(0xC0 | (u >> 8) as u8);
        out.push(u as u8);
    } else if (-32768..=32767).contains(&v) {
        out.push(0xF1);
        out.extend_from_slice(&(v as i16).to_le_bytes());
    } else if (-8388608..=8388607).contains(&v) {
        out.push(0xF2);
        out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
    } else if (i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&v) {
        out.push(0xF3);
        out.extend_from_slice(&(v as i32).to_le_bytes());
    } else {
        out.push(0xF4);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// Appends the encoding+data of string `s` (never converted to an int here).
/// Strings beyond u32::MAX bytes cannot be represented; they are cut there
/// rather than corrupting the length (callers respect MAX_SAFETY_SIZE).
fn encode_str_header(len: usize, out: &mut impl Sink) {
    if len < 64 {
        out.push(0x80 | len as u8);
    } else if len < 4096 {
        out.push(0xE0 | (len >> 8) as u8);
        out.push(len as u8);
    } else {
        out.push(0xF0);
        out.extend_from_slice(&(len as u32).to_le_bytes());
    }
}

/// Where the encoders write: a Vec, or the fixed buffers of [`Encoded`].
trait Sink {
    fn push(&mut self, b: u8);
    fn extend_from_slice(&mut self, s: &[u8]) {
        for &b in s {
            self.push(b);
        }
    }
}

impl Sink for Vec<u8> {
    fn push(&mut self, b: u8) {
        Vec::push(self, b);
    }
    fn extend_from_slice(&mut self, s: &[u8]) {
        Vec::extend_from_slice(self, s);
    }
}

/// Up to 9 bytes on the stack: an integer's whole encoding, a string's
/// header, or a backlen.
#[derive(Default)]
struct Small {
    buf: [u8; 9],
    len: usize,
}

impl Sink for Small {
    fn push(&mut self, b: u8) {
        // Callers write at most 9 bytes (the longest integer encoding).
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }
}

impl Small {
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// An entry encoded without a heap allocation: encoding header (for an
/// integer, the whole encoding), the string's bytes, and the backlen.
struct Encoded<'a> {
    head: Small,
    body: &'a [u8],
    back: Small,
}

impl Encoded<'_> {
    fn parts(&self) -> [&[u8]; 3] {
        [self.head.bytes(), self.body, self.back.bytes()]
    }

    fn len(&self) -> usize {
        self.head.len + self.body.len() + self.back.len
    }
}

/// Full entry (encoding + data + backlen) for `e`, applying lpInsert's rule
/// that integer-looking strings are stored as integers.
fn encode_entry(e: Entry<'_>) -> Encoded<'_> {
    let mut head = Small::default();
    let mut body: &[u8] = &[];
    match e {
        Entry::Int(v) => encode_int(v, &mut head),
        Entry::Str(s) => match string_to_i64(s) {
            Some(v) => encode_int(v, &mut head),
            None => {
                body = &s[..s.len().min(u32::MAX as usize)];
                encode_str_header(body.len(), &mut head);
            }
        },
    }
    let mut back = Small::default();
    encode_backlen((head.len + body.len()) as u64, &mut back);
    Encoded { head, body, back }
}

/// Size of encoding+data of the entry at `off` (lpCurrentEncodedSizeUnsafe),
/// reading only the bytes it needs. `None` for invalid encodings or EOF.
fn encoded_size(bytes: &[u8], off: usize) -> Option<u64> {
    let b = *bytes.get(off)?;
    let byte_at = |i: usize| bytes.get(off.checked_add(i)?).copied();
    Some(match b {
        0x00..=0x7F => 1,
        0x80..=0xBF => 1 + u64::from(b & 0x3F),
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 2 + ((u64::from(b & 0x0F) << 8) | u64::from(byte_at(1)?)),
        0xF0 => {
            let mut len = 0u64;
            for i in 0..4 {
                len |= u64::from(byte_at(1 + i)?) << (8 * i);
            }
            5 + len
        }
        0xF1 => 3,
        0xF2 => 4,
        0xF3 => 5,
        0xF4 => 9,
        _ => return None,
    })
}

/// Checks the entry at `off` like lpValidateNext and returns the offset just
/// past it. `end` is the offset of the terminator; the entry must end at or
/// before it, and its backlen must agree with its encoded size.
fn validate_next(bytes: &[u8], off: usize, end: usize) -> Option<usize> {
    if off < HDR_SIZE || off >= end {
        return None;
    }
    let size = encoded_size(bytes, off)?;
    let total = size.checked_add(backlen_size(size) as u64)?;
    let next = (off as u64).checked_add(total)?;
    if next > end as u64 {
        return None;
    }
    let next = next as usize;
    if decode_backlen(bytes, next - 1)? != size {
        return None;
    }
    Some(next)
}

/// A listpack in Redis' exact byte format, in one pointer (a thin buffer:
/// small hashes and sorted sets hold it without a box around it).
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Listpack {
    bytes: ThinBuf,
}

// SAFETY: repr(transparent) over a ThinBuf.
unsafe impl ThinRepr for Listpack {}

impl Default for Listpack {
    fn default() -> Self {
        Self::new()
    }
}

impl Listpack {
    /// An empty listpack: header (7 bytes total, 0 elements) + terminator.
    pub fn new() -> Self {
        let mut bytes = [0u8; HDR_SIZE + 1];
        bytes[0..4].copy_from_slice(&((HDR_SIZE + 1) as u32).to_le_bytes());
        bytes[HDR_SIZE] = EOF;
        Listpack {
            bytes: ThinBuf::new(&bytes),
        }
    }

    /// Adopts serialized bytes (RDB / RESTORE) after a deep validation.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Listpack> {
        if Self::validate(&bytes, true) {
            Some(Listpack {
                bytes: ThinBuf::new(&bytes),
            })
        } else {
            None
        }
    }

    /// lpValidateIntegrity: the shallow check covers the header total and the
    /// terminator; the deep one also walks every entry (bounds, backlen),
    /// and checks that the count, if known, is exact. Never panics.
    pub fn validate(bytes: &[u8], deep: bool) -> bool {
        if bytes.len() < HDR_SIZE + 1 {
            return false;
        }
        let total = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if total as usize != bytes.len() || bytes[bytes.len() - 1] != EOF {
            return false;
        }
        if !deep {
            return true;
        }
        let numele = u16::from_le_bytes([bytes[4], bytes[5]]);
        let end = bytes.len() - 1;
        let mut off = HDR_SIZE;
        let mut count: u64 = 0;
        while off < end {
            match validate_next(bytes, off, end) {
                Some(n) => off = n,
                None => return false,
            }
            count += 1;
        }
        // The walk stops at the first 0xFF; it must be the final byte.
        off == end && (numele == NUMELE_UNKNOWN || u64::from(numele) == count)
    }

    /// The exact serialized bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consumes the listpack, returning its bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes.to_vec()
    }

    /// Total size in bytes (lpBytes), header and terminator included.
    pub fn bytes_len(&self) -> usize {
        self.bytes.len()
    }

    /// Allocated bytes (the buffer's capacity), for memory accounting.
    pub fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// Makes room for `additional` more bytes without Vec's doubling, so the
    /// allocation follows the size as Redis' realloc-per-change does (a
    /// quicklist node of 8 KB must not sit in a 16 KB buffer).
    pub fn reserve_exact(&mut self, additional: usize) {
        self.bytes.reserve_exact(additional);
    }

    /// Gives back the capacity beyond the bytes in use.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
    }

    /// Whether `add` more bytes keep it under Redis' 1 GB safety limit.
    pub fn safe_to_add(&self, add: usize) -> bool {
        self.bytes.len().saturating_add(add) <= MAX_SAFETY_SIZE
    }

    fn header_count(&self) -> u16 {
        match self.bytes.get(4..6) {
            Some(s) => u16::from_le_bytes([s[0], s[1]]),
            None => 0,
        }
    }

    /// Number of elements; walks the entries when the header says unknown.
    pub fn len(&self) -> usize {
        let n = self.header_count();
        if n != NUMELE_UNKNOWN {
            return n as usize;
        }
        let mut count = 0;
        let mut p = self.first();
        while let Some(off) = p {
            count += 1;
            p = self.next(off);
        }
        count
    }

    /// True when there is no element.
    pub fn is_empty(&self) -> bool {
        self.bytes.get(HDR_SIZE).copied().unwrap_or(EOF) == EOF
    }

    /// Rewrites the header after a mutation that added `added` and removed
    /// `removed` entries. An unknown count stays unknown (as lpInsert does);
    /// reaching 65535 makes it unknown.
    fn fix_header(&mut self, added: usize, removed: usize) {
        let total = u32::try_from(self.bytes.len()).unwrap_or(u32::MAX);
        self.bytes[0..4].copy_from_slice(&total.to_le_bytes());
        let n = self.header_count();
        if n != NUMELE_UNKNOWN {
            let new = (n as usize + added)
                .saturating_sub(removed)
                .min(NUMELE_UNKNOWN as usize) as u16;
            self.bytes[4..6].copy_from_slice(&new.to_le_bytes());
        }
    }

    // ---- navigation by byte offset (lpFirst / lpNext / lpPrev / lpLast) ----

    /// Offset of the first element.
    pub fn first(&self) -> Option<usize> {
        if self.is_empty() {
            None
        } else {
            Some(HDR_SIZE)
        }
    }

    /// Offset just past the entry at `off` (its total size incl. backlen).
    fn skip(&self, off: usize) -> Option<usize> {
        let size = encoded_size(&self.bytes, off)?;
        let next = off.checked_add((size as usize).checked_add(backlen_size(size))?)?;
        if next < self.bytes.len() {
            Some(next)
        } else {
            None
        }
    }

    /// Offset of the element after the one at `off`.
    pub fn next(&self, off: usize) -> Option<usize> {
        let n = self.skip(off)?;
        match self.bytes.get(n) {
            Some(&EOF) | None => None,
            Some(_) => Some(n),
        }
    }

    /// Offset of the element before the one at `off` (or before the
    /// terminator when `off` is its offset), found through the backlen.
    pub fn prev(&self, off: usize) -> Option<usize> {
        if off <= HDR_SIZE {
            return None;
        }
        let size = decode_backlen(&self.bytes, off - 1)?;
        let total = (size as usize).checked_add(backlen_size(size))?;
        let p = off.checked_sub(total)?;
        if p < HDR_SIZE {
            None
        } else {
            Some(p)
        }
    }

    /// Offset of the last element.
    pub fn last(&self) -> Option<usize> {
        self.prev(self.bytes.len().checked_sub(1)?)
    }

    /// Decodes the element at `off` (lpGet).
    pub fn entry_at(&self, off: usize) -> Option<Entry<'_>> {
        let b = &self.bytes;
        let first = *b.get(off)?;
        let data = |from: usize, n: usize| {
            let start = off.checked_add(from)?;
            b.get(start..start.checked_add(n)?)
        };
        // Sign-extends the `n`-byte little-endian integer after the tag.
        let le_int = |n: usize| -> Option<i64> {
            let d = data(1, n)?;
            let mut u: u64 = 0;
            for (i, &x) in d.iter().enumerate() {
                u |= u64::from(x) << (8 * i);
            }
            let shift = 64 - 8 * n as u32;
            Some(((u << shift) as i64) >> shift)
        };
        Some(match first {
            0x00..=0x7F => Entry::Int(i64::from(first)),
            0x80..=0xBF => Entry::Str(data(1, usize::from(first & 0x3F))?),
            0xC0..=0xDF => {
                let u = (u16::from(first & 0x1F) << 8) | u16::from(*data(1, 1)?.first()?);
                // Shift the 13-bit value to the top to sign-extend it.
                Entry::Int(i64::from(((u << 3) as i16) >> 3))
            }
            0xE0..=0xEF => {
                let len = (usize::from(first & 0x0F) << 8) | usize::from(*data(1, 1)?.first()?);
                Entry::Str(data(2, len)?)
            }
            0xF0 => {
                let l = data(1, 4)?;
                let len = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
                Entry::Str(data(5, len)?)
            }
            0xF1 => Entry::Int(le_int(2)?),
            0xF2 => Entry::Int(le_int(3)?),
            0xF3 => Entry::Int(le_int(4)?),
            0xF4 => Entry::Int(le_int(8)?),
            _ => return None,
        })
    }

    /// Offset of element `index`; negative indexes count from the end
    /// (-1 = last). Walks from whichever end is nearer (lpSeek).
    pub fn seek(&self, index: i64) -> Option<usize> {
        let n = self.len() as i64;
        let idx = if index < 0 {
            index.checked_add(n)?
        } else {
            index
        };
        if idx < 0 || idx >= n {
            return None;
        }
        if idx <= n / 2 {
            let mut p = self.first()?;
            for _ in 0..idx {
                p = self.next(p)?;
            }
            Some(p)
        } else {
            let mut p = self.last()?;
            for _ in 0..(n - 1 - idx) {
                p = self.prev(p)?;
            }
            Some(p)
        }
    }

    /// Element at `index` (negative = from the end).
    pub fn get(&self, index: i64) -> Option<Entry<'_>> {
        self.entry_at(self.seek(index)?)
    }

    /// Double-ended iterator over the elements.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            lp: self,
            front: self.first(),
            back: self.last(),
        }
    }

    // ---- search ----

    /// Offset of the first element equal to `value`, starting at the first.
    pub fn find(&self, value: Entry<'_>) -> Option<usize> {
        self.find_from(self.first()?, value, 0)
    }

    /// lpFind: starting at `off`, compares an element, then skips `skip`
    /// elements, and so on (skip = 1 visits only hash fields). Equality is
    /// lpCompare's: string entries compare bytes, integer entries compare
    /// with `value` read as an integer.
    pub fn find_from(&self, off: usize, value: Entry<'_>, skip: usize) -> Option<usize> {
        let owned;
        let (as_int, as_str): (Option<i64>, &[u8]) = match value {
            Entry::Int(v) => {
                owned = v.to_string().into_bytes();
                (Some(v), &owned)
            }
            Entry::Str(s) => (string_to_i64(s), s),
        };
        let mut p = Some(off);
        let mut skipcnt = 0;
        while let Some(cur) = p {
            if skipcnt == 0 {
                let hit = match self.entry_at(cur)? {
                    Entry::Str(s) => s == as_str,
                    Entry::Int(i) => as_int == Some(i),
                };
                if hit {
                    return Some(cur);
                }
                skipcnt = skip;
            } else {
                skipcnt -= 1;
            }
            p = self.next(cur);
        }
        None
    }

    // ---- mutation by offset ----

    /// Inserts `value` before the element at `off` (or at the terminator's
    /// offset to append). Returns the offset of the new element.
    pub fn insert_before(&mut self, off: usize, value: Entry<'_>) -> usize {
        // Clamp to a valid insertion point so a stale offset cannot panic.
        let off = off.clamp(HDR_SIZE, self.bytes.len().saturating_sub(1));
        let enc = encode_entry(value);
        // Exact growth (ThinBuf's), as lpInsert's realloc: doubling would
        // leave up to half of every small hash/zset listpack unused.
        self.bytes.insert_parts(off, &enc.parts());
        self.fix_header(1, 0);
        off
    }

    /// Inserts `value` after the element at `off`; returns its offset.
    pub fn insert_after(&mut self, off: usize, value: Entry<'_>) -> usize {
        let at = self.skip(off).unwrap_or(self.bytes.len().saturating_sub(1));
        self.insert_before(at, value)
    }

    /// Deletes the element at `off`; returns the offset of the element that
    /// followed it, if any (lpDelete).
    pub fn delete_entry(&mut self, off: usize) -> Option<usize> {
        if off < HDR_SIZE {
            return None;
        }
        let end = self.skip(off)?;
        self.bytes.remove(off..end);
        self.fix_header(0, 1);
        match self.bytes.get(off) {
            Some(&EOF) | None => None,
            Some(_) => Some(off),
        }
    }

    /// Replaces the element at `off` with `value`; returns false when `off`
    /// does not point at an element.
    pub fn replace_entry(&mut self, off: usize, value: Entry<'_>) -> bool {
        let Some(end) = self.skip(off) else {
            return false;
        };
        if off < HDR_SIZE {
            return false;
        }
        let enc = encode_entry(value);
        if enc.len() == end - off {
            // Same size (a score or value of the same width): in place.
            let mut at = off;
            for part in enc.parts() {
                self.bytes[at..at + part.len()].copy_from_slice(part);
                at += part.len();
            }
        } else {
            self.bytes.remove(off..end);
            self.bytes.insert_parts(off, &enc.parts());
        }
        self.fix_header(0, 0);
        true
    }

    // ---- mutation by index ----

    /// Appends a string (stored as an integer when it reads as one).
    pub fn push_back(&mut self, value: &[u8]) {
        self.insert_before(self.bytes.len() - 1, Entry::Str(value));
    }

    /// Prepends a string (stored as an integer when it reads as one).
    pub fn push_front(&mut self, value: &[u8]) {
        self.insert_before(HDR_SIZE, Entry::Str(value));
    }

    /// Appends an integer.
    pub fn push_back_int(&mut self, value: i64) {
        self.insert_before(self.bytes.len() - 1, Entry::Int(value));
    }

    /// Prepends an integer.
    pub fn push_front_int(&mut self, value: i64) {
        self.insert_before(HDR_SIZE, Entry::Int(value));
    }

    /// Inserts so that `value` becomes element `index` (0..=len; len
    /// appends). Returns false when `index` is beyond the end.
    pub fn insert_at(&mut self, index: usize, value: Entry<'_>) -> bool {
        let off = match i64::try_from(index).ok().and_then(|i| self.seek(i)) {
            Some(off) => off,
            None if index == self.len() => self.bytes.len() - 1,
            None => return false,
        };
        self.insert_before(off, value);
        true
    }

    /// Deletes element `index` (negative = from the end).
    pub fn delete_at(&mut self, index: i64) -> bool {
        match self.seek(index) {
            Some(off) => {
                self.delete_entry(off);
                true
            }
            None => false,
        }
    }

    /// Deletes up to `count` elements starting at `index` (negative = from
    /// the end), like lpDeleteRange. Returns how many were deleted.
    pub fn delete_range(&mut self, index: i64, count: usize) -> usize {
        if count == 0 {
            return 0;
        }
        let Some(start) = self.seek(index) else {
            return 0;
        };
        let mut end = start;
        let mut deleted = 0;
        while deleted < count {
            match self.skip(end) {
                Some(n) => {
                    end = n;
                    deleted += 1;
                }
                None => break,
            }
            if self.bytes.get(end) == Some(&EOF) {
                break;
            }
        }
        self.bytes.remove(start..end);
        self.fix_header(0, deleted);
        deleted
    }

    /// Replaces element `index` (negative = from the end).
    pub fn replace_at(&mut self, index: i64, value: Entry<'_>) -> bool {
        match self.seek(index) {
            Some(off) => self.replace_entry(off, value),
            None => false,
        }
    }
}

/// Double-ended iterator over a [`Listpack`]'s elements.
pub struct Iter<'a> {
    lp: &'a Listpack,
    front: Option<usize>,
    back: Option<usize>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        let (f, b) = (self.front?, self.back?);
        if f > b {
            return None;
        }
        if f == b {
            // Both ends met: this is the last element to yield.
            self.front = None;
            self.back = None;
        } else {
            self.front = self.lp.next(f);
        }
        self.lp.entry_at(f)
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    fn next_back(&mut self) -> Option<Entry<'a>> {
        let (f, b) = (self.front?, self.back?);
        if f > b {
            return None;
        }
        if f == b {
            self.front = None;
            self.back = None;
        } else {
            self.back = self.lp.prev(b);
        }
        self.lp.entry_at(b)
    }
}

impl<'a> IntoIterator for &'a Listpack {
    type Item = Entry<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Owned model of an element, after lpInsert's string→int conversion.
    #[derive(Clone, Debug, PartialEq)]
    enum M {
        I(i64),
        S(Vec<u8>),
    }

    fn model(e: Entry<'_>) -> M {
        match e {
            Entry::Int(v) => M::I(v),
            Entry::Str(s) => match string_to_i64(s) {
                Some(v) => M::I(v),
                None => M::S(s.to_vec()),
            },
        }
    }

    fn contents(lp: &Listpack) -> Vec<M> {
        lp.iter().map(model).collect()
    }

    use crate::util::testrng::Rng;

    #[test]
    fn empty_listpack() {
        let lp = Listpack::new();
        assert_eq!(lp.as_bytes(), &[7, 0, 0, 0, 0, 0, 0xFF]);
        assert_eq!(lp.len(), 0);
        assert!(lp.is_empty());
        assert_eq!(lp.first(), None);
        assert_eq!(lp.last(), None);
        assert_eq!(lp.get(0), None);
        assert_eq!(lp.get(-1), None);
        assert!(Listpack::from_bytes(lp.as_bytes().to_vec()).is_some());
    }

    /// Hand-computed bytes for RPUSH l a 1 hello 1024 -1 5000000000; the
    /// same bytes were read back from a real redis-server 7.0.15 DUMP.
    pub(super) const SAMPLE: &[u8] = &[
        35, 0, 0, 0, 6, 0, // total 35 bytes, 6 elements
        0x81, b'a', 2, // "a": 6-bit str, backlen 2
        0x01, 1, // 1: 7-bit uint
        0x85, b'h', b'e', b'l', b'l', b'o', 6, // "hello"
        0xC4, 0x00, 2, // 1024: 13-bit int
        0xDF, 0xFF, 2, // -1: 13-bit int (8191)
        0xF4, 0x00, 0xF2, 0x05, 0x2A, 0x01, 0, 0, 0, 9, // 5000000000: 64-bit
        0xFF,
    ];

    #[test]
    fn exact_bytes_sample() {
        let mut lp = Listpack::new();
        for v in ["a", "1", "hello", "1024", "-1", "5000000000"] {
            lp.push_back(v.as_bytes());
        }
        assert_eq!(lp.as_bytes(), SAMPLE);
        assert_eq!(
            lp.iter().collect::<Vec<_>>(),
            vec![
                Entry::Str(b"a"),
                Entry::Int(1),
                Entry::Str(b"hello"),
                Entry::Int(1024),
                Entry::Int(-1),
                Entry::Int(5000000000)
            ]
        );
        assert!(Listpack::validate(SAMPLE, true));
    }

    #[test]
    fn exact_bytes_other_encodings() {
        let mut lp = Listpack::new();
        lp.push_back_int(-4097); // 16-bit
        lp.push_back_int(40000); // 24-bit
        lp.push_back_int(-10_000_000); // 32-bit
        let mut want = vec![0, 0, 0, 0, 3, 0];
        want.extend_from_slice(&[0xF1, 0xFF, 0xEF, 3]);
        want.extend_from_slice(&[0xF2, 0x40, 0x9C, 0x00, 4]);
        want.extend_from_slice(&[0xF3]);
        want.extend_from_slice(&(-10_000_000i32).to_le_bytes());
        want.extend_from_slice(&[5, 0xFF]);
        let total = want.len() as u32;
        want[0..4].copy_from_slice(&total.to_le_bytes());
        assert_eq!(lp.as_bytes(), &want[..]);

        // 12-bit string of 200 bytes: entry size 202 => 2-byte backlen
        // [202 >> 7, (202 & 127) | 128] = [1, 0xCA].
        let s = vec![b'x'; 200];
        let mut lp = Listpack::new();
        lp.push_back(&s);
        let b = lp.as_bytes();
        assert_eq!(&b[6..8], &[0xE0, 200]);
        assert_eq!(&b[208..], &[1, 0xCA, 0xFF]);
        // 32-bit string of 5000 bytes: size 5005 => backlen [39, 0x8D].
        let s = vec![b'y'; 5000];
        let mut lp = Listpack::new();
        lp.push_back(&s);
        let b = lp.as_bytes();
        assert_eq!(&b[6..11], &[0xF0, 0x88, 0x13, 0, 0]);
        assert_eq!(&b[5011..], &[39, 0x8D, 0xFF]);
        assert_eq!(lp.get(0), Some(Entry::Str(&s[..])));
    }

    /// DUMP payloads captured from a real redis-server 7.0.15 (started
    /// with `--rdbcompression no`), CRC/version trailer removed.
    #[test]
    fn matches_real_redis_dump() {
        // HSET h a 1 hello 1024 -1 5000000000 -> RDB_TYPE_HASH_LISTPACK (16),
        // string length 35, then the listpack.
        let dump_h: &[u8] = &[
            16, 35, 35, 0, 0, 0, 6, 0, 129, 97, 2, 1, 1, 133, 104, 101, 108, 108, 111, 6, 196, 0,
            2, 223, 255, 2, 244, 0, 242, 5, 42, 1, 0, 0, 0, 9, 255,
        ];
        assert_eq!(&dump_h[2..], SAMPLE);
        // RPUSH l2 -4097 40000 -10000000 <200 x> 7 -> RDB_TYPE_LIST_QUICKLIST_2
        // (18), 1 node, PACKED (2), 14-bit string length 228, listpack.
        let mut dump_l2: Vec<u8> = vec![
            18, 1, 2, 64, 228, 228, 0, 0, 0, 5, 0, 241, 255, 239, 3, 242, 64, 156, 0, 4, 243, 128,
            105, 103, 255, 5, 224, 200,
        ];
        dump_l2.extend_from_slice(&[b'x'; 200]);
        dump_l2.extend_from_slice(&[1, 202, 7, 1, 255]);
        let mut lp = Listpack::new();
        for v in [-4097, 40000, -10_000_000] {
            lp.push_back(v.to_string().as_bytes());
        }
        lp.push_back(&[b'x'; 200]);
        lp.push_back_int(7);
        assert_eq!(&dump_l2[5..], lp.as_bytes());
        assert!(Listpack::from_bytes(dump_l2[5..].to_vec()).is_some());
    }

    #[test]
    fn entry_size_matches_the_encoding() {
        let mut rng = Rng(5);
        for _ in 0..2000 {
            let value: Vec<u8> = match rng.below(4) {
                0 => (rng.next() as i64 >> rng.below(64))
                    .to_string()
                    .into_bytes(),
                1 => vec![b'x'; rng.below(5000) as usize],
                2 => vec![b'y'; rng.below(130) as usize],
                _ => (0..rng.below(20)).map(|_| rng.next() as u8).collect(),
            };
            let mut lp = Listpack::new();
            lp.push_back(&value);
            assert_eq!(
                entry_size(&value),
                lp.bytes_len() - HDR_SIZE - 1,
                "{value:?}"
            );
        }
    }

    #[test]
    fn backlen_encoding() {
        for (l, want) in [
            (0u64, vec![0u8]),
            (127, vec![127]),
            (128, vec![1, 128]),
            (16382, vec![127, 0xFE]),
            (16383, vec![0, 0xFF, 0xFF]),
            (2097151, vec![0, 0xFF, 0xFF, 0xFF]),
            (268435455, vec![0, 0xFF, 0xFF, 0xFF, 0xFF]),
        ] {
            let mut out = Vec::new();
            encode_backlen(l, &mut out);
            assert_eq!(out, want, "l = {l}");
            assert_eq!(decode_backlen(&out, out.len() - 1), Some(l));
        }
    }

    #[test]
    fn string_to_int_rules() {
        assert_eq!(string_to_i64(b"0"), Some(0));
        assert_eq!(string_to_i64(b"-0"), None);
        assert_eq!(string_to_i64(b"01"), None);
        assert_eq!(string_to_i64(b"+1"), None);
        assert_eq!(string_to_i64(b" 1"), None);
        assert_eq!(string_to_i64(b"1 "), None);
        assert_eq!(string_to_i64(b"-"), None);
        assert_eq!(string_to_i64(b""), None);
        assert_eq!(string_to_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string_to_i64(b"9223372036854775808"), None);
        assert_eq!(string_to_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(string_to_i64(b"-9223372036854775809"), None);
        assert_eq!(string_to_i64(b"99999999999999999999"), None);
        assert_eq!(string_to_i64(b"123456789012345678901"), None);
    }

    #[test]
    fn encoding_boundaries_round_trip() {
        let ints = [
            0,
            127,
            128,
            -1,
            4095,
            4096,
            -4096,
            -4097,
            32767,
            32768,
            -32768,
            -32769,
            8388607,
            8388608,
            -8388608,
            -8388609,
            i64::from(i32::MAX),
            i64::from(i32::MAX) + 1,
            i64::from(i32::MIN),
            i64::from(i32::MIN) - 1,
            i64::MAX,
            i64::MIN,
        ];
        let sizes = [
            (0, 2),
            (127, 2),
            (128, 3),
            (-1, 3),
            (4095, 3),
            (4096, 4),
            (-4096, 3),
            (-4097, 4),
            (32767, 4),
            (32768, 5),
            (8388608, 6),
            (i64::MAX, 10),
        ];
        let mut lp = Listpack::new();
        for &v in &ints {
            lp.push_back_int(v);
            let mut one = Listpack::new();
            one.push_back(v.to_string().as_bytes());
            assert_eq!(one.get(0), Some(Entry::Int(v)));
        }
        for (v, size) in sizes {
            let mut one = Listpack::new();
            one.push_back_int(v);
            assert_eq!(one.bytes_len(), HDR_SIZE + 1 + size, "v = {v}");
        }
        let strs: Vec<Vec<u8>> = [0usize, 1, 63, 64, 127, 128, 4095, 4096, 16380, 20000]
            .iter()
            .map(|&n| (0..n).map(|i| b'a' + (i % 26) as u8).collect())
            .collect();
        for s in &strs {
            lp.push_back(s);
        }
        let lp = Listpack::from_bytes(lp.into_bytes()).unwrap();
        let got: Vec<Entry> = lp.iter().collect();
        let mut want: Vec<Entry> = ints.iter().map(|&v| Entry::Int(v)).collect();
        want.extend(strs.iter().map(|s| Entry::Str(&s[..])));
        assert_eq!(got, want);
        let mut back: Vec<Entry> = lp.iter().rev().collect();
        back.reverse();
        assert_eq!(back, want);
        for (i, w) in want.iter().enumerate() {
            assert_eq!(lp.get(i as i64).as_ref(), Some(w));
            assert_eq!(lp.get(i as i64 - want.len() as i64).as_ref(), Some(w));
        }
    }

    #[test]
    fn index_operations() {
        let mut lp = Listpack::new();
        for v in ["b", "d"] {
            lp.push_back(v.as_bytes());
        }
        lp.push_front(b"a");
        assert!(lp.insert_at(2, Entry::Str(b"c")));
        assert!(lp.insert_at(4, Entry::Int(5)));
        assert!(!lp.insert_at(9, Entry::Int(5)));
        assert_eq!(lp.len(), 5);
        assert_eq!(lp.get(-1), Some(Entry::Int(5)));
        assert!(lp.replace_at(-1, Entry::Str(b"e")));
        assert!(lp.replace_at(0, Entry::Str(&[b'z'; 300])));
        assert!(lp.replace_at(0, Entry::Str(b"a")));
        let strs: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
        assert_eq!(
            strs,
            vec![
                b"a".to_vec(),
                b"b".to_vec(),
                b"c".to_vec(),
                b"d".to_vec(),
                b"e".to_vec()
            ]
        );
        assert_eq!(lp.find(Entry::Str(b"c")), lp.seek(2));
        assert_eq!(lp.find(Entry::Str(b"x")), None);
        // skip = 1 only compares every other element (hash fields).
        let first = lp.first().unwrap();
        assert_eq!(lp.find_from(first, Entry::Str(b"b"), 1), None);
        assert_eq!(lp.find_from(first, Entry::Str(b"c"), 1), lp.seek(2));
        assert!(lp.delete_at(1));
        assert_eq!(lp.delete_range(1, 2), 2);
        assert_eq!(
            contents(&lp),
            vec![M::S(b"a".to_vec()), M::S(b"e".to_vec())]
        );
        assert_eq!(lp.delete_range(-1, 10), 1);
        assert_eq!(lp.delete_range(5, 1), 0);
        assert!(!lp.delete_at(3));
        assert_eq!(lp.as_bytes(), &[10, 0, 0, 0, 1, 0, 0x81, b'a', 2, 0xFF]);
    }

    #[test]
    fn find_compares_like_redis() {
        let mut lp = Listpack::new();
        lp.push_back(b"10");
        lp.push_back(b"010");
        assert_eq!(lp.find(Entry::Str(b"10")), Some(HDR_SIZE));
        assert_eq!(lp.find(Entry::Int(10)), Some(HDR_SIZE));
        assert_eq!(lp.find(Entry::Str(b"010")), lp.seek(1));
        assert_eq!(lp.find(Entry::Str(b"10.0")), None);
    }

    #[test]
    fn unknown_count_header() {
        let mut lp = Listpack::new();
        for i in 0..65534 {
            lp.push_back_int(i % 100);
        }
        assert_eq!(lp.header_count(), 65534);
        lp.push_back_int(1);
        assert_eq!(lp.header_count(), NUMELE_UNKNOWN);
        lp.push_back_int(2);
        assert_eq!(lp.len(), 65536);
        assert!(lp.delete_at(-1));
        assert!(lp.delete_at(-1));
        // Unknown stays unknown, as in Redis, but len() still counts.
        assert_eq!(lp.header_count(), NUMELE_UNKNOWN);
        assert_eq!(lp.len(), 65534);
        assert_eq!(lp.get(-1), Some(Entry::Int(65533 % 100)));
        assert!(Listpack::validate(lp.as_bytes(), true));
    }

    #[test]
    fn random_ops_against_vec() {
        let mut rng = Rng(0x2545F4914F6CDD1D);
        let mut lp = Listpack::new();
        let mut m: Vec<M> = Vec::new();
        for step in 0..6000 {
            let val: Vec<u8> = match rng.below(6) {
                0 => (rng.next() as i64).to_string().into_bytes(),
                1 => ((rng.below(20000) as i64) - 10000).to_string().into_bytes(),
                2 => vec![b'q'; rng.below(5000) as usize],
                3 => b"007".to_vec(),
                _ => (0..rng.below(70))
                    .map(|_| b'a' + rng.below(26) as u8)
                    .collect(),
            };
            let n = m.len() as i64;
            match rng.below(8) {
                0 => {
                    lp.push_back(&val);
                    m.push(model(Entry::Str(&val)));
                }
                1 => {
                    lp.push_front(&val);
                    m.insert(0, model(Entry::Str(&val)));
                }
                2 => {
                    let i = rng.below(n as u64 + 1) as usize;
                    assert!(lp.insert_at(i, Entry::Str(&val)));
                    m.insert(i, model(Entry::Str(&val)));
                }
                3 if n > 0 => {
                    let i = rng.below(n as u64) as i64 - if rng.below(2) == 0 { 0 } else { n };
                    assert!(lp.delete_at(i));
                    m.remove(if i < 0 { (i + n) as usize } else { i as usize });
                }
                4 if n > 0 => {
                    let i = rng.below(n as u64) as usize;
                    let c = rng.below(5) as usize;
                    assert_eq!(lp.delete_range(i as i64, c), c.min(m.len() - i));
                    m.drain(i..(i + c).min(m.len()));
                }
                5 if n > 0 => {
                    let i = rng.below(n as u64) as usize;
                    let v = rng.next() as i64 >> rng.below(64);
                    assert!(lp.replace_at(i as i64, Entry::Int(v)));
                    m[i] = M::I(v);
                }
                6 if n > 0 => {
                    let i = rng.below(n as u64) as usize;
                    assert_eq!(lp.get(i as i64).map(model).as_ref(), Some(&m[i]));
                    let found = lp.find(lp.get(i as i64).unwrap());
                    let mi = m.iter().position(|x| *x == m[i]).unwrap();
                    assert_eq!(found, lp.seek(mi as i64));
                }
                _ => {}
            }
            if step % 50 == 0 {
                assert_eq!(contents(&lp), m);
                let mut back: Vec<M> = lp.iter().rev().map(model).collect();
                back.reverse();
                assert_eq!(back, m);
                assert_eq!(lp.len(), m.len());
                assert!(Listpack::validate(lp.as_bytes(), true));
            }
        }
        assert_eq!(contents(&lp), m);
    }

    #[test]
    fn validation_rejects_corruption() {
        assert!(!Listpack::validate(&[], true));
        assert!(!Listpack::validate(&[7, 0, 0, 0, 0, 0], true));
        assert!(!Listpack::validate(&[7, 0, 0, 0, 0, 0, 0xFE], false));
        assert!(!Listpack::validate(&[8, 0, 0, 0, 0, 0, 0xFF], false));
        // Wrong count.
        let mut b = SAMPLE.to_vec();
        b[4] = 5;
        assert!(Listpack::validate(&b, false));
        assert!(!Listpack::validate(&b, true));
        b[4] = 0xFF;
        b[5] = 0xFF;
        assert!(Listpack::validate(&b, true)); // unknown count is fine
                                               // Bad backlen of "a".
        let mut b = SAMPLE.to_vec();
        b[8] = 3;
        assert!(!Listpack::validate(&b, true));
        // Invalid encoding byte.
        let mut b = SAMPLE.to_vec();
        b[6] = 0xF5;
        assert!(!Listpack::validate(&b, true));
        // String length past the end.
        let mut b = SAMPLE.to_vec();
        b[11] = 0xBF;
        assert!(!Listpack::validate(&b, true));
        // Early terminator.
        let mut b = SAMPLE.to_vec();
        b[9] = 0xFF;
        assert!(!Listpack::validate(&b, true));
        // Truncations with the header patched to match.
        for cut in 7..SAMPLE.len() - 1 {
            let mut b = SAMPLE[..cut].to_vec();
            b.push(0xFF);
            let total = b.len() as u32;
            b[0..4].copy_from_slice(&total.to_le_bytes());
            assert!(Listpack::from_bytes(b).is_none(), "cut {cut}");
        }
    }

    #[test]
    fn fuzz_mutations_never_panic() {
        let mut base = Listpack::new();
        for v in ["a", "1", "hello", "1024", "-1", "5000000000", "70000"] {
            base.push_back(v.as_bytes());
        }
        base.push_back(&[b'z'; 100]);
        base.push_back(&[b'w'; 5000]);
        let base = base.into_bytes();
        let mut rng = Rng(7);
        for _ in 0..5000 {
            let mut b = base.clone();
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(b.len() as u64) as usize;
                match rng.below(4) {
                    0 => b[i] = rng.next() as u8,
                    1 => b[i] ^= 1 << rng.below(8),
                    2 => b.truncate(i.max(1)),
                    _ => b.insert(i, rng.next() as u8),
                }
            }
            if rng.below(2) == 0 && b.len() >= 4 {
                // Patch the total so the deep walk is exercised.
                let total = b.len() as u32;
                b[0..4].copy_from_slice(&total.to_le_bytes());
            }
            let _ = Listpack::validate(&b, false);
            if let Some(mut lp) = Listpack::from_bytes(b) {
                // Whatever passed validation must be fully usable.
                let fwd: Vec<Entry> = lp.iter().collect();
                let mut back: Vec<Entry> = lp.iter().rev().collect();
                back.reverse();
                assert_eq!(fwd, back);
                assert_eq!(fwd.len(), lp.len());
                lp.push_back(b"x");
                lp.delete_at(0);
                assert!(Listpack::validate(lp.as_bytes(), true));
            }
        }
    }
}
