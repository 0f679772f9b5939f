//! Master-replica replication, PSYNC2, as Redis 7.0 does it
//! (replication.c). See DESIGN.md §6.
//!
//! * `buffer`: the shared replication buffer that is also the backlog;
//! * `master`: the master side: SYNC/PSYNC, full sync by a fork child to
//!   disk or straight to the replicas' sockets, partial resync from the
//!   backlog, feeding the stream, ACKs, WAIT, replica timeouts;
//! * `link`: the replica's connection to its master up to the stream
//!   (handshake, PSYNC, RDB transfer);
//! * `replica`: the replica side around it: REPLICAOF, loading the
//!   transferred RDB, the master client, ACKs, reconnects;
//! * `socket_load`: loading the snapshot straight from the master's socket
//!   (repl-diskless-load).
//!
//! The state lives in `Server::repl`; a connected replica is an ordinary
//! client with `Client::repl` set.

pub mod buffer;
pub mod failover;
pub mod link;
pub mod master;
pub mod replica;
pub mod socket_load;
pub mod transfer;

use buffer::ReplBuffer;
use log::warn;

use crate::server::Server;

/// afterErrorReply's warning: an error went to the other end of a
/// replication link (`from` is our role, `to` the peer's), where nobody
/// reads it; usually a sign the two datasets diverged.
pub fn log_link_error(srv: &mut Server, reply: &[u8], from: &str, to: &str, cmd: &str) {
    let Some(err) = reply.strip_prefix(b"-") else {
        return;
    };
    let line = err.split(|&b| b == b'\r').next().unwrap_or(err);
    let line = line.strip_prefix(b"ERR ").unwrap_or(line);
    let text = String::from_utf8_lossy(&line[..line.len().min(4096)]);
    warn!("== CRITICAL == This {from} is sending an error to its {to}: '{text}' after processing the command '{cmd}'");
    srv.stats.unexpected_error_replies += 1;
}

/// A replica's progress through a sync (server.h SLAVE_STATE_*).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaState {
    /// Needs a full sync; waits for a BGSAVE to start.
    WaitBgsaveStart,
    /// Its snapshot is being produced (and, diskless, sent).
    WaitBgsaveEnd,
    /// The snapshot file is being sent (disk sync).
    SendBulk,
    /// Receiving the command stream.
    Online,
}

impl ReplicaState {
    /// The name INFO replication shows (`state=`).
    pub fn info_name(self) -> &'static str {
        match self {
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => "wait_bgsave",
            ReplicaState::SendBulk => "send_bulk",
            ReplicaState::Online => "online",
        }
    }
}

/// Replica capabilities (REPLCONF capa).
pub const CAPA_EOF: u8 = 1;
pub const CAPA_PSYNC2: u8 = 2;

/// A snapshot file being sent to a replica: `$<size>\r\n` then the file.
pub struct BulkSend {
    pub file: std::fs::File,
    pub preamble: Vec<u8>,
    pub size: u64,
    /// Bytes of preamble + file already written.
    pub sent: u64,
    /// Read from the file but not yet taken by the socket.
    pub buf: Vec<u8>,
    pub buf_pos: usize,
}

/// What the master keeps about one replica connection (the slave fields
/// of Redis' client struct).
pub struct ReplicaConn {
    pub state: ReplicaState,
    pub listening_port: u16,
    pub announced_ip: Option<String>,
    pub capa: u8,
    /// Last offset it acknowledged, and when (Unix ms).
    pub ack_off: i64,
    pub ack_time_ms: i64,
    /// master_repl_offset when its full sync started.
    pub psync_initial_offset: i64,
    /// The old SYNC command: no +FULLRESYNC, no ACKs expected.
    pub pre_psync: bool,
    /// Next offset of the shared buffer to send (None: not reading it yet).
    pub pos: Option<i64>,
    /// Diskless: stream only after the replica's first ACK (it is loading).
    pub start_stream_on_ack: bool,
    pub bulk: Option<BulkSend>,
    /// Diskless transfer: bytes of the relay buffer it has taken.
    pub pipe_sent: usize,
    /// REPLCONF rdb-only: the snapshot only, no stream.
    pub rdb_only: bool,
    /// Last time something was written to it during a diskless transfer.
    pub last_write_ms: i64,
}

impl ReplicaConn {
    pub fn new() -> ReplicaConn {
        ReplicaConn {
            state: ReplicaState::WaitBgsaveStart,
            listening_port: 0,
            announced_ip: None,
            capa: 0,
            ack_off: 0,
            ack_time_ms: 0,
            psync_initial_offset: 0,
            pre_psync: false,
            pos: None,
            start_stream_on_ack: false,
            bulk: None,
            pipe_sent: 0,
            rdb_only: false,
            last_write_ms: 0,
        }
    }
}

impl Default for ReplicaConn {
    fn default() -> Self {
        Self::new()
    }
}

/// Replication state of the server.
pub struct Repl {
    /// Our replication ID and, after a switch of history, the previous
    /// one, valid up to `second_replid_offset` (exclusive).
    pub replid: String,
    pub replid2: String,
    pub second_replid_offset: i64,
    /// Offset of the last byte of our stream.
    pub master_repl_offset: i64,
    /// The shared buffer / backlog; None until the first replica (or,
    /// as a replica, until synced).
    pub backlog: Option<ReplBuffer>,
    /// Client slots of the connected replicas, in connection order.
    pub replicas: Vec<usize>,
    /// Database the stream last SELECTed; -1 forces a SELECT.
    pub seldb: i64,
    /// Unix seconds since when there have been no replicas.
    pub no_replicas_since: i64,
    /// Replicas with lag <= min-replicas-max-lag (min-replicas-to-write).
    pub good_replicas: usize,
    /// Something was appended since the last flush to the replicas.
    pub pending_flush: bool,
    /// Send REPLCONF GETACK before sleeping (WAIT).
    pub get_ack: bool,
    /// Client slots blocked in WAIT.
    pub waiting: Vec<usize>,
    /// A diskless transfer in progress.
    pub pipe: Option<transfer::DisklessPipe>,
    /// Unix ms when a replica first waited for a BGSAVE to start (the
    /// diskless delay counts from it).
    pub first_waiting_ms: i64,
    /// The replica side.
    pub replica: replica::ReplicaSide,
    /// Runs of the once-a-second replication cron.
    pub cron_loops: u64,
    /// Replication ID, offset and stream db recorded in the RDB file
    /// loaded at start-up.
    pub rdb_info: Option<(String, i64, usize)>,
    /// A FAILOVER in progress.
    pub failover: failover::Failover,
}

impl Repl {
    pub fn new() -> Repl {
        Repl {
            replid: crate::server::random_hex(40),
            replid2: "0".repeat(40),
            second_replid_offset: -1,
            master_repl_offset: 0,
            backlog: None,
            replicas: Vec::new(),
            seldb: -1,
            no_replicas_since: crate::logging::now_ms() / 1000,
            good_replicas: 0,
            pending_flush: false,
            get_ack: false,
            waiting: Vec::new(),
            pipe: None,
            first_waiting_ms: 0,
            replica: replica::ReplicaSide::default(),
            cron_loops: 0,
            rdb_info: None,
            failover: Default::default(),
        }
    }

    /// changeReplicationId: a new history starts here.
    pub fn change_id(&mut self) {
        self.replid = crate::server::random_hex(40);
    }

    /// clearReplicationId2.
    pub fn clear_id2(&mut self) {
        self.replid2 = "0".repeat(40);
        self.second_replid_offset = -1;
    }

    /// shiftReplicationId: keep the current history as the secondary one
    /// (replicas of it may continue) and start a new one.
    pub fn shift_id(&mut self) {
        self.replid2 = std::mem::take(&mut self.replid);
        // The new history's first byte is the one after our offset.
        self.second_replid_offset = self.master_repl_offset + 1;
        self.change_id();
        log::info!(
            "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
            self.replid2,
            self.second_replid_offset,
            self.replid
        );
    }
}

/// Replication work before the loop sleeps.
pub fn before_sleep(srv: &mut crate::server::Server) {
    // The link stopped reading with input left (fairness budget, or a
    // FULLRESYNC with payload already buffered): no new edge will come.
    if srv
        .repl
        .replica
        .link
        .as_ref()
        .is_some_and(|l| l.is_read_pending())
    {
        replica::on_link_event(srv);
    }
    if srv.repl.backlog.is_some() || srv.repl.first_waiting_ms != 0 || !srv.repl.waiting.is_empty()
    {
        master::before_sleep(srv);
    }
    failover::update(srv);
}

/// replicationCron: once a second.
pub fn cron(srv: &mut crate::server::Server) {
    replica::cron(srv);
    master::cron(srv);
}

impl Default for Repl {
    fn default() -> Self {
        Self::new()
    }
}
