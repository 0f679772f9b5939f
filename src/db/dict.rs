//! Hash table with incremental rehashing (the design of Redis' dict.c).
//!
//! Every database keyspace, every expires table and the large encodings of
//! hashes and sets live in a [`Dict`]. The layout follows Redis:
//!
//! * chained buckets in power-of-two tables, `Box<Node>` per entry and one
//!   8-byte pointer per bucket; the hash is not stored in the node (it is
//!   recomputed when a rehash moves the node, which is cheaper overall than
//!   8 more bytes on every one of millions of entries);
//! * a resize allocates a second table and moves entries across
//!   **incrementally**: one bucket per mutating access or lookup (Redis'
//!   `_dictRehashStep`), plus batches that `cron()` runs under
//!   `activerehashing yes` ([`Dict::rehash_for`]), so no resize ever stalls
//!   the event loop;
//! * growth at load factor 1 ([`ResizePolicy::Enable`]); while a fork child is
//!   alive the server switches every dict to [`ResizePolicy::Avoid`], where
//!   tables only grow past 5 entries per bucket and rehashing pauses unless
//!   the size ratio is that extreme, because moving entries would dirty
//!   (and copy) every page the child shares with us;
//! * SCAN with Redis' reverse-binary cursor ([`Dict::scan`]) and fair random
//!   sampling ([`Dict::random_entry`], [`Dict::sample`]).
//!
//! Invariants:
//! * each key is in exactly one of the two tables, in bucket `hash & mask`;
//! * while rehashing, buckets of table 0 below `rehash_idx` are empty, table 0
//!   holds at least one entry, and table 1 is the target; when not rehashing,
//!   table 1 has no buckets and `rehash_idx == 0`;
//! * `Table::used` counts the nodes reachable from that table's buckets.
//!
//! This module imports nothing from the rest of the crate, like dict.c never
//! includes server.h. One `unsafe` block exists: allocating a bucket array
//! zeroed by the allocator (see [`alloc_buckets`]).

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::fmt::{self, Write as _};
use std::hash::{BuildHasher, Hasher};
use std::iter::{Chain, FromIterator};
use std::mem;
use std::slice;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Smallest non-empty table (Redis' `DICT_HT_INITIAL_SIZE`).
pub const INITIAL_SIZE: usize = 4;
/// Entries per bucket past which a table grows, and a rehash proceeds, even
/// when resizing is being avoided (Redis' `dict_force_resize_ratio`).
pub const FORCE_RESIZE_RATIO: usize = 5;
/// Fill percentage under which cron shrinks a table (`HASHTABLE_MIN_FILL`).
pub const MIN_FILL_PERCENT: usize = 10;
/// How many entries `random_entry` samples before picking one
/// (`GETFAIR_NUM_ENTRIES`).
const FAIR_RANDOM_SAMPLES: usize = 15;
/// Chain-length histogram slots in `stats_text` (`DICT_STATS_VECTLEN`).
const STATS_VECTLEN: usize = 50;
/// Rehash steps between two clock reads in `rehash_for`, as in
/// `dictRehashMilliseconds`.
const REHASH_BATCH: usize = 100;

/// What a dict stores as a key: anything that can show its bytes. Lookups
/// take `&[u8]`, so callers never build a key to search for one.
pub trait DictKey {
    /// The bytes that are hashed and compared; must not change while the key
    /// is in a dict.
    fn key_bytes(&self) -> &[u8];
}

impl DictKey for Vec<u8> {
    fn key_bytes(&self) -> &[u8] {
        self
    }
}

impl DictKey for Box<[u8]> {
    fn key_bytes(&self) -> &[u8] {
        self
    }
}

impl DictKey for &[u8] {
    fn key_bytes(&self) -> &[u8] {
        self
    }
}

// ---------------------------------------------------------------------------
// Resize policy (Redis' dict_can_resize)
// ---------------------------------------------------------------------------

/// Whether dicts may resize, set for all dicts at once when a fork child
/// starts or ends (Redis' `updateDictResizePolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResizePolicy {
    /// No child: grow at load factor 1, shrink from cron, rehash freely.
    Enable,
    /// A child shares our pages: grow only past [`FORCE_RESIZE_RATIO`]
    /// entries per bucket, don't shrink, and pause a rehash unless the two
    /// tables differ in size by that ratio or more.
    Avoid,
    /// Inside the fork child itself: never resize or rehash.
    Forbid,
}

thread_local! {
    // Thread-local rather than an atomic: the dataset lives on the loop's
    // single thread (and a fork child inherits only that thread), while the
    // unit tests of this file can run side by side without disturbing each
    // other's policy.
    static RESIZE_POLICY: Cell<ResizePolicy> = const { Cell::new(ResizePolicy::Enable) };
}

/// Sets the resize policy of every dict used on this thread.
pub fn set_resize_policy(policy: ResizePolicy) {
    RESIZE_POLICY.with(|p| p.set(policy));
}

/// The resize policy in force on this thread.
pub fn resize_policy() -> ResizePolicy {
    RESIZE_POLICY.with(Cell::get)
}

/// `true` allows resizing ([`ResizePolicy::Enable`]); `false` avoids it
/// while a fork child is alive ([`ResizePolicy::Avoid`]).
pub fn set_resize_allowed(allowed: bool) {
    set_resize_policy(if allowed {
        ResizePolicy::Enable
    } else {
        ResizePolicy::Avoid
    });
}

// ---------------------------------------------------------------------------
// Memory guard on growth (Redis' dictTypeExpandAllowed)
// ---------------------------------------------------------------------------

/// Load factor up to which a guarded dict may put off growing when the new
/// table would not fit in memory (Redis' `HASHTABLE_MAX_LOAD_FACTOR`); past
/// it, lookups would slow down too much and the table grows regardless.
pub const MAX_LOAD_FACTOR: f64 = 1.618;

/// The check a guarded dict asks before growing: given the bytes of the
/// new bucket array, may it be allocated?
pub type ExpandGuard = fn(usize) -> bool;

thread_local! {
    // Set once by the server (the maxmemory check); thread-local for the
    // same reasons as the resize policy.
    static EXPAND_GUARD: Cell<Option<ExpandGuard>> = const { Cell::new(None) };
}

/// Install the guard that guarded dicts (see [`Dict::set_guarded`]) ask
/// before growing; `None` removes it.
pub fn set_expand_guard(guard: Option<ExpandGuard>) {
    EXPAND_GUARD.with(|g| g.set(guard));
}

// ---------------------------------------------------------------------------
// Hashing
// ---------------------------------------------------------------------------

/*
 * The hash is wyhash (final version 4), written out below. Redis uses
 * SipHash-1-2; wyhash is several times faster on the short keys a keyspace
 * is made of, which matters because every lookup and every rehash move
 * hashes a key.
 *
 * Why it resists collision flooding: the 64-bit seed and all four 64-bit
 * secrets are drawn from the OS random generator (through std's RandomState)
 * plus the time and pid, once per process. Every input word is XORed with
 * a secret before it is multiplied, so which keys collide depends on values
 * an attacker never sees; there is no fixed set of colliding keys to send, as
 * there is for unseeded or fixed-secret hashes. Unlike SipHash it is not a
 * proven PRF: someone who could observe many bucket indexes (SCAN order) and
 * brute-force 320 bits of keys could in theory do better than chance, which
 * we accept for the speed, as most fast-hash tables do.
 */

struct HashKeys {
    /// The seed after wyhash's initial mixing with the secrets.
    seed: u64,
    secret: [u64; 4],
}

static HASH_KEYS: OnceLock<HashKeys> = OnceLock::new();

fn hash_keys() -> &'static HashKeys {
    HASH_KEYS.get_or_init(|| {
        let mut secret = [0u64; 4];
        for (i, s) in secret.iter_mut().enumerate() {
            // Odd, so no secret is zero (a zero factor would erase input).
            *s = entropy(i as u64) | 1;
        }
        let raw = entropy(0x5eed);
        HashKeys {
            seed: raw ^ mix(raw ^ secret[0], secret[1]),
            secret,
        }
    })
}

/// 64 unpredictable bits: std's RandomState takes its keys from the OS
/// random generator; the pid, the clock and a stack address are added so two
/// processes never share keys even if that generator were weak.
fn entropy(salt: u64) -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(salt);
    h.write_u32(std::process::id());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(now);
    let local = 0u8;
    h.write_usize(std::ptr::addr_of!(local) as usize);
    h.finish()
}

/// Full 64x64->128 multiply, returned as (low, high) halves.
#[inline(always)]
fn mum(a: u64, b: u64) -> (u64, u64) {
    let r = u128::from(a) * u128::from(b);
    (r as u64, (r >> 64) as u64)
}

#[inline(always)]
fn mix(a: u64, b: u64) -> u64 {
    let (lo, hi) = mum(a, b);
    lo ^ hi
}

/// ASCII-lowercases the 8 bytes of a word at once: a byte gets bit 0x20 set
/// iff it is in `A..=Z` (0x41..=0x5A). Each lane holds at most 0x7F + 0x3F,
/// so the additions never carry into the next byte.
#[inline(always)]
fn lower_word(x: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let low7 = x & !HI;
    let ge_a = low7 + LO * (0x80 - u64::from(b'A'));
    let gt_z = low7 + LO * (0x7F - u64::from(b'Z'));
    let upper = ge_a & !gt_z & !x & HI;
    x | (upper >> 2)
}

// Every read of input bytes goes through r8/r4/r1, so with NOCASE the hash
// is exactly the hash of the lowercased input.
#[inline(always)]
fn r8<const NOCASE: bool>(p: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&p[at..at + 8]);
    let x = u64::from_le_bytes(w);
    if NOCASE {
        lower_word(x)
    } else {
        x
    }
}

#[inline(always)]
fn r4<const NOCASE: bool>(p: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&p[at..at + 4]);
    let x = u64::from(u32::from_le_bytes(w));
    if NOCASE {
        lower_word(x)
    } else {
        x
    }
}

#[inline(always)]
fn r1<const NOCASE: bool>(p: &[u8], at: usize) -> u64 {
    let b = p[at];
    u64::from(if NOCASE { b.to_ascii_lowercase() } else { b })
}

/// wyhash: short inputs (<= 16 bytes) are read as two overlapping words;
/// longer ones are folded 48 then 16 bytes at a time, and the last 16 bytes
/// are always read whole.
#[inline]
fn wyhash<const NOCASE: bool>(p: &[u8]) -> u64 {
    let keys = hash_keys();
    let s = &keys.secret;
    let len = p.len();
    let mut seed = keys.seed;
    let (a, b);
    if len <= 16 {
        if len >= 4 {
            let q = (len >> 3) << 2;
            a = (r4::<NOCASE>(p, 0) << 32) | r4::<NOCASE>(p, q);
            b = (r4::<NOCASE>(p, len - 4) << 32) | r4::<NOCASE>(p, len - 4 - q);
        } else if len > 0 {
            a = (r1::<NOCASE>(p, 0) << 16)
                | (r1::<NOCASE>(p, len >> 1) << 8)
                | r1::<NOCASE>(p, len - 1);
            b = 0;
        } else {
            a = 0;
            b = 0;
        }
    } else {
        let mut at = 0;
        let mut left = len;
        if left > 48 {
            let (mut see1, mut see2) = (seed, seed);
            while left > 48 {
                seed = mix(r8::<NOCASE>(p, at) ^ s[1], r8::<NOCASE>(p, at + 8) ^ seed);
                see1 = mix(
                    r8::<NOCASE>(p, at + 16) ^ s[2],
                    r8::<NOCASE>(p, at + 24) ^ see1,
                );
                see2 = mix(
                    r8::<NOCASE>(p, at + 32) ^ s[3],
                    r8::<NOCASE>(p, at + 40) ^ see2,
                );
                at += 48;
                left -= 48;
            }
            seed ^= see1 ^ see2;
        }
        while left > 16 {
            seed = mix(r8::<NOCASE>(p, at) ^ s[1], r8::<NOCASE>(p, at + 8) ^ seed);
            at += 16;
            left -= 16;
        }
        a = r8::<NOCASE>(p, at + left - 16);
        b = r8::<NOCASE>(p, at + left - 8);
    }
    let (a, b) = mum(a ^ s[1], b ^ seed);
    mix(a ^ s[0] ^ len as u64, b ^ s[1])
}

/// The process-wide seeded hash of a byte string, used for every dict
/// bucket. Stable within a process, different in every process.
#[inline]
pub fn hash_bytes(b: &[u8]) -> u64 {
    wyhash::<false>(b)
}

/// Like [`hash_bytes`] but ignoring ASCII case: equal to
/// `hash_bytes(&b.to_ascii_lowercase())`, without allocating (for the
/// command table, whose lookups are case-insensitive).
#[inline]
pub fn hash_bytes_nocase(b: &[u8]) -> u64 {
    wyhash::<true>(b)
}

// ---------------------------------------------------------------------------
// Random numbers (wyrand), for sampling
// ---------------------------------------------------------------------------

thread_local! {
    static RNG_STATE: Cell<u64> = Cell::new(entropy(0x7a9d));
}

/// A fast non-cryptographic random u64 (wyrand), shared by every command
/// that picks at random (SPOP, SRANDMEMBER, HRANDFIELD, ...).
pub fn random_u64() -> u64 {
    RNG_STATE.with(|state| {
        let x = state.get().wrapping_add(0xa076_1d64_78bd_642f);
        state.set(x);
        mix(x, x ^ 0xe703_7ed1_a0b4_28db)
    })
}

/// A random index in `0..n`; `n` must be non-zero. The modulo bias is below
/// n / 2^64, far under anything sampling could notice.
pub fn random_below(n: usize) -> usize {
    (random_u64() % n as u64) as usize
}

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

struct Node<K, V> {
    key: K,
    value: V,
    next: Link<K, V>,
}

type Link<K, V> = Option<Box<Node<K, V>>>;

/// One bucket array and the number of nodes hanging from it.
struct Table<K, V> {
    /// Empty, or a power of two long.
    buckets: Box<[Link<K, V>]>,
    used: usize,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            buckets: Box::default(),
            used: 0,
        }
    }
}

impl<K, V> Table<K, V> {
    fn size(&self) -> usize {
        self.buckets.len()
    }

    /// `size - 1`; meaningless (all ones) for a table without buckets, whose
    /// every `get(index)` then misses.
    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    fn index(&self, h: u64) -> usize {
        h as usize & self.mask()
    }
}

impl<K, V> Drop for Table<K, V> {
    // The derived drop would recurse once per node of a chain; chains are
    // short by design, but a table whose growth was forbidden can hold long
    // ones, so unlink them iteratively.
    fn drop(&mut self) {
        for link in self.buckets.iter_mut() {
            if link.is_some() {
                drop_chain(link.take());
            }
        }
    }
}

fn drop_chain<K, V>(mut link: Link<K, V>) {
    while let Some(mut node) = link {
        link = node.next.take();
    }
}

/// Size of the table [`Dict::expand`] builds for `n` entries: the next power
/// of two, at least [`INITIAL_SIZE`]; `None` if that overflows.
fn table_size_for(n: usize) -> Option<usize> {
    if n <= INITIAL_SIZE {
        Some(INITIAL_SIZE)
    } else {
        n.checked_next_power_of_two()
    }
}

/// A bucket array of `n` empty links, or `None` if the allocator refuses.
///
/// Like Redis' `zcalloc`, this asks the allocator for zeroed memory instead
/// of writing `None` n times: for a large table (16 MB for 2M buckets) fresh
/// pages come zeroed from the kernel, so the resize costs no page writes on
/// the event loop; the rehash then touches them gradually.
fn alloc_buckets<K, V>(n: usize) -> Option<Box<[Link<K, V>]>> {
    let layout = Layout::array::<Link<K, V>>(n).ok()?;
    if layout.size() == 0 {
        return Some(Box::default());
    }
    // SAFETY: the layout has a non-zero size (checked above).
    let ptr = unsafe { alloc::alloc_zeroed(layout) }.cast::<Link<K, V>>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` is a live allocation from the global allocator with the
    // layout of `[Link<K, V>; n]`, which is the layout `Box<[Link<K, V>]>`
    // frees it with; it is owned by nobody else. Every element is initialized:
    // all-zero bytes are a valid `Option<Box<T>>` (T: Sized), namely `None`,
    // as guaranteed by the "Representation" section of `std::option`.
    Some(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, n)) })
}

/// Returned by [`Dict::try_expand`] when the memory for the requested table
/// could not be had (or its size does not fit in the address space).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocFailed;

// ---------------------------------------------------------------------------
// The dict
// ---------------------------------------------------------------------------

/// A hash table from byte-string keys to `V`, with incremental rehashing.
/// See the module documentation for the design and invariants.
pub struct Dict<K, V> {
    /// The main table; the source while rehashing.
    ht0: Table<K, V>,
    /// The rehash target; no buckets when not rehashing.
    ht1: Table<K, V>,
    /// Next bucket of `ht0` to move while rehashing, 0 otherwise.
    rehash_idx: usize,
    /// Ask the expand guard before growing (the keyspace dicts: a resize
    /// there must not push the server over `maxmemory`).
    guarded: bool,
    /// Entries per bucket at which the table grows (1 as in Redis; see
    /// [`Dict::set_entries_per_bucket`]).
    per_bucket: u8,
}

impl<K, V> Default for Dict<K, V> {
    fn default() -> Self {
        Dict {
            ht0: Table::default(),
            ht1: Table::default(),
            rehash_idx: 0,
            guarded: false,
            per_bucket: 1,
        }
    }
}

/// Where an insert lands: on an existing node, or on the empty link at the
/// end of the key's chain (with the counter of the table that owns it).
enum Slot<'a, K, V> {
    Found(&'a mut Node<K, V>),
    Vacant(&'a mut Link<K, V>, &'a mut usize),
}

impl<K: DictKey, V> Dict<K, V> {
    /// An empty dict; allocates nothing until the first insert.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty dict with a table ready for `n` entries (Redis'
    /// `dictExpand` on a fresh dict): the next power of two >= `n`, at least
    /// [`INITIAL_SIZE`]. `n == 0` allocates nothing.
    pub fn with_capacity(n: usize) -> Self {
        let mut d = Self::new();
        if n > 0 {
            d.expand(n);
        }
        d
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.ht0.used + self.ht1.used
    }

    /// Whether the dict holds no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a resize is in progress (two tables exist).
    pub fn is_rehashing(&self) -> bool {
        !self.ht1.buckets.is_empty()
    }

    /// Bucket counts of the main table and of the rehash target (0 when not
    /// rehashing), for DEBUG HTSTATS and MEMORY STATS.
    pub fn buckets(&self) -> (usize, usize) {
        (self.ht0.size(), self.ht1.size())
    }

    /// Bytes this dict's own structure uses: bucket arrays plus one node per
    /// entry (nodes embed `K` and `V`, not what those point to).
    pub fn overhead_bytes(&self) -> usize {
        (self.ht0.size() + self.ht1.size()) * mem::size_of::<Link<K, V>>()
            + self.len() * mem::size_of::<Node<K, V>>()
    }

    // --- lookups ----------------------------------------------------------

    fn find(&self, k: &[u8]) -> Option<&Node<K, V>> {
        if self.is_empty() {
            return None;
        }
        let h = hash_bytes(k);
        let i0 = self.ht0.index(h);
        // Buckets below rehash_idx were already moved (and rehash_idx is 0
        // when not rehashing), so they need no look.
        if i0 >= self.rehash_idx {
            if let Some(n) = chain_find(self.ht0.buckets.get(i0), k) {
                return Some(n);
            }
        }
        if self.is_rehashing() {
            return chain_find(self.ht1.buckets.get(self.ht1.index(h)), k);
        }
        None
    }

    /// The value of `k`, after one rehash step (Redis' `dictFind`).
    pub fn get(&mut self, k: &[u8]) -> Option<&V> {
        self.get_key_value(k).map(|(_, v)| v)
    }

    /// The key and value stored for `k`, after one rehash step.
    pub fn get_key_value(&mut self, k: &[u8]) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        self.peek_key_value(k)
    }

    /// Mutable access to the value of `k`, after one rehash step.
    pub fn get_mut(&mut self, k: &[u8]) -> Option<&mut V> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = hash_bytes(k);
        let rehashing = self.is_rehashing();
        let i0 = self.ht0.index(h);
        if i0 >= self.rehash_idx {
            if let Some(n) = self
                .ht0
                .buckets
                .get_mut(i0)
                .and_then(|l| chain_find_mut(l, k))
            {
                return Some(&mut n.value);
            }
        }
        if rehashing {
            let i1 = self.ht1.index(h);
            return self
                .ht1
                .buckets
                .get_mut(i1)
                .and_then(|l| chain_find_mut(l, k))
                .map(|n| &mut n.value);
        }
        None
    }

    /// Whether `k` is present, after one rehash step.
    pub fn contains_key(&mut self, k: &[u8]) -> bool {
        self.get_key_value(k).is_some()
    }

    /// The value of `k` without a rehash step, for callers holding `&self`.
    pub fn peek(&self, k: &[u8]) -> Option<&V> {
        self.find(k).map(|n| &n.value)
    }

    /// The key and value of `k` without a rehash step.
    pub fn peek_key_value(&self, k: &[u8]) -> Option<(&K, &V)> {
        self.find(k).map(|n| (&n.key, &n.value))
    }

    // --- insertion and removal ----------------------------------------------

    /// Finds `k`'s node, or the vacant link where it belongs: at the end of
    /// its chain in the table new keys go to (the target while rehashing).
    /// The caller has run `expand_if_needed`, so that table has buckets.
    fn slot_for_insert(&mut self, h: u64, k: &[u8]) -> Slot<'_, K, V> {
        if self.is_rehashing() {
            let i0 = self.ht0.index(h);
            if i0 >= self.rehash_idx {
                if let Some(n) = chain_find_mut(&mut self.ht0.buckets[i0], k) {
                    return Slot::Found(n);
                }
            }
            let i1 = self.ht1.index(h);
            let Table { buckets, used } = &mut self.ht1;
            chain_slot(&mut buckets[i1], used, k)
        } else {
            let i0 = self.ht0.index(h);
            let Table { buckets, used } = &mut self.ht0;
            chain_slot(&mut buckets[i0], used, k)
        }
    }

    /// Inserts `key` -> `value`. If the key was present, its value is
    /// replaced and the old one returned; the stored key is kept and the
    /// `key` argument dropped (Redis' `dictReplace`). Does one rehash step
    /// and may start a resize.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.rehash_step();
        self.expand_if_needed();
        let h = hash_bytes(key.key_bytes());
        match self.slot_for_insert(h, key.key_bytes()) {
            Slot::Found(node) => Some(mem::replace(&mut node.value, value)),
            Slot::Vacant(link, used) => {
                *link = Some(Box::new(Node {
                    key,
                    value,
                    next: None,
                }));
                *used += 1;
                None
            }
        }
    }

    /// Inserts a key the caller knows is absent (e.g. just checked, or
    /// loading an RDB file), skipping the chain walk: the node goes at the
    /// head of its bucket. Inserting a present key this way would leave a
    /// duplicate; debug builds assert against it.
    pub fn insert_new(&mut self, key: K, value: V) {
        debug_assert!(
            self.peek(key.key_bytes()).is_none(),
            "Dict::insert_new called with a key that is present"
        );
        self.rehash_step();
        self.expand_if_needed();
        let h = hash_bytes(key.key_bytes());
        let t = if self.is_rehashing() {
            &mut self.ht1
        } else {
            &mut self.ht0
        };
        let i = t.index(h);
        let slot = &mut t.buckets[i];
        let next = slot.take();
        *slot = Some(Box::new(Node { key, value, next }));
        t.used += 1;
    }

    /// The value of `k`, inserting the pair `make()` returns when `k` is
    /// absent; the bool says whether it inserted. `make` must return a key
    /// whose bytes equal `k`. Does one rehash step and may start a resize.
    pub fn get_or_insert_with(
        &mut self,
        k: &[u8],
        make: impl FnOnce() -> (K, V),
    ) -> (&mut V, bool) {
        self.rehash_step();
        self.expand_if_needed();
        let h = hash_bytes(k);
        match self.slot_for_insert(h, k) {
            Slot::Found(node) => (&mut node.value, false),
            Slot::Vacant(link, used) => {
                let (key, value) = make();
                debug_assert!(
                    key.key_bytes() == k,
                    "get_or_insert_with made a different key"
                );
                *used += 1;
                let node = link.insert(Box::new(Node {
                    key,
                    value,
                    next: None,
                }));
                (&mut node.value, true)
            }
        }
    }

    /// Removes `k`, returning the stored key and value; `None` if absent.
    /// Does one rehash step. Never shrinks the table: cron does that
    /// ([`Dict::needs_shrink`], [`Dict::shrink_to_fit`]).
    pub fn remove(&mut self, k: &[u8]) -> Option<(K, V)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = hash_bytes(k);
        let i0 = self.ht0.index(h);
        if i0 >= self.rehash_idx {
            if let Some(node) = self
                .ht0
                .buckets
                .get_mut(i0)
                .and_then(|l| chain_remove(l, k))
            {
                self.ht0.used -= 1;
                return Some((node.key, node.value));
            }
        }
        if self.is_rehashing() {
            let i1 = self.ht1.index(h);
            if let Some(node) = self
                .ht1
                .buckets
                .get_mut(i1)
                .and_then(|l| chain_remove(l, k))
            {
                self.ht1.used -= 1;
                return Some((node.key, node.value));
            }
        }
        None
    }

    /// Removes every entry and frees the tables (Redis' `dictEmpty`). For a
    /// huge dict the caller may prefer to `mem::take` it and drop it on a
    /// helper thread.
    pub fn clear(&mut self) {
        self.ht0 = Table::default();
        self.ht1 = Table::default();
        self.rehash_idx = 0;
    }

    // --- resizing ------------------------------------------------------------

    fn resize_to(&mut self, n: usize) -> Result<bool, AllocFailed> {
        // A table smaller than the entries it must hold would break load
        // factor promises; a second resize during a rehash has no place.
        let per_bucket = self.per_bucket as usize;
        if self.is_rehashing() || self.ht0.used > n.saturating_mul(per_bucket) {
            return Ok(false);
        }
        let size = table_size_for(n).ok_or(AllocFailed)?;
        if size == self.ht0.size() {
            return Ok(false);
        }
        let table = Table {
            buckets: alloc_buckets(size).ok_or(AllocFailed)?,
            used: 0,
        };
        if self.ht0.size() == 0 {
            // First table: nothing to move.
            self.ht0 = table;
        } else {
            self.ht1 = table;
            self.rehash_idx = 0;
        }
        Ok(true)
    }

    /// Resizes for `n` entries (Redis' `dictExpand`): sets up a table of the
    /// next power of two >= `n` (at least [`INITIAL_SIZE`]) and, unless the
    /// dict had no table yet, starts rehashing into it. Returns whether it
    /// did; it does nothing when already rehashing, when `n < len()`, or when
    /// the size would not change. Aborts like `Vec` if memory runs out.
    pub fn expand(&mut self, n: usize) -> bool {
        match self.resize_to(n.div_ceil(self.per_bucket as usize)) {
            Ok(done) => done,
            Err(AllocFailed) => {
                if let Some(layout) =
                    table_size_for(n).and_then(|s| Layout::array::<Link<K, V>>(s).ok())
                {
                    alloc::handle_alloc_error(layout);
                }
                false
            }
        }
    }

    /// [`Dict::expand`] for sizes taken from untrusted input (RDB lengths):
    /// `Err` when the table cannot be allocated, `Ok(false)` when the
    /// expansion was skipped for the reasons `expand` gives (Redis'
    /// `dictTryExpand`).
    pub fn try_expand(&mut self, n: usize) -> Result<bool, AllocFailed> {
        self.resize_to(n.div_ceil(self.per_bucket as usize))
    }

    /// Grows before an insert when the load calls for it (Redis'
    /// `_dictExpandIfNeeded`). A dict without buckets always gets its first
    /// table, whatever the policy, so an insert always has somewhere to go.
    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let size = self.ht0.size();
        if size == 0 {
            self.expand(INITIAL_SIZE);
            return;
        }
        let used = self.ht0.used;
        let policy = resize_policy();
        let capacity = size * self.per_bucket as usize;
        if ((policy == ResizePolicy::Enable && used >= capacity)
            || (policy != ResizePolicy::Forbid && used / capacity > FORCE_RESIZE_RATIO))
            && self.expand_allowed()
        {
            self.expand(used + 1);
        }
    }

    /// Whether a guarded dict may grow now: always once the load factor
    /// passes [`MAX_LOAD_FACTOR`], otherwise only if the guard accepts the
    /// new bucket array (Redis' dictExpandAllowed). Until then entries just
    /// chain a little longer in the current table.
    fn expand_allowed(&self) -> bool {
        if !self.guarded {
            return true;
        }
        let Some(guard) = EXPAND_GUARD.with(Cell::get) else {
            return true;
        };
        let (used, size) = (self.ht0.used, self.ht0.size());
        if used as f64 / size as f64 > MAX_LOAD_FACTOR {
            return true;
        }
        let buckets = table_size_for(used + 1).unwrap_or(usize::MAX);
        guard(buckets.saturating_mul(mem::size_of::<Link<K, V>>()))
    }

    /// Let the table hold `n` entries per bucket on average before it grows
    /// (and shrink to that density). The expires tables use 2: they are
    /// probed only for keys that may have a TTL, so slightly longer chains
    /// cost little, and half the bucket array saves 4 bytes per volatile
    /// key.
    pub fn set_entries_per_bucket(&mut self, n: u8) {
        self.per_bucket = n.max(1);
    }

    /// Make this dict ask the expand guard before growing (see
    /// [`set_expand_guard`]); the keyspace and expires dicts are guarded.
    pub fn set_guarded(&mut self, on: bool) {
        self.guarded = on;
    }

    /// Whether cron should shrink this dict (Redis' `htNeedsResize`): more
    /// than [`INITIAL_SIZE`] buckets in all and under 10% of them used.
    pub fn needs_shrink(&self) -> bool {
        let size = self.ht0.size() + self.ht1.size();
        size > INITIAL_SIZE
            && self.len().saturating_mul(100) / (size * self.per_bucket as usize) < MIN_FILL_PERCENT
    }

    /// Starts shrinking to the smallest power of two >= `len()` (at least
    /// [`INITIAL_SIZE`]); the move itself is incremental like any rehash.
    /// Returns whether a shrink started: not while rehashing, not unless the
    /// policy is [`ResizePolicy::Enable`] (Redis' `dictResize`).
    pub fn shrink_to_fit(&mut self) -> bool {
        if resize_policy() != ResizePolicy::Enable || self.is_rehashing() || self.ht0.size() == 0 {
            return false;
        }
        self.expand(self.ht0.used.max(INITIAL_SIZE))
    }

    // --- incremental rehashing -----------------------------------------------

    /// Moves up to `n` buckets from the main table to the target (Redis'
    /// `dictRehash`). Empty buckets cost too: after `10 * n` of them it stops,
    /// so a sparse table never turns one step into a long scan. Returns
    /// whether there is more to move and the policy lets it proceed.
    fn rehash(&mut self, n: usize) -> bool {
        if !self.is_rehashing() {
            return false;
        }
        match resize_policy() {
            ResizePolicy::Enable => {}
            ResizePolicy::Forbid => return false,
            ResizePolicy::Avoid => {
                let (s0, s1) = (self.ht0.size(), self.ht1.size());
                let (big, small) = if s1 > s0 { (s1, s0) } else { (s0, s1) };
                if big / small.max(1) < FORCE_RESIZE_RATIO {
                    return false;
                }
            }
        }
        let mut empty_visits = n.saturating_mul(10);
        let mask1 = self.ht1.mask();
        for _ in 0..n {
            if self.ht0.used == 0 {
                break;
            }
            // ht0.used > 0 guarantees a non-empty bucket at or after
            // rehash_idx, so this index stays in bounds.
            while self.ht0.buckets[self.rehash_idx].is_none() {
                self.rehash_idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    return true;
                }
            }
            let mut chain = self.ht0.buckets[self.rehash_idx].take();
            while let Some(mut node) = chain {
                chain = node.next.take();
                let slot = &mut self.ht1.buckets[hash_bytes(node.key.key_bytes()) as usize & mask1];
                node.next = slot.take();
                *slot = Some(node);
                self.ht0.used -= 1;
                self.ht1.used += 1;
            }
            self.rehash_idx += 1;
        }
        if self.ht0.used == 0 {
            // Done: the target becomes the main table.
            self.ht0 = mem::take(&mut self.ht1);
            self.rehash_idx = 0;
            return false;
        }
        true
    }

    /// One step on behalf of an access (Redis' `_dictRehashStep`).
    #[inline]
    fn rehash_step(&mut self) {
        if self.is_rehashing() {
            self.rehash(1);
        }
    }

    /// Runs `n` rehash steps now (each moves one bucket or skips at most 10
    /// empty ones). Returns `true` if work remains and may continue; `false`
    /// once the rehash is complete, when none was in progress, or while the
    /// resize policy holds it back.
    pub fn rehash_steps(&mut self, n: usize) -> bool {
        self.rehash(n)
    }

    /// Rehashes in batches of 100 steps until done or until `budget` has
    /// elapsed (Redis' `dictRehashMilliseconds`; cron gives it 1 ms under
    /// `activerehashing`). It may overrun by one batch. Returns like
    /// [`Dict::rehash_steps`].
    pub fn rehash_for(&mut self, budget: Duration) -> bool {
        let start = Instant::now();
        while self.rehash(REHASH_BATCH) {
            if start.elapsed() > budget {
                return true;
            }
        }
        false
    }

    // --- iteration -----------------------------------------------------------

    /// All entries, in no particular order. The borrow keeps the dict
    /// unchanged meanwhile, so every entry comes exactly once.
    pub fn iter(&self) -> Iter<'_, K, V> {
        // Buckets below rehash_idx are known empty.
        let rest = self.ht0.buckets.get(self.rehash_idx..).unwrap_or(&[]);
        Iter {
            buckets: rest.iter().chain(self.ht1.buckets.iter()),
            node: None,
            remaining: self.len(),
        }
    }

    /// All entries with mutable values, in no particular order.
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        let remaining = self.len();
        let rest = self
            .ht0
            .buckets
            .get_mut(self.rehash_idx..)
            .unwrap_or(&mut []);
        IterMut {
            buckets: rest.iter_mut().chain(self.ht1.buckets.iter_mut()),
            node: None,
            remaining,
        }
    }

    /// All keys, in no particular order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// All values, in no particular order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// Empties the dict (freeing its tables, as [`Dict::clear`]) and returns
    /// its entries by value; entries the iterator does not reach are dropped
    /// with it.
    pub fn drain(&mut self) -> Drain<K, V> {
        let remaining = self.len();
        let tables = [mem::take(&mut self.ht0), mem::take(&mut self.ht1)];
        self.rehash_idx = 0;
        Drain {
            tables,
            table: 0,
            index: 0,
            chain: None,
            remaining,
        }
    }

    // --- SCAN ------------------------------------------------------------------

    /// The buckets (smaller table first) and masks SCAN walks.
    fn scan_layout(&self) -> (bool, u64, Option<u64>) {
        let rehashing = self.is_rehashing();
        let small_is_ht1 = rehashing && self.ht1.size() < self.ht0.size();
        let (small, large) = if small_is_ht1 {
            (&self.ht1, &self.ht0)
        } else {
            (&self.ht0, &self.ht1)
        };
        (
            small_is_ht1,
            small.mask() as u64,
            rehashing.then_some(large.mask() as u64),
        )
    }

    /// One SCAN step (Redis' `dictScan`): calls `f` on the entries of the
    /// bucket(s) `cursor` designates and returns the next cursor. Start with
    /// 0; a returned 0 means the scan is complete (also returned at once for
    /// an empty dict). Every entry present from the first call to the last
    /// is reported at least once, even if the dict grows, shrinks or
    /// rehashes in between; some may be reported more than once. See
    /// `scan_cursor` for how.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&K, &V)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let (small_is_ht1, small_mask, large_mask) = self.scan_layout();
        scan_cursor(cursor, small_mask, large_mask, |in_large, idx| {
            let t = if in_large == small_is_ht1 {
                &self.ht0
            } else {
                &self.ht1
            };
            let mut cur = t.buckets.get(idx).and_then(|l| l.as_deref());
            while let Some(n) = cur {
                f(&n.key, &n.value);
                cur = n.next.as_deref();
            }
        })
    }

    /// [`Dict::scan`] with mutable access to the values.
    pub fn scan_mut(&mut self, cursor: u64, mut f: impl FnMut(&K, &mut V)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let (small_is_ht1, small_mask, large_mask) = self.scan_layout();
        let (ht0, ht1) = (&mut self.ht0, &mut self.ht1);
        scan_cursor(cursor, small_mask, large_mask, |in_large, idx| {
            let t = if in_large == small_is_ht1 {
                &mut *ht0
            } else {
                &mut *ht1
            };
            let mut cur = t.buckets.get_mut(idx).and_then(|l| l.as_deref_mut());
            while let Some(n) = cur {
                f(&n.key, &mut n.value);
                cur = n.next.as_deref_mut();
            }
        })
    }

    // --- random sampling ---------------------------------------------------------

    /*
     * sample_nodes() is Redis' dictGetSomeKeys: start at a random bucket
     * index of the larger table and walk consecutive indexes (in both tables
     * while rehashing), collecting whole chains. After a run of more than
     * `count` (and at least 5) empty buckets it jumps to another random
     * index, and it gives up after 10 * count indexes, so it is fast but may
     * return fewer than `count` entries, and duplicates if it wraps. Once
     * `count` entries are held, the rest of the current chain competes for
     * their slots by reservoir sampling, so the tail of a long chain is not
     * starved. `put(slot, node)` stores a node at output slot `slot`
     * (overwriting on reservoir replacement).
     */
    fn sample_nodes<'a>(
        &'a self,
        count: usize,
        mut put: impl FnMut(usize, &'a Node<K, V>),
    ) -> usize {
        let count = count.min(self.len());
        if count == 0 {
            return 0;
        }
        let rehashing = self.is_rehashing();
        let tables: &[&Table<K, V>] = if rehashing {
            &[&self.ht0, &self.ht1]
        } else {
            &[&self.ht0]
        };
        let max_mask = if rehashing {
            self.ht0.mask().max(self.ht1.mask())
        } else {
            self.ht0.mask()
        };
        let mut i = random_u64() as usize & max_mask;
        let mut max_steps = count.saturating_mul(10);
        let (mut stored, mut empty_run) = (0usize, 0usize);
        'walk: while stored < count && max_steps > 0 {
            max_steps -= 1;
            for (j, t) in tables.iter().enumerate() {
                if rehashing && j == 0 && i < self.rehash_idx {
                    // Table 0 is empty below rehash_idx. If i is also past
                    // the end of a smaller target, both tables are empty
                    // here: jump ahead instead of walking the gap.
                    if i >= self.ht1.size() {
                        i = self.rehash_idx;
                    } else {
                        continue;
                    }
                }
                let Some(link) = t.buckets.get(i) else {
                    continue; // past the end of the smaller table
                };
                let Some(mut node) = link.as_deref() else {
                    empty_run += 1;
                    if empty_run >= 5 && empty_run > count {
                        i = random_u64() as usize & max_mask;
                        empty_run = 0;
                    }
                    continue;
                };
                empty_run = 0;
                loop {
                    if stored < count {
                        put(stored, node);
                    } else {
                        let r = random_below(stored + 1);
                        if r < count {
                            put(r, node);
                        }
                    }
                    stored += 1;
                    match node.next.as_deref() {
                        Some(n) => node = n,
                        None => break,
                    }
                }
                if stored >= count {
                    break 'walk;
                }
            }
            i = (i + 1) & max_mask;
        }
        stored.min(count)
    }

    /// Up to `count` rehash steps, like `dictGetSomeKeys`, so sampling a dict
    /// under resize helps finish it.
    fn rehash_for_sampling(&mut self, count: usize) {
        for _ in 0..count.min(self.len()) {
            if !self.is_rehashing() {
                break;
            }
            self.rehash(1);
        }
    }

    /// Fills `out` (cleared first) with up to `count` entries from a random
    /// spot of the table, quickly (Redis' `dictGetSomeKeys`, for eviction and
    /// expiry sampling). It may return fewer than `count` even when the dict
    /// has more, and may repeat an entry. Does up to `count` rehash steps.
    /// Returns `out.len()`.
    pub fn sample<'a>(&'a mut self, count: usize, out: &mut Vec<(&'a K, &'a V)>) -> usize {
        self.rehash_for_sampling(count);
        let this: &'a Self = self;
        this.sample_peek(count, out)
    }

    /// [`Dict::sample`] without the rehash steps, for `&self` callers.
    pub fn sample_peek<'a>(&'a self, count: usize, out: &mut Vec<(&'a K, &'a V)>) -> usize {
        out.clear();
        self.sample_nodes(count, |slot, n| {
            let entry = (&n.key, &n.value);
            if let Some(e) = out.get_mut(slot) {
                *e = entry;
            } else {
                out.push(entry);
            }
        });
        out.len()
    }

    /// A random entry, `None` only when empty (Redis'
    /// `dictGetFairRandomKey`). Picking a random bucket and then a random
    /// element of its chain would favour entries on short chains; sampling a
    /// run of 15 consecutive entries and choosing among them evens that out.
    /// Does a few rehash steps.
    pub fn random_entry(&mut self) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_for_sampling(FAIR_RANDOM_SAMPLES);
        let this = &*self;
        let mut picks: [Option<&Node<K, V>>; FAIR_RANDOM_SAMPLES] = [None; FAIR_RANDOM_SAMPLES];
        let n = this.sample_nodes(FAIR_RANDOM_SAMPLES, |slot, node| {
            if let Some(p) = picks.get_mut(slot) {
                *p = Some(node);
            }
        });
        // An unlucky walk over empty buckets finds nothing; the bucket
        // method below always succeeds on a non-empty dict.
        let node = if n == 0 {
            this.random_node_by_bucket()
        } else {
            picks.get(random_below(n)).copied().flatten()
        };
        node.map(|n| (&n.key, &n.value))
    }

    /// A random entry by picking a random non-empty bucket and then a random
    /// element of its chain (Redis' `dictGetRandomKey`, what
    /// `allkeys-random` eviction uses). `None` only when empty. Does one
    /// rehash step.
    pub fn random_entry_by_bucket(&mut self) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        self.random_node_by_bucket().map(|n| (&n.key, &n.value))
    }

    fn random_node_by_bucket(&self) -> Option<&Node<K, V>> {
        if self.is_empty() {
            return None;
        }
        // Terminates because some bucket in the range holds an entry: while
        // rehashing, every entry is in ht0[rehash_idx..] or in ht1.
        let head = if self.is_rehashing() {
            let s0 = self.ht0.size();
            let span = s0 + self.ht1.size() - self.rehash_idx;
            loop {
                let h = self.rehash_idx + random_below(span);
                let link = if h >= s0 {
                    self.ht1.buckets.get(h - s0)
                } else {
                    self.ht0.buckets.get(h)
                };
                if let Some(Some(n)) = link {
                    break &**n;
                }
            }
        } else {
            loop {
                if let Some(Some(n)) = self
                    .ht0
                    .buckets
                    .get(random_u64() as usize & self.ht0.mask())
                {
                    break &**n;
                }
            }
        };
        let mut chain_len = 0;
        let mut cur = Some(head);
        while let Some(n) = cur {
            chain_len += 1;
            cur = n.next.as_deref();
        }
        let mut pick = head;
        for _ in 0..random_below(chain_len) {
            pick = pick.next.as_deref()?;
        }
        Some(pick)
    }

    // --- statistics ----------------------------------------------------------------

    /// Human-readable table statistics in the format of Redis'
    /// `dictGetStats` (DEBUG HTSTATS): table size, elements, used slots,
    /// chain lengths and their histogram, for the main table and, while
    /// rehashing, the target.
    pub fn stats_text(&self) -> String {
        let mut out = String::new();
        table_stats(&mut out, &self.ht0, 0);
        if self.is_rehashing() {
            table_stats(&mut out, &self.ht1, 1);
        }
        out
    }
}

fn chain_find<'a, K: DictKey, V>(link: Option<&'a Link<K, V>>, k: &[u8]) -> Option<&'a Node<K, V>> {
    let mut cur = link?.as_deref();
    while let Some(n) = cur {
        if n.key.key_bytes() == k {
            return Some(n);
        }
        cur = n.next.as_deref();
    }
    None
}

fn chain_find_mut<'a, K: DictKey, V>(
    link: &'a mut Link<K, V>,
    k: &[u8],
) -> Option<&'a mut Node<K, V>> {
    let mut cur = link.as_deref_mut();
    while let Some(n) = cur {
        if n.key.key_bytes() == k {
            return Some(n);
        }
        cur = n.next.as_deref_mut();
    }
    None
}

/// The node holding `k` in this chain, or the empty link at its end. (The
/// arms are shaped so the borrow checker can see that the returned borrow
/// and the advancing cursor never overlap.)
fn chain_slot<'a, K: DictKey, V>(
    mut cur: &'a mut Link<K, V>,
    used: &'a mut usize,
    k: &[u8],
) -> Slot<'a, K, V> {
    loop {
        match cur {
            None => return Slot::Vacant(cur, used),
            Some(n) => {
                if n.key.key_bytes() == k {
                    return Slot::Found(n);
                }
                cur = &mut n.next;
            }
        }
    }
}

/// Unlinks and returns the node holding `k` from this chain.
fn chain_remove<K: DictKey, V>(mut cur: &mut Link<K, V>, k: &[u8]) -> Option<Box<Node<K, V>>> {
    loop {
        match cur {
            None => return None,
            Some(n) if n.key.key_bytes() == k => break,
            Some(n) => cur = &mut n.next,
        }
    }
    let mut node = cur.take()?;
    *cur = node.next.take();
    Some(node)
}

/*
 * The SCAN cursor (Pieter Noordhuis' design in Redis' dictScan).
 *
 * A key lives in bucket `hash & mask`. The cursor is a bucket index whose
 * bits are incremented from the most significant *masked* bit down, i.e. the
 * bit-reversed index is incremented. So with mask 0b111 the cursor goes
 * 000, 100, 010, 110, 001, ... and after visiting index c it has finished
 * every index whose low bits are "smaller" than c in reversed order.
 *
 * Growing: a bucket c of a table with mask m splits into buckets c, c|m+1,
 * ... of a larger table, which all share c's low bits. Because the higher
 * bits vary fastest in reversed order, continuing the same cursor on the
 * larger table visits exactly those expansions not yet covered: nothing is
 * missed and nothing restarts.
 *
 * Shrinking: the smaller table's bucket c & m' merges buckets that agree on
 * the low bits; any of them already visited are visited again (duplicates),
 * but none is skipped.
 *
 * While rehashing both tables hold entries. We visit the cursor's bucket in
 * the smaller table, then every expansion of it in the larger table (all
 * values of the extra high bits), which turns the two tables back into the
 * one-table case. The bits above the mask are set before the increment so
 * the carry runs through only the masked bits; a cursor that wraps to 0
 * means every index has been visited.
 */
fn scan_cursor(
    mut v: u64,
    small_mask: u64,
    large_mask: Option<u64>,
    mut visit: impl FnMut(bool, usize),
) -> u64 {
    visit(false, (v & small_mask) as usize);
    match large_mask {
        None => {
            v |= !small_mask;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
        }
        Some(large_mask) => loop {
            visit(true, (v & large_mask) as usize);
            v |= !large_mask;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
            // Stop once the bits only the larger table has wrap back to 0.
            if v & (small_mask ^ large_mask) == 0 {
                break;
            }
        },
    }
    v
}

/// One table's part of `stats_text`, laid out like Redis' `_dictGetStatsHt`
/// (including its choice to list chain lengths 0..=48 only).
fn table_stats<K, V>(out: &mut String, t: &Table<K, V>, idx: usize) {
    let role = if idx == 0 {
        "main hash table"
    } else {
        "rehashing target"
    };
    if t.used == 0 {
        let _ = write!(
            out,
            "Hash table {idx} stats ({role}):\nNo stats available for empty dictionaries\n"
        );
        return;
    }
    let mut histogram = [0usize; STATS_VECTLEN];
    let (mut slots, mut max_chain, mut total_chain) = (0usize, 0usize, 0usize);
    for link in t.buckets.iter() {
        let mut chain = 0usize;
        let mut cur = link.as_deref();
        while let Some(n) = cur {
            chain += 1;
            cur = n.next.as_deref();
        }
        if chain > 0 {
            slots += 1;
            max_chain = max_chain.max(chain);
            total_chain += chain;
        }
        histogram[chain.min(STATS_VECTLEN - 1)] += 1;
    }
    // Redis computes these in single precision; so do we, for equal output.
    let avg_counted = total_chain as f32 / slots as f32;
    let avg_computed = t.used as f32 / slots as f32;
    let _ = write!(
        out,
        "Hash table {idx} stats ({role}):\n table size: {}\n number of elements: {}\n \
         different slots: {slots}\n max chain length: {max_chain}\n \
         avg chain length (counted): {avg_counted:.2}\n \
         avg chain length (computed): {avg_computed:.2}\n Chain length distribution:\n",
        t.size(),
        t.used,
    );
    for (len, &n) in histogram.iter().enumerate().take(STATS_VECTLEN - 1) {
        if n > 0 {
            let pct = n as f32 / t.size() as f32 * 100.0;
            let _ = writeln!(out, "   {len}: {n} ({pct:.2}%)");
        }
    }
}

// ---------------------------------------------------------------------------
// Iterators and trait impls
// ---------------------------------------------------------------------------

/// The buckets an iterator walks: the unmoved part of the main table, then
/// the rehash target.
type Buckets<'a, K, V> = Chain<slice::Iter<'a, Link<K, V>>, slice::Iter<'a, Link<K, V>>>;
type BucketsMut<'a, K, V> = Chain<slice::IterMut<'a, Link<K, V>>, slice::IterMut<'a, Link<K, V>>>;

/// Iterator over `(&K, &V)`, from [`Dict::iter`].
pub struct Iter<'a, K, V> {
    buckets: Buckets<'a, K, V>,
    node: Option<&'a Node<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.node {
                self.node = n.next.as_deref();
                self.remaining -= 1;
                return Some((&n.key, &n.value));
            }
            // Stop at the last entry rather than walking trailing buckets.
            if self.remaining == 0 {
                return None;
            }
            self.node = self.buckets.next()?.as_deref();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

/// Iterator over `(&K, &mut V)`, from [`Dict::iter_mut`].
pub struct IterMut<'a, K, V> {
    buckets: BucketsMut<'a, K, V>,
    node: Option<&'a mut Node<K, V>>,
    remaining: usize,
}

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.node.take() {
                let Node { key, value, next } = n;
                self.node = next.as_deref_mut();
                self.remaining -= 1;
                return Some((&*key, value));
            }
            if self.remaining == 0 {
                return None;
            }
            self.node = self.buckets.next()?.as_deref_mut();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}

/// Owning iterator over `(K, V)`, from [`Dict::drain`] or `into_iter()`.
pub struct Drain<K, V> {
    tables: [Table<K, V>; 2],
    table: usize,
    index: usize,
    chain: Link<K, V>,
    remaining: usize,
}

impl<K, V> Iterator for Drain<K, V> {
    type Item = (K, V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(mut n) = self.chain.take() {
                self.chain = n.next.take();
                self.remaining -= 1;
                return Some((n.key, n.value));
            }
            if self.remaining == 0 {
                return None;
            }
            let t = self.tables.get_mut(self.table)?;
            match t.buckets.get_mut(self.index) {
                Some(link) => {
                    self.chain = link.take();
                    self.index += 1;
                }
                None => {
                    self.table += 1;
                    self.index = 0;
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for Drain<K, V> {}

impl<K, V> Drop for Drain<K, V> {
    fn drop(&mut self) {
        // The tables unlink their own chains; the half-taken one is ours.
        drop_chain(self.chain.take());
    }
}

impl<K: DictKey, V> IntoIterator for Dict<K, V> {
    type Item = (K, V);
    type IntoIter = Drain<K, V>;

    fn into_iter(mut self) -> Drain<K, V> {
        self.drain()
    }
}

impl<'a, K: DictKey, V> IntoIterator for &'a Dict<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<'a, K: DictKey, V> IntoIterator for &'a mut Dict<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;

    fn into_iter(self) -> IterMut<'a, K, V> {
        self.iter_mut()
    }
}

impl<K: DictKey, V> Extend<(K, V)> for Dict<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: DictKey, V> FromIterator<(K, V)> for Dict<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut d = Dict::new();
        d.extend(iter);
        d
    }
}

impl<K: DictKey + fmt::Debug, V: fmt::Debug> fmt::Debug for Dict<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn key(i: usize) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    /// A deterministic generator for test scenarios (the dict's own RNG and
    /// hash seed are random per process, which varies the layouts tested).
    struct TestRng(u64);

    impl TestRng {
        fn below(&mut self, n: usize) -> usize {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
        }
    }

    /// Restores the default policy when a test ends, even by panic.
    struct PolicyGuard;

    impl Drop for PolicyGuard {
        fn drop(&mut self) {
            set_resize_policy(ResizePolicy::Enable);
        }
    }

    /// Checks every structural invariant from the module header.
    fn check_invariants<V>(d: &Dict<Vec<u8>, V>) {
        let mut seen = HashSet::new();
        for (t, table) in [&d.ht0, &d.ht1].into_iter().enumerate() {
            assert!(table.size() == 0 || table.size().is_power_of_two());
            let mut count = 0;
            for (i, link) in table.buckets.iter().enumerate() {
                let mut cur = link.as_deref();
                while let Some(n) = cur {
                    assert_eq!(
                        hash_bytes(&n.key) as usize & table.mask(),
                        i,
                        "node in wrong bucket"
                    );
                    if t == 0 && d.is_rehashing() {
                        assert!(i >= d.rehash_idx, "node below rehash_idx");
                    }
                    assert!(seen.insert(n.key.clone()), "duplicate key");
                    count += 1;
                    cur = n.next.as_deref();
                }
            }
            assert_eq!(count, table.used, "used counter of table {t}");
        }
        if !d.is_rehashing() {
            assert_eq!(d.rehash_idx, 0);
            assert_eq!(d.ht1.used, 0);
        } else {
            assert!(d.rehash_idx < d.ht0.size());
        }
    }

    #[test]
    fn insert_get_remove_100k_keys() {
        let mut d = Dict::new();
        for i in 0..100_000 {
            assert!(d.insert(key(i), i).is_none());
        }
        assert_eq!(d.len(), 100_000);
        check_invariants(&d);
        for i in 0..100_000 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        assert_eq!(d.get(b"key:100000"), None);
        assert_eq!(d.get(b""), None);
        for i in (0..100_000).step_by(2) {
            assert_eq!(d.remove(&key(i)), Some((key(i), i)));
            assert_eq!(d.remove(&key(i)), None);
        }
        assert_eq!(d.len(), 50_000);
        for i in 0..100_000 {
            assert_eq!(
                d.peek(&key(i)).copied(),
                if i % 2 == 1 { Some(i) } else { None }
            );
        }
        check_invariants(&d);
        assert_eq!(d.iter().count(), 50_000);
    }

    #[test]
    fn matches_a_model_under_random_operations_with_rehashing() {
        let mut rng = TestRng(0x1234_5678);
        let mut d: Dict<Vec<u8>, usize> = Dict::new();
        let mut model: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut saw_rehash_ops = 0;
        for step in 0..200_000 {
            let k = key(rng.below(20_000));
            if d.is_rehashing() {
                saw_rehash_ops += 1;
            }
            match rng.below(10) {
                0..=3 => assert_eq!(d.insert(k.clone(), step), model.insert(k, step)),
                4..=5 => assert_eq!(d.remove(&k).map(|(_, v)| v), model.remove(&k)),
                6 => assert_eq!(d.get(&k), model.get(&k)),
                7 => {
                    let (v, inserted) = d.get_or_insert_with(&k, || (k.clone(), step));
                    assert_eq!(inserted, !model.contains_key(&k));
                    *v += 1;
                    *model.entry(k).or_insert(step) += 1;
                }
                8 => {
                    if let Some(v) = d.get_mut(&k) {
                        *v = 7;
                    }
                    if let Some(v) = model.get_mut(&k) {
                        *v = 7;
                    }
                }
                _ => {
                    if d.needs_shrink() {
                        d.shrink_to_fit();
                    }
                    assert_eq!(d.contains_key(&k), model.contains_key(&k));
                }
            }
            if step % 10_000 == 0 {
                check_invariants(&d);
            }
            // Phases of mass deletion make shrinks happen.
            if step % 50_000 == 49_999 {
                let doomed: Vec<_> = model
                    .keys()
                    .take(model.len().saturating_sub(100))
                    .cloned()
                    .collect();
                for k in doomed {
                    assert!(d.remove(&k).is_some());
                    model.remove(&k);
                }
            }
        }
        assert_eq!(d.len(), model.len());
        check_invariants(&d);
        for (k, v) in &model {
            assert_eq!(d.peek(k), Some(v));
        }
        assert!(
            saw_rehash_ops > 100,
            "the scenario never ran during a rehash"
        );
    }

    #[test]
    fn operations_during_rehash_keep_every_key_reachable() {
        let mut d = Dict::new();
        for i in 0..4096 {
            d.insert(key(i), i);
        }
        d.rehash_for(Duration::from_secs(10));
        assert_eq!(d.buckets(), (4096, 0));
        // The 4097th insert crosses load factor 1 and starts a rehash.
        d.insert(key(4096), 4096);
        assert!(d.is_rehashing());
        assert_eq!(d.buckets(), (4096, 8192));
        let mut i = 4097;
        let mut checked_mid_rehash = false;
        while d.is_rehashing() {
            // Each access moves one bucket (or skips up to 10 empty ones).
            let before = d.rehash_idx;
            d.insert(key(i), i);
            assert!(!d.is_rehashing() || d.rehash_idx > before);
            assert_eq!(d.get(&key(i - 4000)), Some(&(i - 4000)));
            assert_eq!(d.remove(&key(i - 2000)), Some((key(i - 2000), i - 2000)));
            if d.is_rehashing() && d.ht0.used > 0 && d.ht1.used > 0 && !checked_mid_rehash {
                check_invariants(&d);
                for j in (0..i).filter(|j| !(2097..=i - 2000).contains(j)) {
                    assert_eq!(d.peek(&key(j)), Some(&j), "key {j} lost mid-rehash");
                }
                checked_mid_rehash = true;
            }
            i += 1;
        }
        assert!(checked_mid_rehash);
        check_invariants(&d);
        assert_eq!(d.buckets(), (8192, 0));
    }

    #[test]
    fn a_rehash_step_visits_at_most_ten_empty_buckets() {
        let mut d = Dict::new();
        for i in 0..10_000 {
            d.insert(key(i), i);
        }
        for i in 10..10_000 {
            d.remove(&key(i));
        }
        d.rehash_for(Duration::from_secs(10));
        assert_eq!(d.buckets(), (16384, 0));
        assert!(d.shrink_to_fit());
        assert_eq!(d.buckets(), (16384, 16));
        // 10 keys spread over 16384 buckets: one step stops after 10 empties
        // or after moving one bucket, so rehash_idx moves by at most 11.
        assert!(d.rehash_steps(1));
        assert!(
            (1..=11).contains(&d.rehash_idx),
            "rehash_idx {}",
            d.rehash_idx
        );
        let before = d.rehash_idx;
        assert!(d.rehash_steps(3));
        assert!(d.rehash_idx - before <= 33);
        check_invariants(&d);
        assert!(!d.rehash_for(Duration::from_secs(10)));
        assert_eq!(d.buckets(), (16, 0));
        for i in 0..10 {
            assert_eq!(d.peek(&key(i)), Some(&i));
        }
    }

    #[test]
    fn replacing_keeps_the_stored_key() {
        // A key type whose identity is more than its bytes.
        #[derive(Debug)]
        struct Tagged(Vec<u8>, u32);
        impl DictKey for Tagged {
            fn key_bytes(&self) -> &[u8] {
                &self.0
            }
        }
        let mut d = Dict::new();
        assert_eq!(d.insert(Tagged(b"k".to_vec(), 1), "a"), None);
        assert_eq!(d.insert(Tagged(b"k".to_vec(), 2), "b"), Some("a"));
        let (k, v) = d.get_key_value(b"k").unwrap();
        assert_eq!((k.1, *v), (1, "b"));
        assert_eq!(d.len(), 1);
        let (v, inserted) = d.get_or_insert_with(b"k", || (Tagged(b"k".to_vec(), 3), "c"));
        assert_eq!((*v, inserted), ("b", false));
        let (k, _) = d.remove(b"k").unwrap();
        assert_eq!(k.1, 1);
    }

    /// A guarded dict puts off growing while the guard refuses the new
    /// bucket array, up to the maximum load factor; an unguarded one and
    /// a guarded one with an accepting guard grow as usual.
    #[test]
    fn guarded_dict_grows_only_when_the_guard_allows() {
        struct Unset;
        impl Drop for Unset {
            fn drop(&mut self) {
                set_expand_guard(None);
            }
        }
        let _unset = Unset;
        fn refuse(_bytes: usize) -> bool {
            false
        }
        set_expand_guard(Some(refuse));
        let mut guarded: Dict<Vec<u8>, usize> = Dict::new();
        guarded.set_guarded(true);
        let mut free: Dict<Vec<u8>, usize> = Dict::new();
        for i in 0..16 {
            guarded.insert(key(i), i);
            free.insert(key(i), i);
        }
        // The first table is always made; after that the guard says no
        // until 1.618 entries per bucket: 4 buckets hold up to 7 entries.
        assert!(free.buckets().0.max(free.buckets().1) >= 16);
        assert!(guarded.buckets().0 + guarded.buckets().1 > 4);
        let mut g2: Dict<Vec<u8>, usize> = Dict::new();
        g2.set_guarded(true);
        for i in 0..6 {
            g2.insert(key(i), i);
        }
        assert_eq!(g2.buckets(), (4, 0));
        check_invariants(&g2);
        assert_eq!(g2.len(), 6);
        fn accept(_bytes: usize) -> bool {
            true
        }
        set_expand_guard(Some(accept));
        g2.insert(key(6), 6);
        assert!(g2.buckets().0 + g2.buckets().1 > 4);
        for i in 0..7 {
            assert_eq!(g2.get(&key(i)), Some(&i));
        }
    }

    #[test]
    fn insert_new_and_get_or_insert_with() {
        let mut d = Dict::new();
        for i in 0..10_000 {
            d.insert_new(key(i), i);
        }
        check_invariants(&d);
        for i in 0..12_000 {
            let (v, inserted) = d.get_or_insert_with(&key(i), || (key(i), 0));
            assert_eq!(inserted, i >= 10_000);
            *v += 1;
        }
        assert_eq!(d.len(), 12_000);
        for i in 0..12_000 {
            assert_eq!(d.peek(&key(i)), Some(&if i >= 10_000 { 1 } else { i + 1 }));
        }
        check_invariants(&d);
    }

    /// Runs a full scan, applying `between` after every call, and returns
    /// how often each key was reported.
    fn scan_all(
        d: &mut Dict<Vec<u8>, u32>,
        mut between: impl FnMut(&mut Dict<Vec<u8>, u32>),
    ) -> HashMap<Vec<u8>, usize> {
        let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut cursor = 0;
        for _ in 0..10_000_000 {
            cursor = d.scan(cursor, |k, _| *seen.entry(k.clone()).or_default() += 1);
            if cursor == 0 {
                return seen;
            }
            between(d);
        }
        panic!("scan did not terminate");
    }

    #[test]
    fn scan_of_an_empty_dict_returns_zero() {
        let mut d: Dict<Vec<u8>, u32> = Dict::new();
        assert_eq!(d.scan(0, |_, _| panic!("no entries")), 0);
        assert_eq!(d.scan(12345, |_, _| panic!("no entries")), 0);
        d.insert(b"a".to_vec(), 1);
        d.remove(b"a");
        assert_eq!(d.scan(0, |_, _| panic!("no entries")), 0);
        d.clear();
        assert_eq!(d.scan_mut(0, |_, _| panic!("no entries")), 0);
    }

    #[test]
    fn scan_without_changes_reports_each_entry_exactly_once() {
        let _guard = PolicyGuard;
        let mut d = Dict::new();
        for i in 0..1000 {
            d.insert(key(i), 0u32);
        }
        let seen = scan_all(&mut d, |_| {});
        assert_eq!(seen.len(), 1000);
        assert!(seen.values().all(|&n| n == 1));

        // Frozen mid-grow: Avoid holds back a rehash between tables of ratio 2.
        d.rehash_for(Duration::from_secs(10));
        while d.len() < 1024 {
            let n = d.len();
            d.insert(key(n), 0);
        }
        d.insert(key(1024), 0);
        assert_eq!(d.buckets(), (1024, 2048));
        d.rehash_steps(200);
        set_resize_allowed(false);
        assert!(!d.rehash_steps(10));
        let seen = scan_all(&mut d, |_| {});
        assert!(d.is_rehashing());
        assert_eq!(seen.len(), 1025);
        assert!(seen.values().all(|&n| n == 1));

        // Mid-shrink (ratio >= 5 rehashes even under Avoid, so freeze with Forbid).
        set_resize_policy(ResizePolicy::Enable);
        d.rehash_for(Duration::from_secs(10));
        for i in 20..1025 {
            d.remove(&key(i));
        }
        assert!(d.shrink_to_fit());
        d.rehash_steps(1);
        assert!(d.is_rehashing());
        set_resize_policy(ResizePolicy::Forbid);
        let seen = scan_all(&mut d, |_| {});
        assert_eq!(seen.len(), 20);
        assert!(seen.values().all(|&n| n == 1));
    }

    #[test]
    fn scan_reports_stable_entries_while_the_table_grows_and_shrinks() {
        let (mut grew_mid_scan, mut shrank_mid_scan, mut scanned_rehashing) = (false, false, false);
        for round in 0..30u64 {
            let mut rng = TestRng(round * 7919 + 1);
            let mut d: Dict<Vec<u8>, u32> = Dict::new();
            let stable: Vec<Vec<u8>> = (0..60)
                .map(|i| format!("stable:{i}").into_bytes())
                .collect();
            for k in &stable {
                d.insert(k.clone(), 0);
            }
            let mut churn: Vec<Vec<u8>> = Vec::new();
            let mut next_churn = 0;
            let seen = scan_all(&mut d, |d| {
                let before = d.buckets();
                match rng.below(5) {
                    0 | 1 => {
                        // Removals outpace additions on average, so the
                        // table keeps shrinking back and the scan ends.
                        for _ in 0..rng.below(300) {
                            let k = format!("churn:{next_churn}").into_bytes();
                            next_churn += 1;
                            d.insert(k.clone(), 1);
                            churn.push(k);
                        }
                    }
                    2 => {
                        for _ in 0..rng.below(1000) {
                            if let Some(k) = churn.pop() {
                                d.remove(&k);
                            }
                        }
                        d.shrink_to_fit();
                    }
                    3 => {
                        d.rehash_steps(rng.below(8));
                    }
                    _ => {
                        if rng.below(2) == 0 {
                            d.rehash_for(Duration::from_secs(1));
                        }
                    }
                }
                let after = d.buckets();
                grew_mid_scan |= after.0.max(after.1) > before.0.max(before.1);
                shrank_mid_scan |= after.1 != 0 && after.1 < after.0;
                scanned_rehashing |= d.is_rehashing();
            });
            for k in &stable {
                assert!(seen.contains_key(k), "round {round}: stable key missed");
            }
            check_invariants(&d);
        }
        // The scenario must exercise what it claims, at least overall.
        assert!(grew_mid_scan && shrank_mid_scan && scanned_rehashing);
    }

    #[test]
    fn scan_survives_full_resizes_between_calls() {
        let mut d: Dict<Vec<u8>, u32> = Dict::new();
        for i in 0..100 {
            d.insert(key(i), 0);
        }
        let mut calls = 0;
        let mut extra = 100_000;
        let seen = scan_all(&mut d, |d| {
            calls += 1;
            if calls % 3 == 1 {
                // Grow fourfold and finish the rehash.
                let target = d.len() * 4;
                while d.len() < target {
                    d.insert(key(extra), 1);
                    extra += 1;
                }
                d.rehash_for(Duration::from_secs(10));
            } else if calls % 3 == 2 {
                // Drop the extra keys and shrink all the way.
                for i in 100_000..extra {
                    d.remove(&key(i));
                }
                d.shrink_to_fit();
                d.rehash_for(Duration::from_secs(10));
            }
        });
        for i in 0..100 {
            assert!(seen.contains_key(&key(i)), "key {i} missed");
        }
    }

    #[test]
    fn scan_mut_reaches_every_value() {
        let mut d = Dict::new();
        for i in 0..500 {
            d.insert(key(i), 0u32);
        }
        let mut cursor = 0;
        loop {
            cursor = d.scan_mut(cursor, |_, v| *v += 1);
            if cursor == 0 {
                break;
            }
        }
        assert!(d.values().all(|&v| v == 1));
    }

    #[test]
    fn random_entry_on_empty_one_and_many() {
        let mut d: Dict<Vec<u8>, u32> = Dict::new();
        assert!(d.random_entry().is_none());
        assert!(d.random_entry_by_bucket().is_none());
        d.insert(b"only".to_vec(), 7);
        for _ in 0..100 {
            assert_eq!(d.random_entry(), Some((&b"only".to_vec(), &7)));
            assert_eq!(d.random_entry_by_bucket(), Some((&b"only".to_vec(), &7)));
        }
        d.remove(b"only");
        assert!(d.random_entry().is_none());

        for i in 0..100 {
            d.insert(key(i), i as u32);
        }
        let mut seen = HashSet::new();
        for _ in 0..20_000 {
            let (k, v) = d.random_entry().map(|(k, v)| (k.clone(), *v)).unwrap();
            assert_eq!(d.peek(&k), Some(&v));
            seen.insert(k);
        }
        assert_eq!(seen.len(), 100, "some entries are never picked");
    }

    #[test]
    fn random_entry_while_rehashing_and_with_long_chains() {
        let _guard = PolicyGuard;
        // Long chains: 40 keys in 4 buckets, growth forbidden.
        set_resize_policy(ResizePolicy::Forbid);
        let mut d = Dict::new();
        for i in 0..40 {
            d.insert(key(i), i);
        }
        assert_eq!(d.buckets(), (4, 0));
        let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
        for _ in 0..40_000 {
            *counts
                .entry(d.random_entry().unwrap().0.clone())
                .or_default() += 1;
        }
        assert_eq!(counts.len(), 40);
        // Fair sampling: every key near 1000 draws, none starved.
        assert!(counts.values().all(|&c| c > 200), "{counts:?}");

        // Mid-rehash: entries in both tables are all reachable.
        set_resize_policy(ResizePolicy::Enable);
        d.insert(key(40), 40);
        assert_eq!(d.buckets(), (4, 64));
        set_resize_policy(ResizePolicy::Forbid); // keep it rehashing
        let mut seen = HashSet::new();
        let mut seen_by_bucket = HashSet::new();
        for _ in 0..100_000 {
            seen_by_bucket.insert(d.random_entry_by_bucket().unwrap().0.clone());
            seen.insert(d.random_entry().unwrap().0.clone());
            if seen.len() == 41 && seen_by_bucket.len() == 41 {
                break;
            }
        }
        assert!(d.is_rehashing());
        assert_eq!((seen.len(), seen_by_bucket.len()), (41, 41));
    }

    #[test]
    fn sample_returns_entries_of_the_dict() {
        let mut d: Dict<Vec<u8>, usize> = Dict::new();
        let mut out = Vec::new();
        assert_eq!(d.sample(5, &mut out), 0);
        for i in 0..1000 {
            d.insert(key(i), i);
        }
        let mut out = Vec::new();
        assert_eq!(d.sample(20, &mut out), 20);
        let sampled: Vec<(Vec<u8>, usize)> = out.iter().map(|(k, v)| ((*k).clone(), **v)).collect();
        for (k, v) in &sampled {
            assert_eq!(d.peek(k), Some(v));
        }
        // More than there is: at most len().
        let mut small: Dict<Vec<u8>, usize> = (0..3).map(|i| (key(i), i)).collect();
        let mut out = Vec::new();
        let n = small.sample(10, &mut out);
        assert!((1..=3).contains(&n));
        // During a rehash, samples come from both tables.
        let mut d: Dict<Vec<u8>, usize> = (0..1024).map(|i| (key(i), i)).collect();
        d.insert(key(1024), 1024);
        assert!(d.is_rehashing());
        let mut out = Vec::new();
        let mut union = HashSet::new();
        let mut empty_samples = 0;
        for _ in 0..2000 {
            // Like dictGetSomeKeys, an unlucky walk (here: over the target
            // table's still empty upper half) may come back empty-handed.
            if d.sample_peek(16, &mut out) == 0 {
                empty_samples += 1;
            }
            union.extend(out.iter().map(|(k, _)| (*k).clone()));
        }
        assert!(empty_samples < 200, "{empty_samples} empty samples");
        assert!(union.len() > 900);
        assert!(d.is_rehashing());
    }

    #[test]
    fn two_entries_per_bucket() {
        let _guard = PolicyGuard;
        let mut d = Dict::new();
        d.set_entries_per_bucket(2);
        for i in 0..10_000 {
            d.insert(key(i), i);
        }
        d.rehash_for(Duration::from_secs(10));
        // 10k entries at two per bucket: 8192 buckets, not 16384.
        assert_eq!(d.buckets(), (8192, 0));
        for i in 0..10_000 {
            assert_eq!(d.peek(&key(i)), Some(&i));
        }
        for i in 50..10_000 {
            d.remove(&key(i));
        }
        assert!(d.needs_shrink());
        assert!(d.shrink_to_fit());
        assert!(!d.rehash_for(Duration::from_secs(10)));
        assert_eq!(d.buckets(), (32, 0));
        let mut e: Dict<Vec<u8>, i32> = Dict::new();
        e.set_entries_per_bucket(2);
        assert!(e.expand(100));
        assert_eq!(e.buckets(), (64, 0));
    }

    #[test]
    fn shrink_after_mass_deletion() {
        let _guard = PolicyGuard;
        let mut d = Dict::new();
        for i in 0..10_000 {
            d.insert(key(i), i);
        }
        d.rehash_for(Duration::from_secs(10));
        assert_eq!(d.buckets(), (16384, 0));
        assert!(!d.needs_shrink());
        for i in 50..10_000 {
            d.remove(&key(i));
        }
        assert!(d.needs_shrink());
        // No shrinking while a child is alive.
        set_resize_allowed(false);
        assert!(!d.shrink_to_fit());
        set_resize_allowed(true);
        assert!(d.shrink_to_fit());
        assert_eq!(d.buckets(), (16384, 64));
        assert!(!d.shrink_to_fit(), "second resize during a rehash");
        assert!(!d.rehash_for(Duration::from_secs(10)));
        assert_eq!(d.buckets(), (64, 0));
        assert!(!d.needs_shrink());
        for i in 0..50 {
            assert_eq!(d.peek(&key(i)), Some(&i));
        }
        // Empty: down to the initial size.
        for i in 0..50 {
            d.remove(&key(i));
        }
        assert!(d.needs_shrink());
        assert!(d.shrink_to_fit());
        d.rehash_steps(1);
        assert_eq!(d.buckets(), (4, 0));
        assert!(!d.needs_shrink());
        check_invariants(&d);
    }

    #[test]
    fn avoid_policy_grows_only_past_ratio_five() {
        let _guard = PolicyGuard;
        set_resize_allowed(false);
        let mut d = Dict::new();
        // The first insert still creates a table.
        for i in 0..24 {
            d.insert(key(i), i);
        }
        assert_eq!(d.buckets(), (4, 0), "grew below the forced ratio");
        // 24 entries in 4 buckets: 24 / 4 > 5, so the next insert grows.
        d.insert(key(24), 24);
        assert_eq!(d.buckets(), (4, 32));
        // A ratio of 8 is extreme enough to rehash despite the child.
        assert!(!d.rehash_for(Duration::from_secs(10)));
        assert_eq!(d.buckets(), (32, 0));
        for i in 0..25 {
            assert_eq!(d.peek(&key(i)), Some(&i));
        }
        check_invariants(&d);
    }

    #[test]
    fn avoid_policy_pauses_an_ordinary_rehash_and_forbid_stops_everything() {
        let _guard = PolicyGuard;
        let mut d = Dict::new();
        for i in 0..5 {
            d.insert(key(i), i);
        }
        assert_eq!(d.buckets(), (4, 8));
        set_resize_allowed(false);
        assert!(!d.rehash_steps(100));
        for i in 0..5 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        d.insert(key(5), 5);
        assert_eq!(d.buckets(), (4, 8), "rehash moved under Avoid at ratio 2");
        set_resize_allowed(true);
        assert!(!d.rehash_steps(100));
        assert_eq!(d.buckets(), (8, 0));

        set_resize_policy(ResizePolicy::Forbid);
        for i in 6..100 {
            d.insert(key(i), i);
        }
        assert_eq!(d.buckets(), (8, 0), "grew while forbidden");
        set_resize_policy(ResizePolicy::Enable);
        d.insert(key(100), 100);
        assert!(d.is_rehashing());
        // Forced: next power of two >= 101 entries.
        assert_eq!(d.buckets(), (8, 128));
        d.rehash_for(Duration::from_secs(10));
        check_invariants(&d);
        assert_eq!(d.len(), 101);
    }

    #[test]
    fn with_capacity_and_expand_follow_dict_expand() {
        assert_eq!(Dict::<Vec<u8>, ()>::with_capacity(0).buckets(), (0, 0));
        assert_eq!(Dict::<Vec<u8>, ()>::with_capacity(3).buckets(), (4, 0));
        let mut d = Dict::<Vec<u8>, usize>::with_capacity(1000);
        assert_eq!(d.buckets(), (1024, 0));
        for i in 0..1000 {
            d.insert(key(i), i);
        }
        assert_eq!(d.buckets(), (1024, 0), "presized dict resized");
        assert!(!d.expand(500), "smaller than len");
        assert!(!d.expand(1024), "same size");
        assert!(d.expand(5000));
        assert_eq!(d.buckets(), (1024, 8192));
        assert!(!d.expand(100_000), "already rehashing");
        assert_eq!(d.try_expand(100_000), Ok(false));
        d.rehash_for(Duration::from_secs(10));
        assert_eq!(d.try_expand(usize::MAX), Err(AllocFailed));
        assert_eq!(d.try_expand(1 << 62), Err(AllocFailed));
        assert_eq!(d.buckets(), (8192, 0));
        check_invariants(&d);
    }

    #[test]
    fn iteration_matches_len_also_while_rehashing() {
        let mut d: Dict<Vec<u8>, usize> = Dict::new();
        assert_eq!(d.iter().count(), 0);
        for i in 0..3000 {
            d.insert(key(i), i);
            if i % 97 == 0 {
                assert_eq!(d.iter().count(), d.len());
                assert_eq!(d.iter().len(), d.len());
            }
        }
        d.insert(key(5000), 5000);
        d.insert(key(5001), 5001);
        while !d.is_rehashing() {
            let n = d.len();
            d.insert(key(10_000 + n), 0);
        }
        assert_eq!(d.iter().count(), d.len());
        let keys: HashSet<Vec<u8>> = d.keys().cloned().collect();
        assert_eq!(keys.len(), d.len());
        for (_, v) in d.iter_mut() {
            *v += 1;
        }
        for (k, v) in &d {
            assert_eq!(d.peek(k), Some(v));
        }
        assert_eq!(d.peek(&key(7)), Some(&8));
        assert_eq!((&mut d).into_iter().count(), d.len());

        let n = d.len();
        let drained: HashMap<Vec<u8>, usize> = d.drain().collect();
        assert_eq!(drained.len(), n);
        assert_eq!(drained.get(&key(7)), Some(&8));
        assert!(d.is_empty());
        assert_eq!(d.buckets(), (0, 0));
        d.insert(key(1), 1);
        assert_eq!(d.into_iter().collect::<Vec<_>>(), vec![(key(1), 1)]);
    }

    /// A dict whose bucket 0 holds one chain of `n` nodes, built by hand
    /// (through the API that would cost O(n^2) key comparisons).
    fn dict_with_one_long_chain(n: u32) -> Dict<Box<[u8]>, u32> {
        let mut d = Dict::with_capacity(4);
        let mut head = None;
        for i in 0..n {
            let key = i.to_le_bytes().to_vec().into_boxed_slice();
            head = Some(Box::new(Node {
                key,
                value: i,
                next: head,
            }));
        }
        d.ht0.buckets[0] = head;
        d.ht0.used = n as usize;
        d
    }

    #[test]
    fn dropping_long_chains_does_not_recurse() {
        // A small stack and a 100k-node chain: a recursive drop would overflow.
        let worker = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(|| {
                drop(dict_with_one_long_chain(100_000));
                let mut d = dict_with_one_long_chain(100_000);
                let mut partial = d.drain();
                assert_eq!(partial.len(), 100_000);
                assert!(partial.next().is_some());
                drop(partial);
                assert!(d.is_empty());
                let mut d = dict_with_one_long_chain(100_000);
                d.clear();
            });
        worker.unwrap().join().unwrap();
    }

    #[test]
    fn stats_text_reports_tables() {
        let mut d: Dict<Vec<u8>, ()> = Dict::new();
        assert_eq!(
            d.stats_text(),
            "Hash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n"
        );
        for i in 0..4096 {
            d.insert(key(i), ());
        }
        d.rehash_for(Duration::from_secs(10));
        let s = d.stats_text();
        assert!(
            s.contains(" table size: 4096\n number of elements: 4096\n different slots: "),
            "{s}"
        );
        assert!(s.contains(" Chain length distribution:\n   0: "), "{s}");
        assert!(!s.contains("rehashing target"));
        d.insert(key(4096), ());
        let s = d.stats_text();
        assert!(s.contains("Hash table 1 stats (rehashing target):\n table size: 8192\n number of elements: 1\n"), "{s}");
        assert!(
            s.contains(" different slots: 1\n max chain length: 1\n"),
            "{s}"
        );
        assert!(s.contains("avg chain length (computed): 1.00\n"), "{s}");
    }

    #[test]
    fn overhead_counts_buckets_and_nodes() {
        let mut d: Dict<Box<[u8]>, u64> = Dict::new();
        assert_eq!(d.overhead_bytes(), 0);
        d.insert(b"a".to_vec().into_boxed_slice(), 1);
        // 4 buckets of 8 bytes; a node is a 16-byte key, 8-byte value, 8-byte link.
        assert_eq!(mem::size_of::<Link<Box<[u8]>, u64>>(), 8);
        assert_eq!(d.overhead_bytes(), 4 * 8 + 32);
    }

    #[test]
    fn nocase_hash_equals_hash_of_lowercase() {
        assert_eq!(hash_bytes_nocase(b"GET"), hash_bytes(b"get"));
        assert_eq!(hash_bytes_nocase(b"gEt"), hash_bytes_nocase(b"GeT"));
        assert_ne!(hash_bytes_nocase(b"get"), hash_bytes_nocase(b"set"));
        let mut rng = TestRng(99);
        for len in 0..200 {
            for _ in 0..20 {
                let s: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
                assert_eq!(hash_bytes_nocase(&s), hash_bytes(&s.to_ascii_lowercase()));
            }
        }
    }

    #[test]
    fn lower_word_matches_byte_lowercase() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let x =
                    (u64::from(b) << (pos * 8)) | (0x4141_4141_4141_4141 & !(0xFF << (pos * 8)));
                let want = u64::from_le_bytes(x.to_le_bytes().map(|c| c.to_ascii_lowercase()));
                assert_eq!(lower_word(x), want, "byte {b:#x} at {pos}");
            }
        }
    }

    #[test]
    fn hash_separates_lengths_and_keys() {
        let zeros = [0u8; 64];
        let mut seen = HashSet::new();
        for len in 0..=64 {
            assert!(
                seen.insert(hash_bytes(&zeros[..len])),
                "length {len} collides"
            );
        }
        let mut hashes = HashSet::new();
        for i in 0..100_000 {
            assert!(
                hashes.insert(hash_bytes(&key(i))),
                "64-bit collision at {i}"
            );
        }
        assert_eq!(hash_bytes(b"stable"), hash_bytes(b"stable"));
        // The low bits pick the bucket: sequential keys spread evenly.
        let mut counts = [0usize; 64];
        for i in 0..64_000 {
            counts[hash_bytes(&key(i)) as usize & 63] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn scan_cursor_walks_every_index_once() {
        for bits in 0..10 {
            let mask = (1u64 << bits) - 1;
            let mut seen = vec![0; 1 << bits];
            let mut v = 0;
            loop {
                v = scan_cursor(v, mask, None, |_, i| seen[i] += 1);
                if v == 0 {
                    break;
                }
            }
            assert!(seen.iter().all(|&n| n == 1));
            // With a larger table, every large index comes exactly once too.
            let large = (mask << 2) | 3;
            let mut seen_large = vec![0; (large + 1) as usize];
            let mut v = 0;
            loop {
                v = scan_cursor(v, mask, Some(large), |in_large, i| {
                    if in_large {
                        seen_large[i] += 1;
                    }
                });
                if v == 0 {
                    break;
                }
            }
            assert!(seen_large.iter().all(|&n| n == 1));
        }
    }
}
