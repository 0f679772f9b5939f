//! The stream type (Redis' t_stream.c data structure): an ordered map
//! from each node's master ID to a listpack node of entries (node.rs), the
//! stream's counters, and its consumer groups (group.rs).
//!
//! Redis keys its nodes in a radix tree by the 128-bit big-endian master
//! ID; here they sit in a sorted `VecDeque` (`NodeMap`): entries are only
//! appended at the end and trimmed from the front, so both are O(1), seeks
//! are binary searches, and a node costs 40 bytes of index (a rax or a
//! B-tree costs more, which decides the 1M-entry memory figure). The node
//! bytes are Redis' own, so RDB and DUMP write them unchanged. XINFO still reports the node count the radix tree
//! would have (`rax_nodes`).
//!
//! Invariants: `length` is the number of live entries; every node holds at
//! least one live entry (a node whose last live entry goes is removed);
//! `last_id` is at least the greatest ID ever added; `first_id` is the
//! first live entry (0-0 when empty).

pub mod group;
pub mod node;

use std::collections::{BTreeMap, VecDeque};

use crate::types::listpack::{Entry, Listpack};
pub use group::{Consumer, Group, Nack};
use node::{Fields, Master, RawEntry};

/// An entry ID: milliseconds and sequence, ordered as a 128-bit number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(&self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// The next ID, or None past the maximum (streamIncrID's error).
    pub fn incr(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The previous ID, or None below 0-0 (streamDecrID's error).
    pub fn decr(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    /// `<ms>-<seq>`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        // Not write!(): core::fmt was a tenth of XADD's instructions.
        crate::util::number::write_u64(out, self.ms);
        out.push(b'-');
        crate::util::number::write_u64(out, self.seq);
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(41);
        self.write_to(&mut v);
        v
    }

    /// The 16-byte big-endian form (rax keys, RDB PEL records).
    pub fn to_be_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    pub fn from_be_bytes(b: &[u8]) -> Option<StreamId> {
        let ms = u64::from_be_bytes(b.get(..8)?.try_into().ok()?);
        let seq = u64::from_be_bytes(b.get(8..16)?.try_into().ok()?);
        Some(StreamId { ms, seq })
    }
}

/// How to read an ID a client typed (streamGenericParseIDOrReply).
#[derive(Clone, Copy)]
pub struct IdSyntax {
    /// Sequence used when only `<ms>` is given.
    pub missing_seq: u64,
    /// `-` and `+` are refused (strict).
    pub strict: bool,
    /// `<ms>-*` is accepted (XADD).
    pub allow_auto_seq: bool,
}

/// A parsed ID; `seq_given` is false for the `<ms>-*` form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedId {
    pub id: StreamId,
    pub seq_given: bool,
}

/// Parses `<ms>[-<seq>]`, `-`, `+` (unless strict) and, when allowed,
/// `<ms>-*`. None is Redis' "Invalid stream ID" error.
pub fn parse_id(s: &[u8], how: IdSyntax) -> Option<ParsedId> {
    if s.len() > 127 {
        return None;
    }
    let given = |id| {
        Some(ParsedId {
            id,
            seq_given: true,
        })
    };
    match s {
        b"-" if !how.strict => return given(StreamId::MIN),
        b"+" if !how.strict => return given(StreamId::MAX),
        b"-" | b"+" => return None,
        _ => {}
    }
    // The C code cuts at the first '-' (a NUL byte ends the string).
    let s = s.split(|&b| b == 0).next().unwrap_or(s);
    let (ms_part, seq_part) = match s.iter().position(|&b| b == b'-') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let ms = crate::util::number::parse_u64(ms_part)?;
    match seq_part {
        None => given(StreamId::new(ms, how.missing_seq)),
        Some(b"*") if how.allow_auto_seq => Some(ParsedId {
            id: StreamId::new(ms, 0),
            seq_given: false,
        }),
        Some(seq) => given(StreamId::new(ms, crate::util::number::parse_u64(seq)?)),
    }
}

/// Why an append failed.
#[derive(Debug, PartialEq, Eq)]
pub enum AppendError {
    /// The ID is not greater than the stream's last ID (EDOM).
    IdTooSmall,
    /// The fields and values are too large for a node (ERANGE).
    TooLarge,
}

/// Node limits at the time of an append (the two configs).
#[derive(Clone, Copy)]
pub struct NodeLimits {
    pub max_bytes: usize,
    pub max_entries: i64,
}

/// Redis never lets a node grow past 1 GB, whatever the config says.
const NODE_MAX_SIZE: usize = 1 << 30;
/// At most this many bytes are reserved when a node is created.
const NODE_MAX_PREALLOC: usize = 4096;

/// How XADD/XTRIM trim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimStrategy {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Copy, Debug)]
pub struct Trim {
    pub strategy: TrimStrategy,
    /// `~`: only whole nodes go.
    pub approx: bool,
    /// Most entries to remove (0 = no limit).
    pub limit: u64,
}

/// The stream's nodes in master-ID order (see the file header).
#[derive(Clone, Default)]
struct NodeMap(VecDeque<(StreamId, Listpack)>);

impl NodeMap {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn iter(&self) -> impl Iterator<Item = (&StreamId, &Listpack)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    fn pair(e: Option<&(StreamId, Listpack)>) -> Option<(&StreamId, &Listpack)> {
        e.map(|(k, v)| (k, v))
    }

    fn first(&self) -> Option<(&StreamId, &Listpack)> {
        Self::pair(self.0.front())
    }

    fn last(&self) -> Option<(&StreamId, &Listpack)> {
        Self::pair(self.0.back())
    }

    fn first_mut(&mut self) -> Option<(&StreamId, &mut Listpack)> {
        self.0.front_mut().map(|(k, v)| (&*k, v))
    }

    fn last_mut(&mut self) -> Option<(&StreamId, &mut Listpack)> {
        self.0.back_mut().map(|(k, v)| (&*k, v))
    }

    /// Index of the first node keyed above `k`.
    fn upper(&self, k: StreamId) -> usize {
        self.0.partition_point(|(key, _)| *key <= k)
    }

    /// The last node keyed at or before `k`.
    fn at_or_before(&self, k: StreamId) -> Option<(&StreamId, &Listpack)> {
        let i = self.upper(k).checked_sub(1)?;
        Self::pair(self.0.get(i))
    }

    fn at_or_before_mut(&mut self, k: StreamId) -> Option<(&StreamId, &mut Listpack)> {
        let i = self.upper(k).checked_sub(1)?;
        self.0.get_mut(i).map(|(k, v)| (&*k, v))
    }

    /// The first node keyed after `k`.
    fn after(&self, k: StreamId) -> Option<(&StreamId, &Listpack)> {
        Self::pair(self.0.get(self.upper(k)))
    }

    /// The last node keyed before `k`.
    fn before(&self, k: StreamId) -> Option<(&StreamId, &Listpack)> {
        let i = self.0.partition_point(|(key, _)| *key < k).checked_sub(1)?;
        Self::pair(self.0.get(i))
    }

    /// Adds a node; false when its key is taken. New nodes come last.
    fn insert(&mut self, k: StreamId, lp: Listpack) -> bool {
        let i = self.0.partition_point(|(key, _)| *key < k);
        if self.0.get(i).is_some_and(|(key, _)| *key == k) {
            return false;
        }
        if i == self.0.len() {
            self.0.push_back((k, lp));
        } else {
            self.0.insert(i, (k, lp));
        }
        true
    }

    fn remove(&mut self, k: StreamId) {
        let i = self.0.partition_point(|(key, _)| *key < k);
        if self.0.get(i).is_some_and(|(key, _)| *key == k) {
            self.0.remove(i);
        }
    }
}

#[derive(Clone, Default)]
pub struct Stream {
    nodes: NodeMap,
    /// Live entries.
    pub length: u64,
    pub last_id: StreamId,
    /// First live entry (0-0 when empty).
    pub first_id: StreamId,
    /// Greatest ID ever deleted (0-0 when none).
    pub max_deleted_id: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Consumer groups by name.
    pub groups: BTreeMap<Box<[u8]>, Group>,
}

/// An entry being read: its ID and a way to its fields.
#[derive(Clone, Copy)]
pub struct EntryRef<'a> {
    pub id: StreamId,
    lp: &'a Listpack,
    master: Master,
    raw: RawEntry,
}

impl<'a> EntryRef<'a> {
    pub fn nfields(&self) -> usize {
        self.raw.nfields
    }

    pub fn fields(&self) -> Fields<'a> {
        Fields::new(self.lp, &self.master, &self.raw)
    }

    pub fn deleted(&self) -> bool {
        self.raw.deleted()
    }
}

/// Entries between two IDs (inclusive), forwards or backwards; tombstones
/// are skipped unless asked for (streamIterator).
pub struct Range<'a> {
    s: &'a Stream,
    start: StreamId,
    end: StreamId,
    rev: bool,
    pub skip_tombstones: bool,
    /// The node being read and the next entry offset in it.
    node: Option<(StreamId, &'a Listpack, Master, Option<usize>)>,
    /// Key of the last node entered; None before the first.
    last_key: Option<StreamId>,
    started: bool,
    done: bool,
}

impl<'a> Range<'a> {
    fn enter_next_node(&mut self) -> bool {
        let next = if !self.started {
            self.started = true;
            if !self.rev {
                // The node that may hold `start`: the last one keyed at or
                // before it, else the first.
                let at = self
                    .s
                    .nodes
                    .at_or_before(self.start)
                    .or_else(|| self.s.nodes.first());
                at
            } else {
                self.s
                    .nodes
                    .at_or_before(self.end)
                    .or_else(|| self.s.nodes.last())
            }
        } else {
            let Some(k) = self.last_key else {
                return false;
            };
            if !self.rev {
                self.s.nodes.after(k)
            } else {
                self.s.nodes.before(k)
            }
        };
        let Some((&k, lp)) = next else {
            return false;
        };
        self.last_key = Some(k);
        let Some(m) = node::master(lp) else {
            // An unreadable node is skipped.
            self.node = Some((k, lp, zero_master(), None));
            return true;
        };
        let off = if !self.rev {
            node::first_entry_off(lp, &m)
        } else {
            node::last_entry_off(lp)
        };
        self.node = Some((k, lp, m, off));
        true
    }
}

fn zero_master() -> Master {
    Master {
        count: 0,
        deleted: 0,
        nfields: 0,
        fields_off: 0,
        term_off: 0,
    }
}

impl<'a> Iterator for Range<'a> {
    type Item = EntryRef<'a>;

    fn next(&mut self) -> Option<EntryRef<'a>> {
        if self.done {
            return None;
        }
        loop {
            let cur = match self.node {
                Some((k, lp, m, Some(off))) => (k, lp, m, off),
                _ => {
                    if !self.enter_next_node() {
                        self.done = true;
                        return None;
                    }
                    continue;
                }
            };
            let (k, lp, m, off) = cur;
            let Some(e) = node::entry_at(lp, &m, k, off) else {
                // Malformed: give up on this node.
                self.node = Some((k, lp, m, None));
                continue;
            };
            let next_off = if !self.rev {
                node::next_entry_off(lp, &e)
            } else {
                node::prev_entry_off(lp, off)
            };
            self.node = Some((k, lp, m, next_off));
            if self.skip_tombstones && e.deleted() {
                continue;
            }
            if !self.rev {
                if e.id < self.start {
                    continue;
                }
                if e.id > self.end {
                    self.done = true;
                    return None;
                }
            } else {
                if e.id > self.end {
                    continue;
                }
                if e.id < self.start {
                    self.done = true;
                    return None;
                }
            }
            return Some(EntryRef {
                id: e.id,
                lp,
                master: m,
                raw: e,
            });
        }
    }
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Number of nodes (XINFO's radix-tree-keys).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes in order, with their master IDs (RDB, DEBUG).
    pub fn nodes(&self) -> impl Iterator<Item = (&StreamId, &Listpack)> {
        self.nodes.iter()
    }

    /// Adds a node read from a file; the caller validated it. False when
    /// its master ID is already there.
    pub fn insert_node(&mut self, master_id: StreamId, lp: Listpack) -> bool {
        self.nodes.insert(master_id, lp)
    }

    /// Entries from `start` to `end` inclusive.
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> Range<'_> {
        Range {
            s: self,
            start,
            end,
            rev,
            skip_tombstones: true,
            node: None,
            last_key: None,
            started: false,
            done: start > end,
        }
    }

    /// streamGetEdgeID: the first (or last) entry's ID; with no entry,
    /// MAX for the first edge and 0-0 for the last.
    pub fn edge_id(&self, first: bool, skip_tombstones: bool) -> StreamId {
        let mut r = self.range(StreamId::MIN, StreamId::MAX, !first);
        r.skip_tombstones = skip_tombstones;
        match r.next() {
            Some(e) => e.id,
            None if first => StreamId::MAX,
            None => StreamId::MIN,
        }
    }

    /// The last live entry's ID (streamLastValidID), 0-0 when empty.
    pub fn last_valid_id(&self) -> StreamId {
        self.range(StreamId::MIN, StreamId::MAX, true)
            .next()
            .map_or(StreamId::MIN, |e| e.id)
    }

    /// Whether `id` is a live entry.
    pub fn contains(&self, id: StreamId) -> bool {
        self.range(id, id, false).next().is_some()
    }

    /// The ID an auto-ID XADD would get now (streamNextID).
    pub fn next_auto_id(&self, now_ms: u64) -> Option<StreamId> {
        if now_ms > self.last_id.ms {
            Some(StreamId::new(now_ms, 0))
        } else {
            self.last_id.incr()
        }
    }

    /// streamAppendItem. `use_id` is an explicit ID (`seq_given` false for
    /// `<ms>-*`); None generates one from `now_ms`. `pairs` alternates
    /// fields and values.
    pub fn append(
        &mut self,
        pairs: &[&[u8]],
        use_id: Option<ParsedId>,
        now_ms: u64,
        limits: NodeLimits,
    ) -> Result<StreamId, AppendError> {
        let id = match use_id {
            Some(p) if p.seq_given => p.id,
            Some(p) => {
                if self.last_id.ms == p.id.ms {
                    // Redis fails here without setting errno, so XADD picks
                    // its "too large" reply rather than "equal or smaller":
                    // clients see that text for `<ms>-*` after `<ms>-MAX`.
                    if self.last_id.seq == u64::MAX {
                        return Err(AppendError::TooLarge);
                    }
                    StreamId::new(p.id.ms, self.last_id.seq + 1)
                } else {
                    p.id
                }
            }
            // Wrapping past the maximum gives 0-0, refused just below.
            None => self.next_auto_id(now_ms).unwrap_or(StreamId::MIN),
        };
        if id <= self.last_id {
            return Err(AppendError::IdTooSmall);
        }
        let total: usize = pairs.iter().map(|p| p.len()).sum();
        if total > NODE_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }
        let max_bytes = match limits.max_bytes {
            0 => NODE_MAX_SIZE,
            n => n.min(NODE_MAX_SIZE),
        };
        let tail_full = match self.nodes.last_mut() {
            Some((_, lp)) => {
                let full = lp.bytes_len() + total >= max_bytes
                    || (limits.max_entries > 0 && node::total_entries(lp) >= limits.max_entries);
                if full {
                    // The node is closed: give back the reserved room.
                    lp.shrink_to_fit();
                }
                full
            }
            None => true,
        };
        if tail_full {
            let fields: Vec<&[u8]> = pairs.iter().step_by(2).copied().collect();
            let prealloc = match limits.max_bytes {
                n if n > 0 && n < NODE_MAX_PREALLOC => n,
                _ => NODE_MAX_PREALLOC,
            };
            self.nodes.insert(id, node::new_node(&fields, prealloc));
        }
        if let Some((&master_id, lp)) = self.nodes.last_mut() {
            node::append(lp, master_id, id, pairs);
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Deletes live entry `id` (streamDeleteItem); false when absent. Does
    /// not touch first_id / max_deleted_id (XDEL does).
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&key, lp)) = self.nodes.at_or_before_mut(id) else {
            return false;
        };
        let Some(m) = node::master(lp) else {
            return false;
        };
        let mut off = node::first_entry_off(lp, &m);
        while let Some(o) = off {
            let Some(e) = node::entry_at(lp, &m, key, o) else {
                return false;
            };
            if e.id > id {
                return false;
            }
            if e.id == id {
                if e.deleted() {
                    return false;
                }
                if m.count <= 1 {
                    self.nodes.remove(key);
                } else {
                    node::mark_deleted(lp, e.flags_off, e.flags);
                }
                self.length = self.length.saturating_sub(1);
                return true;
            }
            off = node::next_entry_off(lp, &e);
        }
        false
    }

    /// XDEL of several IDs: deletes, then fixes first_id and
    /// max_deleted_id as Redis does. Returns how many were deleted.
    pub fn delete_ids(&mut self, ids: &[StreamId]) -> u64 {
        let mut deleted = 0;
        let mut first_gone = false;
        for &id in ids {
            if self.delete(id) {
                if id == self.first_id {
                    first_gone = true;
                }
                if id > self.max_deleted_id {
                    self.max_deleted_id = id;
                }
                deleted += 1;
            }
        }
        if deleted > 0 {
            if self.length == 0 {
                self.first_id = StreamId::MIN;
            } else if first_gone {
                self.first_id = self.edge_id(true, true);
            }
        }
        deleted
    }

    /// streamTrim: removes old entries per `t`; returns how many went.
    pub fn trim(&mut self, t: Trim) -> u64 {
        let mut deleted: u64 = 0;
        loop {
            if let TrimStrategy::MaxLen(max) = t.strategy {
                if self.length <= max {
                    break;
                }
            }
            let Some((&key, lp)) = self.nodes.first_mut() else {
                break;
            };
            let Some(m) = node::master(lp) else {
                break;
            };
            let entries = m.count.max(0) as u64;
            if t.limit > 0 && deleted + entries > t.limit {
                break;
            }
            let remove_node = match t.strategy {
                TrimStrategy::MaxLen(max) => self.length - entries.min(self.length) >= max,
                TrimStrategy::MinId(min) => {
                    let last =
                        node::last_entry_off(lp).and_then(|o| node::entry_at(lp, &m, key, o));
                    last.is_some_and(|e| e.id < min)
                }
            };
            if remove_node {
                self.nodes.remove(key);
                self.length = self.length.saturating_sub(entries);
                deleted += entries;
                continue;
            }
            if t.approx {
                break;
            }
            // Flag entries inside this node one by one.
            let mut removed_here = 0i64;
            let mut off = node::first_entry_off(lp, &m);
            while let Some(o) = off {
                let Some(e) = node::entry_at(lp, &m, key, o) else {
                    break;
                };
                let stop = match t.strategy {
                    TrimStrategy::MaxLen(max) => self.length <= max,
                    TrimStrategy::MinId(min) => e.id >= min,
                };
                if stop {
                    break;
                }
                off = node::next_entry_off(lp, &e);
                if !e.deleted() {
                    // Same-size rewrite of the flags: `off` stays valid.
                    lp.replace_entry(e.flags_off, Entry::Int(e.flags | node::FLAG_DELETED));
                    removed_here += 1;
                    self.length = self.length.saturating_sub(1);
                }
            }
            node::set_counts(lp, m.count - removed_here, m.deleted + removed_here);
            deleted += removed_here as u64;
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.edge_id(true, true);
        }
        deleted
    }

    /// Whether a tombstone may lie between `start` and `end`
    /// (streamRangeHasTombstones).
    pub fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id && self.max_deleted_id <= end
    }

    /// streamEstimateDistanceFromFirstEverEntry: the logical read counter
    /// of `id`, or None when it cannot be known.
    pub fn estimate_distance(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.length == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        if id == self.last_id {
            return Some(self.entries_added);
        }
        if id > self.last_id {
            return None;
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            if id < self.first_id {
                return Some(self.entries_added - self.length);
            }
            if id == self.first_id {
                return Some(self.entries_added - self.length + 1);
            }
        }
        None
    }

    /// A group's lag (streamReplyWithCGLag), None when unknown.
    pub fn group_lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read >= 0 && !self.range_has_tombstones(g.last_id, StreamId::MAX) {
            return Some(self.entries_added as i64 - g.entries_read);
        }
        self.estimate_distance(g.last_id)
            .map(|r| self.entries_added as i64 - r as i64)
    }

    /// Number of nodes Redis' radix tree would use for these master IDs
    /// (XINFO's radix-tree-nodes): every 16-byte key is a leaf; a prefix is
    /// its own node unless it only continues a single chain (one child,
    /// and its parent had one child), which rax compresses.
    pub fn rax_nodes(&self) -> u64 {
        let keys: Vec<[u8; 16]> = self.nodes.iter().map(|(k, _)| k.to_be_bytes()).collect();
        rax_node_count(&keys)
    }

    /// Bytes used, sampling like Redis' objectComputeSize: up to `samples`
    /// nodes are measured and the rest estimated from their average.
    pub fn mem_usage(&self, samples: usize) -> usize {
        let mut size = 64 + self.nodes.len() * 48;
        let n = self.nodes.len();
        let mut lpsize = 0usize;
        let mut seen = 0usize;
        for (_, lp) in self.nodes.iter().take(samples.max(1)) {
            lpsize += lp.capacity();
            seen += 1;
        }
        if n <= seen {
            size += lpsize;
        } else {
            let avg = lpsize / seen.max(1);
            size += avg * (n - 1);
            size += self.nodes.last().map_or(0, |(_, lp)| lp.capacity());
        }
        for (name, g) in &self.groups {
            size += 64 + name.len() + g.mem_usage();
        }
        size
    }
}

/// Nodes of a compressed radix tree holding `keys` (sorted, all 16 bytes).
fn rax_node_count(keys: &[[u8; 16]]) -> u64 {
    if keys.is_empty() {
        return 1;
    }
    // children(depth, range) counts the distinct next bytes of a prefix.
    fn children(keys: &[[u8; 16]], depth: usize) -> usize {
        let mut n = 0;
        let mut last: Option<u8> = None;
        for k in keys {
            if last != Some(k[depth]) {
                n += 1;
                last = Some(k[depth]);
            }
        }
        n
    }
    // Walk every prefix (vertex) depth-first; `parent_single` says whether
    // the parent vertex had exactly one child.
    fn walk(keys: &[[u8; 16]], depth: usize, parent_single: bool, is_root: bool) -> u64 {
        if depth == 16 {
            return 1; // a leaf: the key itself
        }
        let kids = children(keys, depth);
        let own = if !is_root && parent_single && kids == 1 {
            0
        } else {
            1
        };
        let mut total = own;
        let mut i = 0;
        while i < keys.len() {
            let b = keys[i][depth];
            let mut j = i;
            while j < keys.len() && keys[j][depth] == b {
                j += 1;
            }
            total += walk(&keys[i..j], depth + 1, kids == 1, false);
            i = j;
        }
        total
    }
    walk(keys, 0, false, true)
}

/// Writes an element of a node as a bulk string value.
pub fn entry_bytes(e: Entry<'_>, out: &mut Vec<u8>) {
    match e {
        Entry::Int(v) => crate::util::number::write_i64(out, v),
        Entry::Str(s) => out.extend_from_slice(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: NodeLimits = NodeLimits {
        max_bytes: 4096,
        max_entries: 100,
    };

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    fn explicit(ms: u64, seq: u64) -> Option<ParsedId> {
        Some(ParsedId {
            id: id(ms, seq),
            seq_given: true,
        })
    }

    fn ids(s: &Stream, start: StreamId, end: StreamId, rev: bool) -> Vec<StreamId> {
        s.range(start, end, rev).map(|e| e.id).collect()
    }

    #[test]
    fn parse_ids_as_redis() {
        let plain = IdSyntax {
            missing_seq: 0,
            strict: false,
            allow_auto_seq: false,
        };
        let strict = IdSyntax {
            strict: true,
            ..plain
        };
        let p = |s: &[u8], how| parse_id(s, how).map(|p| (p.id, p.seq_given));
        assert_eq!(p(b"1-2", plain), Some((id(1, 2), true)));
        assert_eq!(p(b"5", plain), Some((id(5, 0), true)));
        assert_eq!(
            p(
                b"5",
                IdSyntax {
                    missing_seq: u64::MAX,
                    ..plain
                }
            ),
            Some((id(5, u64::MAX), true))
        );
        assert_eq!(p(b"-", plain), Some((StreamId::MIN, true)));
        assert_eq!(p(b"+", plain), Some((StreamId::MAX, true)));
        assert_eq!(p(b"-", strict), None);
        assert_eq!(
            p(b"18446744073709551615-18446744073709551615", strict),
            Some((StreamId::MAX, true))
        );
        assert_eq!(p(b"18446744073709551616-0", plain), None);
        assert_eq!(p(b"1-*", plain), None);
        assert_eq!(
            p(
                b"1-*",
                IdSyntax {
                    allow_auto_seq: true,
                    ..plain
                }
            ),
            Some((id(1, 0), false))
        );
        assert_eq!(p(b"abc", plain), None);
        assert_eq!(p(b"1-2-3", plain), None);
        assert_eq!(p(b"", plain), None);
        assert_eq!(p(b"-1", plain), None);
    }

    #[test]
    fn append_range_delete() {
        let mut s = Stream::new();
        for i in 1..=250u64 {
            let v = i.to_string();
            s.append(&[b"f", v.as_bytes()], explicit(i, 0), 0, LIM)
                .unwrap();
        }
        assert_eq!(s.len(), 250);
        assert_eq!(s.node_count(), 3);
        assert_eq!(
            ids(&s, id(99, 0), id(102, 0), false),
            vec![id(99, 0), id(100, 0), id(101, 0), id(102, 0)]
        );
        assert_eq!(
            ids(&s, id(99, 0), id(102, 0), true),
            vec![id(102, 0), id(101, 0), id(100, 0), id(99, 0)]
        );
        assert_eq!(
            s.append(&[b"f", b"x"], explicit(250, 0), 0, LIM),
            Err(AppendError::IdTooSmall)
        );
        assert_eq!(
            s.delete_ids(&[id(1, 0), id(100, 0), id(100, 0), id(999, 0)]),
            2
        );
        assert_eq!(s.first_id, id(2, 0));
        assert_eq!(s.max_deleted_id, id(100, 0));
        assert_eq!(
            ids(&s, id(99, 0), id(101, 0), false),
            vec![id(99, 0), id(101, 0)]
        );
        assert_eq!(
            ids(&s, id(99, 0), id(101, 0), true),
            vec![id(101, 0), id(99, 0)]
        );
        let mut r = s.range(StreamId::MIN, StreamId::MAX, false);
        r.skip_tombstones = false;
        assert_eq!(r.count(), 250);
        assert_eq!(s.edge_id(true, false), id(1, 0));
        assert_eq!(s.edge_id(true, true), id(2, 0));
        assert_eq!(s.last_valid_id(), id(250, 0));
        let e = s.range(id(7, 0), id(7, 0), false).next().unwrap();
        let f: Vec<(Vec<u8>, Vec<u8>)> =
            e.fields().map(|(a, b)| (a.to_vec(), b.to_vec())).collect();
        assert_eq!(f, vec![(b"f".to_vec(), b"7".to_vec())]);
    }

    #[test]
    fn auto_ids_and_ms_star() {
        let mut s = Stream::new();
        assert_eq!(s.append(&[b"a", b"1"], None, 1000, LIM), Ok(id(1000, 0)));
        assert_eq!(s.append(&[b"a", b"1"], None, 999, LIM), Ok(id(1000, 1)));
        let star = |ms| {
            Some(ParsedId {
                id: id(ms, 0),
                seq_given: false,
            })
        };
        assert_eq!(s.append(&[b"a", b"1"], star(1000), 0, LIM), Ok(id(1000, 2)));
        assert_eq!(s.append(&[b"a", b"1"], star(2000), 0, LIM), Ok(id(2000, 0)));
        assert_eq!(
            s.append(&[b"a", b"1"], star(5), 0, LIM),
            Err(AppendError::IdTooSmall)
        );
        s.last_id = StreamId::new(3000, u64::MAX);
        assert_eq!(
            s.append(&[b"a", b"1"], star(3000), 0, LIM),
            Err(AppendError::TooLarge)
        );
        s.last_id = StreamId::MAX;
        assert_eq!(
            s.append(&[b"a", b"1"], None, 0, LIM),
            Err(AppendError::IdTooSmall)
        );
    }

    #[test]
    fn trim_exact_and_approx() {
        let mut s = Stream::new();
        for i in 1..=1000u64 {
            s.append(&[b"f", b"v"], explicit(i, 0), 0, LIM).unwrap();
        }
        let approx = Trim {
            strategy: TrimStrategy::MaxLen(950),
            approx: true,
            limit: 0,
        };
        assert_eq!(s.trim(approx), 0, "no whole node can go");
        let approx = Trim {
            strategy: TrimStrategy::MaxLen(850),
            approx: true,
            limit: 0,
        };
        assert_eq!(s.trim(approx), 100);
        assert_eq!(s.first_id, id(101, 0));
        let exact = Trim {
            strategy: TrimStrategy::MaxLen(555),
            approx: false,
            limit: 0,
        };
        assert_eq!(s.trim(exact), 345);
        assert_eq!(s.len(), 555);
        assert_eq!(s.first_id, id(446, 0));
        let minid = Trim {
            strategy: TrimStrategy::MinId(id(600, 0)),
            approx: false,
            limit: 0,
        };
        assert_eq!(s.trim(minid), 154);
        assert_eq!(s.first_id, id(600, 0));
        assert_eq!(s.range(StreamId::MIN, StreamId::MAX, false).count(), 401);
    }

    #[test]
    fn lag_and_distance() {
        let mut s = Stream::new();
        for i in 1..=5u64 {
            s.append(&[b"f", b"v"], explicit(i, 0), 0, LIM).unwrap();
        }
        assert_eq!(s.estimate_distance(id(5, 0)), Some(5));
        assert_eq!(s.estimate_distance(id(1, 0)), Some(1));
        assert_eq!(s.estimate_distance(id(0, 5)), Some(0));
        assert_eq!(s.estimate_distance(id(3, 0)), None);
        assert_eq!(s.estimate_distance(id(9, 0)), None);
        s.delete_ids(&[id(3, 0)]);
        assert!(s.range_has_tombstones(id(2, 0), StreamId::MAX));
        assert!(!s.range_has_tombstones(id(4, 0), StreamId::MAX));
    }

    #[test]
    fn node_map_seeks() {
        let mut m = NodeMap::default();
        assert!(m.insert(id(5, 0), Listpack::new()));
        assert!(m.insert(id(9, 0), Listpack::new()));
        assert!(
            m.insert(id(1, 0), Listpack::new()),
            "out of order goes in place"
        );
        assert!(!m.insert(id(5, 0), Listpack::new()));
        let key = |e: Option<(&StreamId, &Listpack)>| e.map(|(k, _)| *k);
        assert_eq!(key(m.at_or_before(id(5, 0))), Some(id(5, 0)));
        assert_eq!(key(m.at_or_before(id(4, 9))), Some(id(1, 0)));
        assert_eq!(key(m.at_or_before(id(0, 9))), None);
        assert_eq!(key(m.after(id(5, 0))), Some(id(9, 0)));
        assert_eq!(key(m.before(id(5, 0))), Some(id(1, 0)));
        assert_eq!(key(m.before(id(1, 0))), None);
        m.remove(id(5, 0));
        assert_eq!(
            m.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            vec![id(1, 0), id(9, 0)]
        );
    }

    #[test]
    fn rax_counts_match_redis() {
        // Figures from Redis 7.0.15 (XINFO STREAM radix-tree-nodes).
        assert_eq!(rax_node_count(&[]), 1);
        assert_eq!(rax_node_count(&[id(1, 0).to_be_bytes()]), 2);
        let two = [id(1, 0).to_be_bytes(), id(2, 0).to_be_bytes()];
        // Root compressed to depth 7, a branching node, a compressed node
        // per branch, two leaves.
        assert_eq!(rax_node_count(&two), 6);
        let three = [two[0], two[1], id(3, 0).to_be_bytes()];
        assert_eq!(rax_node_count(&three), 8);
        let four = [three[0], three[1], three[2], id(3, 5).to_be_bytes()];
        assert_eq!(rax_node_count(&four), 10);
    }
}
