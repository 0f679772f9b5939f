//! The list value: a quicklist, Redis' doubly-ended sequence of nodes
//! (mirrors `quicklist.c` of Redis 7.0.15, the only list encoding in 7.0).
//!
//! Each node holds either
//! * a listpack of several elements (PACKED), sized by `list-max-listpack-size`
//!   (`fill`): a negative fill caps a node at 4/8/16/32/64 KB, a positive
//!   one at that many entries (and then also at 8 KB, Redis' safety limit); or
//! * one element of `packed threshold` bytes or more on its own (PLAIN,
//!   1 GB by default, `DEBUG QUICKLIST-PACKED-THRESHOLD` changes it).
//!
//! With `list-compress-depth` N > 0 the N nodes at each end stay raw and
//! the inner ones are LZF-compressed (when at least 48 bytes and the saving
//! is at least 8 bytes), exactly where Redis compresses them: the same
//! `recompress` bookkeeping, the same splits and merges, so node counts
//! (DEBUG OBJECT `ql_nodes`) and MEMORY USAGE follow Redis.
//!
//! Layout: the nodes live in a `VecDeque` (32 bytes each, no per-node
//! allocation besides the element bytes) where Redis links 40-byte nodes
//! allocated one by one;
//! a node is addressed by its position. Every change keeps:
//! * `count` = the sum of the nodes' counts, and no node is empty;
//! * a PLAIN node holds exactly one element;
//! * the head and tail nodes are never compressed (when depth > 0, the
//!   `depth` nodes at each end are raw after every public call).
//!
//! Reads through `&self` (LINDEX, LRANGE, LPOS, iteration) decode a
//! compressed node into a temporary copy and leave the list untouched,
//! which ends in the same state as Redis' decompress-then-recompress.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

mod iter;
mod node;

use iter::walk_listpack;
pub use iter::{entry_matches, needle_int, Item, Iter, NodeBytes, NodeInfo};

use crate::types::listpack::{entry_size, Entry, Listpack};
use node::{allow_insert, allow_merge, merge_listpacks, trim_capacity, Data, Node, View, LZF_HDR};

/// Bounds of the fill and depth settings (QL_FILL_BITS / QL_COMP_BITS 16).
const FILL_MAX: i32 = (1 << 15) - 1;
const COMPRESS_MAX: i32 = (1 << 16) - 1;
/// sizeof(quicklist) and sizeof(quicklistNode) in Redis (MEMORY USAGE;
/// the node is 36 bytes of fields padded to 40).
const REDIS_QUICKLIST_SIZE: usize = 40;
const REDIS_NODE_SIZE: usize = 40;
/// sizeof(robj).
const ROBJ_SIZE: usize = 16;
/// The default packed threshold, 1 GB.
const DEFAULT_PACKED_THRESHOLD: usize = 1 << 30;

/// Elements of this many bytes or more get a PLAIN node of their own.
/// Process-wide, like Redis' `packed_threshold`.
static PACKED_THRESHOLD: AtomicUsize = AtomicUsize::new(DEFAULT_PACKED_THRESHOLD);

#[cfg(test)]
thread_local! {
    /// Lets unit tests (which run in parallel threads) use their own.
    static TEST_PACKED_THRESHOLD: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Sets the PLAIN-node threshold (quicklistisSetPackedThreshold): 0 restores
/// the 1 GB default; more than 4 GB - 1 MB is refused (returns false).
pub fn set_packed_threshold(sz: u64) -> bool {
    if sz > (1u64 << 32) - (1 << 20) {
        return false;
    }
    let sz = if sz == 0 {
        DEFAULT_PACKED_THRESHOLD
    } else {
        sz as usize
    };
    PACKED_THRESHOLD.store(sz, Ordering::Relaxed);
    true
}

fn packed_threshold() -> usize {
    #[cfg(test)]
    if let Some(t) = TEST_PACKED_THRESHOLD.with(|c| c.get()) {
        return t;
    }
    PACKED_THRESHOLD.load(Ordering::Relaxed)
}

#[inline]
fn is_large(sz: usize) -> bool {
    sz >= packed_threshold()
}

/// Which end of the list (LIST_HEAD / LIST_TAIL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

/// A list value (quicklist encoding).
#[derive(Clone)]
pub struct Quicklist {
    nodes: VecDeque<Node>,
    /// Total number of elements.
    count: usize,
    /// list-max-listpack-size at creation, clamped to -5..=32767.
    fill: i32,
    /// list-compress-depth at creation, clamped to 0..=65535.
    compress: u32,
}

impl Default for Quicklist {
    /// Redis' quicklistCreate defaults: fill -2 (8 KB), no compression.
    fn default() -> Self {
        Quicklist::new(-2, 0)
    }
}

impl Quicklist {
    /// An empty list with the given `list-max-listpack-size` and
    /// `list-compress-depth` (quicklistNew + quicklistSetOptions: the
    /// values are clamped to what the node fields can hold).
    pub fn new(fill: i32, compress: i32) -> Self {
        Quicklist {
            nodes: VecDeque::new(),
            count: 0,
            fill: fill.clamp(-5, FILL_MAX),
            compress: compress.clamp(0, COMPRESS_MAX) as u32,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Redis' OBJECT ENCODING name: 7.0 stores every list as a quicklist.
    pub fn encoding_name(&self) -> &'static str {
        "quicklist"
    }

    /// The fill this list was created with (DEBUG OBJECT ql_listpack_max).
    pub fn fill(&self) -> i32 {
        self.fill
    }

    /// The compress depth this list was created with.
    pub fn compress_depth(&self) -> u32 {
        self.compress
    }

    /// Number of nodes (DEBUG OBJECT ql_nodes).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Sum of the nodes' raw sizes (DEBUG OBJECT ql_uncompressed_size).
    pub fn uncompressed_size(&self) -> usize {
        self.nodes.iter().map(Node::sz).sum()
    }

    /// MEMORY USAGE's figure (objectComputeSize): robj + quicklist header,
    /// plus the average of the first `samples` nodes (node struct + its
    /// entry's allocation) times the number of nodes.
    pub fn mem_usage(&self, samples: usize) -> usize {
        let base = ROBJ_SIZE + REDIS_QUICKLIST_SIZE;
        if self.nodes.is_empty() {
            return base;
        }
        let take = samples.max(1).min(self.nodes.len());
        let elesize: usize = self
            .nodes
            .iter()
            .take(take)
            .map(|n| REDIS_NODE_SIZE + n.entry_alloc())
            .sum();
        (base as f64 + elesize as f64 / take as f64 * self.nodes.len() as f64) as usize
    }

    // ---------------------------------------------------------------
    // Compression bookkeeping (quicklistCompress and friends)
    // ---------------------------------------------------------------

    /// quicklistCompressNode on node `i`: only raw inner nodes are
    /// compressed (Redis asserts the node has neighbours on both sides).
    fn compress_at(&mut self, i: usize) {
        let len = self.nodes.len();
        if i == 0 || i + 1 >= len {
            return;
        }
        let node = &mut self.nodes[i];
        if !node.is_compressed() {
            node.compress();
        }
    }

    /// quicklistDecompressNode: a compressed node goes back to raw.
    fn decompress_at(&mut self, i: usize) {
        if let Some(node) = self.nodes.get_mut(i) {
            if node.is_compressed() {
                node.decompress();
            }
        }
    }

    /// quicklistDecompressNodeForUse: raw for now, compressed again when
    /// the operation on it is done.
    fn decompress_for_use(&mut self, i: usize) {
        if let Some(node) = self.nodes.get_mut(i) {
            if node.is_compressed() {
                node.decompress();
                node.recompress = true;
            }
        }
    }

    /// quicklistRecompressOnly.
    fn recompress_only(&mut self, i: usize) {
        if self.nodes.get(i).is_some_and(|n| n.recompress) {
            self.compress_at(i);
        }
    }

    /// quicklistCompress: recompress a node used in place, or else run
    /// the depth pass around it.
    fn compress_node(&mut self, i: usize) {
        if self.nodes.get(i).is_some_and(|n| n.recompress) {
            self.compress_at(i);
        } else {
            self.compress_depth_pass(Some(i));
        }
    }

    /// __quicklistCompress: the `compress` nodes at each end are made raw;
    /// then `node` (unless it is one of them) and the first node past each
    /// raw end are compressed. Lists shorter than two depths stay raw.
    fn compress_depth_pass(&mut self, node: Option<usize>) {
        let len = self.nodes.len();
        let depth = self.compress as usize;
        if len == 0 || depth == 0 || len < depth * 2 {
            return;
        }
        let (mut fwd, mut rev) = (0usize, len - 1);
        let mut in_depth = false;
        for _ in 0..depth {
            self.decompress_at(fwd);
            self.decompress_at(rev);
            if node == Some(fwd) || node == Some(rev) {
                in_depth = true;
            }
            // The two raw ends met: nothing in between to compress.
            if fwd == rev || fwd + 1 == rev {
                return;
            }
            fwd += 1;
            rev -= 1;
        }
        if !in_depth {
            if let Some(n) = node {
                self.compress_at(n);
            }
        }
        self.compress_at(fwd);
        self.compress_at(rev);
    }

    // ---------------------------------------------------------------
    // Node insertion and removal
    // ---------------------------------------------------------------

    /// __quicklistInsertNode: puts `new` after (or before) node `old`, or
    /// as the only node of an empty list, then runs the compression passes.
    /// Returns the new node's position.
    fn insert_node(&mut self, old: Option<usize>, new: Node, after: bool) -> usize {
        let at = match old {
            None => 0,
            Some(o) if after => o + 1,
            Some(o) => o,
        };
        self.nodes.insert(at, new);
        if let Some(o) = old {
            self.compress_node(if after { o } else { o + 1 });
        }
        self.compress_node(at);
        at
    }

    /// __quicklistDelNode: drops node `i` (its elements leave the count),
    /// then restores the raw ends.
    fn del_node(&mut self, i: usize) {
        if let Some(node) = self.nodes.remove(i) {
            self.count -= node.count as usize;
        }
        self.compress_depth_pass(None);
    }

    /// quicklistDelIndex: deletes the element at byte position `p` of
    /// node `i`. Returns true when the node went away with it.
    fn del_index(&mut self, i: usize, p: usize) -> bool {
        if self.nodes[i].plain {
            self.del_node(i);
            return true;
        }
        let node = &mut self.nodes[i];
        let lp = node.lp_mut();
        lp.delete_entry(p);
        trim_capacity(lp);
        node.count -= 1;
        self.count -= 1;
        if node.count == 0 {
            self.del_node(i);
            return true;
        }
        false
    }

    // ---------------------------------------------------------------
    // Push and pop
    // ---------------------------------------------------------------

    /// LPUSH/RPUSH one element (quicklistPushHead / quicklistPushTail).
    pub fn push(&mut self, value: &[u8], end: End) {
        let sz = value.len();
        let target = match end {
            End::Head => 0,
            End::Tail => self.nodes.len().wrapping_sub(1),
        };
        let existing = if self.nodes.is_empty() {
            None
        } else {
            Some(target)
        };
        let after = end == End::Tail;
        if is_large(sz) {
            self.insert_node(existing, Node::plain(value.into()), after);
        } else if allow_insert(existing.and_then(|t| self.nodes.get(t)), self.fill, sz) {
            let node = &mut self.nodes[target];
            // No reserve first: the insert grows the listpack itself, and at
            // the head it then copies each byte once instead of twice.
            let lp = node.lp_mut();
            match end {
                End::Head => lp.push_front(value),
                End::Tail => lp.push_back(value),
            }
            node.count += 1;
        } else {
            self.insert_node(existing, Node::with_element(value), after);
        }
        self.count += 1;
    }

    /// LPOP/RPOP one element (quicklistPop).
    pub fn pop(&mut self, end: End) -> Option<Item<'static>> {
        if self.count == 0 {
            return None;
        }
        let i = match end {
            End::Head => 0,
            End::Tail => self.nodes.len() - 1,
        };
        if self.nodes[i].plain {
            self.nodes[i].decompress();
            let node = self.nodes.remove(i)?;
            self.count -= 1;
            self.compress_depth_pass(None);
            return match node.data {
                Data::Plain(b) => Some(Item::Str(Cow::Owned(b.into_vec()))),
                _ => None,
            };
        }
        let lp = self.nodes[i].lp_mut();
        let p = match end {
            End::Head => lp.first(),
            End::Tail => lp.last(),
        }?;
        let item = Item::owned(lp.entry_at(p)?);
        self.del_index(i, p);
        Some(item)
    }

    // ---------------------------------------------------------------
    // Positions
    // ---------------------------------------------------------------

    /// quicklistGetIteratorAtIdx: the node holding element `index`
    /// (negative counts from the tail) and the element's offset in it,
    /// walking from whichever end is closer.
    fn locate(&self, index: i64) -> Option<(usize, usize)> {
        let abs = if index >= 0 {
            usize::try_from(index).ok()?
        } else {
            // -1 is the last element; !index == -index - 1 without overflow.
            self.count
                .checked_sub(1)?
                .checked_sub(usize::try_from(!index).ok()?)?
        };
        if abs >= self.count {
            return None;
        }
        if abs <= (self.count - 1) / 2 {
            let mut accum = 0;
            for (i, n) in self.nodes.iter().enumerate() {
                let c = n.count as usize;
                if accum + c > abs {
                    return Some((i, abs - accum));
                }
                accum += c;
            }
        } else {
            // Count from the tail: `back` elements follow the target.
            let back = self.count - 1 - abs;
            let mut accum = 0;
            for (i, n) in self.nodes.iter().enumerate().rev() {
                let c = n.count as usize;
                if accum + c > back {
                    return Some((i, c - 1 - (back - accum)));
                }
                accum += c;
            }
        }
        None
    }

    /// The element at `index` (negative counts from the tail), as LINDEX.
    pub fn get(&self, index: i64) -> Option<Item<'_>> {
        let (ni, off) = self.locate(index)?;
        let node = &self.nodes[ni];
        match &node.data {
            Data::Packed(lp) => Some(Item::borrowed(lp.get(off as i64)?)),
            Data::Plain(b) => Some(Item::Str(Cow::Borrowed(b))),
            Data::Lzf(_) => match node.view() {
                View::Packed(lp) => Some(Item::owned(lp.get(off as i64)?)),
                View::Plain(b) => Some(Item::Str(Cow::Owned(b.into_owned()))),
            },
        }
    }

    /// Visits the elements from position `start` (0-based from the head)
    /// towards the tail, or towards the head when `reverse`, calling `f`
    /// until it returns false or the list ends. No element is copied out
    /// of a raw node.
    pub fn walk(&self, start: usize, reverse: bool, mut f: impl FnMut(Entry<'_>) -> bool) {
        let Some((mut ni, mut off)) = self.locate(start as i64) else {
            return;
        };
        loop {
            let node = &self.nodes[ni];
            let keep_going = match node.view() {
                View::Plain(b) => f(Entry::Str(&b)),
                View::Packed(lp) => walk_listpack(&lp, off, reverse, &mut f),
            };
            if !keep_going {
                return;
            }
            if reverse {
                if ni == 0 {
                    return;
                }
                ni -= 1;
                off = self.nodes[ni].count as usize - 1;
            } else {
                ni += 1;
                if ni >= self.nodes.len() {
                    return;
                }
                off = 0;
            }
        }
    }

    /// Every element from head to tail.
    pub fn iter(&self) -> Iter<'_> {
        Iter::new(self)
    }

    // ---------------------------------------------------------------
    // Changes in the middle
    // ---------------------------------------------------------------

    /// _quicklistSplitNode: node `i` (raw, PACKED) keeps elements
    /// [0, off] when `after`, else [off, end); the returned new node has
    /// the rest.
    fn split_node(&mut self, i: usize, off: usize, after: bool) -> Node {
        let node = &mut self.nodes[i];
        let lp = node.lp_mut();
        let mut other = lp.clone();
        let off64 = off as i64;
        if after {
            lp.delete_range(off64 + 1, usize::MAX);
            other.delete_range(0, off + 1);
        } else {
            lp.delete_range(0, off);
            other.delete_range(off64, usize::MAX);
        }
        lp.shrink_to_fit();
        other.shrink_to_fit();
        node.count = lp.len() as u32;
        Node::packed(other)
    }

    /// _quicklistListpackMerge of nodes `a` and `a + 1`: the larger
    /// listpack takes in the other (so that node's flags survive) and the
    /// emptied node goes. Returns the merged node's position (`a`), or
    /// None when the two could not be merged.
    fn merge_pair(&mut self, a: usize) -> Option<usize> {
        self.decompress_at(a);
        self.decompress_at(a + 1);
        let merged = match (&self.nodes[a].data, &self.nodes[a + 1].data) {
            (Data::Packed(x), Data::Packed(y)) => merge_listpacks(x, y)?,
            _ => return None,
        };
        let keep_first = self.nodes[a].sz() >= self.nodes[a + 1].sz();
        let (keep, gone) = if keep_first { (a, a + 1) } else { (a + 1, a) };
        self.nodes[keep].count = merged.len() as u32;
        self.nodes[keep].data = Data::Packed(merged);
        self.nodes[gone].count = 0;
        self.del_node(gone);
        self.compress_node(a);
        Some(a)
    }

    /// _quicklistMergeNodes: after a split, try merging the two nodes
    /// before `center`, the two after it, then `center` with each side.
    fn merge_around(&mut self, center: usize) {
        let fill = self.fill;
        let mut c = center;
        if c >= 2 && allow_merge(self.nodes.get(c - 1), self.nodes.get(c - 2), fill) {
            self.merge_pair(c - 2);
            c -= 1;
        }
        if allow_merge(self.nodes.get(c + 1), self.nodes.get(c + 2), fill) {
            self.merge_pair(c + 1);
        }
        let prev = c.checked_sub(1);
        let target = match prev {
            Some(p) if allow_merge(self.nodes.get(c), self.nodes.get(p), fill) => {
                self.merge_pair(p).unwrap_or(c)
            }
            _ => c,
        };
        if allow_merge(self.nodes.get(target), self.nodes.get(target + 1), fill) {
            self.merge_pair(target);
        }
    }

    /// _quicklistInsert: puts `value` after (or before) element `off` of
    /// node `ni`, or into an empty list when `pos` is None.
    fn insert_at(&mut self, pos: Option<(usize, usize)>, value: &[u8], after: bool) {
        let sz = value.len();
        let fill = self.fill;
        let Some((ni, off)) = pos else {
            let node = if is_large(sz) {
                Node::plain(value.into())
            } else {
                Node::with_element(value)
            };
            self.insert_node(None, node, after);
            self.count += 1;
            return;
        };
        let node_count = self.nodes[ni].count as usize;
        let full = !allow_insert(self.nodes.get(ni), fill, sz);
        let at_tail = after && off + 1 == node_count;
        let at_head = !after && off == 0;
        let avail_next = at_tail && allow_insert(self.nodes.get(ni + 1), fill, sz);
        let avail_prev = at_head && ni > 0 && allow_insert(self.nodes.get(ni - 1), fill, sz);

        if is_large(sz) {
            if self.nodes[ni].plain || at_tail || at_head {
                self.insert_node(Some(ni), Node::plain(value.into()), after);
            } else {
                // The big element goes between the two halves of the node.
                self.decompress_for_use(ni);
                let rest = self.split_node(ni, off, after);
                let e = self.insert_node(Some(ni), Node::plain(value.into()), after);
                self.insert_node(Some(e), rest, after);
            }
            self.count += 1;
            return;
        }

        if !full {
            self.decompress_for_use(ni);
            let node = &mut self.nodes[ni];
            let lp = node.lp_mut();
            lp.reserve_exact(entry_size(value));
            let index = if after { off + 1 } else { off };
            lp.insert_at(index, Entry::Str(value));
            node.count += 1;
            self.recompress_only(ni);
        } else if at_tail && avail_next {
            // Full, but the next node has room at its head.
            let nx = ni + 1;
            self.decompress_for_use(nx);
            let node = &mut self.nodes[nx];
            let lp = node.lp_mut();
            lp.reserve_exact(entry_size(value));
            lp.push_front(value);
            node.count += 1;
            self.recompress_only(nx);
            self.recompress_only(ni);
        } else if at_head && avail_prev {
            // Full, but the previous node has room at its tail.
            let pv = ni - 1;
            self.decompress_for_use(pv);
            let node = &mut self.nodes[pv];
            let lp = node.lp_mut();
            lp.reserve_exact(entry_size(value));
            lp.push_back(value);
            node.count += 1;
            self.recompress_only(pv);
            self.recompress_only(ni);
        } else if at_tail || at_head {
            // Full at an edge with no room beside: a node of its own.
            self.insert_node(Some(ni), Node::with_element(value), after);
        } else {
            // Full in the middle: split, add to the new half, then merge
            // whatever the fill allows.
            self.decompress_for_use(ni);
            let mut rest = self.split_node(ni, off, after);
            {
                let lp = rest.lp_mut();
                lp.reserve_exact(entry_size(value));
                if after {
                    lp.push_front(value);
                } else {
                    lp.push_back(value);
                }
                rest.count += 1;
            }
            self.insert_node(Some(ni), rest, after);
            let old = if after { ni } else { ni + 1 };
            self.merge_around(old);
        }
        self.count += 1;
    }

    /// LINSERT: inserts `value` before or after the first element equal
    /// to `pivot` (from the head). Returns false when there is none.
    pub fn insert_by_pivot(&mut self, pivot: &[u8], value: &[u8], after: bool) -> bool {
        let Some(index) = self.position(pivot) else {
            return false;
        };
        let Some((ni, off)) = self.locate(index as i64) else {
            return false;
        };
        // Redis' iterator has decompressed the node to look at it.
        self.decompress_for_use(ni);
        self.insert_at(Some((ni, off)), value, after);
        true
    }

    /// Position (from the head) of the first element equal to `value`.
    fn position(&self, value: &[u8]) -> Option<usize> {
        let vint = needle_int(value);
        let mut index = 0;
        let mut found = None;
        self.walk(0, false, |e| {
            if entry_matches(e, value, vint) {
                found = Some(index);
                return false;
            }
            index += 1;
            true
        });
        found
    }

    /// quicklistReplaceEntry for element `off` of node `ni`.
    fn replace_entry(&mut self, ni: usize, off: usize, value: &[u8]) {
        let sz = value.len();
        if !self.nodes[ni].plain && !is_large(sz) {
            let lp = self.nodes[ni].lp_mut();
            lp.reserve_exact(entry_size(value));
            lp.replace_at(off as i64, Entry::Str(value));
            trim_capacity(lp);
            self.compress_node(ni);
        } else if self.nodes[ni].plain {
            if is_large(sz) {
                self.nodes[ni].data = Data::Plain(value.into());
                self.compress_node(ni);
            } else {
                // A small value cannot stay in a PLAIN node: insert it
                // after, then drop the old node (still at `ni`).
                self.insert_at(Some((ni, off)), value, true);
                self.del_node(ni);
            }
        } else {
            // A big value in a PACKED node: it goes in a PLAIN node right
            // after the element, which then leaves its node.
            self.nodes[ni].dont_compress = true;
            self.insert_at(Some((ni, off)), value, true);
            if self.nodes[ni].count == 1 {
                self.del_node(ni);
            } else {
                // After the insert the replaced element ends its node.
                if let Some(p) = self.nodes[ni].lp_mut().last() {
                    self.del_index(ni, p);
                }
                self.nodes[ni].dont_compress = false;
                self.compress_node(ni);
                self.compress_node(ni + 1);
            }
        }
    }

    /// LSET: replaces element `index` (negative counts from the tail).
    /// Returns false when the index is out of range.
    pub fn replace_at(&mut self, index: i64, value: &[u8]) -> bool {
        let Some((ni, off)) = self.locate(index) else {
            return false;
        };
        self.decompress_for_use(ni);
        self.replace_entry(ni, off, value);
        true
    }

    /// quicklistDelRange: deletes up to `count` elements from `start`
    /// (negative counts from the tail) towards the tail. Returns whether
    /// anything was deleted. Nodes are not merged afterwards (as in Redis).
    pub fn del_range(&mut self, start: i64, count: i64) -> bool {
        if count <= 0 {
            return false;
        }
        let mut extent = count as u64;
        let total = self.count as u64;
        if start >= 0 && extent > total.wrapping_sub(start as u64) {
            extent = total.wrapping_sub(start as u64);
        } else if start < 0 && extent > start.unsigned_abs() {
            extent = start.unsigned_abs();
        }
        let Some((mut ni, mut off)) = self.locate(start) else {
            return false;
        };
        while extent > 0 && ni < self.nodes.len() {
            let node_count = u64::from(self.nodes[ni].count);
            let whole = off == 0 && extent >= node_count;
            let del = if whole {
                node_count
            } else {
                extent.min(node_count - off as u64)
            };
            if whole || self.nodes[ni].plain {
                self.del_node(ni);
                // The following node slid into position `ni`.
            } else {
                self.decompress_for_use(ni);
                let node = &mut self.nodes[ni];
                let lp = node.lp_mut();
                lp.delete_range(off as i64, del as usize);
                trim_capacity(lp);
                node.count -= del as u32;
                self.count -= del as usize;
                if node.count == 0 {
                    self.del_node(ni);
                } else {
                    self.recompress_only(ni);
                    ni += 1;
                }
            }
            extent -= del;
            off = 0;
        }
        true
    }

    /// LREM: removes up to `limit` elements equal to `value` (0 = all),
    /// scanning from the tail when `from_tail`. Returns how many went.
    pub fn remove(&mut self, value: &[u8], limit: u64, from_tail: bool) -> u64 {
        let vint = needle_int(value);
        let mut removed: u64 = 0;
        if self.nodes.is_empty() {
            return 0;
        }
        let mut ni = if from_tail { self.nodes.len() - 1 } else { 0 };
        // The node the iterator rests on at the end (compressed again on
        // release, like quicklistReleaseIterator).
        let mut current: Option<usize>;
        'nodes: loop {
            current = Some(ni);
            self.decompress_for_use(ni);
            let mut gone = false;
            if self.nodes[ni].plain {
                let hit = matches!(&self.nodes[ni].data, Data::Plain(b) if **b == *value);
                if hit {
                    self.del_node(ni);
                    removed += 1;
                    gone = true;
                }
            } else {
                let lp = self.nodes[ni].lp_mut();
                let mut p = if from_tail { lp.last() } else { lp.first() };
                while let Some(pos) = p {
                    let lp = self.nodes[ni].lp_mut();
                    let hit = lp
                        .entry_at(pos)
                        .is_some_and(|e| entry_matches(e, value, vint));
                    if !hit {
                        p = if from_tail {
                            lp.prev(pos)
                        } else {
                            lp.next(pos)
                        };
                        continue;
                    }
                    let before = if from_tail { lp.prev(pos) } else { None };
                    removed += 1;
                    if self.del_index(ni, pos) {
                        gone = true;
                        break;
                    }
                    p = if from_tail {
                        before
                    } else {
                        // lpDelete leaves `pos` on the element that followed.
                        let lp = self.nodes[ni].lp_mut();
                        (pos < lp.bytes_len() - 1).then_some(pos)
                    };
                    if limit != 0 && removed == limit {
                        break 'nodes;
                    }
                }
            }
            // Move on; a deleted node's successor slid into its place.
            let next = if from_tail {
                ni.checked_sub(1)
            } else if gone {
                Some(ni)
            } else {
                Some(ni + 1)
            };
            if gone {
                current = next.filter(|&n| n < self.nodes.len());
                if limit != 0 && removed == limit {
                    break;
                }
            } else {
                self.compress_node(ni);
                current = None;
            }
            match next {
                Some(n) if n < self.nodes.len() => ni = n,
                _ => break,
            }
        }
        if let Some(c) = current {
            self.compress_node(c);
        }
        removed
    }

    // ---------------------------------------------------------------
    // Node-level access (RDB, DEBUG)
    // ---------------------------------------------------------------

    /// quicklistAppendListpack: a whole listpack becomes the new tail node
    /// (RDB loading). Empty listpacks are the caller's to refuse.
    pub fn append_listpack(&mut self, lp: Listpack) {
        let node = Node::packed(lp);
        self.count += node.count as usize;
        let tail = self.nodes.len().checked_sub(1);
        self.insert_node(tail, node, true);
    }

    /// quicklistAppendPlainNode: one element as a PLAIN tail node.
    pub fn append_plain(&mut self, value: Vec<u8>) {
        self.count += 1;
        let tail = self.nodes.len().checked_sub(1);
        self.insert_node(tail, Node::plain(value.into_boxed_slice()), true);
    }

    /// The nodes from head to tail, as the RDB writer stores them.
    pub fn nodes(&self) -> impl Iterator<Item = NodeInfo<'_>> + '_ {
        self.nodes.iter().map(|n| NodeInfo {
            plain: n.plain,
            count: n.count as usize,
            raw_len: n.sz(),
            bytes: match &n.data {
                Data::Packed(lp) => NodeBytes::Raw(lp.as_bytes()),
                Data::Plain(b) => NodeBytes::Raw(b),
                Data::Lzf(c) => NodeBytes::Lzf(&c[LZF_HDR..]),
            },
        })
    }

    /// quicklistRepr's text (DEBUG QUICKLIST prints it on stdout).
    pub fn repr(&self) -> String {
        let mut s = format!(
            "{{count : {}}}\n{{len : {}}}\n{{fill : {}}}\n{{compress : {}}}\n{{bookmark_count : 0}}\n",
            self.count,
            self.nodes.len(),
            self.fill,
            self.compress
        );
        for (i, n) in self.nodes.iter().enumerate() {
            s.push_str(&format!(
                "{{quicklist node({i})\n{{container : {}, encoding: {}, size: {}, count: {}, recompress: {}, attempted_compress: 0}}\n",
                if n.plain { "PLAIN" } else { "PACKED" },
                if n.is_compressed() { "LZF" } else { "RAW" },
                n.sz(),
                n.count,
                u8::from(n.recompress),
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::node::SIZE_SAFETY_LIMIT;
    use super::*;

    use crate::util::testrng::Rng;

    fn with_threshold<R>(t: usize, f: impl FnOnce() -> R) -> R {
        TEST_PACKED_THRESHOLD.with(|c| c.set(Some(t)));
        let r = f();
        TEST_PACKED_THRESHOLD.with(|c| c.set(None));
        r
    }

    fn contents(ql: &Quicklist) -> Vec<Vec<u8>> {
        ql.iter().map(|i| i.to_vec()).collect()
    }

    /// Checks every structural invariant and the raw ends.
    fn check(ql: &Quicklist) {
        let mut total = 0;
        for (i, n) in ql.nodes.iter().enumerate() {
            assert!(n.count > 0, "empty node {i}");
            total += n.count as usize;
            match &n.data {
                Data::Packed(lp) => {
                    assert!(!n.plain);
                    assert_eq!(lp.len(), n.count as usize);
                    assert!(Listpack::validate(lp.as_bytes(), true));
                }
                Data::Plain(_) => {
                    assert!(n.plain);
                    assert_eq!(n.count, 1);
                }
                Data::Lzf(_) => {
                    let depth = ql.compress as usize;
                    assert!(depth > 0, "compressed node without compression");
                    assert!(
                        i >= depth && i + depth < ql.nodes.len(),
                        "node {i} of {} compressed inside depth {depth}",
                        ql.nodes.len()
                    );
                    // It decodes to what its counters say.
                    match n.view() {
                        View::Packed(lp) => assert_eq!(lp.len(), n.count as usize),
                        View::Plain(_) => assert_eq!(n.count, 1),
                    }
                }
            }
        }
        assert_eq!(total, ql.count);
        assert_eq!(ql.iter().count(), ql.count);
    }

    #[test]
    fn node_stays_small() {
        assert_eq!(std::mem::size_of::<Node>(), 32);
    }

    #[test]
    fn settings_are_clamped_like_redis() {
        let ql = Quicklist::new(-10, -1);
        assert_eq!((ql.fill(), ql.compress_depth()), (-5, 0));
        let ql = Quicklist::new(1 << 20, 1 << 20);
        assert_eq!((ql.fill(), ql.compress_depth()), (32767, 65535));
    }

    #[test]
    fn push_pop_both_ends() {
        let mut ql = Quicklist::new(-2, 0);
        ql.push(b"b", End::Tail);
        ql.push(b"a", End::Head);
        ql.push(b"42", End::Tail);
        assert_eq!(
            contents(&ql),
            vec![b"a".to_vec(), b"b".to_vec(), b"42".to_vec()]
        );
        assert_eq!(ql.get(2), Some(Item::Int(42)));
        assert_eq!(ql.get(-3), Some(Item::Str(Cow::Borrowed(&b"a"[..]))));
        assert_eq!(ql.get(3), None);
        assert_eq!(ql.get(-4), None);
        assert_eq!(ql.get(i64::MIN), None);
        assert_eq!(ql.pop(End::Tail), Some(Item::Int(42)));
        assert_eq!(ql.pop(End::Head).unwrap().to_vec(), b"a");
        assert_eq!(ql.pop(End::Head).unwrap().to_vec(), b"b");
        assert_eq!(ql.pop(End::Head), None);
        assert_eq!(ql.node_count(), 0);
    }

    /// Node sizes follow the fill: entry counts for positive fills, byte
    /// limits for negative ones (e.g. 500 one-digit-ish values per 4 KB).
    #[test]
    fn fill_limits_node_sizes() {
        let mut ql = Quicklist::new(4, 0);
        for i in 0..10 {
            ql.push(i.to_string().as_bytes(), End::Tail);
        }
        assert_eq!(ql.node_count(), 3);
        let mut ql = Quicklist::new(-1, 0);
        let v = [b'x'; 100];
        for _ in 0..100 {
            ql.push(&v, End::Tail);
        }
        // Each entry is 100 + 2 + 1 bytes; 4096-byte nodes hold 39 of them.
        assert!(ql.nodes.iter().all(|n| n.sz() <= 4096));
        assert_eq!(ql.nodes[0].count, 39);
        // Positive fills still stop at the 8 KB safety limit.
        let mut ql = Quicklist::new(1000, 0);
        for _ in 0..200 {
            ql.push(&v, End::Tail);
        }
        assert!(ql.nodes.iter().all(|n| n.sz() <= SIZE_SAFETY_LIMIT));
        check(&ql);
    }

    /// Layouts read from Redis 7.0.15 (DEBUG OBJECT ql_nodes and
    /// ql_uncompressed_size, MEMORY USAGE minus the 32 bytes of a one-letter
    /// key and its dict entry) for the same pushes.
    #[test]
    fn node_layout_matches_redis() {
        let mut ql = Quicklist::new(-2, 0);
        for i in 1..=1000 {
            ql.push(i.to_string().as_bytes(), End::Tail);
        }
        assert_eq!((ql.node_count(), ql.uncompressed_size()), (1, 2880));
        let mut ql = Quicklist::new(-2, 0);
        for i in 0..10000 {
            ql.push(format!("value:{i}").as_bytes(), End::Tail);
        }
        assert_eq!((ql.node_count(), ql.uncompressed_size()), (15, 118995));
        assert_eq!(ql.mem_usage(5), 123568 - 32);
        assert_eq!(ql.mem_usage(usize::MAX), 120496 - 32);
    }

    #[test]
    fn compression_keeps_the_ends_raw() {
        let mut ql = Quicklist::new(4, 1);
        let v = b"a fairly compressible value a fairly compressible value";
        for _ in 0..40 {
            ql.push(v, End::Tail);
        }
        check(&ql);
        assert_eq!(ql.node_count(), 10);
        let compressed = ql.nodes.iter().filter(|n| n.is_compressed()).count();
        assert_eq!(compressed, 8);
        assert!(!ql.nodes[0].is_compressed() && !ql.nodes[9].is_compressed());
        assert_eq!(contents(&ql), vec![v.to_vec(); 40]);
        // Reads of compressed nodes go through a decoded copy.
        assert_eq!(ql.get(17).unwrap().to_vec(), v.to_vec());
        // MEMORY USAGE counts the compressed sizes, as Redis does (its
        // figures for these two lists, less 32 bytes of key).
        assert_eq!(ql.uncompressed_size(), 2350);
        assert_eq!(ql.mem_usage(usize::MAX), 1512 - 32);
        let mut raw = Quicklist::new(4, 0);
        for _ in 0..40 {
            raw.push(v, End::Tail);
        }
        assert_eq!(raw.mem_usage(usize::MAX), 3048 - 32);
    }

    #[test]
    fn plain_nodes_for_big_elements() {
        with_threshold(10, || {
            let mut ql = Quicklist::new(-2, 0);
            ql.push(b"small", End::Tail);
            ql.push(b"0123456789", End::Tail);
            ql.push(b"x", End::Tail);
            assert_eq!(ql.node_count(), 3);
            assert!(ql.nodes[1].plain);
            check(&ql);
            // Replacing a packed element with a big one splits its node.
            ql.push(b"y", End::Head);
            ql.replace_at(0, b"BIGBIGBIGBIG");
            check(&ql);
            assert_eq!(contents(&ql)[0], b"BIGBIGBIGBIG");
            // And a plain element with a small one.
            ql.replace_at(2, b"tiny");
            check(&ql);
            assert_eq!(
                contents(&ql),
                vec![
                    b"BIGBIGBIGBIG".to_vec(),
                    b"small".to_vec(),
                    b"tiny".to_vec(),
                    b"x".to_vec()
                ]
            );
            assert_eq!(ql.pop(End::Head).unwrap().to_vec(), b"BIGBIGBIGBIG");
        });
    }

    #[test]
    fn insert_and_remove_by_value() {
        let mut ql = Quicklist::new(2, 0);
        for v in [&b"a"[..], b"b", b"c", b"d", b"e"] {
            ql.push(v, End::Tail);
        }
        assert!(ql.insert_by_pivot(b"c", b"X", true));
        assert!(ql.insert_by_pivot(b"a", b"Y", false));
        assert!(!ql.insert_by_pivot(b"zz", b"Q", false));
        check(&ql);
        let got: Vec<_> = contents(&ql);
        let want: Vec<Vec<u8>> = ["Y", "a", "b", "c", "X", "d", "e"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        assert_eq!(got, want);
        ql.push(b"a", End::Tail);
        assert_eq!(ql.remove(b"a", 1, true), 1);
        assert_eq!(ql.remove(b"a", 0, false), 1);
        assert_eq!(ql.remove(b"a", 0, false), 0);
        check(&ql);
    }

    #[test]
    fn integers_match_their_decimal_text() {
        let mut ql = Quicklist::new(-2, 0);
        ql.push(b"12", End::Tail);
        ql.push(b"012", End::Tail);
        assert_eq!(ql.remove(b"12", 0, false), 1);
        assert_eq!(contents(&ql), vec![b"012".to_vec()]);
    }

    /// Random operations against a Vec model, under several fill and
    /// compress settings and packed thresholds, checking the invariants
    /// after every step.
    #[test]
    fn random_ops_against_vec_model() {
        let settings = [
            (-2, 0, usize::MAX),
            (1, 0, usize::MAX),
            (3, 1, usize::MAX),
            (4, 2, 40),
            (-1, 1, 200),
            (16, 3, 30),
            (2, 1, 1),
            (-5, 4, usize::MAX),
        ];
        for (round, &(fill, depth, threshold)) in settings.iter().enumerate() {
            with_threshold(threshold, || {
                let mut rng = Rng(0x1234_5678 + round as u64);
                let mut ql = Quicklist::new(fill, depth);
                let mut model: Vec<Vec<u8>> = Vec::new();
                for step in 0..3000 {
                    let value = random_value(&mut rng);
                    match rng.below(11) {
                        0 | 1 => {
                            ql.push(&value, End::Head);
                            model.insert(0, value);
                        }
                        2 | 3 => {
                            ql.push(&value, End::Tail);
                            model.push(value);
                        }
                        4 => {
                            let end = if rng.below(2) == 0 {
                                End::Head
                            } else {
                                End::Tail
                            };
                            let got = ql.pop(end).map(|i| i.into_vec());
                            let want = match end {
                                End::Head if !model.is_empty() => Some(model.remove(0)),
                                End::Tail => model.pop(),
                                _ => None,
                            };
                            assert_eq!(got, want);
                        }
                        5 if !model.is_empty() => {
                            let i = rng.below(model.len() as u64) as usize;
                            let idx = if rng.below(2) == 0 {
                                i as i64
                            } else {
                                i as i64 - model.len() as i64
                            };
                            assert!(ql.replace_at(idx, &value));
                            model[i] = value;
                        }
                        6 if !model.is_empty() => {
                            let i = rng.below(model.len() as u64) as usize;
                            let pivot = model[i].clone();
                            let first = model.iter().position(|v| *v == pivot).unwrap();
                            let after = rng.below(2) == 0;
                            assert!(ql.insert_by_pivot(&pivot, &value, after));
                            model.insert(if after { first + 1 } else { first }, value);
                        }
                        7 if !model.is_empty() => {
                            let i = rng.below(model.len() as u64) as usize;
                            let target = model[i].clone();
                            let limit = rng.below(3);
                            let from_tail = rng.below(2) == 0;
                            let n = ql.remove(&target, limit, from_tail);
                            let mut removed = 0;
                            if from_tail {
                                let mut j = model.len();
                                while j > 0 && (limit == 0 || removed < limit) {
                                    j -= 1;
                                    if model[j] == target {
                                        model.remove(j);
                                        removed += 1;
                                    }
                                }
                            } else {
                                let mut j = 0;
                                while j < model.len() && (limit == 0 || removed < limit) {
                                    if model[j] == target {
                                        model.remove(j);
                                        removed += 1;
                                    } else {
                                        j += 1;
                                    }
                                }
                            }
                            assert_eq!(n, removed);
                        }
                        8 if !model.is_empty() => {
                            let len = model.len() as i64;
                            let start = rng.below(len as u64 * 2) as i64 - len;
                            let count = rng.below(6) as i64;
                            ql.del_range(start, count);
                            let s = if start < 0 { len + start } else { start } as usize;
                            let e = (s + count as usize).min(model.len());
                            if s < model.len() {
                                model.drain(s..e);
                            }
                        }
                        9 if !model.is_empty() => {
                            let i = rng.below(model.len() as u64) as usize;
                            assert_eq!(ql.get(i as i64).unwrap().to_vec(), model[i]);
                            let mut seen = Vec::new();
                            let reverse = rng.below(2) == 0;
                            ql.walk(i, reverse, |e| {
                                seen.push(e.to_vec());
                                seen.len() < 7
                            });
                            let want: Vec<Vec<u8>> = if reverse {
                                model[..=i].iter().rev().take(7).cloned().collect()
                            } else {
                                model[i..].iter().take(7).cloned().collect()
                            };
                            assert_eq!(seen, want);
                        }
                        _ => {}
                    }
                    check(&ql);
                    assert_eq!(ql.len(), model.len(), "round {round} step {step}");
                    if step % 50 == 0 {
                        assert_eq!(contents(&ql), model, "round {round} step {step}");
                    }
                }
                assert_eq!(contents(&ql), model);
                let copy = ql.clone();
                assert_eq!(contents(&copy), model);
            });
        }
    }

    fn random_value(rng: &mut Rng) -> Vec<u8> {
        match rng.below(6) {
            0 => rng.below(1000).to_string().into_bytes(),
            1 => (rng.next() as i64).to_string().into_bytes(),
            2 => vec![b'a' + rng.below(3) as u8; 1 + rng.below(3) as usize],
            3 => vec![b'x'; rng.below(300) as usize],
            4 => (0..rng.below(60)).map(|_| rng.next() as u8).collect(),
            _ => format!("v{}", rng.below(20)).into_bytes(),
        }
    }

    #[test]
    fn del_range_clips_like_redis() {
        let mut ql = Quicklist::new(2, 0);
        for i in 0..9 {
            ql.push(i.to_string().as_bytes(), End::Tail);
        }
        assert!(!ql.del_range(0, 0));
        assert!(!ql.del_range(9, 1));
        assert!(ql.del_range(-2, 10));
        assert_eq!(ql.len(), 7);
        assert!(ql.del_range(1, 3));
        let got: Vec<_> = contents(&ql);
        let want: Vec<Vec<u8>> = ["0", "4", "5", "6"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        assert_eq!(got, want);
        check(&ql);
    }

    #[test]
    fn appended_nodes_and_node_view() {
        let mut lp = Listpack::new();
        lp.push_back(b"a");
        lp.push_back(b"b");
        let mut ql = Quicklist::new(-2, 0);
        ql.append_listpack(lp);
        ql.append_plain(b"big".to_vec());
        assert_eq!(ql.len(), 3);
        let nodes: Vec<_> = ql.nodes().collect();
        assert_eq!(nodes.len(), 2);
        assert!(!nodes[0].plain && nodes[1].plain);
        assert_eq!(nodes[0].count, 2);
        check(&ql);
    }

    #[test]
    fn packed_threshold_bounds() {
        assert!(!set_packed_threshold((1 << 32) - (1 << 20) + 1));
        assert!(set_packed_threshold(0));
        assert_eq!(
            PACKED_THRESHOLD.load(Ordering::Relaxed),
            DEFAULT_PACKED_THRESHOLD
        );
    }
}
