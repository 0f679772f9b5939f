//! The set value type (the structure half of Redis' t_set.c): two
//! encodings, chosen and converted exactly as Redis 7.0.15 does, because
//! OBJECT ENCODING shows them and the suite checks them.
//!
//! * `intset` ([`IntSet`], Redis' byte format) while every member is an
//!   integer that `string2ll` accepts and there are at most
//!   `set-max-intset-entries` of them (clamped to 2^30 like Redis);
//! * `hashtable` ([`Dict`] of members, no values) once a member that is not
//!   such an integer arrives or the intset grows past that limit.
//!
//! Invariants:
//! * a set never converts back from `hashtable` to `intset`, even when it
//!   shrinks or loses its last non-integer member (Redis never does);
//! * 7.0.15 has no listpack sets: there is no third encoding;
//! * in the `hashtable` encoding every member is stored once, as a [`Key`]:
//!   members of up to 14 bytes live inside the dict node itself, so a short
//!   member costs one 32-byte node where Redis pays a 24-byte dictEntry
//!   plus a separate sds allocation, and a long one costs the node plus its
//!   bytes (no sds header or terminator);
//! * after a removal the table shrinks when under 10% full, like Redis'
//!   setTypeRemove calling dictResize.
//!
//! Commands live in `commands/set.rs`; this file knows nothing of clients.

use crate::db::dict::{random_u64, Dict};
use crate::types::intset::{self, IntSet};
use crate::types::key::Key;
use crate::types::listpack::Entry;
use crate::types::value::{alloc_size, sds_header};
use crate::util::number::{parse_i64, write_i64};
use crate::util::thin::Packed;
use crate::util::thin::View::{Big as Table, Small as Ints};

/// Redis caps `set-max-intset-entries` at 1G entries (intset internals).
const MAX_INTSET_ENTRIES_CAP: usize = 1 << 30;

/// Sizes Redis' MEMORY USAGE adds up for a set (64-bit build).
const ROBJ_SIZE: usize = 16;
const DICT_STRUCT_SIZE: usize = 56;
const DICT_ENTRY_SIZE: usize = 24;
const BUCKET_PTR_SIZE: usize = 8;

/// An intset or a boxed dict in one pointer: a small set costs its intset
/// and nothing more (Redis adds a 16-byte robj).
type Enc = Packed<IntSet, Dict<Key, ()>>;

/// A Redis set. A new empty `Set` is an intset, as Redis creates for
/// SINTERSTORE/SUNIONSTORE results before the first member.
pub struct Set {
    enc: Enc,
}

impl Default for Set {
    fn default() -> Self {
        Set {
            enc: Packed::small(IntSet::new()),
        }
    }
}

/// A member taken out of a set: integers stay integers, so replies and
/// re-insertions need no formatting or parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Member {
    Int(i64),
    Str(Key),
}

impl Member {
    /// The member as an [`Entry`] view.
    pub fn entry(&self) -> Entry<'_> {
        match self {
            Member::Int(v) => Entry::Int(*v),
            Member::Str(k) => Entry::Str(k.as_bytes()),
        }
    }

    /// The member's bytes (integers in decimal).
    pub fn to_vec(&self) -> Vec<u8> {
        self.entry().to_vec()
    }
}

impl Clone for Set {
    /// A copy with the same encoding (Redis' setTypeDup, for COPY).
    fn clone(&self) -> Self {
        let enc = match self.enc.get() {
            Ints(is) => Packed::small(is.clone()),
            Table(d) => {
                let mut copy = Dict::with_capacity(d.len());
                for (k, _) in d.iter() {
                    copy.insert_new(k.clone(), ());
                }
                Packed::big(Box::new(copy))
            }
        };
        Set { enc }
    }
}

/// The limit actually applied to intsets.
fn intset_limit(max_intset_entries: usize) -> usize {
    max_intset_entries.min(MAX_INTSET_ENTRIES_CAP)
}

impl Set {
    /// An empty set (intset encoding).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty set whose encoding can hold `first` (setTypeCreate): an
    /// intset when it is an integer, else a hashtable.
    pub fn new_for(first: &[u8]) -> Self {
        if parse_i64(first).is_some() {
            Set::new()
        } else {
            Set::new_hashtable(0)
        }
    }

    /// An empty hashtable-encoded set with room for `n` members.
    pub fn new_hashtable(n: usize) -> Self {
        Set {
            enc: Packed::big(Box::new(Dict::with_capacity(n))),
        }
    }

    /// Adopts an intset (RDB load, DUMP payloads). An empty one is still an
    /// intset.
    pub fn from_intset(is: IntSet) -> Self {
        Set {
            enc: Packed::small(is),
        }
    }

    /// The intset, when that is the encoding (RDB save copies its bytes).
    pub fn as_intset(&self) -> Option<&IntSet> {
        match self.enc.get() {
            Ints(is) => Some(is),
            _ => None,
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self.enc.get() {
            Ints(is) => is.len(),
            Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the set is in the `intset` encoding.
    pub fn is_intset(&self) -> bool {
        matches!(self.enc.get(), Ints(_))
    }

    /// Redis' OBJECT ENCODING name for the current encoding.
    pub fn encoding_name(&self) -> &'static str {
        if self.is_intset() {
            "intset"
        } else {
            "hashtable"
        }
    }

    /// Switches an intset to a hashtable sized for its members
    /// (setTypeConvert). No-op for a hashtable.
    pub fn convert_to_hashtable(&mut self) {
        let Ints(is) = self.enc.get() else {
            return;
        };
        let mut d = Dict::with_capacity(is.len());
        let mut buf = Vec::with_capacity(20);
        for v in is.iter() {
            buf.clear();
            write_i64(&mut buf, v);
            d.insert_new(Key::new(&buf), ());
        }
        self.enc = Packed::big(Box::new(d));
    }

    /// Adds an integer to an intset-encoded set; converts when it grows
    /// past the limit. The caller has checked the encoding.
    fn add_to_intset(&mut self, v: i64, max_intset_entries: usize) -> bool {
        let added = match self.enc.get_mut() {
            Ints(is) => is.insert(v),
            // Callers route hashtables elsewhere; stay correct regardless.
            Table(d) => {
                let mut buf = Vec::with_capacity(20);
                write_i64(&mut buf, v);
                return add_to_table(d, &buf);
            }
        };
        if added && self.len() > intset_limit(max_intset_entries) {
            self.convert_to_hashtable();
        }
        added
    }

    /// Adds `m` (setTypeAdd); returns whether it was new. A non-integer
    /// member, or one too many, turns an intset into a hashtable.
    pub fn add(&mut self, m: &[u8], max_intset_entries: usize) -> bool {
        if let Table(d) = self.enc.get_mut() {
            return add_to_table(d, m);
        }
        match parse_i64(m) {
            Some(v) => self.add_to_intset(v, max_intset_entries),
            None => {
                self.convert_to_hashtable();
                match self.enc.get_mut() {
                    Table(d) => add_to_table(d, m),
                    _ => false,
                }
            }
        }
    }

    /// [`Set::add`] for a member seen through an [`Entry`]: integers from
    /// another intset go straight in without formatting.
    pub fn add_entry(&mut self, e: Entry<'_>, max_intset_entries: usize) -> bool {
        match e {
            Entry::Str(s) => self.add(s, max_intset_entries),
            Entry::Int(v) => {
                if let Table(d) = self.enc.get_mut() {
                    let mut buf = Vec::with_capacity(20);
                    write_i64(&mut buf, v);
                    add_to_table(d, &buf)
                } else {
                    self.add_to_intset(v, max_intset_entries)
                }
            }
        }
    }

    /// [`Set::add`] for a member popped from another set.
    pub fn add_member(&mut self, m: Member, max_intset_entries: usize) -> bool {
        match (m, self.enc.get_mut()) {
            (Member::Str(k), Table(d)) => {
                // Two lookups, but the popped key moves in without a copy.
                if d.get(k.as_bytes()).is_some() {
                    return false;
                }
                d.insert_new(k, ());
                true
            }
            (m, _) => self.add_entry(m.entry(), max_intset_entries),
        }
    }

    /// Removes `m` (setTypeRemove); returns whether it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self.enc.get_mut() {
            Ints(is) => parse_i64(m).is_some_and(|v| is.remove(v)),
            Table(d) => remove_from_table(d, m).is_some(),
        }
    }

    /// Removes a member given as an entry (integers from an intset need no
    /// formatting); returns it when it was there.
    pub fn remove_entry(&mut self, e: Entry<'_>) -> Option<Member> {
        match (self.enc.get_mut(), e) {
            (Ints(is), Entry::Int(v)) => is.remove(v).then_some(Member::Int(v)),
            (Table(d), Entry::Str(s)) => remove_from_table(d, s).map(Member::Str),
            (_, e) => {
                let bytes = e.to_vec();
                self.remove(&bytes).then(|| member_from_bytes(&bytes))
            }
        }
    }

    /// Membership test (setTypeIsMember); does a rehash step like dictFind.
    pub fn contains(&mut self, m: &[u8]) -> bool {
        match self.enc.get_mut() {
            Ints(is) => parse_i64(m).is_some_and(|v| is.contains(v)),
            Table(d) => d.get(m).is_some(),
        }
    }

    /// Membership test without a rehash step, for callers that hold several
    /// sets at once; takes the member as an entry so intset-to-intset checks
    /// compare integers directly (the fast path of SINTER).
    pub fn contains_entry(&self, e: Entry<'_>) -> bool {
        match (self.enc.get(), e) {
            (Ints(is), Entry::Int(v)) => is.contains(v),
            (Ints(is), Entry::Str(s)) => parse_i64(s).is_some_and(|v| is.contains(v)),
            (Table(d), Entry::Str(s)) => d.peek(s).is_some(),
            (Table(d), Entry::Int(v)) => {
                let mut buf = [0u8; 20];
                d.peek(crate::util::number::fmt_i64(v, &mut buf)).is_some()
            }
        }
    }

    /// A random member, `None` when empty (setTypeRandomElement): uniform
    /// over an intset, `dictGetFairRandomKey` over a hashtable.
    pub fn random(&mut self) -> Option<Entry<'_>> {
        match self.enc.get_mut() {
            Ints(is) => is.random(&mut random_u64).map(Entry::Int),
            Table(d) => d.random_entry().map(|(k, _)| Entry::Str(k.as_bytes())),
        }
    }

    /// Removes and returns a random member (SPOP's single pop).
    pub fn pop_random(&mut self) -> Option<Member> {
        // Copy the pick out of the borrow before removing it; an integer
        // needs no copy, a string is at most one small allocation.
        let pick = match self.random()? {
            Entry::Int(v) => Err(v),
            Entry::Str(s) => Ok(s.to_vec()),
        };
        match pick {
            Err(v) => self.remove_entry(Entry::Int(v)),
            Ok(s) => self.remove_entry(Entry::Str(&s)),
        }
    }

    /// Every member: ascending for an intset, table order for a hashtable.
    pub fn iter(&self) -> Iter<'_> {
        match self.enc.get() {
            Ints(is) => Iter::Ints(is.iter()),
            Table(d) => Iter::Table(d.iter()),
        }
    }

    /// One SSCAN step: a hashtable is scanned with Redis' reverse-binary
    /// cursor (the next cursor is returned, 0 when done); an intset is
    /// small, so it reports every member at once and returns 0.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(Entry<'_>)) -> u64 {
        match self.enc.get() {
            Table(d) => d.scan(cursor, |k, _| f(Entry::Str(k.as_bytes()))),
            _ => {
                self.iter().for_each(f);
                0
            }
        }
    }

    /// MEMORY USAGE's figure for the value, robj included, computed as
    /// Redis' objectComputeSize does: the intset blob, or the dict struct,
    /// its bucket arrays and the average of up to `samples` members
    /// (dictEntry + sds allocation) times the member count.
    pub fn mem_usage(&self, samples: usize) -> usize {
        match self.enc.get() {
            Ints(is) => ROBJ_SIZE + alloc_size(is.blob_len()),
            Table(d) => {
                let (b0, b1) = d.buckets();
                let fixed = ROBJ_SIZE + DICT_STRUCT_SIZE + BUCKET_PTR_SIZE * (b0 + b1);
                let mut sampled = 0usize;
                let mut bytes = 0usize;
                for (k, _) in d.iter().take(samples) {
                    let len = k.as_bytes().len();
                    bytes += DICT_ENTRY_SIZE + alloc_size(sds_header(len) + len + 1);
                    sampled += 1;
                }
                if sampled == 0 {
                    return fixed;
                }
                // Redis adds a double to a size_t, truncating the sum.
                (fixed as f64 + bytes as f64 / sampled as f64 * d.len() as f64) as usize
            }
        }
    }

    /// Runs up to `n` incremental rehash steps of a hashtable (no-op for an
    /// intset or when no rehash is in progress). Commands that checked
    /// membership through [`Set::contains_entry`] call this afterwards, so
    /// the table progresses as Redis' dictFind steps would have moved it.
    pub fn rehash_steps(&mut self, n: usize) {
        if let Table(d) = self.enc.get_mut() {
            if n > 0 && d.is_rehashing() {
                d.rehash_steps(n);
            }
        }
    }

    /// Whether the set is a hashtable in the middle of a resize.
    pub fn is_rehashing(&self) -> bool {
        matches!(self.enc.get(), Table(d) if d.is_rehashing())
    }

    /// DEBUG HTSTATS-KEY's text, `None` unless hashtable-encoded.
    pub fn ht_stats(&self) -> Option<String> {
        match self.enc.get() {
            Table(d) => Some(d.stats_text()),
            _ => None,
        }
    }
}

fn member_from_bytes(b: &[u8]) -> Member {
    match parse_i64(b) {
        Some(v) => Member::Int(v),
        None => Member::Str(Key::new(b)),
    }
}

fn add_to_table(d: &mut Dict<Key, ()>, m: &[u8]) -> bool {
    let (_, added) = d.get_or_insert_with(m, || (Key::new(m), ()));
    added
}

/// Removes `m`, then shrinks a table left under 10% full (Redis' dictResize
/// in setTypeRemove).
fn remove_from_table(d: &mut Dict<Key, ()>, m: &[u8]) -> Option<Key> {
    let (k, ()) = d.remove(m)?;
    if d.needs_shrink() {
        d.shrink_to_fit();
    }
    Some(k)
}

/// Iterator over a set's members, from [`Set::iter`].
pub enum Iter<'a> {
    Ints(intset::Iter<'a>),
    Table(crate::db::dict::Iter<'a, Key, ()>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        match self {
            Iter::Ints(it) => it.next().map(Entry::Int),
            Iter::Table(it) => it.next().map(|(k, _)| Entry::Str(k.as_bytes())),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Ints(it) => it.size_hint(),
            Iter::Table(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, HashMap};

    fn members(s: &Set) -> BTreeSet<Vec<u8>> {
        s.iter().map(|e| e.to_vec()).collect()
    }

    /// A small deterministic generator, so a failure can be replayed.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn random_member(r: &mut Lcg, ints_only: bool) -> Vec<u8> {
        match r.below(if ints_only { 3 } else { 4 }) {
            0 => r.below(50).to_string().into_bytes(),
            1 => (r.below(100_000) as i64 - 50_000).to_string().into_bytes(),
            2 => match r.below(4) {
                0 => i64::MIN.to_string().into_bytes(),
                1 => i64::MAX.to_string().into_bytes(),
                2 => b"007".to_vec(), // not string2ll: a string member
                _ => (r.next() as i64 * 1_000_000).to_string().into_bytes(),
            },
            _ => format!("m:{}", r.below(60)).into_bytes(),
        }
    }

    #[test]
    fn encodings_follow_redis_rules() {
        let mut s = Set::new_for(b"1");
        assert_eq!(s.encoding_name(), "intset");
        assert!(s.add(b"1", 512));
        assert!(!s.add(b"1", 512));
        assert!(s.add(b"-5", 512));
        assert_eq!(s.encoding_name(), "intset");
        // Not what string2ll accepts: a string member, so a hashtable.
        assert!(s.add(b"+3", 512));
        assert_eq!(s.encoding_name(), "hashtable");
        assert!(s.contains(b"1") && s.contains(b"-5") && s.contains(b"+3"));
        assert!(!s.contains(b"3"));
        // Never back, even with only integers left.
        assert!(s.remove(b"+3"));
        assert_eq!(s.encoding_name(), "hashtable");

        assert_eq!(Set::new_for(b"a").encoding_name(), "hashtable");
        assert_eq!(
            Set::new_for(b"213244124402402314402033402").encoding_name(),
            "hashtable"
        );
    }

    #[test]
    fn intset_converts_past_the_entry_limit() {
        let mut s = Set::new();
        for i in 0..512 {
            assert!(s.add(i.to_string().as_bytes(), 512));
        }
        assert_eq!(s.encoding_name(), "intset");
        assert!(!s.add(b"5", 512)); // present: no conversion
        assert_eq!(s.encoding_name(), "intset");
        assert!(s.add(b"512", 512));
        assert_eq!(s.encoding_name(), "hashtable");
        assert_eq!(s.len(), 513);
        // Sized for the members it had, as Redis presizes the dict.
        assert!(s.ht_stats().is_some());

        // A limit of 0 means no intset ever holds a member.
        let mut z = Set::new_for(b"1");
        z.add(b"1", 0);
        assert_eq!(z.encoding_name(), "hashtable");
    }

    #[test]
    fn random_ops_agree_with_a_model() {
        for seed in 0..40u64 {
            let mut r = Lcg(seed);
            let ints_only = seed % 2 == 0;
            let max = [0usize, 1, 4, 16, 512][(seed % 5) as usize];
            let mut s = Set::new();
            let mut model: BTreeSet<Vec<u8>> = BTreeSet::new();
            let mut converted = false;
            for _ in 0..600 {
                let m = random_member(&mut r, ints_only);
                match r.below(10) {
                    0..=4 => {
                        let added = s.add(&m, max);
                        assert_eq!(added, model.insert(m.clone()));
                        if parse_i64(&m).is_none() || model.len() > max {
                            converted = true;
                        }
                    }
                    5..=6 => assert_eq!(s.remove(&m), model.remove(&m)),
                    7 => assert_eq!(s.contains(&m), model.contains(&m)),
                    8 => {
                        assert_eq!(s.contains_entry(Entry::Str(&m)), model.contains(&m));
                        if let Some(v) = parse_i64(&m) {
                            assert_eq!(s.contains_entry(Entry::Int(v)), model.contains(&m));
                        }
                    }
                    _ => {
                        if let Some(p) = s.pop_random() {
                            assert!(model.remove(&p.to_vec()), "popped a non-member");
                        } else {
                            assert!(model.is_empty());
                        }
                    }
                }
                assert_eq!(s.len(), model.len());
                assert_eq!(
                    s.encoding_name(),
                    if converted { "hashtable" } else { "intset" }
                );
            }
            assert_eq!(members(&s), model);
            let copy = s.clone();
            assert_eq!(members(&copy), model);
            assert_eq!(copy.encoding_name(), s.encoding_name());
            // A scan from 0 to 0 sees every member.
            let mut seen = BTreeSet::new();
            let mut cursor = 0;
            loop {
                cursor = s.scan(cursor, |e| {
                    seen.insert(e.to_vec());
                });
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(seen, model);
        }
    }

    #[test]
    fn intset_members_iterate_in_order() {
        let mut s = Set::new();
        for v in [5, -3, 100_000, 7] {
            s.add(v.to_string().as_bytes(), 512);
        }
        let got: Vec<Entry> = s.iter().collect();
        assert_eq!(
            got,
            vec![
                Entry::Int(-3),
                Entry::Int(5),
                Entry::Int(7),
                Entry::Int(100_000)
            ]
        );
    }

    #[test]
    fn random_picks_are_roughly_uniform() {
        for strings in [false, true] {
            let mut s = Set::new();
            for i in 0..10 {
                let m = if strings {
                    format!("s{i}")
                } else {
                    i.to_string()
                };
                s.add(m.as_bytes(), 512);
            }
            let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
            for _ in 0..20_000 {
                let e = s.random().unwrap().to_vec();
                *counts.entry(e).or_default() += 1;
            }
            assert_eq!(counts.len(), 10);
            // Expected 2000 each; chi-square with 9 degrees of freedom.
            let chi: f64 = counts
                .values()
                .map(|&c| (c as f64 - 2000.0).powi(2) / 2000.0)
                .sum();
            assert!(chi < 40.0, "chi-square {chi} too high: {counts:?}");
        }
    }

    #[test]
    fn memory_usage_follows_object_compute_size() {
        // Redis 7.0.15: SADD s 1 2 3 -> MEMORY USAGE of the value is
        // robj 16 + intset blob (8 + 3*2 = 14 -> 16).
        let mut s = Set::new();
        for m in ["1", "2", "3"] {
            s.add(m.as_bytes(), 512);
        }
        assert_eq!(s.mem_usage(5), 32);
        // Hashtable of "a","b","c": robj 16 + dict 56 + 4 buckets * 8 +
        // 3 * (dictEntry 24 + sds 8).
        let mut h = Set::new_for(b"a");
        for m in ["a", "b", "c"] {
            h.add(m.as_bytes(), 512);
        }
        assert_eq!(h.mem_usage(usize::MAX), 16 + 56 + 32 + 3 * 32);
    }

    #[test]
    fn hashtable_shrinks_after_removals() {
        let mut s = Set::new_for(b"m");
        for i in 0..1000 {
            s.add(format!("m{i}").as_bytes(), 512);
        }
        for i in 10..1000 {
            assert!(s.remove(format!("m{i}").as_bytes()));
            // Lookups move the rehash a shrink started along, so the next
            // shrink can start when the fill drops again.
            for _ in 0..20 {
                s.contains(b"m1");
            }
        }
        let stats = s.ht_stats().unwrap();
        assert!(stats.contains("table size: 16\n"), "{stats}");
        assert_eq!(s.encoding_name(), "hashtable");
        assert_eq!(s.len(), 10);
    }

    #[test]
    fn hashtable_node_is_no_bigger_than_redis_entry() {
        // Key (16) + next pointer (8): one allocation in jemalloc's 32-byte
        // class per member, as Redis' dictEntry alone, short members inline.
        assert_eq!(std::mem::size_of::<Key>() + 8, 24);
    }
}
