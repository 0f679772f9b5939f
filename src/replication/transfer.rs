//! Moving data to replicas (replication.c startBgsaveForReplication,
//! updateSlavesWaitingBgsave, rdbPipeReadHandler, replicaPutOnline, and
//! the replica part of writeToClient).
//!
//! What a replica is sent, in order: its private output (`+FULLRESYNC`,
//! `\n` keep-alives), then the snapshot — a file with a `$<size>` prefix
//! (disk sync), or its share of the diskless relay, where the fork child
//! writes an EOF-marked snapshot into a pipe and the parent hands each
//! piece to every target before reading the next — then the shared buffer
//! from its own offset. Writing is driven from before_sleep and writable
//! events, like any client's replies.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};

use log::{info, warn};

use super::master::{full_resync_reply, refresh_good_replicas, replica_name};
use super::{BulkSend, ReplicaState, CAPA_EOF};
use crate::net::client::{flags, Client};
use crate::server::{Server, CLIENT_TOKEN_BASE};

/// A diskless transfer: the child writes the snapshot into a pipe; the
/// parent relays each piece to every target replica before reading more
/// (rdbPipeReadHandler).
pub struct DisklessPipe {
    pub fd: OwnedFd,
    pub buf: Vec<u8>,
    /// Target replicas (client slots) still receiving.
    pub targets: Vec<usize>,
    /// The child closed its end: all was read.
    pub eof: bool,
}

/// Size of one relay piece (PROTO_IOBUF_LEN).
const PIPE_PIECE: usize = 16 * 1024;

/// Start a BGSAVE for the replicas waiting for one, when allowed: no child
/// running, and for a diskless sync the delay passed or enough replicas
/// came (replicationStartPendingFork).
pub fn start_pending_fork(srv: &mut Server) {
    if srv.repl.first_waiting_ms == 0 || srv.rdb_child.is_some() || srv.aof.child.is_some() {
        return;
    }
    let waiting: Vec<usize> = srv
        .repl
        .replicas
        .iter()
        .copied()
        .filter(|&s| state_of(srv, s) == Some(ReplicaState::WaitBgsaveStart))
        .collect();
    if waiting.is_empty() {
        srv.repl.first_waiting_ms = 0;
        return;
    }
    let all_eof = waiting.iter().all(|&s| {
        srv.clients
            .get(s)
            .and_then(|o| o.as_ref())
            .and_then(|c| c.repl.as_ref())
            .is_some_and(|r| r.capa & CAPA_EOF != 0)
    });
    let socket = srv.cfg.repl_diskless_sync && all_eof;
    if socket {
        let waited = crate::logging::now_ms() - srv.repl.first_waiting_ms;
        let max = srv.cfg.repl_diskless_sync_max_replicas;
        let enough = max > 0 && waiting.len() >= max as usize;
        if waited < srv.cfg.repl_diskless_sync_delay as i64 * 1000 && !enough {
            return;
        }
    }
    srv.repl.first_waiting_ms = 0;
    start_bgsave_for_replication(srv, &waiting, socket);
}

fn state_of(srv: &Server, slot: usize) -> Option<ReplicaState> {
    srv.clients
        .get(slot)?
        .as_ref()?
        .repl
        .as_ref()
        .map(|r| r.state)
}

/// startBgsaveForReplication: tell each waiting replica where its stream
/// starts (+FULLRESYNC), then fork the snapshot to disk or to their sockets.
fn start_bgsave_for_replication(srv: &mut Server, waiting: &[usize], socket: bool) {
    info!(
        "Starting BGSAVE for SYNC with target: {}",
        if socket { "replicas sockets" } else { "disk" }
    );
    let offset = srv.repl.master_repl_offset;
    // The stream after the snapshot must start with a SELECT.
    srv.repl.seldb = -1;
    for &s in waiting {
        let Some(Some(mut c)) = srv.clients.get_mut(s).map(Option::take) else {
            continue;
        };
        let pre = c.repl.as_ref().is_some_and(|r| r.pre_psync);
        if let Some(r) = c.repl.as_mut() {
            r.state = ReplicaState::WaitBgsaveEnd;
            r.psync_initial_offset = offset;
            r.pos = Some(offset + 1);
            r.pipe_sent = 0;
            r.last_write_ms = crate::logging::now_ms();
        }
        if !pre {
            full_resync_reply(srv, &mut c, offset);
        }
        srv.clients[s] = Some(c);
        srv.queue_write(s);
    }
    let ok = if socket {
        start_diskless(srv, waiting)
    } else {
        crate::persistence::fork::bgsave(srv)
    };
    if !ok {
        warn!("BGSAVE for replication failed");
        for &s in waiting {
            if let Some(Some(c)) = srv.clients.get_mut(s) {
                c.flags |= flags::CLOSE_ASAP;
                c.out.clear();
                c.sent = 0;
            }
            srv.queue_write(s);
        }
    }
}

/// Fork a child writing the EOF-marked snapshot into a pipe we relay.
fn start_diskless(srv: &mut Server, targets: &[usize]) -> bool {
    let Ok((rd, wr)) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
        return false;
    };
    let _ = nix::fcntl::fcntl(
        rd.as_raw_fd(),
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
    );
    if !crate::persistence::fork::bgsave_to_pipe(srv, wr, rd.as_raw_fd()) {
        return false;
    }
    let token = mio::Token(crate::server::RDB_PIPE_TOKEN);
    let raw = rd.as_raw_fd();
    let _ = srv.poll.registry().register(
        &mut mio::unix::SourceFd(&raw),
        token,
        mio::Interest::READABLE,
    );
    srv.repl.pipe = Some(DisklessPipe {
        fd: rd,
        buf: Vec::new(),
        targets: targets.to_vec(),
        eof: false,
    });
    relay_pipe(srv);
    true
}

/// The pipe is readable, or a replica took its share: read the next piece
/// once every target has the current one, and hand it out.
pub fn relay_pipe(srv: &mut Server) {
    loop {
        let Some(p) = srv.repl.pipe.as_mut() else {
            return;
        };
        let piece_len = p.buf.len();
        // Still being delivered to someone?
        let busy = p.targets.iter().any(|&s| {
            srv.clients
                .get(s)
                .and_then(|o| o.as_ref())
                .and_then(|c| c.repl.as_ref())
                .is_some_and(|r| r.pipe_sent < piece_len)
        });
        if busy || p.eof {
            return;
        }
        let mut buf = std::mem::take(&mut p.buf);
        buf.resize(PIPE_PIECE, 0);
        let n = match nix::unistd::read(p.fd.as_raw_fd(), &mut buf) {
            Ok(0) => {
                warn!(
                    "Diskless rdb transfer, done reading from pipe, {} replicas still up.",
                    p.targets.len()
                );
                p.eof = true;
                p.buf.clear();
                let raw = p.fd.as_raw_fd();
                let _ = srv
                    .poll
                    .registry()
                    .deregister(&mut mio::unix::SourceFd(&raw));
                return;
            }
            Ok(n) => n,
            Err(nix::errno::Errno::EAGAIN) => {
                buf.clear();
                p.buf = buf;
                return;
            }
            Err(e) => {
                warn!(
                    "Diskless rdb transfer, read error sending DB to replicas: {}",
                    e.desc()
                );
                p.eof = true;
                return;
            }
        };
        buf.truncate(n);
        p.buf = buf;
        let targets = p.targets.clone();
        for s in targets {
            if let Some(Some(c)) = srv.clients.get_mut(s) {
                if let Some(r) = c.repl.as_mut() {
                    r.pipe_sent = 0;
                    // The repl-timeout clock for this piece starts now.
                    r.last_write_ms = crate::logging::now_ms();
                }
            }
            write_replica(srv, s);
        }
        // Replicas that failed were freed and dropped from the targets.
        if srv.repl.pipe.as_ref().is_some_and(|p| p.targets.is_empty()) {
            warn!("Diskless rdb transfer, last replica dropped, killing fork child.");
            kill_pipe_child(srv);
            return;
        }
    }
}

/// Whether a diskless transfer has handed out everything the child wrote
/// (the child may exit before that; it is reaped only after).
pub fn pipe_drained(srv: &Server) -> bool {
    let Some(p) = srv.repl.pipe.as_ref() else {
        return true;
    };
    p.eof
}

/// Every diskless target is gone: stop the child (Redis kills it too);
/// kill_child reports the failed save, which drops the pipe.
fn kill_pipe_child(srv: &mut Server) {
    crate::persistence::fork::kill_child(srv);
}

/// Stop watching the relay pipe and close it.
fn drop_pipe(srv: &mut Server) {
    if let Some(p) = srv.repl.pipe.take() {
        let raw = p.fd.as_raw_fd();
        let _ = srv
            .poll
            .registry()
            .deregister(&mut mio::unix::SourceFd(&raw));
    }
}

/// updateSlavesWaitingBgsave: the replication snapshot is done. Disk:
/// send the file to every replica waiting for it. Diskless: they have it;
/// they get the stream after their first ACK. A failed save drops them.
pub fn bgsave_done(srv: &mut Server, ok: bool, socket: bool) {
    drop_pipe(srv);
    let slots: Vec<usize> = srv.repl.replicas.clone();
    for s in slots {
        let Some(Some(mut c)) = srv.clients.get_mut(s).map(Option::take) else {
            continue;
        };
        let waiting = c
            .repl
            .as_ref()
            .is_some_and(|r| r.state == ReplicaState::WaitBgsaveEnd);
        if waiting {
            let name = replica_name(&c);
            if !ok {
                warn!("SYNC failed. BGSAVE child returned an error");
                c.flags |= flags::CLOSE_ASAP;
            } else if socket {
                info!("Streamed RDB transfer with replica {name} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming");
                let rdb_only = c.repl.as_ref().is_some_and(|r| r.rdb_only);
                if let Some(r) = c.repl.as_mut() {
                    r.state = ReplicaState::Online;
                    r.start_stream_on_ack = true;
                    r.ack_time_ms = crate::logging::now_ms();
                }
                if rdb_only {
                    c.flags |= flags::CLOSE_AFTER_REPLY;
                }
            } else if let Err(e) = open_bulk(srv, &mut c) {
                warn!("SYNC failed. Can't open/stat DB after BGSAVE: {e}");
                c.flags |= flags::CLOSE_ASAP;
            }
        }
        srv.clients[s] = Some(c);
        if waiting {
            srv.queue_write(s);
        }
    }
    refresh_good_replicas(srv);
    // Replicas that came while this child ran get the next one.
    if srv
        .repl
        .replicas
        .iter()
        .any(|&s| state_of(srv, s) == Some(ReplicaState::WaitBgsaveStart))
        && srv.repl.first_waiting_ms == 0
    {
        srv.repl.first_waiting_ms = crate::logging::now_ms();
    }
}

fn open_bulk(srv: &Server, c: &mut Client) -> io::Result<()> {
    let file = std::fs::File::open(&srv.cfg.dbfilename)?;
    let size = file.metadata()?.len();
    if let Some(r) = c.repl.as_mut() {
        r.state = ReplicaState::SendBulk;
        r.bulk = Some(BulkSend {
            file,
            preamble: format!("${size}\r\n").into_bytes(),
            size,
            sent: 0,
            buf: Vec::new(),
            buf_pos: 0,
        });
    }
    Ok(())
}

/// replicaPutOnline: the snapshot is delivered; the stream follows.
fn put_online(c: &mut Client) {
    let name = replica_name(c);
    if let Some(r) = c.repl.as_mut() {
        r.state = ReplicaState::Online;
        r.ack_time_ms = crate::logging::now_ms();
    }
    info!("Synchronization with replica {name} succeeded");
}

/// Write what a replica has pending (private output, snapshot, stream) as
/// far as its socket takes it; manages its writable interest; frees it on
/// error.
pub fn write_replica(srv: &mut Server, slot: usize) {
    let Some(Some(mut c)) = srv.clients.get_mut(slot).map(Option::take) else {
        return;
    };
    let res = write_replica_inner(srv, &mut c);
    let mut put_online_now = false;
    if let Ok(true) = res {
        if c.repl
            .as_ref()
            .is_some_and(|r| r.state == ReplicaState::SendBulk && r.bulk.is_none())
        {
            put_online_now = true;
        }
    }
    if put_online_now {
        put_online(&mut c);
        refresh_good_replicas(srv);
    }
    // A just-online replica may have stream to send right away.
    let res = if put_online_now {
        write_replica_inner(srv, &mut c)
    } else {
        res
    };
    srv.clients[slot] = Some(c);
    match res {
        Ok(done) => {
            srv.set_write_interest(slot, !done);
            let closing = srv.clients[slot]
                .as_ref()
                .is_some_and(|c| c.flags & (flags::CLOSE_AFTER_REPLY | flags::CLOSE_ASAP) != 0);
            if done && closing {
                srv.free_client(slot);
            }
        }
        Err(e) => {
            if let Some(Some(c)) = srv.clients.get(slot) {
                info!("Error writing to replica {}: {e}", replica_name(c));
            }
            srv.free_client(slot);
        }
    }
}

/// Ok(true) when nothing is left to write for now.
fn write_replica_inner(srv: &mut Server, c: &mut Client) -> io::Result<bool> {
    if c.flags & flags::CLOSE_ASAP != 0 {
        return Ok(true);
    }
    let before = c.pending_output();
    let done = c.write_pending()?;
    srv.stats.net_repl_output_bytes += (before - c.pending_output()) as u64;
    if !done {
        return Ok(false);
    }
    let Some(r) = c.repl.as_mut() else {
        return Ok(true);
    };
    // The snapshot file.
    if let Some(b) = r.bulk.as_mut() {
        loop {
            if b.buf_pos == b.buf.len() {
                b.buf.clear();
                b.buf_pos = 0;
                let pre = b.preamble.len() as u64;
                if b.sent < pre {
                    b.buf.extend_from_slice(&b.preamble[b.sent as usize..]);
                } else if b.sent < pre + b.size {
                    b.buf.resize(PIPE_PIECE, 0);
                    let n = b.file.read(&mut b.buf)?;
                    if n == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "premature EOF reading the RDB file",
                        ));
                    }
                    b.buf.truncate(n);
                } else {
                    r.bulk = None;
                    break;
                }
            }
            match c.conn.write(&b.buf[b.buf_pos..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    b.buf_pos += n;
                    b.sent += n as u64;
                    srv.stats.net_repl_output_bytes += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // SendBulk with no bulk left: the caller puts it online.
        return Ok(true);
    }
    // Its share of the diskless relay.
    if r.state == ReplicaState::WaitBgsaveEnd {
        if let Some(p) = srv.repl.pipe.as_ref() {
            if p.targets.contains(&slot_of_token(c.token)) {
                while r.pipe_sent < p.buf.len() {
                    match c.conn.write(&p.buf[r.pipe_sent..]) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(n) => {
                            r.pipe_sent += n;
                            r.last_write_ms = crate::logging::now_ms();
                            srv.stats.net_repl_output_bytes += n as u64;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        return Ok(true);
    }
    // The stream.
    if r.state != ReplicaState::Online || r.start_stream_on_ack || r.rdb_only {
        return Ok(true);
    }
    let Some(b) = srv.repl.backlog.as_ref() else {
        return Ok(true);
    };
    while let Some(pos) = r.pos {
        let Some(chunk) = b.chunk_at(pos) else {
            // Cannot happen: trim keeps what readers need. Resync it.
            return Err(io::Error::other("replica fell behind the backlog"));
        };
        if chunk.is_empty() {
            return Ok(true);
        }
        match c.conn.write(chunk) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                r.pos = Some(pos + n as i64);
                srv.stats.net_repl_output_bytes += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn slot_of_token(token: usize) -> usize {
    token - CLIENT_TOKEN_BASE
}

/// Write what a diskless child produces (EOF-marked) to a pipe: runs in the
/// child. The mark is 40 random characters, as Redis' rdbSaveRioWithEOFMark.
pub fn write_eof_marked<W: Write>(
    mut out: W,
    body: impl FnOnce(&mut W) -> io::Result<()>,
) -> io::Result<W> {
    let mark = crate::server::random_hex(40);
    write!(out, "$EOF:{mark}\r\n")?;
    body(&mut out)?;
    out.write_all(mark.as_bytes())?;
    out.flush()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eof_marked_payload_ends_with_the_mark_it_announces() {
        let out = write_eof_marked(Vec::new(), |w| w.write_all(b"REDIS0010...")).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mark = &text[5..45];
        assert!(text.starts_with("$EOF:"));
        assert_eq!(&text[45..47], "\r\n");
        assert!(text.ends_with(mark));
        assert!(text.contains("REDIS0010..."));
    }
}
