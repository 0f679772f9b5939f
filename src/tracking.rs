//! Client-side caching: remembering which clients may hold which keys, and
//! telling them when those keys change (Redis' tracking.c).
//!
//! Two modes, as in Redis:
//! * default (optionally OPTIN/OPTOUT): after a read-only command, the keys
//!   it read are remembered in the tracking table (key -> client ids). A
//!   change to a key sends every id in its entry one invalidation, and the
//!   entry is dropped: a client must read the key again to hear of the next
//!   change.
//! * BCAST: a client subscribes to key prefixes (the empty prefix matches
//!   everything). Changed keys are collected per prefix and sent once per
//!   event loop iteration, from `before_sleep` (`broadcast_pending`).
//!
//! An invalidation is a RESP3 push `>2 invalidate [keys]`, or, for a client
//! that redirects to a RESP2 connection in Pub/Sub mode, a `message` on
//! `__redis__:invalidate`; a null instead of the key array means "every key"
//! (FLUSHDB/FLUSHALL). If the redirect client is gone, a RESP3 tracking
//! client is sent `tracking-redir-broken` instead.
//!
//! Where messages go, and when: the client running a command is out of the
//! client table while it runs, and a client being served after a blocking
//! wait is out of it too. A message for a client that cannot be reached right
//! now waits in `Tracking::pending` and is sent at the next settling point:
//! the end of the top-level `call()`, the end of `process_command`, or
//! `before_sleep`. Messages for the running client caused by its own command
//! always wait for the end of the top-level call, so they follow its reply
//! (and a transaction's whole reply), as in Redis 7.0.15
//! (tracking_pending_keys).
//!
//! Invariants:
//! * `members` holds exactly the clients with `flags::TRACKING`, each with
//!   its slot and a copy of the options invalidation needs (`bcast`,
//!   `noloop`); `Client::tracking` is `Some` exactly for those clients.
//! * `total_items` is the number of ids over all table entries.
//! * every id in a prefix's `clients` is a BCAST member with that prefix in
//!   its own `ClientTracking::prefixes`, and no prefix has zero clients.
//! * the table may hold ids of clients that turned tracking off or left:
//!   they are skipped when found, as Redis does, instead of scanning the
//!   table when a client leaves.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bytes::Bytes;

use crate::db::dict::Dict;
use crate::errors::CmdError;
use crate::net::client::{flags, Client};
use crate::server::{Server, CLIENT_TOKEN_BASE};
use crate::types::key::Key;

/// The Pub/Sub channel RESP2 redirect clients receive invalidations on.
pub const CHANNEL: &[u8] = b"__redis__:invalidate";

/// The ids of the clients that may cache one key: almost always one, so
/// that case costs no allocation; more are kept sorted in an exact-size
/// slice (binary search on insert, connection order when sending). 16 bytes
/// either way.
#[derive(Debug)]
enum Ids {
    One(u64),
    Many(Box<[u64]>),
}

impl Ids {
    /// Add `id`; false if it was there already.
    fn insert(&mut self, id: u64) -> bool {
        match self {
            Ids::One(x) if *x == id => false,
            Ids::One(x) => {
                let (a, b) = if *x < id { (*x, id) } else { (id, *x) };
                *self = Ids::Many(Box::new([a, b]));
                true
            }
            Ids::Many(v) => match v.binary_search(&id) {
                Ok(_) => false,
                Err(i) => {
                    let mut grown = Vec::with_capacity(v.len() + 1);
                    grown.extend_from_slice(&v[..i]);
                    grown.push(id);
                    grown.extend_from_slice(&v[i..]);
                    *v = grown.into_boxed_slice();
                    true
                }
            },
        }
    }

    fn as_slice(&self) -> &[u64] {
        match self {
            Ids::One(x) => std::slice::from_ref(x),
            Ids::Many(v) => v,
        }
    }
}

/// What invalidation needs to know of a tracking client without reaching
/// the client itself (it may be the one running a command).
#[derive(Clone, Copy, Debug)]
struct Member {
    slot: usize,
    bcast: bool,
    noloop: bool,
}

/// One prefix of the BCAST clients (Redis' bcastState).
#[derive(Default, Debug)]
struct Bcast {
    /// Keys changed since the last broadcast, sorted, each with the id of
    /// the client that changed it last (0 when no client did: expiry), so
    /// that NOLOOP clients are not told of their own changes.
    keys: BTreeMap<Box<[u8]>, u64>,
    /// Ids of the clients subscribed to the prefix.
    clients: Vec<u64>,
}

/// A message waiting for its client to be reachable.
#[derive(Debug)]
enum Pending {
    Key(Box<[u8]>),
    /// Every key (a flush).
    Null,
    /// A ready array of keys (a broadcast).
    Proto(Box<[u8]>),
}

/// The value part of an invalidation, borrowed while it is sent.
#[derive(Clone, Copy)]
enum Msg<'a> {
    Key(&'a [u8]),
    Null,
    Proto(&'a [u8]),
}

impl Pending {
    fn msg(&self) -> Msg<'_> {
        match self {
            Pending::Key(k) => Msg::Key(k),
            Pending::Null => Msg::Null,
            Pending::Proto(p) => Msg::Proto(p),
        }
    }

    fn of(m: Msg) -> Pending {
        match m {
            Msg::Key(k) => Pending::Key(k.into()),
            Msg::Null => Pending::Null,
            Msg::Proto(p) => Pending::Proto(p.into()),
        }
    }
}

/// Server-wide tracking state (Redis' TrackingTable, PrefixTable and
/// counters).
pub struct Tracking {
    /// Client id -> what invalidation needs of it, for every client with
    /// tracking on (`tracking_clients` is its size).
    members: HashMap<u64, Member>,
    /// Key -> ids of the clients that read it (default mode only).
    table: Dict<Key, Ids>,
    /// Ids over all entries of `table` (INFO tracking_total_items).
    total_items: u64,
    /// Prefix -> its BCAST clients and the keys changed under it.
    prefixes: BTreeMap<Bytes, Bcast>,
    /// Some prefix collected a key since the last broadcast.
    bcast_dirty: bool,
    /// Messages for clients that could not be reached when they were made
    /// (see the file header), with the id of their tracking client.
    pending: Vec<(u64, Pending)>,
    /// Depth of nested `call()`s (EXEC runs its commands through call()).
    pub call_depth: u32,
    /// Consecutive `limit_used_slots` runs that stayed over the limit: the
    /// next run works that much harder.
    evict_rounds: u32,
}

impl Default for Tracking {
    fn default() -> Self {
        Tracking {
            members: HashMap::new(),
            table: Dict::new(),
            total_items: 0,
            prefixes: BTreeMap::new(),
            bcast_dirty: false,
            pending: Vec::new(),
            call_depth: 0,
            evict_rounds: 0,
        }
    }
}

impl Tracking {
    /// Clients with tracking on (INFO tracking_clients).
    pub fn clients(&self) -> usize {
        self.members.len()
    }

    /// Keys in the tracking table (INFO tracking_total_keys).
    pub fn total_keys(&self) -> usize {
        self.table.len()
    }

    /// Client ids over all keys (INFO tracking_total_items).
    pub fn total_items(&self) -> u64 {
        self.total_items
    }

    /// BCAST prefixes (INFO tracking_total_prefixes).
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }

    /// Nothing could need an invalidation: the cheap test every write makes.
    #[inline]
    fn is_idle(&self) -> bool {
        self.table.is_empty() && self.prefixes.is_empty()
    }

    /// Messages are waiting for a settling point.
    #[inline]
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// A client's tracking options (the CLIENT_TRACKING_* flags of Redis'
/// client, its redirection and its BCAST prefixes).
#[derive(Default, Debug)]
pub struct ClientTracking {
    /// Id of the client that receives our invalidations (0: ourselves).
    pub redirect: u64,
    /// Slot of the redirect client when tracking was turned on (checked
    /// against its id before each use: slots are reused).
    redirect_slot: usize,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING yes (OPTIN) / no (OPTOUT) for the next command.
    pub caching: bool,
    /// The redirect client was found gone.
    pub broken_redirect: bool,
    /// BCAST prefixes, sorted as Redis lists them.
    pub prefixes: BTreeSet<Bytes>,
}

/// Options of CLIENT TRACKING ON.
#[derive(Default, Clone, Copy, Debug)]
pub struct Options {
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
}

// ---------------------------------------------------------------------------
// Turning tracking on and off
// ---------------------------------------------------------------------------

/// The slot of the client with `id`, the caller included
/// (lookupClientByID); None if no such client is connected.
pub fn find_client(srv: &Server, caller: &Client, id: i64) -> Option<usize> {
    if id <= 0 {
        return None;
    }
    if caller.id as i64 == id {
        return Some(caller.token - CLIENT_TOKEN_BASE);
    }
    srv.clients
        .iter()
        .position(|c| c.as_ref().is_some_and(|c| c.id as i64 == id))
}

/// Refuse BCAST prefixes that overlap each other or one the client already
/// has (checkPrefixCollisionsOrReply): two overlapping prefixes would send
/// the same key twice.
pub fn check_prefix_collisions(c: &Client, prefixes: &[Bytes]) -> Result<(), CmdError> {
    let overlap = |a: &[u8], b: &[u8]| {
        let n = a.len().min(b.len());
        a[..n] == b[..n]
    };
    for (i, p) in prefixes.iter().enumerate() {
        if let Some(t) = c.tracking.as_ref() {
            if let Some(old) = t.prefixes.iter().find(|old| overlap(old, p)) {
                return Err(CmdError::owned(format!(
                    "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                    printable(p),
                    printable(old)
                )));
            }
        }
        if let Some(q) = prefixes[i + 1..].iter().find(|q| overlap(p, q)) {
            // (Redis 7.0.15 may send this error and then +OK as well when
            // the overlap is not with the first prefix; we send the error.)
            return Err(CmdError::owned(format!(
                "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                printable(p),
                printable(q)
            )));
        }
    }
    Ok(())
}

/// A prefix as Redis prints it in an error: up to a NUL (a C string), with
/// newlines made spaces so the error stays one line.
fn printable(b: &[u8]) -> String {
    let end = b.iter().position(|&x| x == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).replace(['\r', '\n'], " ")
}

/// Turn tracking on, or change its options (enableTracking). The caller
/// checked the options (CLIENT TRACKING's rules); `redirect_slot` is where
/// `redirect` was found.
pub fn enable(
    srv: &mut Server,
    c: &mut Client,
    redirect: u64,
    redirect_slot: usize,
    opts: Options,
    prefixes: &[Bytes],
) {
    c.flags |= flags::TRACKING;
    let id = c.id;
    let t = c.tracking.get_or_insert_with(Default::default);
    // The mode flags start afresh; CACHING and the prefixes stay.
    t.broken_redirect = false;
    t.redirect = redirect;
    t.redirect_slot = redirect_slot;
    t.bcast = opts.bcast;
    t.optin = opts.optin;
    t.optout = opts.optout;
    t.noloop = opts.noloop;
    if opts.bcast {
        if prefixes.is_empty() {
            add_prefix(&mut srv.tracking, id, t, Bytes::new());
        }
        for p in prefixes {
            add_prefix(&mut srv.tracking, id, t, p.clone());
        }
    }
    let member = Member {
        slot: c.token - CLIENT_TOKEN_BASE,
        bcast: t.bcast,
        noloop: t.noloop,
    };
    srv.tracking.members.insert(id, member);
}

/// Subscribe client `id` to a BCAST prefix (enableBcastTrackingForPrefix).
fn add_prefix(tr: &mut Tracking, id: u64, t: &mut ClientTracking, prefix: Bytes) {
    let b = tr.prefixes.entry(prefix.clone()).or_default();
    if !b.clients.contains(&id) {
        b.clients.push(id);
        t.prefixes.insert(prefix);
    }
}

/// Turn tracking off (disableTracking): leave the BCAST prefixes. The
/// client's ids in the table are left for invalidation to skip.
pub fn disable(srv: &mut Server, c: &mut Client) {
    c.flags &= !flags::TRACKING;
    let Some(t) = c.tracking.take() else {
        return;
    };
    let tr = &mut srv.tracking;
    for p in &t.prefixes {
        if let Some(b) = tr.prefixes.get_mut(p) {
            b.clients.retain(|&x| x != c.id);
            if b.clients.is_empty() {
                tr.prefixes.remove(p);
            }
        }
    }
    tr.members.remove(&c.id);
}

// ---------------------------------------------------------------------------
// Remembering keys
// ---------------------------------------------------------------------------

/// After command `id` ran for `c`: if it only reads, remember the keys it
/// named for `c` (trackingRememberKeys), unless OPTIN without CACHING yes
/// or OPTOUT with CACHING no says otherwise. Called by call() for clients
/// with tracking on.
pub fn remember_keys(srv: &mut Server, c: &Client, id: crate::commands::CmdId) {
    let Some(t) = c.tracking.as_ref() else {
        return;
    };
    if t.bcast || (t.optin && !t.caching) || (t.optout && t.caching) {
        return;
    }
    let cmd = srv.commands.get(id);
    // Shard channels look like keys in the key specs but are not cached.
    if cmd.flags & crate::commands::spec::CMD_READONLY == 0
        || cmd.flags & crate::commands::spec::CMD_PUBSUB != 0
    {
        return;
    }
    let keys = crate::commands::spec::keys_legacy(cmd.spec, &c.argv);
    let tr = &mut srv.tracking;
    for (pos, _) in keys {
        let Some(key) = c.argv.get(pos) else {
            continue;
        };
        let (ids, inserted) = tr
            .table
            .get_or_insert_with(key, || (Key::new(key), Ids::One(c.id)));
        if inserted || ids.insert(c.id) {
            tr.total_items += 1;
        }
    }
}

/// The CACHING flag lasts for one command, or one whole transaction
/// (resetClient): cleared after a command other than CLIENT, outside MULTI.
pub fn after_command(c: &mut Client, was_client_cmd: bool) {
    if c.flags & flags::MULTI != 0 || was_client_cmd {
        return;
    }
    if let Some(t) = c.tracking.as_mut() {
        t.caching = false;
    }
}

// ---------------------------------------------------------------------------
// Invalidation
// ---------------------------------------------------------------------------

/// A key changed (trackingInvalidateKey, called from signal_modified_key):
/// tell the clients that read it, and with `bcast` queue it for the BCAST
/// prefixes it falls under. The change is the running client's.
#[inline]
pub fn invalidate_key(srv: &mut Server, key: &[u8], bcast: bool) {
    if srv.tracking.is_idle() {
        return;
    }
    let by = srv.exec_client_id;
    invalidate(srv, &mut None, key, bcast, by);
}

/// `invalidate_key` for a change no client made (signalModifiedKey with a
/// NULL client: expiry, eviction): NOLOOP BCAST clients hear of it even
/// when their own command found the key expired.
pub fn invalidate_key_no_client(srv: &mut Server, key: &[u8]) {
    if srv.tracking.is_idle() {
        return;
    }
    invalidate(srv, &mut None, key, true, 0);
}

fn invalidate(srv: &mut Server, cur: &mut Option<&mut Client>, key: &[u8], bcast: bool, by: u64) {
    if bcast && !srv.tracking.prefixes.is_empty() {
        remember_for_broadcast(&mut srv.tracking, key, by);
    }
    let Some((_, ids)) = srv.tracking.table.remove(key) else {
        return;
    };
    srv.tracking.total_items -= ids.as_slice().len() as u64;
    let running = srv.exec_client_id;
    for &id in ids.as_slice() {
        // Ids of clients gone, or no longer in default mode, are stale.
        let Some(m) = srv.tracking.members.get(&id) else {
            continue;
        };
        if m.bcast || (m.noloop && id == running) {
            continue;
        }
        // The running client's own changes are told after its reply.
        if id == running && srv.tracking.call_depth > 0 {
            srv.tracking.pending.push((id, Pending::Key(key.into())));
            continue;
        }
        send_or_defer(srv, cur, id, Msg::Key(key));
    }
}

/// Note `key` under every BCAST prefix it starts with
/// (trackingRememberKeyToBroadcast).
fn remember_for_broadcast(tr: &mut Tracking, key: &[u8], by: u64) {
    for (prefix, b) in tr.prefixes.iter_mut() {
        if key.starts_with(prefix) {
            match b.keys.get_mut(key) {
                Some(v) => *v = by,
                None => {
                    b.keys.insert(key.into(), by);
                }
            }
            tr.bcast_dirty = true;
        }
    }
}

/// FLUSHDB / FLUSHALL (trackingInvalidateKeysOnFlush): every tracking
/// client, BCAST ones included, is sent a null ("every key"), and the table
/// is emptied. The running client hears of it after its reply.
pub fn invalidate_on_flush(srv: &mut Server, _lazy: bool) {
    if !srv.tracking.members.is_empty() {
        let mut ids: Vec<u64> = srv.tracking.members.keys().copied().collect();
        ids.sort_unstable(); // connection order, as Redis walks its clients
        let running = srv.exec_client_id;
        for id in ids {
            if id == running {
                srv.tracking.pending.push((id, Pending::Null));
            } else {
                send_or_defer(srv, &mut None, id, Msg::Null);
            }
        }
    }
    // The old table goes at once: dropping it is a walk over its entries,
    // as Redis' synchronous free is.
    srv.tracking.table = Dict::new();
    srv.tracking.total_items = 0;
}

/// Send the keys collected for each BCAST prefix since the last call
/// (trackingBroadcastInvalidationMessages); once per loop iteration, from
/// before_sleep. Also delivers what still waits for a settling point.
pub fn broadcast_pending(srv: &mut Server) {
    if srv.tracking.has_pending() {
        flush_pending(srv, &mut None);
    }
    if !std::mem::take(&mut srv.tracking.bcast_dirty) {
        return;
    }
    let mut work = Vec::new();
    for b in srv.tracking.prefixes.values_mut() {
        if !b.keys.is_empty() {
            work.push((std::mem::take(&mut b.keys), b.clients.clone()));
        }
    }
    for (keys, clients) in work {
        let proto = build_key_array(&keys, None);
        for id in clients {
            let noloop = srv.tracking.members.get(&id).is_some_and(|m| m.noloop);
            // Between commands every client is in the table: send settles.
            if noloop {
                // Its own changes are left out; nothing left, nothing sent.
                if let Some(own) = build_key_array(&keys, Some(id)) {
                    send(srv, &mut None, id, Msg::Proto(&own), true);
                }
            } else if let Some(p) = proto.as_deref() {
                send(srv, &mut None, id, Msg::Proto(p), true);
            }
        }
    }
}

/// The RESP array of `keys` (always `*`, also inside a RESP3 push),
/// leaving out those last changed by `except`; None if that leaves none
/// (trackingBuildBroadcastReply).
fn build_key_array(keys: &BTreeMap<Box<[u8]>, u64>, except: Option<u64>) -> Option<Vec<u8>> {
    let kept = |by: &u64| except.is_none_or(|e| *by != e);
    let n = keys.values().filter(|b| kept(b)).count();
    if n == 0 {
        return None;
    }
    let mut out = Vec::with_capacity(16 + n * 16);
    header(&mut out, b'*', n);
    for (k, by) in keys {
        if kept(by) {
            bulk(&mut out, k);
        }
    }
    Some(out)
}

/// Keep the table within `tracking-table-max-keys` (trackingLimitUsedSlots):
/// forget random keys, telling their clients as if the keys had changed,
/// with more effort each time a run could not get under the limit. Called
/// before each command while clients track (with that command's client in
/// hand, which hears of its keys at once, before the command's reply) and
/// from cron.
pub fn limit_used_slots(srv: &mut Server, cur: Option<&mut Client>) {
    let max = srv.cfg.tracking_table_max_keys;
    if max == 0 {
        return;
    }
    if srv.tracking.table.len() <= max {
        srv.tracking.evict_rounds = 0;
        return;
    }
    let mut cur = cur;
    let mut effort = 100 * (srv.tracking.evict_rounds as u64 + 1);
    while effort > 0 {
        effort -= 1;
        let Some(key) = srv
            .tracking
            .table
            .random_entry()
            .map(|(k, _)| k.as_bytes().to_vec())
        else {
            break;
        };
        invalidate(srv, &mut cur, &key, false, 0);
        if srv.tracking.table.len() <= max {
            srv.tracking.evict_rounds = 0;
            return;
        }
    }
    srv.tracking.evict_rounds += 1;
}

/// Cron's share: the table limit (so a CONFIG SET takes effect on an idle
/// server) and giving back the memory of a table that shrank.
pub fn cron(srv: &mut Server) {
    if !srv.tracking.members.is_empty() {
        limit_used_slots(srv, None);
    }
    if srv.tracking.table.needs_shrink() {
        srv.tracking.table.shrink_to_fit();
    }
}

// ---------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------

/// Where a client is right now.
#[derive(Clone, Copy)]
enum At {
    /// The client in the caller's hands (the one running a command).
    Cur,
    /// In the client table.
    Slot(usize),
}

enum Found {
    Here(At),
    /// Out of the table for now (running, or being served after a blocking
    /// wait): try again at the next settling point.
    Away,
    Gone,
}

/// Find client `id`, last seen in `slot`. With `settle`, every client is
/// reachable (the running one is `cur`), so one not found is gone.
fn locate(srv: &Server, cur: Option<&Client>, id: u64, slot: usize, settle: bool) -> Found {
    if cur.is_some_and(|c| c.id == id) {
        return Found::Here(At::Cur);
    }
    if id == srv.exec_client_id {
        return if settle { Found::Gone } else { Found::Away };
    }
    match srv.clients.get(slot) {
        Some(Some(c)) if c.id == id => Found::Here(At::Slot(slot)),
        Some(None) if !settle && slot != srv.exec_slot => Found::Away,
        _ => Found::Gone,
    }
}

fn client_at<'a>(
    srv: &'a mut Server,
    cur: &'a mut Option<&mut Client>,
    at: At,
) -> Option<&'a mut Client> {
    match at {
        At::Cur => cur.as_deref_mut(),
        At::Slot(s) => srv.clients.get_mut(s).and_then(|c| c.as_deref_mut()),
    }
}

/// Append protocol bytes to a client's output (pushes ignore CLIENT REPLY
/// OFF/SKIP, as Redis' CLIENT_PUSHING does).
fn write_to(srv: &mut Server, cur: &mut Option<&mut Client>, at: At, bytes: &[u8]) {
    match at {
        At::Cur => {
            if let Some(c) = cur.as_deref_mut() {
                c.out.extend_from_slice(bytes);
            }
        }
        At::Slot(s) => crate::pubsub::send_raw(srv, s, bytes),
    }
}

fn send_or_defer(srv: &mut Server, cur: &mut Option<&mut Client>, id: u64, msg: Msg) {
    if !send(srv, cur, id, msg, false) {
        srv.tracking.pending.push((id, Pending::of(msg)));
    }
}

/// Deliver what waits for a settling point (trackingHandlePendingKeyInvalidations).
/// `cur` is the running client, if any; every other client must be in the
/// table.
pub fn flush_pending(srv: &mut Server, cur: &mut Option<&mut Client>) {
    let list = std::mem::take(&mut srv.tracking.pending);
    for (id, p) in &list {
        send(srv, cur, *id, p.msg(), true);
    }
}

/// End of the top-level call() or of process_command: what waits goes out,
/// after the reply.
pub fn settle(srv: &mut Server, c: &mut Client) {
    flush_pending(srv, &mut Some(c));
}

/// Send one invalidation for tracking client `id` (sendTrackingMessage):
/// to its redirect client or to itself, framed for the receiver's
/// protocol. Returns false, without sending, when a client it needs is out
/// of reach for now (never with `settle`).
fn send(srv: &mut Server, cur: &mut Option<&mut Client>, id: u64, msg: Msg, settle: bool) -> bool {
    // Tracking turned off, or the client left, since: nothing to say.
    let Some(m) = srv.tracking.members.get(&id).copied() else {
        return true;
    };
    let at = match locate(srv, cur.as_deref(), id, m.slot, settle) {
        Found::Here(at) => at,
        Found::Away => return false,
        Found::Gone => return true,
    };
    let Some(c) = client_at(srv, cur, at) else {
        return true;
    };
    let resp3 = c.resp == 3;
    let Some((redirect, rslot)) = c.tracking.as_ref().map(|t| (t.redirect, t.redirect_slot)) else {
        return true;
    };
    let mut dest = at;
    if redirect != 0 {
        match locate(srv, cur.as_deref(), redirect, rslot, settle) {
            Found::Here(r) => dest = r,
            Found::Away => return false,
            Found::Gone => {
                if let Some(t) = client_at(srv, cur, at).and_then(|c| c.tracking.as_mut()) {
                    t.broken_redirect = true;
                }
                // Only a RESP3 connection can be told so in band.
                if resp3 {
                    let mut out = Vec::with_capacity(48);
                    out.extend_from_slice(b">2\r\n$21\r\ntracking-redir-broken\r\n:");
                    out.extend_from_slice(redirect.to_string().as_bytes());
                    out.extend_from_slice(b"\r\n");
                    write_to(srv, cur, at, &out);
                }
                return true;
            }
        }
    }
    let Some(d) = client_at(srv, cur, dest) else {
        return true;
    };
    let mut out = Vec::with_capacity(64);
    if d.resp == 3 {
        out.extend_from_slice(b">2\r\n$10\r\ninvalidate\r\n");
    } else if redirect != 0 && crate::pubsub::is_subscriber(d) {
        out.extend_from_slice(b"*3\r\n$7\r\nmessage\r\n");
        bulk(&mut out, CHANNEL);
    } else {
        // A RESP2 connection without a Pub/Sub redirect has no way to
        // receive it.
        return true;
    }
    match msg {
        Msg::Key(k) => {
            out.extend_from_slice(b"*1\r\n");
            bulk(&mut out, k);
        }
        // Null in the tracking client's protocol, as Redis sends it.
        Msg::Null => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"$-1\r\n" }),
        Msg::Proto(p) => out.extend_from_slice(p),
    }
    write_to(srv, cur, dest, &out);
    true
}

fn header(out: &mut Vec<u8>, tag: u8, n: usize) {
    out.push(tag);
    out.extend_from_slice(n.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut Vec<u8>, b: &[u8]) {
    header(out, b'$', b.len());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_sorted_without_duplicates() {
        let mut ids = Ids::One(7);
        assert!(!ids.insert(7));
        assert!(ids.insert(3));
        assert!(ids.insert(5));
        assert!(!ids.insert(5));
        assert!(ids.insert(9));
        assert_eq!(ids.as_slice(), &[3, 5, 7, 9]);
    }

    #[test]
    fn broadcast_array_leaves_out_the_clients_own_changes() {
        let mut keys = BTreeMap::new();
        keys.insert(b"b".to_vec().into_boxed_slice(), 4);
        keys.insert(b"a".to_vec().into_boxed_slice(), 0);
        assert_eq!(
            build_key_array(&keys, None).unwrap(),
            b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        assert_eq!(
            build_key_array(&keys, Some(4)).unwrap(),
            b"*1\r\n$1\r\na\r\n"
        );
        keys.remove(&b"a"[..]);
        assert!(build_key_array(&keys, Some(4)).is_none());
    }

    #[test]
    fn printable_prefix_stops_at_nul_and_drops_newlines() {
        assert_eq!(printable(b"ab\r\ncd\0ef"), "ab  cd");
    }
}
