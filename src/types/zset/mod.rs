//! The sorted set value (t_zset.c's data side): `listpack` while small, the
//! member index of `index.rs` (reported as `skiplist`) once it grows.
//!
//! Listpack layout, as Redis keeps it: member and score entries alternate,
//! pairs sorted by (score, member bytes); a score is stored as the text
//! `d2string` gives (so integral scores become listpack integers, others
//! the `%.17g` text, "inf"/"-inf").
//!
//! Conversion follows Redis 7.0.15 exactly:
//! * ZADD on a missing key creates a skiplist when `zset-max-listpack-entries`
//!   is 0 or the first member is longer than `zset-max-listpack-value`
//!   (the command decides, see `commands::zset`);
//! * adding to a listpack converts it first when the count would exceed
//!   the entries limit, the member exceeds the value limit, or the listpack
//!   would pass its 1 GB safety size (zsetAdd);
//! * a skiplist never goes back, except for the results of
//!   ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE (`maybe_to_listpack`,
//!   zsetConvertToListpackIfNeeded).
//!
//! Invariant: a ZSet never holds NaN scores or duplicate members.

pub mod index;

use crate::types::listpack::{Entry, Listpack};
use crate::types::value::alloc_size;
use crate::util::number::{double_to_i64, parse_f64, parse_i64, write_d2string, write_i64};
use crate::util::thin::Packed;
use crate::util::thin::View::{Big as Ix, Small as Lp};
pub use index::Index;

/// A sorted set in one of Redis' two encodings: a listpack or a boxed
/// index, in one pointer (a small set costs its listpack and nothing more;
/// Redis adds a 16-byte robj).
#[derive(Clone)]
pub struct ZSet {
    enc: Packed<Listpack, Index>,
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::from_listpack(Listpack::new())
    }
}

/// `zset-max-listpack-entries` and `zset-max-listpack-value`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

/// ZADD's option bits (ZADD_IN_*).
pub mod add_flags {
    pub const INCR: u8 = 1;
    pub const NX: u8 = 2;
    pub const XX: u8 = 4;
    pub const GT: u8 = 8;
    pub const LT: u8 = 16;
}

/// What one ZADD element did (ZADD_OUT_*), with the resulting score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AddOutcome {
    Added(f64),
    Updated(f64),
    /// Present with that score already (no change, still "processed").
    Same(f64),
    /// NX/XX/GT/LT said no.
    Nop,
}

/// The only way zsetAdd fails: the (resulting) score is NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NanScore;

/// A score interval (zrangespec); `minex`/`maxex` mark exclusive ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

/// One end of a lex interval (zlexrangespec).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// `-`
    Min,
    /// `+`
    Max,
    /// `[x`
    Incl(Vec<u8>),
    /// `(x`
    Excl(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

/// C's `strtod` over a whole argument, as zslParseRange and zzlStrtod use
/// it: leading blanks allowed, the text stops at a NUL, overflow gives
/// ±inf, and NaN or trailing bytes are refused. An empty text is 0 (strtod
/// converts nothing and ends on the terminator).
pub fn strtod_whole(b: &[u8]) -> Option<f64> {
    let b = &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())];
    if b.is_empty() {
        return Some(0.0);
    }
    let t = &b[b
        .iter()
        .position(|c| !c.is_ascii_whitespace() && *c != 0x0b)
        .unwrap_or(b.len())..];
    if t.is_empty() {
        return None;
    }
    if let Some(v) = parse_f64(t) {
        return Some(v);
    }
    // Out-of-range values: strtod saturates (or flushes to zero).
    let v: f64 = std::str::from_utf8(t).ok()?.parse().ok()?;
    (!v.is_nan()).then_some(v)
}

impl ScoreRange {
    /// zslParseRange: `(` marks an exclusive end.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let one = |b: &[u8]| match b.first() {
            Some(b'(') => strtod_whole(&b[1..]).map(|v| (v, true)),
            _ => strtod_whole(b).map(|v| (v, false)),
        };
        let (min, minex) = one(min)?;
        let (max, maxex) = one(max)?;
        Some(ScoreRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    fn above_min(&self, s: f64) -> bool {
        if self.minex {
            s > self.min
        } else {
            s >= self.min
        }
    }

    fn below_max(&self, s: f64) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }

    pub fn contains(&self, s: f64) -> bool {
        self.above_min(s) && self.below_max(s)
    }
}

impl LexBound {
    fn parse(b: &[u8]) -> Option<LexBound> {
        match b.first()? {
            b'+' if b.len() == 1 => Some(LexBound::Max),
            b'-' if b.len() == 1 => Some(LexBound::Min),
            b'(' => Some(LexBound::Excl(b[1..].to_vec())),
            b'[' => Some(LexBound::Incl(b[1..].to_vec())),
            _ => None,
        }
    }
}

impl LexRange {
    /// A range no member can be in (zzlIsInLexRange's first test): min
    /// above max, or equal bounds with either one exclusive (`-` and `+`
    /// count as exclusive).
    fn is_always_empty(&self) -> bool {
        use std::cmp::Ordering::*;
        let (min, max) = (&self.min, &self.max);
        let rank = |b: &LexBound| match b {
            LexBound::Min => 0,
            LexBound::Incl(_) | LexBound::Excl(_) => 1,
            LexBound::Max => 2,
        };
        let bytes = |b: &LexBound| match b {
            LexBound::Incl(x) | LexBound::Excl(x) => x.clone(),
            _ => Vec::new(),
        };
        let cmp = rank(min)
            .cmp(&rank(max))
            .then_with(|| bytes(min).cmp(&bytes(max)));
        let excl = |b: &LexBound| !matches!(b, LexBound::Incl(_));
        cmp == Greater || (cmp == Equal && (excl(min) || excl(max)))
    }

    /// zslParseLexRange.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        Some(LexRange {
            min: LexBound::parse(min)?,
            max: LexBound::parse(max)?,
        })
    }

    /// `m` is below the range's start.
    fn before_min(&self, m: &[u8]) -> bool {
        match &self.min {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Incl(x) => m < x.as_slice(),
            LexBound::Excl(x) => m <= x.as_slice(),
        }
    }

    /// `m` is not past the range's end.
    fn within_max(&self, m: &[u8]) -> bool {
        match &self.max {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Incl(x) => m <= x.as_slice(),
            LexBound::Excl(x) => m < x.as_slice(),
        }
    }
}

/// An element's bytes (listpack integers formatted), for comparisons.
fn entry_bytes<'a>(e: &Entry<'a>, buf: &'a mut [u8; 20]) -> &'a [u8] {
    match *e {
        Entry::Str(s) => s,
        Entry::Int(v) => crate::util::number::fmt_i64(v, buf),
    }
}

/// A listpack score entry as a double (zzlGetScore).
fn lp_score(e: Option<Entry<'_>>) -> f64 {
    match e {
        Some(Entry::Int(v)) => v as f64,
        Some(Entry::Str(s)) => strtod_whole(s).unwrap_or(0.0),
        None => 0.0,
    }
}

/// lpCompare: a listpack integer equals a member that reads as it.
fn entry_is(e: &Entry<'_>, member: &[u8]) -> bool {
    match *e {
        Entry::Str(s) => s == member,
        Entry::Int(v) => parse_i64(member) == Some(v),
    }
}

/// The text a score is stored as: an integer when double2ll allows it
/// (so -0 is stored as 0), else d2string (zzlInsertAt).
fn score_text(score: f64) -> Vec<u8> {
    let mut v = Vec::with_capacity(24);
    match double_to_i64(score) {
        Some(n) => write_i64(&mut v, n),
        None => write_d2string(&mut v, score),
    }
    v
}

/// Pairs of a zset listpack, each with its member's offset.
fn lp_pairs(lp: &Listpack) -> impl Iterator<Item = (usize, Entry<'_>, f64)> + '_ {
    let mut p = lp.first();
    std::iter::from_fn(move || {
        let e = p?;
        let s = lp.next(e)?;
        p = lp.next(s);
        Some((e, lp.entry_at(e)?, lp_score(lp.entry_at(s))))
    })
}

fn lp_find(lp: &Listpack, member: &[u8]) -> Option<(usize, f64)> {
    lp_pairs(lp)
        .find(|(_, e, _)| entry_is(e, member))
        .map(|(off, _, s)| (off, s))
}

/// zzlInsert: before the first pair ordered after (score, member).
fn lp_insert(lp: &mut Listpack, member: &[u8], score: f64) {
    let mut buf = [0u8; 20];
    let at = lp_pairs(lp)
        .find(|(_, e, s)| *s > score || (*s == score && entry_bytes(e, &mut buf) > member))
        .map(|(off, _, _)| off);
    let text = score_text(score);
    match at {
        Some(off) => {
            let m = lp.insert_before(off, Entry::Str(member));
            lp.insert_after(m, Entry::Str(&text));
        }
        None => {
            lp.push_back(member);
            lp.push_back(&text);
        }
    }
}

fn lp_delete_pair(lp: &mut Listpack, off: usize) {
    if lp.delete_entry(off).is_some() {
        lp.delete_entry(off);
    }
}

/// Listpack bytes a pair of this member and score would add, roughly
/// (for lpSafeToAdd; the score text is at most 24 bytes).
fn pair_growth(member: &[u8]) -> usize {
    member.len()
}

impl ZSet {
    /// An empty listpack-encoded set (createZsetListpackObject).
    pub fn new() -> Self {
        Self::default()
    }

    /// A set held in `lp` (pairs of member and score; the caller checked
    /// the listpack's shape).
    pub fn from_listpack(lp: Listpack) -> Self {
        ZSet {
            enc: Packed::small(lp),
        }
    }

    fn from_index(ix: Box<Index>) -> Self {
        ZSet {
            enc: Packed::big(ix),
        }
    }

    /// The listpack, when that is the encoding (RDB, DEBUG LISTPACK).
    pub fn listpack(&self) -> Option<&Listpack> {
        match self.enc.get() {
            Lp(lp) => Some(lp),
            Ix(_) => None,
        }
    }

    /// The encoding and its contents.
    pub fn view(&self) -> crate::util::thin::View<&Listpack, &Index> {
        self.enc.get()
    }

    /// An empty skiplist-encoded set (createZsetObject).
    pub fn new_skiplist() -> Self {
        ZSet::from_index(Box::default())
    }

    /// The encoding a new set gets when its first member is `first_len`
    /// bytes long (zaddGenericCommand's creation rule).
    pub fn new_for(first_len: usize, lim: Limits) -> Self {
        if lim.max_entries == 0 || lim.max_value < first_len {
            Self::new_skiplist()
        } else {
            Self::new()
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self.enc.get() {
            Lp(lp) => lp.len() / 2,
            Ix(ix) => ix.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Redis' OBJECT ENCODING name for the current encoding.
    pub fn encoding_name(&self) -> &'static str {
        match self.enc.get() {
            Lp(_) => "listpack",
            Ix(_) => "skiplist",
        }
    }

    /// MEMORY USAGE's figure (robj included). The big encoding counts its
    /// real structures plus the members' allocations, averaged over at most
    /// `samples` members (usize::MAX = all), like objectComputeSize.
    pub fn mem_usage(&self, samples: usize) -> usize {
        match self.enc.get() {
            Lp(lp) => 16 + alloc_size(lp.bytes_len()),
            Ix(ix) => {
                let mut n = 0usize;
                let mut bytes = 0usize;
                for (m, _) in ix.iter().take(samples.max(1)) {
                    n += 1;
                    bytes += if m.is_empty() { 0 } else { alloc_size(m.len()) };
                }
                let members = (bytes * ix.len()).checked_div(n).unwrap_or(0);
                16 + 8 + ix.overhead_bytes() + members
            }
        }
    }

    /// Every (member, score) pair in ascending (score, member) order.
    pub fn iter(&self) -> Iter<'_> {
        match self.enc.get() {
            Lp(lp) => Iter::Lp(lp.iter()),
            Ix(ix) => Iter::Ix(ix.iter()),
        }
    }

    /// The member's score (zsetScore).
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self.enc.get() {
            Lp(lp) => lp_find(lp, member).map(|(_, s)| s),
            Ix(ix) => ix.score(member),
        }
    }

    /// Converts a listpack to the big encoding (zsetConvert).
    pub fn convert_to_skiplist(&mut self) {
        if let Lp(lp) = self.enc.get_mut() {
            let items = lp_pairs(lp).map(|(_, e, s)| (e.to_vec(), s));
            *self = ZSet::from_index(Box::new(Index::from_sorted(items)));
        }
    }

    /// zsetConvertToListpackIfNeeded: back to a listpack when the set fits
    /// the limits (`max_len` = longest member, `total` = all members' bytes).
    pub fn maybe_to_listpack(&mut self, lim: Limits, max_len: usize, total: usize) {
        let Ix(ix) = self.enc.get_mut() else { return };
        if ix.len() <= lim.max_entries
            && max_len <= lim.max_value
            && total <= crate::types::listpack::MAX_SAFETY_SIZE
        {
            let mut lp = Listpack::new();
            for (m, s) in ix.iter() {
                lp.push_back(m);
                lp.push_back(&score_text(s));
            }
            *self = ZSet::from_listpack(lp);
        }
    }

    /// A set holding `items` (sorted by (score, member), distinct), in the
    /// encoding `maybe_to_listpack` would leave it in.
    pub fn from_sorted(items: Vec<(Vec<u8>, f64)>, lim: Limits) -> ZSet {
        let max_len = items.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        let total = items.iter().map(|(m, _)| m.len()).sum();
        let mut z = ZSet::from_index(Box::new(Index::from_sorted(items)));
        z.maybe_to_listpack(lim, max_len, total);
        z
    }

    /// zsetAdd: insert or update one member under ZADD's `flags`
    /// (add_flags::*). Converts a listpack first when the new member would
    /// break the limits.
    pub fn add(
        &mut self,
        score: f64,
        member: &[u8],
        flags: u8,
        lim: Limits,
    ) -> Result<AddOutcome, NanScore> {
        use add_flags::*;
        if score.is_nan() {
            return Err(NanScore);
        }
        let has = |f: u8| flags & f != 0;
        if let Some(cur) = self.score(member) {
            if has(NX) {
                return Ok(AddOutcome::Nop);
            }
            let mut score = score;
            if has(INCR) {
                score += cur;
                if score.is_nan() {
                    return Err(NanScore);
                }
            }
            if (has(LT) && score >= cur) || (has(GT) && score <= cur) {
                return Ok(AddOutcome::Nop);
            }
            if score == cur {
                return Ok(AddOutcome::Same(score));
            }
            match self.enc.get_mut() {
                Lp(lp) => {
                    if let Some((off, _)) = lp_find(lp, member) {
                        lp_delete_pair(lp, off);
                    }
                    lp_insert(lp, member, score);
                }
                Ix(ix) => {
                    ix.update_score(member, score);
                }
            }
            return Ok(AddOutcome::Updated(score));
        }
        if has(XX) {
            return Ok(AddOutcome::Nop);
        }
        if let Lp(lp) = self.enc.get_mut() {
            if lp.len() / 2 + 1 > lim.max_entries
                || member.len() > lim.max_value
                || !lp.safe_to_add(pair_growth(member))
            {
                self.convert_to_skiplist();
            }
        }
        match self.enc.get_mut() {
            Lp(lp) => lp_insert(lp, member, score),
            Ix(ix) => ix.insert_new(member, score),
        }
        Ok(AddOutcome::Added(score))
    }

    /// Removes `member` (zsetDel); false when absent.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.enc.get_mut() {
            Lp(lp) => match lp_find(lp, member) {
                Some((off, _)) => {
                    lp_delete_pair(lp, off);
                    true
                }
                None => false,
            },
            Ix(ix) => ix.remove(member).is_some(),
        }
    }

    /// 0-based rank of `member`, from the highest score when `rev`.
    pub fn rank(&self, member: &[u8], rev: bool) -> Option<usize> {
        let r = match self.enc.get() {
            Lp(lp) => lp_pairs(lp).position(|(_, e, _)| entry_is(&e, member))?,
            Ix(ix) => ix.rank(member)?,
        };
        Some(if rev { self.len() - 1 - r } else { r })
    }

    /// How many leading elements satisfy `pred` (monotone: true, then false).
    fn count_prefix(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match self.enc.get() {
            Lp(lp) => {
                let mut buf = [0u8; 20];
                lp_pairs(lp)
                    .take_while(|(_, e, s)| pred(*s, entry_bytes(e, &mut buf)))
                    .count()
            }
            Ix(ix) => ix.count_prefix(pred),
        }
    }

    /// The ranks `lo..hi` of the elements inside a score range.
    pub fn score_ranks(&self, r: &ScoreRange) -> (usize, usize) {
        let lo = self.count_prefix(|s, _| !r.above_min(s));
        let hi = self.count_prefix(|s, _| r.below_max(s));
        (lo, hi.max(lo))
    }

    /// The ranks `lo..hi` of the elements inside a lex range (meaningful
    /// when all scores are equal, as in Redis).
    ///
    /// Members sorted by score need not be sorted by bytes. For a listpack
    /// Redis answers with a linear walk (zzlFirstInLexRange and
    /// zzlLastInLexRange), which is deterministic, so we walk the same way:
    /// from the first member >= min forward while <= max, or (`rev`) from
    /// the last member <= max backward while >= min. The big encoding
    /// answers by bisection; there Redis' answer depends on its random
    /// skiplist levels, so no single answer is "right" for mixed scores.
    pub fn lex_ranks(&self, r: &LexRange, rev: bool) -> (usize, usize) {
        let Lp(lp) = self.enc.get() else {
            let lo = self.count_prefix(|_, m| r.before_min(m));
            let hi = self.count_prefix(|_, m| r.within_max(m));
            return (lo, hi.max(lo));
        };
        if r.is_always_empty() {
            return (0, 0);
        }
        let members: Vec<Vec<u8>> = lp_pairs(lp).map(|(_, e, _)| e.to_vec()).collect();
        let (Some(first), Some(last)) = (members.first(), members.last()) else {
            return (0, 0);
        };
        if r.before_min(last) || !r.within_max(first) {
            return (0, 0);
        }
        if rev {
            let Some(end) = members.iter().rposition(|m| r.within_max(m)) else {
                return (0, 0);
            };
            let start = members[..=end]
                .iter()
                .rposition(|m| r.before_min(m))
                .map_or(0, |i| i + 1);
            (start, end + 1)
        } else {
            let Some(start) = members.iter().position(|m| !r.before_min(m)) else {
                return (0, 0);
            };
            let end = members[start..]
                .iter()
                .position(|m| !r.within_max(m))
                .map_or(members.len(), |i| start + i);
            (start, end)
        }
    }

    /// Calls `f` on the elements of ranks `lo..hi`, ascending, or from
    /// `hi - 1` down to `lo` when `rev`.
    pub fn for_each_in(&self, lo: usize, hi: usize, rev: bool, mut f: impl FnMut(Entry<'_>, f64)) {
        let hi = hi.min(self.len());
        if lo >= hi {
            return;
        }
        match self.enc.get() {
            Lp(lp) => {
                let start = if rev { hi - 1 } else { lo };
                let Some(mut e) = lp.seek(2 * start as i64) else {
                    return;
                };
                for _ in lo..hi {
                    let Some(s) = lp.next(e) else { return };
                    if let Some(m) = lp.entry_at(e) {
                        f(m, lp_score(lp.entry_at(s)));
                    }
                    let nxt = if rev {
                        lp.prev(e).and_then(|p| lp.prev(p))
                    } else {
                        lp.next(s)
                    };
                    match nxt {
                        Some(n) => e = n,
                        None => return,
                    }
                }
            }
            Ix(ix) => ix.for_each_in(lo, hi, rev, |m, s| f(Entry::Str(m), s)),
        }
    }

    /// The element of rank `r` (ascending).
    pub fn at(&self, r: usize) -> Option<(Entry<'_>, f64)> {
        match self.enc.get() {
            Lp(lp) => {
                let e = lp.seek(2 * i64::try_from(r).ok()?)?;
                let s = lp.next(e)?;
                Some((lp.entry_at(e)?, lp_score(lp.entry_at(s))))
            }
            Ix(ix) => ix.at(r).map(|(m, s)| (Entry::Str(m), s)),
        }
    }

    /// Deletes ranks `lo..hi`; returns how many went.
    pub fn remove_ranks(&mut self, lo: usize, hi: usize) -> usize {
        let hi = hi.min(self.len());
        if lo >= hi {
            return 0;
        }
        match self.enc.get_mut() {
            Lp(lp) => lp.delete_range(2 * lo as i64, 2 * (hi - lo)) / 2,
            Ix(ix) => ix.remove_ranks(lo, hi),
        }
    }

    /// Removes and returns the lowest (or, with `max`, highest) element.
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        let r = if max { self.len().checked_sub(1)? } else { 0 };
        let (m, s) = self.at(r).map(|(e, s)| (e.to_vec(), s))?;
        self.remove(&m);
        Some((m, s))
    }

    /// One ZSCAN step over the big encoding (slot cursor); a listpack is
    /// returned whole with cursor 0. Scores are handed over as the text
    /// ZSCAN sends: the stored text for a listpack, `%.17Lg` otherwise.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match self.enc.get() {
            Lp(lp) => {
                let mut p = lp.first();
                let mut mbuf = [0u8; 20];
                let mut sbuf = [0u8; 20];
                while let Some(e) = p {
                    let Some(s) = lp.next(e) else { break };
                    if let (Some(me), Some(se)) = (lp.entry_at(e), lp.entry_at(s)) {
                        f(entry_bytes(&me, &mut mbuf), entry_bytes(&se, &mut sbuf));
                    }
                    p = lp.next(s);
                }
                0
            }
            Ix(ix) => {
                let mut text = Vec::with_capacity(32);
                ix.scan(cursor, count, |m, s| {
                    text.clear();
                    crate::util::number::LongDouble::from_f64(s).write_auto(&mut text);
                    f(m, &text);
                })
            }
        }
    }
}

/// Iterator of [`ZSet::iter`].
pub enum Iter<'a> {
    Lp(crate::types::listpack::Iter<'a>),
    Ix(index::Iter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (Entry<'a>, f64);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Lp(it) => {
                let m = it.next()?;
                let s = it.next();
                Some((m, lp_score(s)))
            }
            Iter::Ix(it) => it.next().map(|(m, s)| (Entry::Str(m), s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::dict::random_below;
    use std::collections::BTreeMap;

    const SMALL: Limits = Limits {
        max_entries: 128,
        max_value: 64,
    };

    fn pairs(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
        z.iter().map(|(e, s)| (e.to_vec(), s)).collect()
    }

    #[test]
    fn listpack_stores_scores_as_redis_does() {
        let mut z = ZSet::new();
        z.add(1.5, b"a", 0, SMALL).unwrap();
        z.add(3.0, b"b", 0, SMALL).unwrap();
        z.add(f64::INFINITY, b"c", 0, SMALL).unwrap();
        z.add(3.0, b"12", 0, SMALL).unwrap();
        let Some(lp) = z.listpack() else { panic!() };
        let items: Vec<Entry> = lp.iter().collect();
        assert_eq!(
            items,
            vec![
                Entry::Str(b"a"),
                Entry::Str(b"1.5"),
                Entry::Int(12),
                Entry::Int(3),
                Entry::Str(b"b"),
                Entry::Int(3),
                Entry::Str(b"c"),
                Entry::Str(b"inf"),
            ]
        );
        assert_eq!(z.rank(b"b", false), Some(2));
        assert_eq!(z.rank(b"b", true), Some(1));
    }

    #[test]
    fn add_flags_follow_zsetadd() {
        use add_flags::*;
        let mut z = ZSet::new();
        assert_eq!(z.add(1.0, b"a", XX, SMALL), Ok(AddOutcome::Nop));
        assert_eq!(z.add(1.0, b"a", 0, SMALL), Ok(AddOutcome::Added(1.0)));
        assert_eq!(z.add(5.0, b"a", NX, SMALL), Ok(AddOutcome::Nop));
        assert_eq!(z.add(0.0, b"a", GT, SMALL), Ok(AddOutcome::Nop));
        assert_eq!(
            z.add(2.0, b"a", GT | INCR, SMALL),
            Ok(AddOutcome::Updated(3.0))
        );
        assert_eq!(z.add(3.0, b"a", 0, SMALL), Ok(AddOutcome::Same(3.0)));
        z.add(f64::INFINITY, b"a", 0, SMALL).unwrap();
        assert_eq!(z.add(f64::NEG_INFINITY, b"a", INCR, SMALL), Err(NanScore));
    }

    #[test]
    fn converts_at_the_limits() {
        let lim = Limits {
            max_entries: 4,
            max_value: 8,
        };
        let mut z = ZSet::new();
        for i in 0..4 {
            z.add(i as f64, format!("m{i}").as_bytes(), 0, lim).unwrap();
        }
        assert_eq!(z.encoding_name(), "listpack");
        z.add(9.0, b"m9", 0, lim).unwrap();
        assert_eq!(z.encoding_name(), "skiplist");
        let mut z = ZSet::new();
        z.add(1.0, b"123456789", 0, lim).unwrap();
        assert_eq!(z.encoding_name(), "skiplist");
        assert_eq!(ZSet::new_for(9, lim).encoding_name(), "skiplist");
        assert_eq!(ZSet::new_for(8, lim).encoding_name(), "listpack");
    }

    #[test]
    fn ranges_parse_like_redis() {
        let r = ScoreRange::parse(b"(1", b"+inf").unwrap();
        assert!(r.minex && !r.maxex && r.max.is_infinite());
        assert!(ScoreRange::parse(b"nan", b"1").is_none());
        assert!(ScoreRange::parse(b"1x", b"1").is_none());
        assert_eq!(
            ScoreRange::parse(b"(", b" 5").map(|r| (r.min, r.max)),
            Some((0.0, 5.0))
        );
        assert!(LexRange::parse(b"a", b"+").is_none());
        assert!(LexRange::parse(b"[a", b"+x").is_none());
        assert_eq!(
            LexRange::parse(b"-", b"(b").unwrap().max,
            LexBound::Excl(b"b".to_vec())
        );
    }

    /// Both encodings against a model, with random adds, removes, ranks,
    /// score and lex ranges, rank deletions and pops.
    #[test]
    fn both_encodings_match_a_model() {
        for big in [false, true] {
            let lim = Limits {
                max_entries: if big { 0 } else { 1000 },
                max_value: 64,
            };
            let mut z = ZSet::new_for(1, lim);
            let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
            for step in 0..3000 {
                let m = format!("{}", random_below(150)).into_bytes();
                let sc = (random_below(20) as f64) / 2.0 - 3.0;
                match random_below(8) {
                    0..=3 => {
                        z.add(sc, &m, 0, lim).unwrap();
                        model.insert(m, sc);
                    }
                    4 | 5 => assert_eq!(z.remove(&m), model.remove(&m).is_some()),
                    6 => {
                        let got = z.pop(step % 2 == 0);
                        let mut v = sorted(&model);
                        let want = if step % 2 == 0 {
                            v.pop()
                        } else if v.is_empty() {
                            None
                        } else {
                            Some(v.remove(0))
                        };
                        assert_eq!(got, want);
                        if let Some((m, _)) = want {
                            model.remove(&m);
                        }
                    }
                    _ => {
                        let v = sorted(&model);
                        if !v.is_empty() {
                            let lo = random_below(v.len());
                            let hi = (lo + random_below(5)).min(v.len());
                            assert_eq!(z.remove_ranks(lo, hi), hi - lo);
                            for (m, _) in &v[lo..hi] {
                                model.remove(m);
                            }
                        }
                    }
                }
                let v = sorted(&model);
                assert_eq!(pairs(&z), v);
                if let Some((m, _)) = v.get(v.len() / 2) {
                    assert_eq!(z.rank(m, false), Some(v.len() / 2));
                }
                let r = ScoreRange {
                    min: -1.0,
                    max: 2.0,
                    minex: step % 3 == 0,
                    maxex: step % 5 == 0,
                };
                let (lo, hi) = z.score_ranks(&r);
                let want: Vec<_> = v.iter().filter(|(_, s)| r.contains(*s)).cloned().collect();
                let mut got = Vec::new();
                z.for_each_in(lo, hi, false, |e, s| got.push((e.to_vec(), s)));
                assert_eq!(got, want);
                let mut rgot = Vec::new();
                z.for_each_in(lo, hi, true, |e, s| rgot.push((e.to_vec(), s)));
                rgot.reverse();
                assert_eq!(rgot, want);
            }
            assert_eq!(z.encoding_name(), if big { "skiplist" } else { "listpack" });
        }
    }

    fn sorted(model: &BTreeMap<Vec<u8>, f64>) -> Vec<(Vec<u8>, f64)> {
        let mut v: Vec<_> = model.iter().map(|(m, s)| (m.clone(), *s)).collect();
        v.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then_with(|| a.0.cmp(&b.0)));
        v
    }

    #[test]
    fn lex_ranges_on_equal_scores() {
        for lim in [
            SMALL,
            Limits {
                max_entries: 0,
                max_value: 0,
            },
        ] {
            let mut z = ZSet::new_for(1, lim);
            for m in ["a", "b", "c", "d", "e"] {
                z.add(0.0, m.as_bytes(), 0, lim).unwrap();
            }
            let r = LexRange::parse(b"(b", b"[d").unwrap();
            assert_eq!(z.lex_ranks(&r, false), (2, 4));
            let r = LexRange::parse(b"-", b"+").unwrap();
            assert_eq!(z.lex_ranks(&r, false), (0, 5));
            let r = LexRange::parse(b"[d", b"(b").unwrap();
            let (lo, hi) = z.lex_ranks(&r, false);
            assert_eq!(lo, hi);
        }
    }

    #[test]
    fn store_results_go_back_to_listpack_when_small() {
        let z = ZSet::from_sorted(vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.5)], SMALL);
        assert_eq!(z.encoding_name(), "listpack");
        assert_eq!(pairs(&z), vec![(b"a".to_vec(), 1.0), (b"b".to_vec(), 2.5)]);
        let z = ZSet::from_sorted(vec![(vec![b'x'; 65], 1.0)], SMALL);
        assert_eq!(z.encoding_name(), "skiplist");
    }
}
