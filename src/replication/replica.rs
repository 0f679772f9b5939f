//! The replica side of replication (replication.c: replicationSetMaster,
//! replicationUnsetMaster, the tail of readSyncBulkPayload,
//! replicationCreateMasterClient, replicationCacheMaster and friends, the
//! replica half of replicationCron, replicationSendAck, roleCommand and
//! INFO replication).
//!
//! States: no master; `Connect` (a master is set, no link: cron or a lost
//! connection starts one); `Linking` (the `link::MasterLink` handshakes and
//! transfers); `Connected` (the link became the master client, whose
//! commands are applied and whose bytes are counted as our offset and
//! passed on to our own replicas and backlog, unchanged).
//!
//! Invariant while connected: `srv.repl.master_repl_offset` equals the
//! master client's `reploff` (both count every stream byte applied).

use log::{info, warn};

use super::link::{LinkParams, MasterLink, Payload, Step};
use crate::net::client::Client;
use crate::server::{Server, MASTER_LINK_TOKEN};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LinkState {
    /// Not a replica.
    #[default]
    None,
    /// A master is set but no link is up.
    Connect,
    /// Handshake or transfer in progress.
    Linking,
    /// Applying the master's stream.
    Connected,
}

/// The state of a disconnected master we may continue with (PSYNC).
#[derive(Clone, Debug)]
pub struct CachedMaster {
    pub replid: String,
    pub offset: i64,
    pub db: usize,
}

#[derive(Default)]
pub struct ReplicaSide {
    pub master: Option<(String, u16)>,
    pub state: LinkState,
    pub link: Option<MasterLink>,
    /// Slot of the master client while connected.
    pub master_slot: Option<usize>,
    pub cached: Option<CachedMaster>,
    /// What +FULLRESYNC announced, applied once the payload is loaded.
    pub full_sync: Option<(String, i64)>,
    /// Unix seconds the link went down (0: never was up).
    pub down_since: i64,
    /// The running command came from the master (no replies, no expiry).
    pub executing_master: bool,
    /// The running master command must be answered (REPLCONF GETACK).
    pub force_reply: bool,
    /// A snapshot is being loaded straight from the master's socket.
    pub socket_load: Option<super::socket_load::SocketProgress>,
    /// The master predates PSYNC (it was synced with SYNC): it knows no
    /// offsets, so it gets no REPLCONF ACKs (Redis' CLIENT_PRE_PSYNC).
    pub pre_psync: bool,
}

impl ReplicaSide {
    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    pub fn is_connected(&self) -> bool {
        self.state == LinkState::Connected
    }
}

/// The db a snapshot records as the stream's current one (repl-stream-db).
pub fn stream_db(srv: &Server) -> usize {
    if srv.repl.replica.is_replica() {
        if let Some(c) = master_client(srv) {
            return c.db;
        }
    }
    srv.repl.seldb.max(0) as usize
}

fn master_client(srv: &Server) -> Option<&Client> {
    let s = srv.repl.replica.master_slot?;
    srv.clients.get(s)?.as_deref()
}

/// replicationSetMaster: follow `host:port` from now on.
pub fn set_master(srv: &mut Server, host: String, port: u16) {
    let was_master = !srv.repl.replica.is_replica();
    srv.repl.replica.master = None;
    if let Some(s) = srv.repl.replica.master_slot {
        srv.free_client(s);
    }
    // Clients blocked while we were a master.
    crate::blocking::disconnect_all_blocked(srv);
    srv.repl.replica.master = Some((host.clone(), port));
    srv.cfg.replicaof = Some((host, port));
    crate::logging::set_role(b'S');
    srv.apply_oom_score();
    cancel_link(srv);
    if was_master {
        // Our own history is what we would continue from.
        srv.repl.replica.cached = Some(CachedMaster {
            replid: srv.repl.replid.clone(),
            offset: srv.repl.master_repl_offset,
            db: srv.repl.seldb.max(0) as usize,
        });
        info!("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.");
    }
    srv.repl.replica.state = LinkState::Connect;
    connect(srv);
}

/// At start-up with `replicaof` configured: be a replica from the first
/// cron tick on; with replication info in the loaded RDB file, continue
/// that history (PSYNC instead of a full sync).
pub fn start_from_config(srv: &mut Server) {
    let Some((host, port)) = srv.cfg.replicaof.clone() else {
        return;
    };
    srv.repl.replica.master = Some((host, port));
    srv.repl.replica.state = LinkState::Connect;
    srv.apply_oom_score();
    crate::logging::set_role(b'S');
    if let Some((id, offset, db)) = srv.repl.rdb_info.take() {
        srv.repl.replid = id.clone();
        srv.repl.master_repl_offset = offset;
        srv.repl.replica.cached = Some(CachedMaster {
            replid: id,
            offset,
            db,
        });
        info!("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.");
    }
}

/// replicationUnsetMaster: become a master, continuing our history under
/// a new ID (the old one stays valid as the secondary).
pub fn unset_master(srv: &mut Server) {
    if !srv.repl.replica.is_replica() {
        return;
    }
    srv.repl.replica.master = None;
    srv.cfg.replicaof = None;
    crate::logging::set_role(b'M');
    if let Some(s) = srv.repl.replica.master_slot {
        srv.free_client(s);
    }
    srv.repl.replica.cached = None;
    cancel_link(srv);
    // As a master, active expiry covers every key again.
    srv.dbs.iter_mut().for_each(|d| d.local_expires.clear());
    srv.repl.shift_id();
    disconnect_replicas(srv);
    srv.repl.replica.state = LinkState::None;
    srv.repl.seldb = -1;
    srv.apply_oom_score();
    srv.repl.no_replicas_since = srv.unixtime;
    srv.repl.replica.down_since = 0;
    restart_aof_if_needed(srv);
}

fn restart_aof_if_needed(srv: &mut Server) {
    use crate::persistence::aof::{self, AofState};
    if srv.cfg.appendonly && srv.aof.state == AofState::Off && !aof::start_append_only(srv) {
        warn!("Failed enabling the AOF after successful master synchronization! Trying it again in one second.");
    }
}

/// Close every replica (they must resync: our history changed).
pub fn disconnect_replicas(srv: &mut Server) {
    for s in srv.repl.replicas.clone() {
        srv.free_client(s);
    }
}

fn cancel_link(srv: &mut Server) {
    if let Some(l) = srv.repl.replica.link.take() {
        l.abort(srv.poll.registry());
    }
    srv.repl.replica.full_sync = None;
}

/// connectWithMaster: start a link (cron retries on failure).
fn connect(srv: &mut Server) {
    let Some((host, port)) = srv.repl.replica.master.clone() else {
        return;
    };
    let listening_port = if srv.cfg.replica_announce_port != 0 {
        srv.cfg.replica_announce_port
    } else {
        srv.cfg.port
    } as u16;
    let p = LinkParams {
        host,
        port,
        masteruser: srv.cfg.masteruser.clone(),
        masterauth: srv.cfg.masterauth.clone(),
        listening_port,
        announce_ip: srv.cfg.replica_announce_ip.clone(),
        psync_from: srv
            .repl
            .replica
            .cached
            .as_ref()
            .map(|c| (c.replid.clone(), c.offset)),
        load_to_memory: use_memory_load(srv),
        temp_file: format!("temp-{}.{}.rdb", srv.unixtime, std::process::id()).into(),
        timeout_ms: srv.cfg.repl_timeout as i64 * 1000,
        failover: srv.repl.failover.state == super::failover::FailoverState::InProgress,
        source_addr: srv.cfg.bind_source_addr.clone(),
    };
    let now = crate::logging::now_ms();
    match MasterLink::start(p, srv.poll.registry(), mio::Token(MASTER_LINK_TOKEN), now) {
        Ok(l) => {
            srv.repl.replica.link = Some(l);
            srv.repl.replica.state = LinkState::Linking;
        }
        Err(e) => {
            warn!("Unable to connect to MASTER: {e}");
            srv.repl.replica.state = LinkState::Connect;
        }
    }
}

/// repl-diskless-load: load from memory when asked and possible.
fn use_memory_load(srv: &Server) -> bool {
    use crate::config::ReplDisklessLoad;
    match srv.cfg.repl_diskless_load {
        ReplDisklessLoad::Disabled => false,
        ReplDisklessLoad::OnEmptyDb => srv.dbs.iter().all(|d| d.is_empty()),
        ReplDisklessLoad::Swapdb => true,
    }
}

/// An event on the link's socket, or a cron tick.
pub fn on_link_event(srv: &mut Server) {
    loop {
        let now = crate::logging::now_ms();
        let Some(link) = srv.repl.replica.link.as_mut() else {
            return;
        };
        let step = link.on_ready(srv.poll.registry(), now);
        match step {
            Step::Wait => return,
            Step::FullResync { replid, offset } => {
                srv.repl.replica.full_sync = Some((replid, offset));
                super::failover::psync_answered(srv, true);
            }
            Step::TransferDone(payload) => {
                finish_full_sync(srv, payload);
                return;
            }
            Step::LoadFromSocket(framing) => {
                load_from_socket(srv, framing);
                return;
            }
            Step::Continue { new_replid } => {
                continue_partial(srv, new_replid);
                super::failover::psync_answered(srv, true);
                return;
            }
            Step::Failed => {
                cancel_link(srv);
                srv.repl.replica.state = LinkState::Connect;
                super::failover::psync_answered(srv, false);
                return;
            }
        }
    }
}

/// Before a new master's snapshot replaces our data: our replicas must
/// resync, and the backlog and a cached master are worthless
/// (replicationAttachToNewMaster).
fn attach_to_new_master(srv: &mut Server) {
    if srv.repl.replica.cached.take().is_some() {
        info!("Discarding previously cached master state.");
    }
    disconnect_replicas(srv);
    srv.repl.backlog = None;
}

/// Stop what would race with the load or copy every page it writes: the
/// AOF (restarted after the sync) and a snapshot child.
fn stop_persistence_for_load(srv: &mut Server) {
    if srv.aof.state != crate::persistence::aof::AofState::Off {
        crate::persistence::aof::stop_append_only(srv);
    }
    crate::persistence::fork::kill_child(srv);
}

/// Drop every key (emptyData), telling WATCHers and client-side caches
/// (signalFlushedDb).
fn empty_data(srv: &mut Server) {
    crate::db::signal_flushed_db(srv, None, false);
    let lazy = srv.cfg.replica_lazy_flush;
    for db in srv.dbs.iter_mut() {
        discard_db(db, lazy);
    }
}

/// Free a database's keys: in the background under replica-lazy-flush
/// (a big dataset then goes without stalling the loop), else now.
fn discard_db(db: &mut crate::db::Db, lazy: bool) {
    let (keys, expires) = db.take_all();
    db.local_expires.clear();
    if lazy {
        crate::lazyfree::free_db(keys, expires);
    }
}

/// The link after its payload started or arrived: the socket, the bytes
/// already read past the `$` line or the payload, and what +FULLRESYNC
/// announced. None (retry later) if there was no FULLRESYNC.
fn take_synced_link(srv: &mut Server) -> Option<(mio::net::TcpStream, Vec<u8>, String, i64)> {
    let link = srv.repl.replica.link.take()?;
    let (stream, bytes) = link.into_stream(srv.poll.registry());
    let Some((replid, offset)) = srv.repl.replica.full_sync.take() else {
        warn!("MASTER <-> REPLICA sync: payload without a FULLRESYNC; retrying");
        srv.repl.replica.state = LinkState::Connect;
        return None;
    };
    Some((stream, bytes, replid, offset))
}

/// The snapshot arrived: replace our data with it and start applying the
/// stream (the tail of readSyncBulkPayload).
fn finish_full_sync(srv: &mut Server, payload: Payload) {
    let Some((stream, leftover, replid, offset)) = take_synced_link(srv) else {
        return;
    };
    info!("MASTER <-> REPLICA sync: Flushing old data");
    attach_to_new_master(srv);
    stop_persistence_for_load(srv);
    empty_data(srv);
    info!("MASTER <-> REPLICA sync: Loading DB in memory");
    let Payload::File(path) = &payload;
    let loaded = match std::fs::rename(path, &srv.cfg.dbfilename) {
        Ok(()) => crate::persistence::rdb_load(srv, false),
        Err(e) => {
            warn!(
                "Failed trying to rename the temp DB into {} in MASTER <-> REPLICA synchronization: {}",
                srv.cfg.dbfilename,
                crate::config::errno_text(&e)
            );
            let _ = std::fs::remove_file(path);
            srv.repl.replica.state = LinkState::Connect;
            return;
        }
    };
    let stats = match loaded {
        Ok(s) => s,
        Err(e) => {
            if let crate::persistence::LoadFailure::Data(e) = &e {
                crate::persistence::report_load_error(e);
            }
            warn!(
                "Failed trying to load the MASTER synchronization DB from disk, check server logs."
            );
            let lazy = srv.cfg.replica_lazy_flush;
            for db in srv.dbs.iter_mut() {
                discard_db(db, lazy);
            }
            srv.repl.replica.state = LinkState::Connect;
            return;
        }
    };
    if srv.cfg.rdb_del_sync_files && srv.cfg.save.is_empty() && !srv.cfg.appendonly {
        info!(
            "Removing the RDB file obtained from the master. This replica has persistence disabled"
        );
        let _ = std::fs::remove_file(&srv.cfg.dbfilename);
    }
    sync_done(srv, stream, leftover, replid, offset, &stats);
}

/// The new data is in place: take the master's history and start its
/// command stream.
fn sync_done(
    srv: &mut Server,
    stream: mio::net::TcpStream,
    leftover: Vec<u8>,
    replid: String,
    offset: i64,
    stats: &crate::persistence::snapshot::LoadStats,
) {
    // Synced with the old SYNC: the master has no history to name, so ours
    // starts afresh at offset 0 (our own replicas may continue it).
    let pre_psync = offset < 0 || replid.len() != 40;
    srv.repl.replica.pre_psync = pre_psync;
    let offset = offset.max(0);
    if pre_psync {
        srv.repl.change_id();
    } else {
        srv.repl.replid = replid;
    }
    srv.repl.master_repl_offset = offset;
    srv.repl.clear_id2();
    super::master::create_backlog(srv);
    adopt_master(srv, stream, leftover, stats.repl_stream_db, offset);
    info!("MASTER <-> REPLICA sync: Finished with success");
    restart_aof_if_needed(srv);
}

/// repl-diskless-load: parse the snapshot as it arrives. `swapdb` keeps
/// the old data until the new one is complete (and serves it meanwhile
/// when the master continues our own history: async loading); otherwise
/// the old data goes first.
fn load_from_socket(srv: &mut Server, framing: super::link::SocketFraming) {
    use super::socket_load::Failed;
    use crate::config::ReplDisklessLoad;
    let Some((stream, already, replid, offset)) = take_synced_link(srv) else {
        return;
    };
    let swapdb = srv.cfg.repl_diskless_load == ReplDisklessLoad::Swapdb;
    let async_loading = swapdb && srv.repl.replid == replid;
    stop_persistence_for_load(srv);
    if !swapdb {
        attach_to_new_master(srv);
        info!("MASTER <-> REPLICA sync: Flushing old data");
        empty_data(srv);
    }
    info!("MASTER <-> REPLICA sync: Loading DB in memory");
    let mut dbs: Vec<crate::db::Db> = (0..srv.dbs.len()).map(crate::db::Db::new).collect();
    srv.update_cached_time();
    srv.loading_start_time = srv.unixtime;
    srv.loading_total_bytes = match framing {
        super::link::SocketFraming::Sized(n) => n,
        super::link::SocketFraming::Eof(_) => 0,
    };
    srv.loading_loaded_bytes = 0;
    // As Redis: `loading` holds in both cases (no expiry, no
    // propagation, configs that cannot change while loading); `async_loading`
    // lets the old data be served meanwhile.
    srv.loading = true;
    srv.async_loading = async_loading;
    let result = super::socket_load::load(srv, stream, already, framing, &mut dbs);
    srv.loading = false;
    srv.async_loading = false;
    srv.repl.replica.socket_load = None;
    let (stats, stream, leftover) = match result {
        Ok(done) => done,
        Err(failed) => {
            if let Failed::Data(e) = &failed {
                crate::persistence::report_load_error(e);
            }
            warn!("Failed trying to load the MASTER synchronization DB from socket, check server logs.");
            let mut dbs = dbs;
            for db in dbs.iter_mut() {
                discard_db(db, srv.cfg.replica_lazy_flush);
            }
            if swapdb {
                info!("MASTER <-> REPLICA sync: Discarding the half-loaded data");
            }
            srv.repl.replica.state = LinkState::Connect;
            return;
        }
    };
    srv.rdb_last_load_keys_loaded = stats.keys_loaded;
    srv.rdb_last_load_keys_expired = stats.keys_expired;
    if swapdb {
        attach_to_new_master(srv);
        info!("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
        crate::db::signal_flushed_db(srv, None, false);
        let mut old = std::mem::replace(&mut srv.dbs, dbs);
        info!("MASTER <-> REPLICA sync: Discarding the old data");
        for db in old.iter_mut() {
            discard_db(db, srv.cfg.replica_lazy_flush);
        }
    } else {
        srv.dbs = dbs;
    }
    srv.dirty += 1;
    sync_done(srv, stream, leftover, replid, offset, &stats);
}

/// +CONTINUE: the cached master comes back on the new connection.
fn continue_partial(srv: &mut Server, new_replid: Option<String>) {
    let Some(link) = srv.repl.replica.link.take() else {
        return;
    };
    let (stream, leftover) = link.into_stream(srv.poll.registry());
    let Some(cached) = srv.repl.replica.cached.take() else {
        warn!("PSYNC accepted without a cached master; retrying");
        srv.repl.replica.state = LinkState::Connect;
        return;
    };
    info!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
    srv.repl.replica.pre_psync = false;
    if let Some(id) = new_replid.filter(|id| *id != cached.replid) {
        // The master switched history (a failover): ours follows, and the
        // old ID stays valid for our own replicas up to here.
        srv.repl.replid2 = cached.replid.clone();
        srv.repl.second_replid_offset = srv.repl.master_repl_offset + 1;
        srv.repl.replid = id;
        disconnect_replicas(srv);
    }
    if srv.repl.backlog.is_none() {
        super::master::create_backlog(srv);
    }
    adopt_master(srv, stream, leftover, cached.db, cached.offset);
}

/// replicationCreateMasterClient: the link becomes a client whose commands
/// we apply.
fn adopt_master(
    srv: &mut Server,
    stream: mio::net::TcpStream,
    leftover: Vec<u8>,
    db: usize,
    offset: i64,
) {
    match srv.add_master_client(stream, leftover) {
        Some(slot) => {
            if let Some(Some(c)) = srv.clients.get_mut(slot) {
                c.db = db.min(srv.dbs.len().saturating_sub(1));
                c.reploff = offset;
            }
            srv.repl.master_repl_offset = offset;
            srv.repl.replica.master_slot = Some(slot);
            srv.repl.replica.state = LinkState::Connected;
            srv.repl.replica.down_since = 0;
            send_ack(srv);
        }
        None => {
            warn!("Unable to register the master connection; retrying");
            srv.repl.replica.state = LinkState::Connect;
        }
    }
}

/// freeClient of the master client: cache it to PSYNC later, reconnect.
pub fn master_client_freed(srv: &mut Server, c: &Client) {
    if srv.repl.replica.master_slot != Some(c.token - crate::server::CLIENT_TOKEN_BASE) {
        return;
    }
    srv.repl.replica.master_slot = None;
    info!("Connection with master lost.");
    info!("Caching the disconnected master state.");
    srv.repl.replica.cached = Some(CachedMaster {
        replid: srv.repl.replid.clone(),
        offset: c.reploff,
        db: c.db,
    });
    srv.repl.replica.state = LinkState::Connect;
    srv.repl.replica.down_since = srv.unixtime;
    if let Some((host, port)) = srv.repl.replica.master.clone() {
        info!("Reconnecting to MASTER {host}:{port}");
        connect(srv);
    }
}

/// REPLCONF ACK <offset> to the master (replicationSendAck).
fn send_ack(srv: &mut Server) {
    let Some(slot) = srv.repl.replica.master_slot else {
        return;
    };
    if srv.repl.replica.pre_psync {
        return;
    }
    if let Some(Some(c)) = srv.clients.get_mut(slot) {
        push_ack(c);
        srv.queue_write(slot);
    }
}

/// Append a REPLCONF ACK for `c`'s offset to its output.
pub fn push_ack(c: &mut Client) {
    let off = c.reploff.to_string();
    crate::persistence::aof::cat_command(&mut c.out, &[b"REPLCONF", b"ACK", off.as_bytes()]);
}

/// Bookkeeping after the master client ran one command of `bytes` stream
/// bytes: no reply unless forced, the offset moves, and the same bytes go
/// on to our replicas and backlog.
pub fn after_master_command(srv: &mut Server, c: &mut Client, bytes: usize, out_mark: usize) {
    if c.out.len() > out_mark {
        let cmd = c.last_cmd.to_ascii_lowercase();
        let reply = c.out[out_mark.max(c.sent)..].to_vec();
        super::log_link_error(srv, &reply, "replica", "master", &cmd);
    }
    if !srv.repl.replica.force_reply {
        c.out.truncate(out_mark.max(c.sent));
    }
    srv.repl.replica.force_reply = false;
    srv.repl.replica.executing_master = false;
    let args: Vec<&[u8]> = c.argv.iter().map(|b| &b[..]).collect();
    // A master sends commands in canonical multibulk form, so this is the
    // very bytes it sent (and our offsets stay equal to its).
    let mut raw = Vec::with_capacity(bytes);
    crate::persistence::aof::cat_command(&mut raw, &args);
    // The master's MULTI ... EXEC runs as a transaction here too: nothing
    // of the block is applied before EXEC, so neither the offset nor our
    // replicas see it before then (Redis' commandProcessed leaves reploff
    // alone while the master client is in MULTI).
    if c.flags & crate::net::client::flags::MULTI != 0 {
        c.master_multi.extend_from_slice(&raw);
        c.master_multi_bytes += bytes;
        return;
    }
    let held = std::mem::take(&mut c.master_multi);
    let held_bytes = std::mem::take(&mut c.master_multi_bytes);
    c.reploff += (held_bytes + bytes) as i64;
    super::master::feed_raw(srv, &held);
    super::master::feed_raw(srv, &raw);
    srv.repl.master_repl_offset = c.reploff;
}

/// expireSlaveKeys: expire the keys our own clients gave a TTL (on a
/// writable replica); keys that lost their TTL are forgotten. Run from
/// the databases cron.
pub fn expire_local_keys(srv: &mut Server) {
    let now = crate::logging::now_ms();
    for db in 0..srv.dbs.len() {
        if srv.dbs[db].local_expires.is_empty() {
            continue;
        }
        let keys: Vec<Vec<u8>> = srv.dbs[db].local_expires.iter().cloned().collect();
        for k in keys {
            match srv.dbs[db].expire_at_ms(&k) {
                Some(when) if when <= now => {
                    srv.dbs[db].delete(&k);
                    srv.stats.expired_keys += 1;
                    let lazy = srv.cfg.lazyfree_lazy_expire;
                    crate::persistence::propagate::propagate_deletion(srv, db, &k, lazy);
                    srv.dbs[db].local_expires.remove(&k);
                }
                Some(_) => {}
                None => {
                    srv.dbs[db].local_expires.remove(&k);
                }
            }
        }
    }
    crate::persistence::propagate::propagate_pending(srv, false);
}

/// The replica half of replicationCron, once a second.
pub fn cron(srv: &mut Server) {
    if !srv.repl.replica.is_replica() {
        return;
    }
    match srv.repl.replica.state {
        // (The link logs "Connecting to MASTER ...".)
        LinkState::Connect => connect(srv),
        LinkState::Linking => on_link_event(srv),
        LinkState::Connected => {
            let timeout = srv.cfg.repl_timeout as i64;
            let idle = master_client(srv).map(|c| srv.unixtime - c.last_interaction);
            if idle.is_some_and(|i| i > timeout) {
                warn!("MASTER timeout: no data nor PING received...");
                if let Some(s) = srv.repl.replica.master_slot {
                    srv.free_client(s);
                }
            } else {
                send_ack(srv);
            }
        }
        LinkState::None => {}
    }
}

/// ROLE.
pub fn role(srv: &Server, c: &mut Client) {
    let mut r = c.reply();
    match &srv.repl.replica.master {
        None => {
            let entries = super::master::role_entries(srv);
            r.array_len(3);
            r.bulk(b"master");
            r.int(srv.repl.master_repl_offset);
            r.array_len(entries.len());
            for (ip, port, off) in entries {
                r.array_len(3);
                r.bulk(ip.as_bytes());
                r.bulk(port.to_string().as_bytes());
                r.bulk(off.to_string().as_bytes());
            }
        }
        Some((host, port)) => {
            r.array_len(5);
            r.bulk(b"slave");
            r.bulk(host.as_bytes());
            r.int(*port as i64);
            r.bulk(link_state_name(srv).as_bytes());
            r.int(master_client(srv).map_or(-1, |m| m.reploff));
        }
    }
}

/// ROLE's replica state word.
fn link_state_name(srv: &Server) -> &'static str {
    match srv.repl.replica.state {
        LinkState::None => "none",
        LinkState::Connect => "connect",
        LinkState::Connected => "connected",
        LinkState::Linking if srv.repl.replica.socket_load.is_some() => "sync",
        LinkState::Linking => match srv.repl.replica.link.as_ref().map(|l| l.state_name()) {
            Some("connecting") => "connecting",
            Some("transfer") | Some("sync") => "sync",
            _ => "handshake",
        },
    }
}

/// INFO replication.
pub fn info_section(srv: &Server, o: &mut String) {
    use std::fmt::Write as _;
    let rs = &srv.repl.replica;
    o.push_str("# Replication\r\n");
    if let Some((host, port)) = &rs.master {
        let connected = rs.is_connected();
        let transferring = link_state_name(srv) == "sync";
        // Read: every byte received from the master, applied or not (a
        // paused replica holds commands back); repl: what was applied.
        let (last_io, off, read_off) = match master_client(srv) {
            Some(m) => {
                let unapplied = (m.master_multi_bytes + m.master_pending + m.qbuf.len()) as i64;
                (
                    srv.unixtime - m.last_interaction,
                    m.reploff,
                    m.reploff + unapplied,
                )
            }
            None => {
                let off = rs.cached.as_ref().map_or(0, |c| c.offset);
                (-1, off, off)
            }
        };
        let _ = write!(
            o,
            "role:slave\r\nmaster_host:{host}\r\nmaster_port:{port}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{last_io}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{read_off}\r\nslave_repl_offset:{off}\r\n",
            if connected { "up" } else { "down" },
            transferring as u8,
        );
        if transferring {
            let progress = match (rs.link.as_ref(), rs.socket_load) {
                (Some(l), _) => Some((l.transfer_progress(), l.last_io_ms())),
                (None, Some(p)) => Some(((p.read, p.size), p.last_io_ms)),
                (None, None) => None,
            };
            if let Some(((read, size), last_io_ms)) = progress {
                // As Redis: negative for an EOF-marked payload (size 0).
                let left = size - read as i64;
                let perc = if size > 0 {
                    read as f64 * 100.0 / size as f64
                } else {
                    0.0
                };
                let io = (crate::logging::now_ms() - last_io_ms) / 1000;
                let _ = write!(
                    o,
                    "master_sync_total_bytes:{size}\r\nmaster_sync_read_bytes:{read}\r\nmaster_sync_left_bytes:{left}\r\nmaster_sync_perc:{perc:.2}\r\nmaster_sync_last_io_seconds_ago:{io}\r\n"
                );
            }
        }
        if !connected {
            let since = if rs.down_since != 0 {
                srv.unixtime - rs.down_since
            } else {
                -1
            };
            let _ = write!(o, "master_link_down_since_seconds:{since}\r\n");
        }
        let _ = write!(
            o,
            "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
            srv.cfg.replica_priority,
            srv.cfg.replica_read_only as u8,
            srv.cfg.replica_announced as u8
        );
    } else {
        o.push_str("role:master\r\n");
    }
    let _ = write!(o, "connected_slaves:{}\r\n", super::master::connected(srv));
    if srv.cfg.min_replicas_to_write != 0 && srv.cfg.min_replicas_max_lag != 0 {
        let _ = write!(o, "min_slaves_good_slaves:{}\r\n", srv.repl.good_replicas);
    }
    super::master::info_replicas(srv, o);
    let r = &srv.repl;
    let (active, first, histlen) = match r.backlog.as_ref() {
        Some(b) => (1, b.first(), b.histlen()),
        None => (0, 0, 0),
    };
    let _ = write!(
        o,
        "master_failover_state:{}\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\nmaster_repl_offset:{}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{active}\r\nrepl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:{first}\r\nrepl_backlog_histlen:{histlen}\r\n",
        r.failover.state.info_name(),
        r.replid,
        r.replid2,
        r.master_repl_offset,
        r.second_replid_offset,
        srv.cfg.repl_backlog_size,
    );
}
