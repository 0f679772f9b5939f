//! The hash value type (the data-structure half of Redis' t_hash.c).
//!
//! Two encodings, with Redis' names and conversion rules:
//!
//! * `listpack`: field, value, field, value ... in one [`Listpack`], in
//!   insertion order. Lookups are linear, which is fine because the encoding
//!   is only kept while the hash is small.
//! * `hashtable`: a [`Dict`] with one node per field.
//!
//! A hash starts as a listpack and becomes a hashtable, never the other way
//! round (Redis' `hashTypeConvert` refuses to go back), when:
//!
//! * a command is about to write an argument longer than
//!   `hash-max-listpack-value` bytes, or arguments whose total would push
//!   the listpack past its 1 GB safety size ([`Hash::try_conversion`], run
//!   by HSET/HMSET/HSETNX on all their fields and values before writing);
//! * a single write brings a field or value longer than
//!   `hash-max-listpack-value` ([`Hash::set`]; this is what catches the
//!   values HINCRBY/HINCRBYFLOAT compute);
//! * a write leaves more than `hash-max-listpack-entries` fields.
//!
//! Memory layout of the hashtable encoding: Redis keeps a 24-byte
//! `dictEntry` plus two sds strings (header + bytes + NUL each, rounded up
//! to an allocator size class separately). Here the dict key is a [`Pair`],
//! one boxed slice holding `varint(field length) ++ field ++ value`, and
//! the dict value is `()`, so a node is 24 bytes (slice pointer, length,
//! chain link) and each field costs one allocation instead of two; that
//! never takes more than Redis' two sds. The price is that a new value
//! replaces the whole pair (remove + insert), which the dict makes cheap.

use crate::db::dict::{random_below, Dict, DictKey};
use crate::types::listpack::{Entry, Listpack};
use crate::types::value::alloc_size;
use crate::util::thin::Packed;
use crate::util::thin::View::{Big as Table, Small as Lp};
use std::collections::HashSet;
use std::mem;

/// The two configuration values that decide the encoding
/// (`hash-max-listpack-entries`, `hash-max-listpack-value`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

/// How many times bigger than the requested count a hash must be for
/// HRANDFIELD to pick elements one by one rather than copying the whole hash
/// and removing picks (Redis' `HRANDFIELD_SUB_STRATEGY_MUL`).
const SUB_STRATEGY_MUL: usize = 3;

// ---------------------------------------------------------------------------
// Pair: one field and its value in one allocation
// ---------------------------------------------------------------------------

/// A field and its value stored together: `varint(field len)`, the field,
/// then the value (whose length is what remains). The varint is LEB128:
/// seven bits per byte, low groups first, high bit = more bytes follow.
/// Only the field is the dict key.
pub struct Pair(Box<[u8]>);

impl Pair {
    pub fn new(field: &[u8], value: &[u8]) -> Pair {
        let mut buf = Vec::with_capacity(varint_len(field.len()) + field.len() + value.len());
        let mut n = field.len();
        while n >= 0x80 {
            buf.push((n as u8 & 0x7F) | 0x80);
            n >>= 7;
        }
        buf.push(n as u8);
        buf.extend_from_slice(field);
        buf.extend_from_slice(value);
        Pair(buf.into_boxed_slice())
    }

    /// (field, value). The buffer is only ever built by [`Pair::new`], so
    /// the fallbacks to empty slices are unreachable; they keep this free of
    /// panicking paths.
    #[inline]
    pub fn split(&self) -> (&[u8], &[u8]) {
        let b = &self.0;
        // Fast path: fields shorter than 128 bytes have a one-byte length.
        if let Some(&first) = b.first() {
            if first < 0x80 {
                return b[1..]
                    .split_at_checked(first as usize)
                    .unwrap_or((&[], &[]));
            }
        }
        let mut len = 0usize;
        let mut i = 0;
        loop {
            let Some(&byte) = b.get(i) else {
                return (&[], &[]);
            };
            i += 1;
            len |= ((byte & 0x7F) as usize)
                .checked_shl(7 * (i as u32 - 1))
                .unwrap_or(0);
            if byte & 0x80 == 0 {
                break;
            }
        }
        b.get(i..)
            .and_then(|rest| rest.split_at_checked(len))
            .unwrap_or((&[], &[]))
    }

    pub fn field(&self) -> &[u8] {
        self.split().0
    }

    pub fn value(&self) -> &[u8] {
        self.split().1
    }

    /// Bytes of the pair's own allocation, as the allocator rounds it.
    fn alloc_bytes(&self) -> usize {
        alloc_size(self.0.len())
    }
}

impl DictKey for Pair {
    #[inline]
    fn key_bytes(&self) -> &[u8] {
        self.field()
    }
}

fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

/// Bytes of a dict node for a hash field: the pair's slice pointer and
/// length plus the chain link (the value is `()`).
const NODE_BYTES: usize = mem::size_of::<Pair>() + mem::size_of::<usize>();

/// Length of an element as a reply would show it (HSTRLEN): integers in
/// decimal (Redis' `sdigits10`).
pub fn entry_len(e: &Entry<'_>) -> usize {
    match e {
        Entry::Str(s) => s.len(),
        Entry::Int(v) => crate::util::number::digits10(v.unsigned_abs()) + usize::from(*v < 0),
    }
}

fn entry_bytes<'a>(e: &Entry<'_>, buf: &'a mut [u8; 20]) -> &'a [u8] {
    match e {
        // Copying a string would be wasted work; callers use this for ints.
        Entry::Str(_) => &buf[..0],
        Entry::Int(v) => crate::util::number::fmt_i64(*v, buf),
    }
}

// ---------------------------------------------------------------------------
// Hash
// ---------------------------------------------------------------------------

/// A listpack or a boxed dict in one pointer: a small hash costs its
/// listpack and nothing more (Redis adds a 16-byte robj).
type Enc = Packed<Listpack, Dict<Pair, ()>>;

/// A hash value: `listpack` or `hashtable` encoded (see the module docs).
pub struct Hash {
    enc: Enc,
}

impl Default for Hash {
    fn default() -> Self {
        Hash {
            enc: Packed::small(Listpack::new()),
        }
    }
}

impl Clone for Hash {
    /// Same encoding as the original (Redis' `hashTypeDup`, for COPY).
    fn clone(&self) -> Self {
        match self.enc.get() {
            Lp(lp) => Hash {
                enc: Packed::small(lp.clone()),
            },
            Table(d) => {
                let mut t = Dict::with_capacity(d.len());
                for (p, _) in d.iter() {
                    let (f, v) = p.split();
                    t.insert_new(Pair::new(f, v), ());
                }
                Hash {
                    enc: Packed::big(Box::new(t)),
                }
            }
        }
    }
}

impl Hash {
    /// An empty listpack-encoded hash.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adopts a listpack of field/value pairs (RDB / RESTORE); `None` when
    /// it holds an odd number of elements. The caller converts afterwards
    /// if the limits call for it ([`Hash::convert_if_over`]).
    pub fn from_listpack(lp: Listpack) -> Option<Hash> {
        if !lp.len().is_multiple_of(2) {
            return None;
        }
        Some(Hash {
            enc: Packed::small(lp),
        })
    }

    /// The listpack, when that is the encoding (DUMP, DEBUG LISTPACK).
    pub fn listpack(&self) -> Option<&Listpack> {
        match self.enc.get() {
            Lp(lp) => Some(lp),
            Table(_) => None,
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self.enc.get() {
            Lp(lp) => lp.len() / 2,
            Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Redis' OBJECT ENCODING name for the current encoding.
    pub fn encoding_name(&self) -> &'static str {
        match self.enc.get() {
            Lp(_) => "listpack",
            Table(_) => "hashtable",
        }
    }

    pub fn is_table(&self) -> bool {
        matches!(self.enc.get(), Table(_))
    }

    /// MEMORY USAGE's figure for the value (robj included), counted the way
    /// Redis' objectComputeSize counts: the listpack's allocation; or the
    /// table (dict struct, bucket array) plus, for the first `samples`
    /// fields (usize::MAX = all), node and pair sizes, scaled up to the
    /// whole hash by their average.
    pub fn mem_usage(&self, samples: usize) -> usize {
        const ROBJ: usize = 16;
        match self.enc.get() {
            Lp(lp) => ROBJ + alloc_size(lp.bytes_len()),
            Table(d) => {
                let (b0, b1) = d.buckets();
                let mut size = ROBJ + mem::size_of::<Dict<Pair, ()>>() + (b0 + b1) * 8;
                let (mut taken, mut ele) = (0usize, 0usize);
                for (p, _) in d.iter().take(samples.max(1)) {
                    ele += NODE_BYTES + p.alloc_bytes();
                    taken += 1;
                }
                if taken > 0 {
                    size += (ele as f64 / taken as f64 * d.len() as f64) as usize;
                }
                size
            }
        }
    }

    /// Every (field, value) pair, in storage order.
    pub fn iter(&self) -> Iter<'_> {
        match self.enc.get() {
            Lp(lp) => Iter::Listpack(lp.iter()),
            Table(d) => Iter::Table(d.iter()),
        }
    }

    // --- lookups --------------------------------------------------------------

    /// The value of `field` (hashTypeGetValue). Takes `&mut self` because a
    /// lookup in the hashtable encoding moves an incremental rehash along.
    pub fn get(&mut self, field: &[u8]) -> Option<Entry<'_>> {
        match self.enc.get_mut() {
            Lp(lp) => lp_get(lp, field),
            Table(d) => d.get_key_value(field).map(|(p, _)| Entry::Str(p.value())),
        }
    }

    /// [`Hash::get`] without the rehash step.
    pub fn peek(&self, field: &[u8]) -> Option<Entry<'_>> {
        match self.enc.get() {
            Lp(lp) => lp_get(lp, field),
            Table(d) => d.peek_key_value(field).map(|(p, _)| Entry::Str(p.value())),
        }
    }

    pub fn contains(&mut self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    // --- writes ---------------------------------------------------------------

    /// Redis' hashTypeTryConversion, run before a command writes: converts
    /// a listpack to a hashtable when any of the arguments about to be
    /// written (`lens`: every field and value length) is longer than
    /// `max_value`, or when all of them together could take the listpack
    /// past its safety size.
    pub fn try_conversion(&mut self, lens: impl IntoIterator<Item = usize>, max_value: usize) {
        let Lp(lp) = self.enc.get() else {
            return;
        };
        let mut sum = 0usize;
        for len in lens {
            if len > max_value {
                self.convert_to_table();
                return;
            }
            sum = sum.saturating_add(len);
        }
        if !lp.safe_to_add(sum) {
            self.convert_to_table();
        }
    }

    /// Sets `field` to `value` (hashTypeSet); returns true when the field
    /// existed (an update), false when it was added. Converts to a
    /// hashtable first if either is longer than `lim.max_value`, and after
    /// if the listpack now has more than `lim.max_entries` fields.
    pub fn set(&mut self, field: &[u8], value: &[u8], lim: Limits) -> bool {
        if !self.is_table() && (field.len() > lim.max_value || value.len() > lim.max_value) {
            self.convert_to_table();
        }
        match self.enc.get_mut() {
            Lp(lp) => {
                let update = match lp
                    .first()
                    .and_then(|p| lp.find_from(p, Entry::Str(field), 1))
                {
                    Some(foff) => match lp.next(foff) {
                        Some(voff) => lp.replace_entry(voff, Entry::Str(value)),
                        None => false,
                    },
                    None => false,
                };
                if !update {
                    lp.push_back(field);
                    lp.push_back(value);
                }
                if lp.len() / 2 > lim.max_entries {
                    self.convert_to_table();
                }
                update
            }
            Table(d) => {
                let update = d.remove(field).is_some();
                d.insert_new(Pair::new(field, value), ());
                update
            }
        }
    }

    /// Removes `field`; returns whether it was there (hashTypeDelete). A
    /// hashtable that falls under 10% full starts shrinking, as Redis
    /// checks after every delete.
    pub fn delete(&mut self, field: &[u8]) -> bool {
        match self.enc.get_mut() {
            Lp(lp) => {
                let Some(foff) = lp
                    .first()
                    .and_then(|p| lp.find_from(p, Entry::Str(field), 1))
                else {
                    return false;
                };
                if lp.delete_entry(foff).is_some() {
                    lp.delete_entry(foff);
                }
                true
            }
            Table(d) => {
                if d.remove(field).is_none() {
                    return false;
                }
                if d.needs_shrink() {
                    d.shrink_to_fit();
                }
                true
            }
        }
    }

    /// Converts to the hashtable encoding when the limits call for it:
    /// more than `max_entries` fields or an element longer than
    /// `max_value` (what loading a listpack from RDB checks).
    pub fn convert_if_over(&mut self, lim: Limits) {
        if let Lp(lp) = self.enc.get() {
            let too_long = lp.iter().any(|e| entry_len(&e) > lim.max_value);
            if too_long || lp.len() / 2 > lim.max_entries {
                self.convert_to_table();
            }
        }
    }

    /// Moves the fields of a listpack into a hashtable, sized up front for
    /// all of them (hashTypeConvertListpack). No-op for a hashtable.
    pub fn convert_to_table(&mut self) {
        let Lp(lp) = self.enc.get() else {
            return;
        };
        let mut d = Dict::with_capacity(lp.len() / 2);
        let mut it = lp.iter();
        let (mut fb, mut vb) = ([0u8; 20], [0u8; 20]);
        while let (Some(f), Some(v)) = (it.next(), it.next()) {
            let field = match f {
                Entry::Str(s) => s,
                Entry::Int(_) => entry_bytes(&f, &mut fb),
            };
            let value = match v {
                Entry::Str(s) => s,
                Entry::Int(_) => entry_bytes(&v, &mut vb),
            };
            // A listpack from a corrupt payload could repeat a field; the
            // later value wins instead of leaving a duplicate in the dict.
            d.insert(Pair::new(field, value), ());
        }
        self.enc = Packed::big(Box::new(d));
    }

    // --- scanning and sampling ------------------------------------------------

    /// One HSCAN step over a hashtable (see `Dict::scan`), calling `f` on
    /// each (field, value) of the visited buckets; `None` for a listpack,
    /// which callers return whole, as Redis does.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &[u8])) -> Option<u64> {
        match self.enc.get() {
            Lp(_) => None,
            Table(d) => Some(d.scan(cursor, |p, _| {
                let (k, v) = p.split();
                f(k, v)
            })),
        }
    }

    /// A random (field, value), each field equally likely; `None` when
    /// empty (hashTypeRandomElement).
    pub fn random_pair(&mut self) -> Option<(Entry<'_>, Entry<'_>)> {
        match self.enc.get_mut() {
            Lp(lp) => {
                let n = lp.len() / 2;
                if n == 0 {
                    return None;
                }
                let off = lp.seek(2 * random_below(n) as i64)?;
                Some((lp.entry_at(off)?, lp.entry_at(lp.next(off)?)?))
            }
            Table(d) => d.random_entry().map(|(p, _)| {
                let (k, v) = p.split();
                (Entry::Str(k), Entry::Str(v))
            }),
        }
    }

    /// `count` random pairs, with repetition, in random order (HRANDFIELD
    /// with a negative count). `f` returns false to stop early (a client
    /// past its output limit). Nothing proportional to `count` is
    /// allocated, so a huge count costs only the time to emit it.
    pub fn random_pairs(&mut self, count: u64, mut f: impl FnMut(Entry<'_>, Entry<'_>) -> bool) {
        match self.enc.get_mut() {
            Lp(lp) => {
                // Picking by position would walk the listpack each time;
                // remember where every field starts instead.
                let offs = field_offsets(lp);
                if offs.is_empty() {
                    return;
                }
                for _ in 0..count {
                    let Some(&off) = offs.get(random_below(offs.len())) else {
                        return;
                    };
                    let Some((k, v)) = pair_at(lp, off) else {
                        return;
                    };
                    if !f(k, v) {
                        return;
                    }
                }
            }
            Table(d) => {
                for _ in 0..count {
                    let Some((p, _)) = d.random_entry() else {
                        return;
                    };
                    let (k, v) = p.split();
                    if !f(Entry::Str(k), Entry::Str(v)) {
                        return;
                    }
                }
            }
        }
    }

    /// `count` distinct random pairs (HRANDFIELD with a positive count),
    /// choosing Redis' strategy by size: all of them when `count >= len`;
    /// when the hash is less than three times `count`, a copy of all the
    /// pairs from which random ones are dropped; otherwise, for a listpack,
    /// one pass that keeps each pair with the probability still needed
    /// (so they come out in listpack order, like lpRandomPairsUnique), and
    /// for a hashtable, random draws until enough distinct fields are seen.
    pub fn random_pairs_unique(&mut self, count: usize, mut f: impl FnMut(Entry<'_>, Entry<'_>)) {
        let size = self.len();
        if count >= size {
            for (k, v) in self.iter() {
                f(k, v);
            }
            return;
        }
        if count.saturating_mul(SUB_STRATEGY_MUL) > size {
            let mut all: Vec<(Entry<'_>, Entry<'_>)> = self.iter().collect();
            while all.len() > count {
                all.swap_remove(random_below(all.len()));
            }
            for (k, v) in all {
                f(k, v);
            }
            return;
        }
        match self.enc.get_mut() {
            Lp(lp) => {
                let mut it = lp.iter();
                let (mut needed, mut left) = (count, size);
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    if needed == 0 {
                        break;
                    }
                    if random_below(left) < needed {
                        f(k, v);
                        needed -= 1;
                    }
                    left -= 1;
                }
            }
            Table(d) => {
                let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(count);
                while seen.len() < count {
                    let Some((p, _)) = d.random_entry() else {
                        return;
                    };
                    let (k, v) = p.split();
                    if seen.insert(k.to_vec()) {
                        f(Entry::Str(k), Entry::Str(v));
                    }
                }
            }
        }
    }

    /// DEBUG HTSTATS-KEY's text for the hashtable encoding; `None` for a
    /// listpack.
    pub fn table_stats(&self) -> Option<String> {
        match self.enc.get() {
            Lp(_) => None,
            Table(d) => Some(d.stats_text()),
        }
    }
}

fn lp_get<'a>(lp: &'a Listpack, field: &[u8]) -> Option<Entry<'a>> {
    let foff = lp.find_from(lp.first()?, Entry::Str(field), 1)?;
    lp.entry_at(lp.next(foff)?)
}

/// Offsets of every field of a listpack hash.
fn field_offsets(lp: &Listpack) -> Vec<usize> {
    let mut offs = Vec::with_capacity(lp.len() / 2);
    let mut p = lp.first();
    while let Some(off) = p {
        offs.push(off);
        p = lp.next(off).and_then(|v| lp.next(v));
    }
    offs
}

fn pair_at(lp: &Listpack, off: usize) -> Option<(Entry<'_>, Entry<'_>)> {
    Some((lp.entry_at(off)?, lp.entry_at(lp.next(off)?)?))
}

/// Iterator over a hash's (field, value) pairs.
pub enum Iter<'a> {
    Listpack(crate::types::listpack::Iter<'a>),
    Table(crate::db::dict::Iter<'a, Pair, ()>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (Entry<'a>, Entry<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(it) => Some((it.next()?, it.next()?)),
            Iter::Table(it) => it.next().map(|(p, _)| {
                let (k, v) = p.split();
                (Entry::Str(k), Entry::Str(v))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::listpack::MAX_SAFETY_SIZE;
    use std::collections::BTreeMap;

    use crate::util::testrng::Rng;

    const LIM: Limits = Limits {
        max_entries: 16,
        max_value: 12,
    };

    fn contents(h: &Hash) -> BTreeMap<Vec<u8>, Vec<u8>> {
        h.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn pair_round_trips_every_length_class() {
        for flen in [0usize, 1, 127, 128, 300, 16383, 16384, 70000] {
            let f = vec![b'f'; flen];
            for v in [&b""[..], b"v", &[b'x'; 200][..]] {
                let p = Pair::new(&f, v);
                assert_eq!(p.split(), (&f[..], v));
                assert_eq!(p.key_bytes(), &f[..]);
                assert_eq!(p.0.len(), varint_len(flen) + flen + v.len());
            }
        }
    }

    #[test]
    fn node_is_no_bigger_than_a_dict_entry() {
        // Redis' dictEntry is 24 bytes; ours holds both strings' pointer.
        assert_eq!(NODE_BYTES, 24);
    }

    #[test]
    fn set_get_delete_on_a_listpack() {
        let mut h = Hash::new();
        assert!(!h.set(b"a", b"1", LIM));
        assert!(!h.set(b"b", b"hello", LIM));
        assert!(h.set(b"a", b"-77", LIM));
        assert_eq!(h.get(b"a"), Some(Entry::Int(-77)));
        assert_eq!(h.get(b"b"), Some(Entry::Str(b"hello")));
        assert_eq!(h.get(b"c"), None);
        assert_eq!(h.len(), 2);
        assert_eq!(h.encoding_name(), "listpack");
        assert!(h.delete(b"a"));
        assert!(!h.delete(b"a"));
        assert_eq!(h.len(), 1);
        assert!(h.delete(b"b"));
        assert!(h.is_empty());
    }

    #[test]
    fn integer_fields_match_their_text() {
        let mut h = Hash::new();
        h.set(b"12", b"x", LIM);
        assert_eq!(h.get(b"12"), Some(Entry::Str(b"x")));
        assert_eq!(h.get(b"012"), None);
        h.convert_to_table();
        assert_eq!(h.get(b"12"), Some(Entry::Str(b"x")));
    }

    #[test]
    fn converts_past_max_entries_exactly() {
        let mut h = Hash::new();
        for i in 0..LIM.max_entries {
            h.set(format!("f{i}").as_bytes(), b"v", LIM);
        }
        assert_eq!(h.encoding_name(), "listpack");
        h.set(b"f0", b"again", LIM); // an update adds no field
        assert_eq!(h.encoding_name(), "listpack");
        h.set(b"one-more", b"v", LIM);
        assert_eq!(h.encoding_name(), "hashtable");
        // Never back, even when it shrinks.
        for i in 0..LIM.max_entries {
            h.delete(format!("f{i}").as_bytes());
        }
        assert_eq!(h.len(), 1);
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn converts_on_long_values_but_not_at_the_limit() {
        let mut h = Hash::new();
        h.set(&[b'f'; 12], &[b'v'; 12], LIM);
        assert_eq!(h.encoding_name(), "listpack");
        h.set(b"x", &[b'v'; 13], LIM);
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.get(&[b'f'; 12]), Some(Entry::Str(&[b'v'; 12])));

        let mut h = Hash::new();
        h.set(&[b'f'; 13], b"1", LIM);
        assert_eq!(h.encoding_name(), "hashtable");

        // try_conversion looks at every argument, written or not.
        let mut h = Hash::new();
        h.set(b"a", b"1", LIM);
        h.try_conversion([1, 12], LIM.max_value);
        assert_eq!(h.encoding_name(), "listpack");
        h.try_conversion([1, 13], LIM.max_value);
        assert_eq!(h.encoding_name(), "hashtable");
        let mut h = Hash::new();
        h.try_conversion([MAX_SAFETY_SIZE], usize::MAX);
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn zero_limits_convert_at_once() {
        let lim = Limits {
            max_entries: 0,
            max_value: 64,
        };
        let mut h = Hash::new();
        h.set(b"a", b"b", lim);
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn random_operations_agree_with_a_model() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..40 {
            let mut h = Hash::new();
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            let mut converted = false;
            for _ in 0..400 {
                let field = match rng.below(3) {
                    0 => rng.below(40).to_string().into_bytes(),
                    1 => format!("f{}", rng.below(40)).into_bytes(),
                    _ => vec![b'k'; rng.below(15) as usize],
                };
                match rng.below(10) {
                    0..=5 => {
                        let value = match rng.below(3) {
                            0 => (rng.next() as i64 >> rng.below(64))
                                .to_string()
                                .into_bytes(),
                            1 => {
                                vec![b'v'; rng.below(if round % 2 == 0 { 13 } else { 12 }) as usize]
                            }
                            _ => b"x".to_vec(),
                        };
                        let was_table = h.is_table();
                        let upd = h.set(&field, &value, LIM);
                        assert_eq!(upd, model.insert(field.clone(), value.clone()).is_some());
                        if !was_table && h.is_table() {
                            converted = true;
                            assert!(
                                model.len() > LIM.max_entries
                                    || field.len() > LIM.max_value
                                    || value.len() > LIM.max_value
                            );
                        }
                    }
                    6..=8 => assert_eq!(h.delete(&field), model.remove(&field).is_some()),
                    _ => {
                        let got = h.get(&field).map(|e| e.to_vec());
                        assert_eq!(got.as_ref(), model.get(&field));
                    }
                }
                if converted {
                    assert!(h.is_table(), "a hashtable never goes back to a listpack");
                }
                assert_eq!(h.len(), model.len());
            }
            assert_eq!(contents(&h), model);
            assert_eq!(contents(&h.clone()), model);
            assert_eq!(h.clone().encoding_name(), h.encoding_name());
            for (f, v) in &model {
                assert_eq!(entry_len(&h.peek(f).unwrap()), v.len());
            }
        }
    }

    #[test]
    fn scan_sees_every_field_of_a_table() {
        let mut h = Hash::new();
        assert_eq!(h.scan(0, |_, _| {}), None);
        for i in 0..300 {
            h.set(format!("f{i}").as_bytes(), format!("{i}").as_bytes(), LIM);
        }
        let mut seen = BTreeMap::new();
        let mut cursor = 0;
        loop {
            cursor = h
                .scan(cursor, |k, v| {
                    seen.insert(k.to_vec(), v.to_vec());
                })
                .unwrap();
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen, contents(&h));
    }

    #[test]
    fn random_pairs_cover_both_encodings() {
        for n in [5usize, 40] {
            let mut h = Hash::new();
            for i in 0..n {
                h.set(format!("f{i}").as_bytes(), format!("v{i}").as_bytes(), LIM);
            }
            let model = contents(&h);
            let (k, v) = h.random_pair().unwrap();
            assert_eq!(model.get(&k.to_vec()), Some(&v.to_vec()));

            let mut got = 0;
            h.random_pairs(1000, |k, v| {
                assert_eq!(model.get(&k.to_vec()), Some(&v.to_vec()));
                got += 1;
                got < 500
            });
            assert_eq!(got, 500);

            for count in [0, 1, n / 3 - 1, n / 3 + 1, n - 1, n, n + 7] {
                let mut seen = BTreeMap::new();
                h.random_pairs_unique(count, |k, v| {
                    assert!(seen.insert(k.to_vec(), v.to_vec()).is_none());
                });
                assert_eq!(seen.len(), count.min(n));
                for (k, v) in seen {
                    assert_eq!(model.get(&k), Some(&v));
                }
            }
        }
    }

    #[test]
    fn mem_usage_follows_the_encoding() {
        let mut h = Hash::new();
        h.set(b"a", b"1", LIM);
        let lp_bytes = h.listpack().unwrap().bytes_len();
        assert_eq!(h.mem_usage(5), 16 + alloc_size(lp_bytes));
        h.convert_to_table();
        // robj + dict + 4 buckets + one node and one 3-byte pair.
        let dict = mem::size_of::<Dict<Pair, ()>>();
        assert_eq!(h.mem_usage(usize::MAX), 16 + dict + 4 * 8 + 24 + 8);
        assert!(h.table_stats().unwrap().contains("number of elements: 1"));
    }
}
