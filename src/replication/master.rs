//! The master side of replication (replication.c: syncCommand,
//! masterTryPartialResynchronization, replicationFeedSlaves, the replica
//! half of replicationCron, replconfCommand's ACK, waitCommand). Getting
//! the snapshot and the stream onto the replicas' sockets is in
//! `transfer.rs`.
//!
//! A replica is a client with `Client::repl` set. What it is sent, in
//! order: its private output (`+FULLRESYNC`, `\n` keep-alives), then the
//! snapshot (a file with a `$<size>` prefix, or the diskless relay), then
//! the shared buffer from its own offset. Writing is driven from
//! before_sleep and writable events, like any client's replies.
//!
//! Full syncs are served by one fork child for all replicas waiting at
//! that moment: their stream starts at the offset the child's snapshot
//! was taken at (`psync_initial_offset + 1`), and the shared buffer keeps
//! what they have not yet received.

use bytes::Bytes;
use log::{info, warn};

use super::buffer::ReplBuffer;
use super::{ReplicaConn, ReplicaState, CAPA_EOF, CAPA_PSYNC2};
use crate::net::client::{flags, Client};
use crate::server::{Server, CLIENT_TOKEN_BASE};

/// The address a replica is known by: the one it announced
/// (REPLCONF ip-address), else its connection's peer IP.
pub fn replica_ip(c: &Client) -> String {
    match c.repl.as_ref().and_then(|r| r.announced_ip.clone()) {
        Some(ip) => ip,
        None => peer_ip(&c.addr),
    }
}

/// The name a replica goes by in logs (replicationGetSlaveName).
pub fn replica_name(c: &Client) -> String {
    let ip = replica_ip(c);
    match c.repl.as_deref().map(|r| r.listening_port) {
        Some(p) if p != 0 => {
            if ip.contains(':') {
                format!("[{ip}]:{p}")
            } else {
                format!("{ip}:{p}")
            }
        }
        _ => format!("{ip}:<unknown-replica-port>"),
    }
}

/// The IP part of an `ip:port` peer address.
pub fn peer_ip(addr: &str) -> String {
    match addr.rfind(':') {
        Some(i) => addr[..i]
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        None => addr.to_string(),
    }
}

fn slot_of(c: &Client) -> usize {
    c.token - CLIENT_TOKEN_BASE
}

/// createReplicationBacklog: the stream is kept from the next byte on.
pub fn create_backlog(srv: &mut Server) {
    let end = srv.repl.master_repl_offset + 1;
    srv.repl.backlog = Some(ReplBuffer::new(end));
}

/// A master restarted from an RDB file that recorded its replication ID
/// and offset: replicas of that history may continue (the old ID becomes
/// the secondary one) once the keys found expired while loading went out
/// as DELs (loadDataFromDisk with RDBFLAGS_FEED_REPL).
pub fn restore_after_restart(srv: &mut Server, stats: &crate::persistence::snapshot::LoadStats) {
    let Some(id) = stats.repl_id.clone() else {
        return;
    };
    if stats.repl_offset < 0 {
        return;
    }
    create_backlog(srv);
    let cmd: &'static [u8] = if srv.cfg.lazyfree_lazy_expire {
        b"UNLINK"
    } else {
        b"DEL"
    };
    for (db, key) in &stats.expired {
        let argv = [Bytes::from_static(cmd), Bytes::copy_from_slice(key)];
        feed(srv, *db, &argv);
    }
    srv.repl.replid2 = id;
    srv.repl.second_replid_offset = stats.repl_offset + 1;
    srv.repl.master_repl_offset += stats.repl_offset;
    if let Some(b) = srv.repl.backlog.as_mut() {
        b.rebase(stats.repl_offset);
    }
    srv.repl.no_replicas_since = crate::logging::now_ms() / 1000;
}

/// Whether commands must be fed to the replication stream.
#[inline]
pub fn feeding(srv: &Server) -> bool {
    srv.repl.backlog.is_some() && !srv.repl.replica.is_replica()
}

/// replicationFeedSlaves: append one command (preceded by a SELECT when
/// the stream's database differs) to the shared buffer.
pub fn feed(srv: &mut Server, db: usize, argv: &[Bytes]) {
    if !feeding(srv) {
        return;
    }
    let mut out = Vec::with_capacity(64);
    if srv.repl.seldb != db as i64 {
        let mut n = [0u8; 20];
        let id = crate::util::number::fmt_u64(db as u64, &mut n);
        crate::persistence::aof::cat_command(&mut out, &[b"SELECT", id]);
        srv.repl.seldb = db as i64;
    }
    let args: Vec<&[u8]> = argv.iter().map(|b| &b[..]).collect();
    crate::persistence::aof::cat_command(&mut out, &args);
    feed_raw(srv, &out);
}

/// Append bytes of protocol to the stream (also the replica proxying its
/// master's stream to its own replicas and backlog).
pub fn feed_raw(srv: &mut Server, bytes: &[u8]) {
    let Some(b) = srv.repl.backlog.as_mut() else {
        return;
    };
    b.append(bytes, srv.cfg.repl_backlog_size.max(0) as usize);
    srv.repl.master_repl_offset = b.end() - 1;
    srv.repl.pending_flush = true;
}

/// SYNC and PSYNC (syncCommand).
pub fn sync_command(srv: &mut Server, c: &mut Client, psync: bool) -> Result<(), String> {
    if c.flags & flags::REPLICA != 0 {
        return Ok(()); // already a replica: ignore, as Redis does
    }
    // PSYNC <id> <offset> FAILOVER: our master hands its role to us.
    if psync && c.argv.len() > 3 && c.argv[3].eq_ignore_ascii_case(b"failover") {
        let id = String::from_utf8_lossy(&c.argv[1]).into_owned();
        warn!("Failover request received for replid {id}.");
        if !srv.repl.replica.is_replica() {
            return Err("ERR PSYNC FAILOVER can't be sent to a master.".into());
        }
        if id != srv.repl.replid {
            return Err("ERR PSYNC FAILOVER replid must match my replid.".into());
        }
        super::replica::unset_master(srv);
        let mut who = String::new();
        c.info_string(srv.unixtime, &mut who);
        info!("MASTER MODE enabled (failover request from '{who}')");
    }
    if srv.repl.failover.state != super::failover::FailoverState::None {
        return Err("NOMASTERLINK Can't SYNC while failing over".into());
    }
    if srv.repl.replica.is_replica() && !srv.repl.replica.is_connected() {
        return Err("NOMASTERLINK Can't SYNC while not connected with my master".into());
    }
    if c.has_pending_output() {
        return Err("ERR SYNC and PSYNC are invalid with pending output".into());
    }
    // REPLCONF may have created it already, with the port and capabilities.
    if c.repl.is_none() {
        c.repl = Some(Box::new(ReplicaConn::new()));
    }
    // Its lag counts from now until it acknowledges something.
    if let Some(r) = c.repl.as_mut() {
        r.ack_time_ms = crate::logging::now_ms();
    }
    let name = replica_name(c);
    info!("Replica {name} asks for synchronization");
    if psync {
        let replid = String::from_utf8_lossy(&c.argv[1]).into_owned();
        let Some(off) = crate::util::number::parse_i64(&c.argv[2]) else {
            warn!("Replica {name} asks for synchronization but with a wrong offset");
            return Err("ERR value is not an integer or out of range".into());
        };
        if try_partial(srv, c, &replid, off) {
            srv.stats.sync_partial_ok += 1;
            return Ok(());
        }
        if replid != "?" {
            srv.stats.sync_partial_err += 1;
        }
    } else {
        // The old protocol: no +FULLRESYNC line, no ACKs.
        if let Some(r) = c.repl.as_mut() {
            r.pre_psync = true;
        }
    }
    srv.stats.sync_full += 1;
    c.flags |= flags::REPLICA;
    srv.repl.replicas.push(slot_of(c));
    if srv.repl.replicas.len() == 1 && srv.repl.backlog.is_none() {
        // A new history for the first replica ever: no one may continue an
        // old one we never kept.
        srv.repl.change_id();
        srv.repl.clear_id2();
        create_backlog(srv);
        info!(
            "Replication backlog created, my new replication IDs are '{}' and '{}'",
            srv.repl.replid, srv.repl.replid2
        );
    }
    attach_or_wait(srv, c);
    Ok(())
}

/// A full sync: join the snapshot being written to disk for another
/// replica if possible, otherwise wait for the next one.
fn attach_or_wait(srv: &mut Server, c: &mut Client) {
    let child_is_disk_sync = srv.rdb_child.as_ref().is_some_and(|ch| !ch.socket);
    if child_is_disk_sync {
        // Another replica already waits on this disk snapshot: start from
        // the same offset and share its buffer position.
        let twin = srv.repl.replicas.iter().find_map(|&s| {
            let o = srv.clients.get(s)?.as_ref()?;
            let r = o.repl.as_ref()?;
            (r.state == ReplicaState::WaitBgsaveEnd).then_some((r.psync_initial_offset, r.pos))
        });
        if let Some((initial, pos)) = twin {
            let psync = !c.repl.as_ref().is_some_and(|r| r.pre_psync);
            if let Some(r) = c.repl.as_mut() {
                r.state = ReplicaState::WaitBgsaveEnd;
                r.psync_initial_offset = initial;
                r.pos = pos;
            }
            if psync {
                full_resync_reply(srv, c, initial);
            }
            info!("Waiting for end of BGSAVE for SYNC");
            return;
        }
        info!("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
    } else if srv.rdb_child.is_some() || srv.aof.child.is_some() {
        info!("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
    } else if srv.cfg.repl_diskless_sync
        && c.repl.as_ref().is_some_and(|r| r.capa & CAPA_EOF != 0)
        && srv.cfg.repl_diskless_sync_delay > 0
    {
        info!("Delay next BGSAVE for diskless SYNC");
    }
    if srv.repl.first_waiting_ms == 0 {
        srv.repl.first_waiting_ms = crate::logging::now_ms();
    }
}

pub(super) fn full_resync_reply(srv: &Server, c: &mut Client, offset: i64) {
    let line = format!("+FULLRESYNC {} {}\r\n", srv.repl.replid, offset);
    c.out.extend_from_slice(line.as_bytes());
}

/// masterTryPartialResynchronization: serve the replica from the backlog
/// if it follows our history and the backlog still holds its offset.
fn try_partial(srv: &mut Server, c: &mut Client, replid: &str, off: i64) -> bool {
    let name = replica_name(c);
    let repl = &srv.repl;
    let same = replid == repl.replid;
    let old = replid == repl.replid2 && off <= repl.second_replid_offset;
    if !same && !old {
        if replid != "?" {
            if replid != repl.replid && replid != repl.replid2 {
                info!(
                    "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{replid}', my replication IDs are '{}' and '{}')",
                    repl.replid, repl.replid2
                );
            } else {
                info!(
                    "Partial resynchronization not accepted: Requested offset for second ID was {off}, but I can reply up to {}",
                    repl.second_replid_offset
                );
            }
        } else {
            info!("Full resync requested by replica {name}");
        }
        return false;
    }
    let Some(b) = repl.backlog.as_ref().filter(|b| b.holds(off)) else {
        info!("Unable to partial resync with replica {name} for lack of backlog (Replica request was: {off}).");
        if off > repl.master_repl_offset {
            warn!(
                "Warning: replica {name} tried to PSYNC with an offset that is greater than the master replication offset."
            );
        }
        return false;
    };
    let pending = b.end() - off;
    let psync2 = c.repl.as_ref().is_some_and(|r| r.capa & CAPA_PSYNC2 != 0);
    let reply = if psync2 {
        format!("+CONTINUE {}\r\n", repl.replid)
    } else {
        "+CONTINUE\r\n".to_string()
    };
    c.out.extend_from_slice(reply.as_bytes());
    c.flags |= flags::REPLICA;
    let now = crate::logging::now_ms();
    if let Some(r) = c.repl.as_mut() {
        r.state = ReplicaState::Online;
        r.ack_time_ms = now;
        r.pos = Some(off);
    }
    srv.repl.replicas.push(slot_of(c));
    srv.repl.pending_flush = true;
    info!(
        "Partial resynchronization request from {name} accepted. Sending {pending} bytes of backlog starting from offset {off}."
    );
    refresh_good_replicas(srv);
    true
}

/// A command on a replica's link produced a reply (Redis'
/// _addReplyToBufferOrList check): the link carries no replies, so the
/// reply is dropped and the replica disconnected, with Redis' log lines.
pub fn replica_replied(srv: &mut Server, c: &mut Client, mark: usize) {
    if c.out.len() <= mark {
        return;
    }
    let reply = c.out.split_off(mark.max(c.sent));
    let cmd = c.last_cmd.to_ascii_lowercase();
    super::log_link_error(srv, &reply, "master", "replica", &cmd);
    let mut info = String::new();
    c.info_string(srv.unixtime, &mut info);
    warn!("Replica generated a reply to command '{cmd}', disconnecting it: {info}");
    c.flags |= flags::CLOSE_ASAP;
}

/// A replica's connection is closing (freeClient's replica part).
pub fn replica_freed(srv: &mut Server, slot: usize, c: &Client) {
    let Some(r) = c.repl.as_ref() else {
        return;
    };
    let was_listed = srv.repl.replicas.contains(&slot);
    srv.repl.replicas.retain(|&s| s != slot);
    if let Some(p) = srv.repl.pipe.as_mut() {
        p.targets.retain(|&s| s != slot);
    }
    // The last replica waiting for a disk snapshot is gone: without save
    // points nobody needs the file, so stop the child now (its memory, and
    // the next full sync can fork at once).
    let disk_child = srv.rdb_child.as_ref().is_some_and(|ch| !ch.socket);
    if r.state == ReplicaState::WaitBgsaveEnd
        && disk_child
        && srv.cfg.save.is_empty()
        && !srv.repl.replicas.iter().any(|&s| {
            srv.clients
                .get(s)
                .and_then(|o| o.as_ref())
                .and_then(|c| c.repl.as_ref())
                .is_some_and(|o| o.state == ReplicaState::WaitBgsaveEnd)
        })
    {
        crate::persistence::fork::kill_child(srv);
    }
    if was_listed {
        if r.state == ReplicaState::Online {
            info!("Connection with replica {} lost.", replica_name(c));
        }
        if srv.repl.replicas.is_empty() {
            srv.repl.no_replicas_since = crate::logging::now_ms() / 1000;
        }
    }
    refresh_good_replicas(srv);
    trim_backlog(srv);
}

/// REPLCONF ACK <offset> [FACK <aofoffset>] from a replica.
pub fn ack(srv: &mut Server, c: &mut Client, off: i64) {
    let Some(r) = c.repl.as_mut() else {
        return;
    };
    if off > r.ack_off {
        r.ack_off = off;
    }
    r.ack_time_ms = crate::logging::now_ms();
    if r.start_stream_on_ack && r.state == ReplicaState::Online {
        // The replica loaded the diskless snapshot: start its stream.
        r.start_stream_on_ack = false;
        let name = replica_name(c);
        info!("Synchronization with replica {name} succeeded");
        srv.repl.pending_flush = true;
    }
    refresh_good_replicas(srv);
}

/// refreshGoodSlavesCount: replicas online with a recent enough ACK.
pub fn refresh_good_replicas(srv: &mut Server) {
    if srv.cfg.min_replicas_to_write == 0 || srv.cfg.min_replicas_max_lag == 0 {
        return;
    }
    let now = crate::logging::now_ms();
    let max_lag = srv.cfg.min_replicas_max_lag as i64;
    srv.repl.good_replicas = srv
        .repl
        .replicas
        .iter()
        .filter_map(|&s| srv.clients.get(s)?.as_ref()?.repl.as_ref())
        .filter(|r| r.state == ReplicaState::Online && (now - r.ack_time_ms) / 1000 <= max_lag)
        .count();
}

/// How many replicas acknowledged `off` (replicationCountAcksByOffset).
pub fn count_acks(srv: &Server, off: i64) -> usize {
    srv.repl
        .replicas
        .iter()
        .filter_map(|&s| srv.clients.get(s)?.as_ref()?.repl.as_ref())
        .filter(|r| r.state == ReplicaState::Online && r.ack_off >= off)
        .count()
}

/// Free backlog blocks nobody needs any more.
fn trim_backlog(srv: &mut Server) {
    let oldest = srv
        .repl
        .replicas
        .iter()
        .filter_map(|&s| srv.clients.get(s)?.as_ref()?.repl.as_ref()?.pos)
        .min();
    let size = srv.cfg.repl_backlog_size.max(1) as usize;
    if let Some(b) = srv.repl.backlog.as_mut() {
        b.trim(size, oldest);
    }
}

/// Work before the loop sleeps: start a pending replication fork, ask for
/// ACKs for WAIT, write the new stream to the replicas, answer WAITs.
pub fn before_sleep(srv: &mut Server) {
    if srv.repl.first_waiting_ms != 0 {
        super::transfer::start_pending_fork(srv);
    }
    // A diskless transfer waits for every target to take the current
    // piece before it reads the next. The pipe is edge-triggered and stays
    // full meanwhile, so the last target finishing (through a writable
    // event) or going away must restart the relay from here.
    if srv.repl.pipe.is_some() {
        super::transfer::relay_pipe(srv);
    }
    // No GETACK while clients are paused: it would move the offset a
    // failover is waiting for replicas to reach.
    let paused = srv.pause_until_ms != 0 && srv.is_paused();
    if srv.repl.get_ack && !paused {
        srv.repl.get_ack = false;
        send_getack(srv);
    }
    if srv.repl.pending_flush {
        srv.repl.pending_flush = false;
        let slots: Vec<usize> = srv.repl.replicas.clone();
        for s in slots {
            let want = srv
                .clients
                .get(s)
                .and_then(|o| o.as_ref())
                .is_some_and(|c| {
                    c.flags & flags::WANT_WRITE == 0
                        && c.repl
                            .as_ref()
                            .is_some_and(|r| r.state == ReplicaState::Online)
                });
            if want {
                super::transfer::write_replica(srv, s);
            }
        }
        check_replica_buffer_limits(srv);
        trim_backlog(srv);
    }
    if !srv.repl.waiting.is_empty() {
        serve_waiting(srv);
    }
}

/// REPLCONF GETACK * into the stream: every replica answers with an ACK.
pub fn send_getack(srv: &mut Server) {
    if srv.repl.replicas.is_empty() {
        return;
    }
    let argv = [
        Bytes::from_static(b"REPLCONF"),
        Bytes::from_static(b"GETACK"),
        Bytes::from_static(b"*"),
    ];
    let db = srv.repl.seldb.max(0) as usize;
    feed(srv, db, &argv);
}

/// Best-effort write of everything pending to every replica (before exit).
pub fn flush_all(srv: &mut Server) {
    for s in srv.repl.replicas.clone() {
        super::transfer::write_replica(srv, s);
    }
}

/// Replicas too far behind (client-output-buffer-limit replica): closed.
fn check_replica_buffer_limits(srv: &mut Server) {
    let lim = srv.cfg.client_output_buffer_limit[crate::config::CLIENT_TYPE_REPLICA];
    if lim.hard_limit_bytes == 0 && lim.soft_limit_bytes == 0 {
        return;
    }
    let now = srv.unixtime;
    let backlog_size = srv.cfg.repl_backlog_size.max(0) as u64;
    let slots: Vec<usize> = srv.repl.replicas.clone();
    for s in slots {
        let Some(Some(c)) = srv.clients.get_mut(s) else {
            continue;
        };
        let Some(pos) = c.repl.as_ref().and_then(|r| r.pos) else {
            continue;
        };
        let used = srv.repl.backlog.as_ref().map_or(0, |b| b.pending_from(pos)) as u64
            + c.pending_output() as u64;
        // A hard limit under repl-backlog-size would cut a replica that a
        // partial resync just accepted: Redis uses the backlog size then.
        let hard_limit = if lim.hard_limit_bytes > 0 {
            lim.hard_limit_bytes.max(backlog_size)
        } else {
            0
        };
        let hard = hard_limit > 0 && used >= hard_limit;
        let mut soft = lim.soft_limit_bytes > 0 && used >= lim.soft_limit_bytes;
        if soft {
            if c.obuf_soft_limit_since == 0 {
                c.obuf_soft_limit_since = now;
                soft = false;
            } else if now - c.obuf_soft_limit_since <= lim.soft_limit_seconds {
                soft = false;
            }
        } else {
            c.obuf_soft_limit_since = 0;
        }
        if hard || soft {
            let mut info = String::new();
            c.info_string(now, &mut info);
            warn!(
                "Client {info} scheduled to be closed ASAP for overcoming of output buffer limits."
            );
            srv.stats.client_outbuf_limit_disconnections += 1;
            srv.free_client(s);
        }
    }
}

/// Answer the WAITs whose replicas acknowledged enough.
fn serve_waiting(srv: &mut Server) {
    let waiting = std::mem::take(&mut srv.repl.waiting);
    let mut still = Vec::with_capacity(waiting.len());
    for s in waiting {
        let Some(Some(c)) = srv.clients.get(s) else {
            continue;
        };
        let Some(crate::blocking::BlockOp::Wait { offset, replicas }) =
            c.blocked.as_ref().map(|b| b.op.clone())
        else {
            continue;
        };
        let acked = count_acks(srv, offset);
        if acked >= replicas {
            crate::blocking::finish_wait(srv, s, acked);
        } else {
            still.push(s);
        }
    }
    srv.repl.waiting.extend(still);
}

/// The master half of replicationCron, once a second.
pub fn cron(srv: &mut Server) {
    let now_ms = crate::logging::now_ms();
    srv.repl.cron_loops += 1;
    let period = srv.cfg.repl_ping_replica_period.max(1) as u64;
    // PING in the stream so replicas can tell a dead link from a quiet one.
    if !srv.repl.replicas.is_empty()
        && srv.repl.cron_loops.is_multiple_of(period)
        && !srv.repl.replica.is_replica()
        && (srv.pause_until_ms == 0 || !srv.is_paused())
    {
        let db = srv.repl.seldb.max(0) as usize;
        feed(srv, db, &[Bytes::from_static(b"PING")]);
    }
    // Newlines to replicas waiting for a disk snapshot keep their link
    // alive (they ignore them).
    let disk_child = srv.rdb_child.as_ref().is_none_or(|ch| !ch.socket);
    let slots: Vec<usize> = srv.repl.replicas.clone();
    let timeout_ms = srv.cfg.repl_timeout as i64 * 1000;
    let piece_len = srv.repl.pipe.as_ref().map_or(0, |p| p.buf.len());
    for s in slots {
        let Some(Some(c)) = srv.clients.get_mut(s) else {
            continue;
        };
        let Some(r) = c.repl.as_ref() else {
            continue;
        };
        let waiting = matches!(
            r.state,
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd
        );
        if waiting && disk_child {
            c.out.push(b'\n');
            srv.queue_write(s);
            continue;
        }
        let timed_out = r.state == ReplicaState::Online
            && !r.pre_psync
            && !r.rdb_only
            && now_ms - r.ack_time_ms > timeout_ms;
        // A diskless target still owing part of the current piece with no
        // progress for repl-timeout (the others wait for it, blameless).
        let stalled = r.state == ReplicaState::WaitBgsaveEnd
            && !disk_child
            && r.pipe_sent < piece_len
            && now_ms - r.last_write_ms > timeout_ms;
        if timed_out || stalled {
            let kind = if timed_out { "streaming" } else { "full" };
            warn!(
                "Disconnecting timedout replica ({kind} sync): {}",
                replica_name(c)
            );
            srv.free_client(s);
        }
    }
    // A master without replicas for repl-backlog-ttl drops its backlog.
    let ttl = srv.cfg.repl_backlog_ttl;
    if srv.repl.replicas.is_empty()
        && ttl > 0
        && srv.repl.backlog.is_some()
        && !srv.repl.replica.is_replica()
        && srv.unixtime - srv.repl.no_replicas_since > ttl
    {
        // A new ID: nobody may continue the history we no longer keep.
        srv.repl.change_id();
        srv.repl.clear_id2();
        srv.repl.backlog = None;
        info!("Replication backlog freed after {ttl} seconds without connected replicas.");
    }
    refresh_good_replicas(srv);
}

/// The lines INFO replication shows for the replicas (`slaveN:...`).
pub fn info_replicas(srv: &Server, o: &mut String) {
    use std::fmt::Write as _;
    let now = crate::logging::now_ms();
    let mut n = 0;
    for &s in &srv.repl.replicas {
        let Some(Some(c)) = srv.clients.get(s) else {
            continue;
        };
        let Some(r) = c.repl.as_ref() else {
            continue;
        };
        let ip = replica_ip(c);
        let _ = write!(
            o,
            "slave{n}:ip={ip},port={},state={},offset={},lag={}\r\n",
            r.listening_port,
            r.state.info_name(),
            r.ack_off,
            (now - r.ack_time_ms) / 1000
        );
        n += 1;
    }
}

/// Number of connected replicas (INFO connected_slaves).
pub fn connected(srv: &Server) -> usize {
    srv.repl.replicas.len()
}

/// ROLE's replica list entries: (ip, port, acked offset) of online replicas.
pub fn role_entries(srv: &Server) -> Vec<(String, u16, i64)> {
    srv.repl
        .replicas
        .iter()
        .filter_map(|&s| {
            let c = srv.clients.get(s)?.as_ref()?;
            let r = c.repl.as_ref()?;
            if r.state != ReplicaState::Online {
                return None;
            }
            let ip = replica_ip(c);
            Some((ip, r.listening_port, r.ack_off))
        })
        .collect()
}

/// Bytes held by the replication buffer (mem_total_replication_buffers).
pub fn buffer_mem(srv: &Server) -> usize {
    srv.repl.backlog.as_ref().map_or(0, |b| b.mem())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_ip_strips_port_and_brackets() {
        assert_eq!(peer_ip("127.0.0.1:6379"), "127.0.0.1");
        assert_eq!(peer_ip("[::1]:6379"), "::1");
        assert_eq!(peer_ip("::1:6379"), "::1");
    }
}
