//! The large sorted-set encoding (what OBJECT ENCODING calls `skiplist`):
//! a member -> score lookup plus a score-ordered index with O(log n) rank.
//! It plays the part of Redis' `zset { dict *dict; zskiplist *zsl; }`
//! (t_zset.c), built differently to store each member once and cost less
//! memory per element:
//!
//! ```text
//! slots: Vec<Slot>          arena, Slot = { member: Box<[u8]>, score: f64 } (24 B)
//! table: Vec<u32>           open addressing (linear probing) of slot ids, by member hash
//! tree:  counted B+-tree    of slot ids in (score, member) order; every inner
//!                           node keeps, per child, its element count and the id
//!                           of its last element (for rank and for descent)
//! ```
//!
//! Per element that is about 24 (slot) + the member's allocation + ~7 (hash
//! slot at 37-75% load) + ~6 (leaf entry), against Redis' dictEntry (24) +
//! bucket (8) + skiplist node (48-64) + sds.
//!
//! Invariants:
//! * a slot is live iff its id is in `table` and in `tree`, exactly once each;
//!   dead slots have an empty member and are listed in `free`;
//! * the tree is ordered by (score, member bytes), scores are never NaN;
//! * every inner node's `Kid::count`/`Kid::last` equal the child's size and
//!   last element.
//!
//! Slot ids stay put while the index lives (ZSCAN uses them as its cursor),
//! except when `compact` renumbers them after most of the set was deleted.

use std::cmp::Ordering;

use crate::db::dict::hash_bytes;

/// Node capacity: a node reaching this width splits (a leaf's Vec is
/// allocated with exactly this capacity, a 256-byte jemalloc class).
const CAP: usize = 64;
/// A node narrower than this after a removal is merged or refilled.
const MIN: usize = CAP / 4;
/// Bulk-built leaves are this full, leaving room for inserts.
const FILL: usize = CAP * 3 / 4;
/// The empty hash slot.
const EMPTY: u32 = u32::MAX;

struct Slot {
    member: Box<[u8]>,
    score: f64,
}

/// Total order of the index: score, then member bytes (memcmp, then length,
/// which is Rust's slice order and Redis' sdscmp).
#[inline]
fn cmp_key(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    match a_score.partial_cmp(&b_score) {
        Some(Ordering::Equal) | None => a_member.cmp(b_member),
        Some(o) => o,
    }
}

enum Node {
    Leaf(Vec<u32>),
    Inner(Vec<Kid>),
}

struct Kid {
    count: usize,
    last: u32,
    node: Node,
}

impl Node {
    /// Number of direct entries (leaf ids or children).
    fn width(&self) -> usize {
        match self {
            Node::Leaf(v) => v.len(),
            Node::Inner(k) => k.len(),
        }
    }

    fn count(&self) -> usize {
        match self {
            Node::Leaf(v) => v.len(),
            Node::Inner(k) => k.iter().map(|k| k.count).sum(),
        }
    }

    fn last(&self) -> u32 {
        match self {
            Node::Leaf(v) => v.last().copied().unwrap_or(EMPTY),
            Node::Inner(k) => k.last().map_or(EMPTY, |k| k.last),
        }
    }

    fn kid(node: Node) -> Kid {
        Kid {
            count: node.count(),
            last: node.last(),
            node,
        }
    }

    /// Splits an over-wide node at entry `at`; returns the right part.
    fn split_at(&mut self, at: usize) -> Node {
        match self {
            Node::Leaf(v) => {
                let mut r = Vec::with_capacity(CAP);
                r.extend_from_slice(&v[at..]);
                v.truncate(at);
                v.shrink_to(CAP);
                Node::Leaf(r)
            }
            Node::Inner(k) => Node::Inner(k.split_off(at)),
        }
    }

    /// Splits in two halves.
    fn split(&mut self) -> Node {
        let at = self.width() / 2;
        self.split_at(at)
    }

    fn bytes(&self) -> usize {
        match self {
            Node::Leaf(v) => v.capacity() * 4,
            Node::Inner(k) => {
                k.capacity() * std::mem::size_of::<Kid>()
                    + k.iter().map(|k| k.node.bytes()).sum::<usize>()
            }
        }
    }
}

/// The member -> score map plus the ordered, counted index.
pub struct Index {
    slots: Vec<Slot>,
    free: Vec<u32>,
    table: Vec<u32>,
    root: Node,
    len: usize,
}

impl Default for Index {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for Index {
    fn clone(&self) -> Self {
        Index::from_sorted(self.iter().map(|(m, s)| (m.to_vec(), s)))
    }
}

impl Index {
    pub fn new() -> Self {
        Index {
            slots: Vec::new(),
            free: Vec::new(),
            table: vec![EMPTY; 8],
            root: Node::Leaf(Vec::new()),
            len: 0,
        }
    }

    /// Builds from pairs already in (score, member) order with distinct
    /// members: leaves are packed 3/4 full in one pass.
    pub fn from_sorted<I: IntoIterator<Item = (Vec<u8>, f64)>>(items: I) -> Self {
        let mut ix = Index::new();
        for (m, s) in items {
            ix.slots.push(Slot {
                member: m.into_boxed_slice(),
                score: s,
            });
        }
        ix.len = ix.slots.len();
        ix.rehash(table_size_for(ix.len));
        let ids: Vec<u32> = (0..ix.len as u32).collect();
        ix.root = build(&ids);
        ix
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    // ---- the hash side ----

    fn home(&self, member: &[u8]) -> usize {
        hash_bytes(member) as usize & (self.table.len() - 1)
    }

    /// Position in `table` of `member`'s id, if present.
    fn find_pos(&self, member: &[u8]) -> Option<usize> {
        let mask = self.table.len() - 1;
        let mut i = self.home(member);
        loop {
            let id = self.table[i];
            if id == EMPTY {
                return None;
            }
            if *self.slots[id as usize].member == *member {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    fn table_put(&mut self, id: u32) {
        let mask = self.table.len() - 1;
        let mut i = self.home(&self.slots[id as usize].member);
        while self.table[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.table[i] = id;
    }

    /// Removes the id at table position `i`, shifting later entries of the
    /// same probe run back so no tombstones are needed.
    fn table_del(&mut self, mut i: usize) {
        let mask = self.table.len() - 1;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let id = self.table[j];
            if id == EMPTY {
                break;
            }
            let k = self.home(&self.slots[id as usize].member);
            // Move it back unless its home lies cyclically in (i, j].
            let stays = if i <= j {
                i < k && k <= j
            } else {
                i < k || k <= j
            };
            if !stays {
                self.table[i] = id;
                i = j;
            }
        }
        self.table[i] = EMPTY;
    }

    fn rehash(&mut self, size: usize) {
        self.table = vec![EMPTY; size];
        for id in 0..self.slots.len() as u32 {
            if self.slot_live(id) {
                self.table_put(id);
            }
        }
    }

    fn slot_live(&self, id: u32) -> bool {
        let s = &self.slots[id as usize];
        !s.score.is_nan()
    }

    /// Score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find_pos(member)
            .map(|p| self.slots[self.table[p] as usize].score)
    }

    // ---- updates ----

    /// Adds a member that is not present.
    pub fn insert_new(&mut self, member: &[u8], score: f64) {
        if (self.len + 1) * 4 > self.table.len() * 3 {
            let n = self.table.len() * 2;
            self.rehash(n);
        }
        let slot = Slot {
            member: member.into(),
            score,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        self.table_put(id);
        self.tree_insert(id);
        self.len += 1;
    }

    /// Changes the score of a present member; false if it is absent.
    pub fn update_score(&mut self, member: &[u8], score: f64) -> bool {
        let Some(p) = self.find_pos(member) else {
            return false;
        };
        let id = self.table[p];
        let old = self.slots[id as usize].score;
        self.tree_remove(old, member);
        self.slots[id as usize].score = score;
        self.tree_insert(id);
        true
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let p = self.find_pos(member)?;
        let id = self.table[p];
        let score = self.slots[id as usize].score;
        self.table_del(p);
        self.tree_remove(score, member);
        self.free_slot(id);
        Some(score)
    }

    fn free_slot(&mut self, id: u32) {
        self.slots[id as usize] = Slot {
            member: Box::default(),
            score: f64::NAN,
        };
        self.free.push(id);
        self.len -= 1;
        if self.len == 0 {
            *self = Index::new();
        } else if self.free.len() > 64 && self.free.len() > self.len * 2 {
            self.compact();
        } else if self.table.len() > 8 && self.len * 8 < self.table.len() {
            self.rehash(table_size_for(self.len));
        }
    }

    /// Renumbers the live slots densely (frees the arena after mass deletes).
    fn compact(&mut self) {
        let items: Vec<(Vec<u8>, f64)> = self.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        *self = Index::from_sorted(items);
    }

    /// Removes the elements of ranks `lo..hi`; returns how many.
    pub fn remove_ranks(&mut self, lo: usize, hi: usize) -> usize {
        let hi = hi.min(self.len);
        if lo >= hi {
            return 0;
        }
        if (hi - lo) * 2 > self.len {
            // Most of the set goes: rebuild from what stays.
            let mut keep = Vec::with_capacity(self.len - (hi - lo));
            let n = self.len;
            self.for_each_in(0, lo, false, |m, s| keep.push((m.to_vec(), s)));
            self.for_each_in(hi, n, false, |m, s| keep.push((m.to_vec(), s)));
            *self = Index::from_sorted(keep);
            return hi - lo;
        }
        let mut doomed = Vec::with_capacity(hi - lo);
        self.for_each_in(lo, hi, false, |m, _| doomed.push(m.to_vec()));
        for m in &doomed {
            self.remove(m);
        }
        doomed.len()
    }

    // ---- the ordered side ----

    fn key_of(&self, id: u32) -> (f64, &[u8]) {
        let s = &self.slots[id as usize];
        (s.score, &s.member)
    }

    fn less(&self, id: u32, score: f64, member: &[u8]) -> bool {
        let (s, m) = self.key_of(id);
        cmp_key(s, m, score, member) == Ordering::Less
    }

    fn tree_insert(&mut self, id: u32) {
        let mut root = std::mem::replace(&mut self.root, Node::Leaf(Vec::new()));
        let s = &self.slots[id as usize];
        if let (Some(right), _) = self.insert_rec(&mut root, id, s.score, &s.member) {
            root = Node::Inner(vec![Node::kid(root), Node::kid(right)]);
        }
        self.root = root;
    }

    /// Inserts into the subtree; returns the right part if it had to split,
    /// and where the new id landed: -1 at the subtree's front, 1 at its end,
    /// 0 inside. A node filled from one edge (ascending or descending
    /// scores, the common ZADD patterns) splits off just the new entry, so
    /// such runs leave full nodes behind instead of half-full ones.
    fn insert_rec(
        &self,
        node: &mut Node,
        id: u32,
        score: f64,
        member: &[u8],
    ) -> (Option<Node>, i8) {
        let edge = match node {
            Node::Leaf(v) => {
                let pos = v.partition_point(|&x| self.less(x, score, member));
                if v.capacity() == 0 {
                    v.reserve_exact(CAP);
                }
                let edge = if pos == v.len() {
                    1
                } else if pos == 0 {
                    -1
                } else {
                    0
                };
                v.insert(pos, id);
                edge
            }
            Node::Inner(kids) => {
                let i = kids
                    .partition_point(|k| self.less(k.last, score, member))
                    .min(kids.len() - 1);
                let last = kids.len() - 1;
                let (split, child_edge) = self.insert_rec(&mut kids[i].node, id, score, member);
                kids[i].count += 1;
                if let Some(right) = split {
                    kids[i].count = kids[i].node.count();
                    kids.insert(i + 1, Node::kid(right));
                }
                kids[i].last = kids[i].node.last();
                match child_edge {
                    1 if i == last => 1,
                    -1 if i == 0 => -1,
                    _ => 0,
                }
            }
        };
        let w = node.width();
        if w < CAP {
            return (None, edge);
        }
        let at = match edge {
            1 => w - 1,
            -1 => 1,
            _ => w / 2,
        };
        (Some(node.split_at(at)), edge)
    }

    fn tree_remove(&mut self, score: f64, member: &[u8]) {
        let mut root = std::mem::replace(&mut self.root, Node::Leaf(Vec::new()));
        self.remove_rec(&mut root, score, member);
        // A root with one child gives way to it.
        while let Node::Inner(kids) = &mut root {
            if kids.len() != 1 {
                break;
            }
            root = kids.pop().map_or(Node::Leaf(Vec::new()), |k| k.node);
        }
        self.root = root;
    }

    fn remove_rec(&self, node: &mut Node, score: f64, member: &[u8]) -> bool {
        match node {
            Node::Leaf(v) => {
                let pos = v.partition_point(|&x| self.less(x, score, member));
                if pos < v.len() && !self.less_eq_differs(v[pos], score, member) {
                    v.remove(pos);
                    true
                } else {
                    false
                }
            }
            Node::Inner(kids) => {
                let i = kids.partition_point(|k| self.less(k.last, score, member));
                if i == kids.len() || !self.remove_rec(&mut kids[i].node, score, member) {
                    return false;
                }
                kids[i].count -= 1;
                if kids[i].node.width() == 0 {
                    kids.remove(i);
                } else {
                    kids[i].last = kids[i].node.last();
                    if kids[i].node.width() < MIN && kids.len() > 1 {
                        rebalance(kids, i);
                    }
                }
                true
            }
        }
    }

    /// True when slot `id` is not exactly (score, member).
    fn less_eq_differs(&self, id: u32, score: f64, member: &[u8]) -> bool {
        let (s, m) = self.key_of(id);
        cmp_key(s, m, score, member) != Ordering::Equal
    }

    /// 0-based rank of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        let mut node = &self.root;
        let mut rank = 0;
        loop {
            match node {
                Node::Leaf(v) => {
                    let pos = v.partition_point(|&x| self.less(x, score, member));
                    return Some(rank + pos);
                }
                Node::Inner(kids) => {
                    let i = kids
                        .partition_point(|k| self.less(k.last, score, member))
                        .min(kids.len() - 1);
                    rank += kids[..i].iter().map(|k| k.count).sum::<usize>();
                    node = &kids[i].node;
                }
            }
        }
    }

    /// How many elements satisfy `pred`, which must hold for a prefix of the
    /// order and fail after it (e.g. "score < min").
    pub fn count_prefix(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let test = |id: u32| {
            let (s, m) = self.key_of(id);
            pred(s, m)
        };
        let mut node = &self.root;
        let mut n = 0;
        loop {
            match node {
                Node::Leaf(v) => return n + v.partition_point(|&x| test(x)),
                Node::Inner(kids) => {
                    let i = kids.partition_point(|k| test(k.last));
                    n += kids[..i].iter().map(|k| k.count).sum::<usize>();
                    match kids.get(i) {
                        Some(k) => node = &k.node,
                        None => return n,
                    }
                }
            }
        }
    }

    /// The element of rank `r` (ascending).
    pub fn at(&self, mut r: usize) -> Option<(&[u8], f64)> {
        if r >= self.len {
            return None;
        }
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(v) => {
                    let id = *v.get(r)?;
                    let s = &self.slots[id as usize];
                    return Some((&s.member, s.score));
                }
                Node::Inner(kids) => {
                    let mut next = None;
                    for k in kids {
                        if r < k.count {
                            next = Some(&k.node);
                            break;
                        }
                        r -= k.count;
                    }
                    node = next?;
                }
            }
        }
    }

    /// Calls `f` on ranks `lo..hi` in ascending order, or descending when
    /// `rev` (then from hi-1 down to lo).
    pub fn for_each_in(&self, lo: usize, hi: usize, rev: bool, mut f: impl FnMut(&[u8], f64)) {
        let hi = hi.min(self.len);
        if lo < hi {
            self.walk(&self.root, lo, hi, rev, &mut f);
        }
    }

    fn walk(&self, node: &Node, lo: usize, hi: usize, rev: bool, f: &mut dyn FnMut(&[u8], f64)) {
        match node {
            Node::Leaf(v) => {
                let part = &v[lo.min(v.len())..hi.min(v.len())];
                let mut emit = |id: &u32| {
                    let s = &self.slots[*id as usize];
                    f(&s.member, s.score)
                };
                if rev {
                    part.iter().rev().for_each(&mut emit);
                } else {
                    part.iter().for_each(&mut emit);
                }
            }
            Node::Inner(kids) => {
                let mut spans = Vec::new();
                let mut base = 0;
                for k in kids {
                    let (a, b) = (base, base + k.count);
                    if b > lo && a < hi {
                        spans.push((k, lo.saturating_sub(a), hi.min(b) - a));
                    }
                    base = b;
                    if base >= hi {
                        break;
                    }
                }
                if rev {
                    spans.reverse();
                }
                for (k, l, h) in spans {
                    self.walk(&k.node, l, h, rev, f);
                }
            }
        }
    }

    /// Every element in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            ix: self,
            stack: match &self.root {
                Node::Inner(k) => vec![k.iter()],
                Node::Leaf(_) => Vec::new(),
            },
            leaf: match &self.root {
                Node::Leaf(v) => v.iter(),
                Node::Inner(_) => [].iter(),
            },
        }
    }

    /// ZSCAN step: up to `count` live elements from slot `cursor` on, and
    /// the next cursor (0 when the arena is exhausted). Slots do not move,
    /// so an element present for the whole scan is reported.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], f64)) -> u64 {
        let mut i = cursor as usize;
        let mut seen = 0;
        let mut visited = 0;
        while i < self.slots.len() && seen < count && visited < count.saturating_mul(10) {
            if self.slot_live(i as u32) {
                let s = &self.slots[i];
                f(&s.member, s.score);
                seen += 1;
            }
            visited += 1;
            i += 1;
        }
        if i >= self.slots.len() {
            0
        } else {
            i as u64
        }
    }

    /// Bytes held, members excluded unless `member_bytes` is given.
    pub fn overhead_bytes(&self) -> usize {
        std::mem::size_of::<Index>()
            + self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.free.capacity() * 4
            + self.table.capacity() * 4
            + self.root.bytes()
    }
}

fn table_size_for(n: usize) -> usize {
    // Load between 3/8 and 3/4 after a rebuild: 2n rounded up to a power of two.
    (n * 2).next_power_of_two().max(8)
}

/// Packs sorted ids into leaves, then levels of inner nodes.
fn build(ids: &[u32]) -> Node {
    if ids.len() < CAP {
        let mut v = Vec::with_capacity(CAP);
        v.extend_from_slice(ids);
        return Node::Leaf(v);
    }
    let mut level: Vec<Node> = ids
        .chunks(FILL)
        .map(|c| {
            let mut v = Vec::with_capacity(CAP);
            v.extend_from_slice(c);
            Node::Leaf(v)
        })
        .collect();
    while level.len() > 1 {
        let mut up = Vec::with_capacity(level.len() / FILL + 1);
        let mut it = level.into_iter().peekable();
        while it.peek().is_some() {
            let kids: Vec<Kid> = it.by_ref().take(FILL).map(Node::kid).collect();
            up.push(Node::Inner(kids));
        }
        level = up;
    }
    level.pop().unwrap_or(Node::Leaf(Vec::new()))
}

/// Kid `i` became too narrow: merge it with a neighbour, or share their
/// entries evenly when both together would be too wide.
fn rebalance(kids: &mut Vec<Kid>, i: usize) {
    let (a, b) = if i + 1 < kids.len() {
        (i, i + 1)
    } else {
        (i - 1, i)
    };
    let right = kids.remove(b).node;
    let left = &mut kids[a].node;
    match (left, right) {
        (Node::Leaf(l), Node::Leaf(r)) => l.extend_from_slice(&r),
        (Node::Inner(l), Node::Inner(r)) => l.extend(r),
        // Siblings are always at the same depth.
        (_, r) => {
            kids.insert(b, Node::kid(r));
            return;
        }
    }
    if kids[a].node.width() >= CAP {
        let r = kids[a].node.split();
        kids.insert(b, Node::kid(r));
        kids[b].count = kids[b].node.count();
    }
    kids[a].count = kids[a].node.count();
    kids[a].last = kids[a].node.last();
}

/// In-order iterator over an [`Index`].
pub struct Iter<'a> {
    ix: &'a Index,
    stack: Vec<std::slice::Iter<'a, Kid>>,
    leaf: std::slice::Iter<'a, u32>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(&id) = self.leaf.next() {
                let s = &self.ix.slots[id as usize];
                return Some((&s.member, s.score));
            }
            loop {
                let top = self.stack.last_mut()?;
                match top.next() {
                    Some(k) => match &k.node {
                        Node::Leaf(v) => {
                            self.leaf = v.iter();
                            break;
                        }
                        Node::Inner(kids) => self.stack.push(kids.iter()),
                    },
                    None => {
                        self.stack.pop();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::dict::random_below;
    use std::collections::BTreeMap;

    /// Model key: score bits made orderable, then member.
    fn mkey(score: f64, m: &[u8]) -> (i64, Vec<u8>) {
        let b = score.to_bits() as i64;
        let ord = if b < 0 { b ^ i64::MAX } else { b };
        (ord, m.to_vec())
    }

    fn check(ix: &Index, model: &BTreeMap<(i64, Vec<u8>), f64>) {
        assert_eq!(ix.len(), model.len());
        let got: Vec<(Vec<u8>, f64)> = ix.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        let want: Vec<(Vec<u8>, f64)> = model.iter().map(|((_, m), s)| (m.clone(), *s)).collect();
        assert_eq!(got, want);
        for (r, (m, s)) in want.iter().enumerate().step_by(7) {
            assert_eq!(ix.rank(m), Some(r));
            assert_eq!(ix.score(m), Some(*s));
            assert_eq!(
                ix.at(r).map(|(m, s)| (m.to_vec(), s)),
                Some((m.clone(), *s))
            );
        }
        if !want.is_empty() {
            let lo = random_below(want.len());
            let hi = lo + random_below(want.len() - lo + 1);
            let mut seen = Vec::new();
            ix.for_each_in(lo, hi, false, |m, s| seen.push((m.to_vec(), s)));
            assert_eq!(seen, want[lo..hi]);
            seen.clear();
            ix.for_each_in(lo, hi, true, |m, s| seen.push((m.to_vec(), s)));
            seen.reverse();
            assert_eq!(seen, want[lo..hi]);
            let pivot = want[lo].1;
            let n = want.iter().filter(|(_, s)| *s < pivot).count();
            assert_eq!(ix.count_prefix(|s, _| s < pivot), n);
        }
    }

    #[test]
    fn random_operations_match_a_btreemap_model() {
        for round in 0..4 {
            let mut ix = Index::new();
            let mut model = BTreeMap::new();
            let mut scores = std::collections::HashMap::new();
            let universe = [50, 500, 3000, 20000][round];
            for step in 0..20000 {
                let m = format!("m{}", random_below(universe)).into_bytes();
                let score = (random_below(100) as f64) - 50.0;
                match random_below(10) {
                    0..=5 => {
                        if let Some(old) = scores.insert(m.clone(), score) {
                            model.remove(&mkey(old, &m));
                            assert!(ix.update_score(&m, score));
                        } else {
                            ix.insert_new(&m, score);
                        }
                        model.insert(mkey(score, &m), score);
                    }
                    6..=8 => {
                        let had = scores.remove(&m);
                        assert_eq!(ix.remove(&m), had);
                        if let Some(old) = had {
                            model.remove(&mkey(old, &m));
                        }
                    }
                    _ => {
                        if !model.is_empty() {
                            let lo = random_below(model.len());
                            let hi = (lo + random_below(40)).min(model.len());
                            let doomed: Vec<_> =
                                model.keys().skip(lo).take(hi - lo).cloned().collect();
                            for k in &doomed {
                                model.remove(k);
                                scores.remove(&k.1);
                            }
                            assert_eq!(ix.remove_ranks(lo, hi), doomed.len());
                        }
                    }
                }
                if step % 997 == 0 {
                    check(&ix, &model);
                }
            }
            check(&ix, &model);
            let copy = ix.clone();
            check(&copy, &model);
        }
    }

    #[test]
    fn scan_visits_every_live_slot() {
        let mut ix = Index::new();
        for i in 0..1000 {
            ix.insert_new(format!("k{i}").as_bytes(), i as f64);
        }
        for i in (0..1000).step_by(3) {
            ix.remove(format!("k{i}").as_bytes());
        }
        let mut seen = std::collections::HashSet::new();
        let mut cur = 0;
        loop {
            cur = ix.scan(cur, 10, |m, _| {
                seen.insert(m.to_vec());
            });
            if cur == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), ix.len());
    }

    #[test]
    fn sequential_inserts_leave_full_leaves() {
        for desc in [false, true] {
            let mut ix = Index::new();
            for i in 0..20_000u32 {
                let v = if desc { 20_000 - i } else { i };
                ix.insert_new(format!("{v:06}").as_bytes(), v as f64);
            }
            assert_eq!(ix.rank(b"000100"), Some(if desc { 99 } else { 100 }));
            // Leaves about full: well under 6 bytes of tree per element.
            assert!(ix.root.bytes() < 20_000 * 6, "{}", ix.root.bytes());
            let all: Vec<f64> = ix.iter().map(|(_, s)| s).collect();
            assert!(all.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn bulk_build_and_mass_delete() {
        let items: Vec<(Vec<u8>, f64)> = (0..100_000)
            .map(|i| (format!("{i:08}").into_bytes(), i as f64))
            .collect();
        let mut ix = Index::from_sorted(items);
        assert_eq!(ix.rank(b"00050000"), Some(50000));
        assert_eq!(ix.remove_ranks(10, 99_990), 99_980);
        assert_eq!(ix.len(), 20);
        assert_eq!(
            ix.at(10).map(|(m, _)| m.to_vec()),
            Some(b"00099990".to_vec())
        );
        assert!(ix.slots.len() < 1000);
    }
}
