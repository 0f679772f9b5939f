//! Client eviction (`maxmemory-clients`): when the connections themselves
//! (query buffers, arguments, replies, MULTI queues, subscriptions) use too
//! much memory, whole clients are closed, biggest first. Mirrors the
//! client-memory half of Redis' server.c (updateClientMemUsageAndBucket,
//! clientEvictionAllowed) and networking.c (getClientEvictionLimit,
//! evictClients).
//!
//! How it stays cheap: nothing scans all clients per command. Each client's
//! figure (`Client::memory_usage`, the CLIENT LIST `tot-mem`) is measured
//! again only when that client changed: after its command, after a read,
//! after a write, when a Pub/Sub message or an invalidation reaches it, and
//! once per cron tick. What was last measured is kept per slot here, summed
//! by client type (INFO `mem_clients_normal`), and evictable clients sit in
//! one of a few log2-sized buckets, so the eviction loop starts at the
//! biggest clients without sorting anything.
//!
//! Invariants:
//! * `type_mem[t]` is the sum of `entries[s].usage` over slots of type `t`.
//! * A slot is in `buckets[b]` (at `entries[s].pos`) iff `entries[s].bucket
//!   == b`; only clients that may be evicted are in a bucket, and only
//!   while `maxmemory-clients` is not 0.
//! * Entries are keyed by client slot: `forget` runs when a slot is freed,
//!   so a reused slot starts from zero.

use log::{info, warn};

use crate::net::client::{flags, Client};
use crate::server::{Server, CLIENT_TOKEN_BASE};

/// Bucket `i` holds clients using [2^(MIN_LOG+i-1), 2^(MIN_LOG+i)) bytes;
/// the first takes everything below 32 KiB and the last everything above
/// 4 GiB (CLIENT_MEM_USAGE_BUCKET_MIN_LOG / _MAX_LOG).
const BUCKET_MIN_LOG: u32 = 15;
const BUCKET_MAX_LOG: u32 = 33;
pub const BUCKETS: usize = (1 + BUCKET_MAX_LOG - BUCKET_MIN_LOG) as usize;
/// `Entry::bucket` of a client in no bucket.
const NO_BUCKET: u8 = u8::MAX;
/// A limit below this would leave no room to even talk to the server, so
/// a smaller `maxmemory-clients` is raised to it (as Redis does).
const MIN_EVICTION_LIMIT: usize = 128 * 1024;

/// Client types as getClientType returns them; index into `type_mem`.
pub const TYPE_NORMAL: usize = 0;
pub const TYPE_REPLICA: usize = 1;
pub const TYPE_PUBSUB: usize = 2;
pub const TYPE_MASTER: usize = 3;

/// What was last measured for one client slot.
#[derive(Clone, Copy)]
struct Entry {
    usage: usize,
    kind: u8,
    bucket: u8,
    pos: u32,
}

impl Default for Entry {
    fn default() -> Entry {
        Entry {
            usage: 0,
            kind: TYPE_NORMAL as u8,
            bucket: NO_BUCKET,
            pos: 0,
        }
    }
}

/// The server's record of client memory (owned by `Server`).
pub struct ClientMem {
    entries: Vec<Entry>,
    buckets: Vec<Vec<usize>>,
    /// Memory of all clients by type, as last measured.
    type_mem: [usize; 4],
    /// Buckets are kept up to date (`maxmemory-clients` was not 0 when
    /// last looked at); flipping it re-files every client once.
    active: bool,
    /// Clients closed by eviction (INFO `evicted_clients`).
    pub evicted_clients: u64,
}

impl Default for ClientMem {
    fn default() -> ClientMem {
        ClientMem {
            entries: Vec::new(),
            buckets: vec![Vec::new(); BUCKETS],
            type_mem: [0; 4],
            active: false,
            evicted_clients: 0,
        }
    }
}

impl ClientMem {
    /// Memory of master, pub/sub and normal clients (INFO
    /// `mem_clients_normal`; replicas are reported with the replication
    /// buffer instead).
    pub fn normal_clients_memory(&self) -> usize {
        self.type_mem[TYPE_NORMAL] + self.type_mem[TYPE_PUBSUB] + self.type_mem[TYPE_MASTER]
    }

    /// The memory the eviction limit is compared with: normal and pub/sub
    /// clients, the exempt ones (NO-EVICT) included.
    pub fn evictable_type_memory(&self) -> usize {
        self.type_mem[TYPE_NORMAL] + self.type_mem[TYPE_PUBSUB]
    }

    /// (clients, bytes) in each bucket, smallest first (tests, debugging).
    pub fn bucket_summary(&self) -> Vec<(usize, usize)> {
        self.buckets
            .iter()
            .map(|b| (b.len(), b.iter().map(|&s| self.entries[s].usage).sum()))
            .collect()
    }

    fn entry(&mut self, slot: usize) -> &mut Entry {
        if slot >= self.entries.len() {
            self.entries.resize(slot + 1, Entry::default());
        }
        &mut self.entries[slot]
    }

    /// Record a new measurement for `slot` (updateClientMemoryUsage).
    fn set_usage(&mut self, slot: usize, kind: usize, usage: usize) {
        let e = *self.entry(slot);
        self.type_mem[e.kind as usize] -= e.usage;
        self.type_mem[kind] += usage;
        let e = self.entry(slot);
        e.usage = usage;
        e.kind = kind as u8;
    }

    /// Take `slot` out of its bucket, if it is in one.
    fn unbucket(&mut self, slot: usize) {
        let Some(e) = self.entries.get(slot).copied() else {
            return;
        };
        if e.bucket == NO_BUCKET {
            return;
        }
        let list = &mut self.buckets[e.bucket as usize];
        let pos = e.pos as usize;
        list.swap_remove(pos);
        if let Some(&moved) = list.get(pos) {
            self.entries[moved].pos = pos as u32;
        }
        self.entries[slot].bucket = NO_BUCKET;
    }

    /// Put `slot` in the bucket its last measurement belongs to.
    fn rebucket(&mut self, slot: usize) {
        let usage = self.entry(slot).usage;
        let b = bucket_of(usage);
        if self.entries[slot].bucket == b as u8 {
            return;
        }
        self.unbucket(slot);
        let list = &mut self.buckets[b];
        list.push(slot);
        let e = &mut self.entries[slot];
        e.bucket = b as u8;
        e.pos = (list.len() - 1) as u32;
    }

    /// The slot was freed: drop everything recorded for it.
    pub fn forget(&mut self, slot: usize) {
        if slot >= self.entries.len() {
            return;
        }
        self.unbucket(slot);
        self.set_usage(slot, TYPE_NORMAL, 0);
    }

    /// The next candidate at or below bucket `from`, as (bucket, slot):
    /// the entry `skip` of bucket `from` if it has one, else the first of
    /// the next non-empty bucket down.
    fn biggest_from(&self, from: usize, skip: usize) -> Option<(usize, usize)> {
        let mut b = from;
        let mut skip = skip;
        loop {
            let list = &self.buckets[b];
            if skip < list.len() {
                return Some((b, list[skip]));
            }
            if b == 0 {
                return None;
            }
            b -= 1;
            skip = 0;
        }
    }
}

/// Bucket index for a client using `mem` bytes: log2, clamped.
fn bucket_of(mem: usize) -> usize {
    let bits = usize::BITS - mem.leading_zeros();
    bits.clamp(BUCKET_MIN_LOG, BUCKET_MAX_LOG) as usize - BUCKET_MIN_LOG as usize
}

/// getClientType: master link, replica (a MONITOR counts as normal),
/// subscriber, or normal.
pub fn client_type(c: &Client) -> usize {
    if c.flags & flags::MASTER != 0 {
        TYPE_MASTER
    } else if c.flags & flags::REPLICA != 0 && c.flags & flags::MONITOR == 0 {
        TYPE_REPLICA
    } else if crate::pubsub::is_subscriber(c) {
        TYPE_PUBSUB
    } else {
        TYPE_NORMAL
    }
}

/// The eviction threshold in bytes, 0 when client eviction is off
/// (getClientEvictionLimit): `maxmemory-clients` is bytes, or `-N` for N
/// percent of `maxmemory` (off while maxmemory is 0).
pub fn eviction_limit(srv: &Server) -> usize {
    let setting = srv.cfg.maxmemory_clients;
    let limit = if setting < 0 {
        if srv.cfg.maxmemory == 0 {
            return 0;
        }
        (srv.cfg.maxmemory as f64 * (-setting) as f64 / 100.0) as usize
    } else if setting > 0 {
        setting as usize
    } else {
        return 0;
    };
    limit.max(MIN_EVICTION_LIMIT)
}

/// clientEvictionAllowed: eviction is on, and this is a normal or pub/sub
/// client that did not ask for CLIENT NO-EVICT.
fn eviction_allowed(srv: &Server, c: &Client) -> bool {
    srv.cfg.maxmemory_clients != 0
        && c.flags & flags::NO_EVICT == 0
        && matches!(client_type(c), TYPE_NORMAL | TYPE_PUBSUB)
}

fn slot_of(c: &Client) -> usize {
    c.token - CLIENT_TOKEN_BASE
}

/// Re-measure `c` and re-file it (updateClientMemUsageAndBucket). Called
/// whenever its buffers may have changed; a no-op while client eviction is
/// off, so the hot path pays one comparison then. Returns whether `c` may
/// be evicted.
#[inline]
pub fn update(srv: &mut Server, c: &Client) -> bool {
    if !srv.client_mem.active {
        return false;
    }
    update_slow(srv, c)
}

fn update_slow(srv: &mut Server, c: &Client) -> bool {
    let slot = slot_of(c);
    if c.flags & flags::CLOSE_ASAP != 0 {
        // Already on its way out (evicted, killed, over its output limit,
        // with its output dropped): counting it would evict another.
        srv.client_mem.forget(slot);
        return false;
    }
    if !eviction_allowed(srv, c) {
        srv.client_mem.unbucket(slot);
        return false;
    }
    srv.client_mem
        .set_usage(slot, client_type(c), c.memory_usage());
    srv.client_mem.rebucket(slot);
    true
}

/// `update` for a client in the table, by slot.
pub fn update_slot(srv: &mut Server, slot: usize) {
    if !srv.client_mem.active {
        return;
    }
    if let Some(Some(c)) = srv.clients.get_mut(slot).map(|c| c.take()) {
        update_slow(srv, &c);
        srv.clients[slot] = Some(c);
    }
}

/// Measure `c` for the per-type totals without filing it in a bucket
/// (clients that may not be evicted, once a cron tick).
fn record(srv: &mut Server, c: &Client) {
    if c.flags & flags::CLOSE_ASAP != 0 {
        srv.client_mem.forget(slot_of(c));
        return;
    }
    srv.client_mem
        .set_usage(slot_of(c), client_type(c), c.memory_usage());
}

/// Cron's pass over one client: re-file it if it may be evicted, else
/// just measure it so INFO stays current.
pub fn cron_client(srv: &mut Server, c: &Client) {
    if !update(srv, c) {
        record(srv, c);
    }
}

/// CLIENT NO-EVICT ON: the client leaves its bucket at once.
pub fn exempt(srv: &mut Server, c: &Client) {
    srv.client_mem.unbucket(slot_of(c));
}

/// Keep the buckets in step with `maxmemory-clients` going from 0 to
/// non-zero or back (applyClientMaxMemoryUsage): re-file every client in
/// the table once. Checked before each eviction round, so CONFIG SET needs
/// no hook of its own; the running client is re-filed after its command.
fn sync_active(srv: &mut Server) {
    let want = srv.cfg.maxmemory_clients != 0;
    if want == srv.client_mem.active {
        return;
    }
    srv.client_mem.active = want;
    let slots: Vec<usize> = srv.client_slots().collect();
    for slot in slots {
        if want {
            update_slot(srv, slot);
        } else {
            srv.client_mem.unbucket(slot);
        }
    }
}

/// evictClients: while normal and pub/sub clients together use at least
/// the limit, close the biggest evictable clients, from the highest bucket
/// down. `running` is the client whose command is about to run (it is out
/// of the client table); if it is chosen it is marked to close without a
/// reply and true is returned, so the caller drops its command.
#[inline]
pub fn evict_clients(srv: &mut Server, running: Option<&mut Client>) -> bool {
    if !srv.client_mem.active && srv.cfg.maxmemory_clients == 0 {
        return false; // off, and nothing to undo
    }
    evict_clients_slow(srv, running)
}

fn evict_clients_slow(srv: &mut Server, mut running: Option<&mut Client>) -> bool {
    sync_active(srv);
    if !srv.client_mem.active {
        return false;
    }
    let limit = eviction_limit(srv);
    if limit == 0 || srv.client_mem.evictable_type_memory() < limit {
        return false;
    }
    let running_slot = running.as_deref().map_or(usize::MAX, slot_of);
    let mut evicted_self = false;
    // Slots out of the table for now (another command's client) are
    // stepped over; `skip` counts them in the current bucket.
    let (mut bucket, mut skip) = (BUCKETS - 1, 0);
    while srv.client_mem.evictable_type_memory() >= limit {
        let Some((b, slot)) = srv.client_mem.biggest_from(bucket, skip) else {
            warn!("Over client maxmemory after evicting all evictable clients");
            break;
        };
        if b != bucket {
            bucket = b;
            skip = 0;
        }
        let mut ci = String::new();
        if slot == running_slot {
            if let Some(c) = running.as_deref_mut() {
                c.info_string(srv.unixtime, &mut ci);
                info!("Evicting client: {ci}");
                close_running(srv, c);
            }
            srv.client_mem.forget(slot);
            evicted_self = true;
        } else if let Some(Some(c)) = srv.clients.get(slot) {
            c.info_string(srv.unixtime, &mut ci);
            info!("Evicting client: {ci}");
            srv.free_client(slot);
            // free_client forgets the slot; make sure even if it did not.
            srv.client_mem.forget(slot);
        } else {
            skip += 1;
            continue;
        }
        srv.client_mem.evicted_clients += 1;
    }
    evicted_self
}

/// Close the running client as soon as its command is dropped: nothing
/// more is written to it, and the write pass frees it even if the code
/// that called the command does not.
fn close_running(srv: &mut Server, c: &mut Client) {
    c.flags |= flags::CLOSE_ASAP;
    c.out.clear();
    c.sent = 0;
    if c.flags & flags::PENDING_WRITE == 0 {
        c.flags |= flags::PENDING_WRITE;
        srv.pending_writes.push(slot_of(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_log2_and_clamped() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(32 * 1024 - 1), 0);
        assert_eq!(bucket_of(32 * 1024), 1);
        assert_eq!(bucket_of(64 * 1024 - 1), 1);
        assert_eq!(bucket_of(64 * 1024), 2);
        assert_eq!(bucket_of(1 << 32), BUCKETS - 1);
        assert_eq!(bucket_of(usize::MAX), BUCKETS - 1);
    }

    #[test]
    fn type_totals_follow_measurements() {
        let mut m = ClientMem::default();
        m.set_usage(3, TYPE_NORMAL, 100);
        m.set_usage(5, TYPE_PUBSUB, 50);
        m.set_usage(7, TYPE_MASTER, 10);
        assert_eq!(m.evictable_type_memory(), 150);
        assert_eq!(m.normal_clients_memory(), 160);
        // A client changing type moves its bytes with it.
        m.set_usage(3, TYPE_PUBSUB, 120);
        assert_eq!(m.type_mem[TYPE_NORMAL], 0);
        assert_eq!(m.type_mem[TYPE_PUBSUB], 170);
        m.forget(5);
        m.forget(99);
        assert_eq!(m.evictable_type_memory(), 120);
    }

    #[test]
    fn rebucketing_keeps_positions_consistent() {
        let mut m = ClientMem::default();
        for (slot, mem) in [(0, 40_000), (1, 50_000), (2, 60_000), (3, 1 << 20)] {
            m.set_usage(slot, TYPE_NORMAL, mem);
            m.rebucket(slot);
        }
        assert_eq!(m.bucket_summary()[1], (3, 150_000));
        // Removing the first of a bucket moves the last into its place.
        m.unbucket(0);
        assert_eq!(m.buckets[1], vec![2, 1]);
        assert_eq!(m.entries[2].pos, 0);
        assert_eq!(m.entries[1].pos, 1);
        // Growing moves a client up; the biggest is found first.
        m.set_usage(1, TYPE_NORMAL, 3 << 20);
        m.rebucket(1);
        assert_eq!(m.biggest_from(BUCKETS - 1, 0), Some((7, 1)));
        assert_eq!(m.biggest_from(7, 1), Some((6, 3)));
        m.forget(1);
        m.forget(3);
        assert_eq!(m.biggest_from(BUCKETS - 1, 0), Some((1, 2)));
        m.forget(2);
        assert_eq!(m.biggest_from(BUCKETS - 1, 0), None);
        assert_eq!(m.evictable_type_memory(), 40_000);
    }
}
