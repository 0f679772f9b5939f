//! The replica's side of the link to its master, from the TCP connect up to
//! the first byte of the master's command stream. It covers what Redis does
//! in replication.c's connectWithMaster, syncWithMaster,
//! slaveTryPartialResynchronization and the receiving half of
//! readSyncBulkPayload, and prints the same log lines (the Redis test suite
//! and operators grep for them).
//!
//! Redis runs the handshake with short blocking reads and writes (syncio.c);
//! here nothing ever blocks. Replies are assembled in `rbuf` from whatever
//! the socket hands over, commands leave through `wbuf` as fast as the
//! socket takes them, and the caller re-enters `on_ready` on every event for
//! our token and on its cron tick. The sequence, one state per reply awaited:
//!
//! ```text
//! connect ─► PING ─► +PONG ─► [AUTH] REPLCONF listening-port [REPLCONF ip-address]
//!   REPLCONF capa eof capa psync2   (pipelined; replies read in order)
//! ─► PSYNC <replid> <offset+1> | PSYNC ? -1
//!      ├─ +CONTINUE [<replid>]      ─► Step::Continue, the stream follows
//!      └─ +FULLRESYNC <replid> <off> ─► Step::FullResync
//!           ─► ("\n" keep-alives) $<len>\r\n<len bytes> | $EOF:<mark>\r\n…<mark>
//!           ─► Step::TransferDone
//! ```
//!
//! Invariants: a length announced by the master is never allocated up front
//! (the payload streams to the temp file, or grows a Vec as bytes arrive);
//! outside the payload we hold at most one reply line plus one read chunk;
//! the temp file is ours (removed on failure, abort or drop) until
//! `TransferDone` hands it to the caller, already fsynced and closed. Bytes
//! read past the end of the handshake or payload belong to the command
//! stream and are handed over by `into_stream`.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::ToSocketAddrs;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use log::{info, warn};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use crate::config::errno_text;

/// Length of a replication ID and of the diskless EOF mark (Redis'
/// CONFIG_RUN_ID_SIZE).
const RUN_ID_SIZE: usize = 40;
/// One socket read (Redis' PROTO_IOBUF_LEN).
const READ_CHUNK: usize = 16 * 1024;
/// Bytes one `on_ready` call reads before handing control back to the loop,
/// so a fast master cannot starve the clients during a large transfer (Redis
/// reads one chunk per event; we read up to 64 and say so in
/// `is_read_pending`, because edge-triggered mio will not repeat the event).
const READ_BUDGET: usize = 64 * READ_CHUNK;
/// fsync the temp file after this many bytes, so the final fsync does not
/// stall the loop on gigabytes of dirty pages (REPL_MAX_WRITTEN_BEFORE_FSYNC).
const FSYNC_EVERY: u64 = 8 * 1024 * 1024;
/// A reply or bulk-count line longer than this is not a Redis master
/// talking (Redis' own buffers are 256 and 1024 bytes).
const MAX_LINE: usize = 4096;

/// What the caller knows about the master it is following, and how to
/// receive the payload. (No Debug: it carries masterauth.)
#[derive(Clone)]
pub struct LinkParams {
    pub host: String,
    pub port: u16,
    pub masteruser: Option<String>,
    pub masterauth: Option<String>,
    /// Port we announce (replica-announce-port, else our own port).
    pub listening_port: u16,
    /// replica-announce-ip, sent as REPLCONF ip-address when set.
    pub announce_ip: Option<String>,
    /// The master we were following before (cached replid, our offset): we
    /// ask PSYNC <replid> <offset+1>; None asks PSYNC ? -1.
    pub psync_from: Option<(String, i64)>,
    /// Receive the RDB into memory (repl-diskless-load on-empty-db/swapdb
    /// when the caller decided so) instead of a temp file.
    pub load_to_memory: bool,
    /// Temp file for a disk load, Redis' "temp-<unixtime>.<pid>.rdb" in the cwd.
    pub temp_file: PathBuf,
    /// repl-timeout in ms (handshake and transfer inactivity limit).
    pub timeout_ms: i64,
    /// bind-source-addr: the local address the connection comes from.
    pub source_addr: Option<String>,
    /// A coordinated failover: PSYNC carries FAILOVER, asking the master
    /// to hand its role over to us.
    pub failover: bool,
}

/// Where the received RDB payload is (without framing or EOF mark).
#[derive(Debug, PartialEq, Eq)]
pub enum Payload {
    /// `LinkParams::temp_file`, fsynced and closed; the caller renames it.
    File(PathBuf),
}

/// What `on_ready` has to report.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing to do until the socket is ready again.
    Wait,
    /// The master answered +FULLRESYNC <replid> <offset>; the payload follows
    /// (call on_ready again at once: it may already be buffered). The caller
    /// records replid/offset. A malformed reply gives an empty replid and
    /// offset -1, as Redis keeps going with a blanked master replid; so does
    /// a master that refused PSYNC, to which SYNC was sent instead.
    FullResync { replid: String, offset: i64 },
    /// The whole RDB payload arrived (size-prefixed `$<len>\r\n` or the
    /// diskless `$EOF:<40 bytes mark>\r\n ... <mark>` form, with the
    /// master's "\n" keep-alives before it skipped). Bytes read past the
    /// payload are returned by into_stream().
    TransferDone(Payload),
    /// The `$` line arrived and the payload is to be loaded straight from
    /// the socket (repl-diskless-load): the caller takes the socket with
    /// into_stream() and parses the payload as it arrives.
    LoadFromSocket(SocketFraming),
    /// +CONTINUE [<new replid>]: partial resync accepted; the link now
    /// carries the command stream (into_stream()). `new_replid` is set only
    /// when the master announced an ID other than the one we asked for.
    Continue { new_replid: Option<String> },
    /// The attempt failed (already logged with Redis' text, socket closed,
    /// temp file removed); the caller drops the link and retries later.
    Failed,
}

/// How a payload loaded from the socket ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketFraming {
    /// `$<len>`: exactly this many bytes.
    Sized(u64),
    /// `$EOF:<mark>`: the RDB image, then these 40 bytes.
    Eof([u8; RUN_ID_SIZE]),
}

/// The reply the handshake is waiting for, in the order they arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Awaiting {
    Pong,
    Auth,
    Port,
    Ip,
    Capa,
    Psync,
}

/// How the end of the payload is recognised.
enum Framing {
    /// `$<len>`: this many bytes are still to come.
    Sized { left: u64 },
    /// `$EOF:<mark>`: the payload ends with the 40-byte mark. `tail` holds
    /// the last bytes received (at most 39 between calls) that might be the
    /// start of the mark, so they are not yet written out.
    Eof {
        mark: [u8; RUN_ID_SIZE],
        tail: Vec<u8>,
    },
}

enum State {
    /// Non-blocking connect in progress.
    Connecting,
    /// Handshake command(s) sent, waiting for this reply.
    Handshake(Awaiting),
    /// +FULLRESYNC received; waiting for the `$` line (or keep-alives).
    BulkCount,
    Payload(Framing),
    /// Continue or TransferDone was returned: only into_stream is left.
    Done,
    /// Failed was returned: the socket is closed.
    Failed,
}

/// Where payload bytes go.
enum Sink {
    /// Not opened yet (before +FULLRESYNC) or handed over.
    Closed,
    File {
        file: File,
        unsynced: u64,
    },
}

/// The attempt is over; the reason has already been logged.
struct Abort;

/// The replica's connection to its master until the command stream starts.
pub struct MasterLink {
    p: LinkParams,
    /// None once the link failed or was taken apart.
    stream: Option<TcpStream>,
    state: State,
    /// Received bytes not consumed yet.
    rbuf: Vec<u8>,
    /// Encoded commands not yet taken by the socket.
    wbuf: Vec<u8>,
    sink: Sink,
    /// The temp file exists and is still ours to delete.
    owns_temp_file: bool,
    /// Payload bytes read from the socket (with the EOF mark), Redis'
    /// repl_transfer_read.
    transfer_read: u64,
    /// Redis' repl_transfer_size: -1 until the `$` line, then the announced
    /// length, 0 for the EOF-marked form.
    transfer_size: i64,
    last_io_ms: i64,
    /// on_ready stopped with input possibly left in the socket or rbuf.
    read_pending: bool,
}

impl MasterLink {
    /// Starts the non-blocking connect and registers the socket with
    /// `registry` under `token` (readable + writable). Logs Redis'
    /// "Connecting to MASTER host:port" and "MASTER <-> REPLICA sync started".
    /// An Err (name not resolved, connect refused at once) is logged as
    /// "Unable to connect to MASTER: ..."; the caller retries from cron.
    /// The host name is resolved here, blocking, as Redis' getaddrinfo does.
    pub fn start(
        p: LinkParams,
        registry: &Registry,
        token: Token,
        now_ms: i64,
    ) -> io::Result<MasterLink> {
        info!("Connecting to MASTER {}:{}", p.host, p.port);
        let mut stream = match connect_any(&p.host, p.port, p.source_addr.as_deref()) {
            Ok(s) => s,
            Err(e) => {
                warn!("Unable to connect to MASTER: {}", errno_text(&e));
                return Err(e);
            }
        };
        if let Err(e) =
            registry.register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
        {
            warn!("Unable to connect to MASTER: {}", errno_text(&e));
            return Err(e);
        }
        info!("MASTER <-> REPLICA sync started");
        Ok(MasterLink {
            p,
            stream: Some(stream),
            state: State::Connecting,
            rbuf: Vec::new(),
            wbuf: Vec::new(),
            sink: Sink::Closed,
            owns_temp_file: false,
            transfer_read: 0,
            transfer_size: -1,
            last_io_ms: now_ms,
            read_pending: false,
        })
    }

    /// Drive the state machine after an event on the token or a cron tick:
    /// safe to call any time, never blocks, reads and writes only what the
    /// socket takes. Applies repl-timeout against the last input received.
    /// After a step other than Wait, Continue, TransferDone and Failed, or
    /// whenever `is_read_pending()`, call again without waiting for an event.
    pub fn on_ready(&mut self, registry: &Registry, now_ms: i64) -> Step {
        self.read_pending = false;
        match self.state {
            State::Done => return Step::Wait,
            State::Failed => return Step::Failed,
            _ => {}
        }
        match self.drive(now_ms) {
            Ok(Step::Wait) if self.timed_out(now_ms) => {
                self.fail(registry);
                Step::Failed
            }
            Ok(step) => step,
            Err(Abort) => {
                self.fail(registry);
                Step::Failed
            }
        }
    }

    /// True when the last on_ready left input unprocessed (read budget spent,
    /// or a FullResync was returned with payload bytes possibly buffered):
    /// edge-triggered readiness will not fire again for it, so the caller
    /// calls on_ready again from before_sleep.
    pub fn is_read_pending(&self) -> bool {
        self.read_pending
    }

    /// For ROLE and INFO replication: "connecting", "handshake", "sync"
    /// (receiving the payload: master_sync_in_progress:1), "connected" once
    /// Continue/TransferDone was returned, "connect" after a failure. All
    /// but "connected" are master_link_status:down.
    pub fn state_name(&self) -> &'static str {
        match self.state {
            State::Connecting => "connecting",
            State::Handshake(_) => "handshake",
            State::BulkCount | State::Payload(_) => "sync",
            State::Done => "connected",
            State::Failed => "connect",
        }
    }

    /// (bytes of payload read so far, announced size) as INFO's
    /// master_sync_read_bytes / master_sync_total_bytes: the size is -1
    /// until the `$` line arrived and 0 for the EOF-marked form, like
    /// Redis' repl_transfer_size.
    pub fn transfer_progress(&self) -> (u64, i64) {
        (self.transfer_read, self.transfer_size)
    }

    /// Unix ms of the last bytes received from the master (or of start()).
    pub fn last_io_ms(&self) -> i64 {
        self.last_io_ms
    }

    /// After Continue, TransferDone or LoadFromSocket: the socket, already
    /// deregistered here (register it again as the master client), and the
    /// bytes already read past the reply (command stream, or for
    /// LoadFromSocket the payload's start). Calling it in any other state
    /// is a caller bug and panics.
    pub fn into_stream(mut self, registry: &Registry) -> (TcpStream, Vec<u8>) {
        assert!(
            matches!(self.state, State::Done),
            "MasterLink::into_stream before Continue/TransferDone"
        );
        let mut stream = self
            .stream
            .take()
            .expect("a Done link keeps its socket until into_stream");
        // Deregistering can only fail if it was never registered; either
        // way the caller registers it afresh.
        let _ = registry.deregister(&mut stream);
        (stream, std::mem::take(&mut self.rbuf))
    }

    /// Abort (REPLICAOF NO ONE, shutdown, new master): deregister and
    /// close; a partial temp file is removed (by Drop).
    pub fn abort(mut self, registry: &Registry) {
        if let Some(mut stream) = self.stream.take() {
            let _ = registry.deregister(&mut stream);
        }
    }

    // ---- the state machine ----

    /// One on_ready pass: finish the connect, push pending writes, then
    /// alternate consuming buffered input and reading more until the socket
    /// is drained, the budget is spent, or a step must be reported.
    fn drive(&mut self, now_ms: i64) -> Result<Step, Abort> {
        if matches!(self.state, State::Connecting) {
            if !self.connect_finished()? {
                return Ok(Step::Wait);
            }
            info!("Non blocking connect for SYNC fired the event.");
            self.queue(&[b"PING"]);
            self.state = State::Handshake(Awaiting::Pong);
        }
        self.flush()?;
        let mut budget = READ_BUDGET;
        loop {
            let step = self.advance()?;
            // Replies may have queued the next commands.
            self.flush()?;
            if let Some(step) = step {
                if matches!(step, Step::FullResync { .. }) {
                    self.read_pending = true;
                }
                return Ok(step);
            }
            match self.fill(now_ms)? {
                Some(n) => {
                    budget = budget.saturating_sub(n);
                    if budget == 0 {
                        self.read_pending = true;
                        return Ok(Step::Wait);
                    }
                }
                None => return Ok(Step::Wait),
            }
        }
    }

    /// After the writable event of a non-blocking connect: Ok(true) once
    /// connected, Ok(false) while still in progress (e.g. called from cron).
    fn connect_finished(&mut self) -> Result<bool, Abort> {
        let Some(stream) = self.stream.as_ref() else {
            return Err(Abort);
        };
        let failure = match stream.take_error() {
            Ok(Some(e)) | Err(e) => Some(e),
            Ok(None) => match stream.peer_addr() {
                Ok(_) => None,
                Err(e)
                    if e.kind() == io::ErrorKind::NotConnected
                        || e.raw_os_error() == Some(nix::libc::EINPROGRESS) =>
                {
                    return Ok(false)
                }
                Err(e) => Some(e),
            },
        };
        match failure {
            None => Ok(true),
            Some(e) => {
                warn!("Error condition on socket for SYNC: {}", errno_text(&e));
                Err(Abort)
            }
        }
    }

    /// Consume buffered input according to the state. Ok(None): more input
    /// is needed.
    fn advance(&mut self) -> Result<Option<Step>, Abort> {
        loop {
            match self.state {
                State::Handshake(awaiting) => {
                    let Some(line) = self.take_line()? else {
                        return Ok(None);
                    };
                    if let Some(step) = self.on_reply(awaiting, &line)? {
                        return Ok(Some(step));
                    }
                }
                State::BulkCount => {
                    let Some(line) = self.take_line()? else {
                        return Ok(None);
                    };
                    if let Some(step) = self.on_bulk_count(&line)? {
                        return Ok(Some(step));
                    }
                }
                State::Payload(_) => return self.on_payload(),
                State::Connecting | State::Done | State::Failed => return Ok(None),
            }
        }
    }

    /// One handshake reply line (CRLF stripped).
    fn on_reply(&mut self, awaiting: Awaiting, line: &[u8]) -> Result<Option<Step>, Abort> {
        let text = String::from_utf8_lossy(line);
        match awaiting {
            Awaiting::Pong => {
                // A master requiring AUTH answers PING with an auth error;
                // that still proves it is a Redis that can replicate to us
                // (old versions say "operation not permitted").
                let acceptable = line.starts_with(b"+")
                    || line.starts_with(b"-NOAUTH")
                    || line.starts_with(b"-NOPERM")
                    || line.starts_with(b"-ERR operation not permitted");
                if !acceptable {
                    warn!("Error reply to PING from master: '{text}'");
                    return Err(Abort);
                }
                info!("Master replied to PING, replication can continue...");
                self.queue_handshake();
            }
            Awaiting::Auth => {
                if line.starts_with(b"-") {
                    warn!("Unable to AUTH to MASTER: {text}");
                    return Err(Abort);
                }
            }
            // Older masters may not know these REPLCONF options: not fatal.
            Awaiting::Port => non_critical(line, "listening-port"),
            Awaiting::Ip => non_critical(line, "ip-address"),
            Awaiting::Capa => {
                non_critical(line, "capa");
                self.queue_psync();
            }
            Awaiting::Psync => return self.on_psync_reply(line),
        }
        self.state = State::Handshake(self.next_reply(awaiting));
        Ok(None)
    }

    /// Which reply follows `done`, skipping the commands we did not send.
    fn next_reply(&self, done: Awaiting) -> Awaiting {
        match done {
            Awaiting::Pong if self.p.masterauth.is_some() => Awaiting::Auth,
            Awaiting::Pong | Awaiting::Auth => Awaiting::Port,
            Awaiting::Port if self.p.announce_ip.is_some() => Awaiting::Ip,
            Awaiting::Port | Awaiting::Ip => Awaiting::Capa,
            Awaiting::Capa | Awaiting::Psync => Awaiting::Psync,
        }
    }

    /// AUTH and the REPLCONFs go out together after the PONG (as Redis'
    /// REPL_STATE_SEND_HANDSHAKE); their replies are then read in order.
    fn queue_handshake(&mut self) {
        if let Some(pass) = self.p.masterauth.clone() {
            match self.p.masteruser.clone() {
                Some(user) => self.queue(&[b"AUTH", user.as_bytes(), pass.as_bytes()]),
                None => self.queue(&[b"AUTH", pass.as_bytes()]),
            }
        }
        let port = self.p.listening_port.to_string();
        self.queue(&[b"REPLCONF", b"listening-port", port.as_bytes()]);
        if let Some(ip) = self.p.announce_ip.clone() {
            self.queue(&[b"REPLCONF", b"ip-address", ip.as_bytes()]);
        }
        // eof: we accept the diskless `$EOF:<mark>` form; psync2: we
        // understand `+CONTINUE <new replid>`.
        self.queue(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"]);
    }

    fn queue_psync(&mut self) {
        let (replid, next) = match self.p.psync_from.clone() {
            Some((replid, offset)) => {
                let next = offset.saturating_add(1).to_string();
                info!("Trying a partial resynchronization (request {replid}:{next}).");
                (replid, next)
            }
            None => {
                info!("Partial resynchronization not possible (no cached master)");
                ("?".to_string(), "-1".to_string())
            }
        };
        if self.p.failover {
            self.queue(&[b"PSYNC", replid.as_bytes(), next.as_bytes(), b"FAILOVER"]);
        } else {
            self.queue(&[b"PSYNC", replid.as_bytes(), next.as_bytes()]);
        }
    }

    /// The PSYNC reply: full resync, partial resync, or a reason to retry.
    fn on_psync_reply(&mut self, line: &[u8]) -> Result<Option<Step>, Abort> {
        let text = String::from_utf8_lossy(line);
        if line.is_empty() {
            // The master may send newlines while it prepares the reply.
            return Ok(None);
        }
        if line.starts_with(b"+FULLRESYNC") {
            let (replid, offset) = match parse_fullresync(&text) {
                Some((id, off)) => {
                    info!("Full resync from master: {id}:{off}");
                    (id.to_string(), off)
                }
                None => {
                    warn!("Master replied with wrong +FULLRESYNC syntax.");
                    (String::new(), -1)
                }
            };
            self.open_sink()?;
            self.state = State::BulkCount;
            self.transfer_size = -1;
            self.transfer_read = 0;
            return Ok(Some(Step::FullResync { replid, offset }));
        }
        if line.starts_with(b"+CONTINUE") {
            return self.on_continue(&text);
        }
        if line.starts_with(b"-NOMASTERLINK") || line.starts_with(b"-LOADING") {
            info!("Master is currently unable to PSYNC but should be in the future: {text}");
            return Err(Abort);
        }
        if line.starts_with(b"-ERR") {
            info!("Master does not support PSYNC or is in error state (reply: {text})");
        } else {
            warn!("Unexpected reply to PSYNC from master: {text}");
        }
        // A master from before PSYNC: the old SYNC sends the payload
        // without a +FULLRESYNC line, and no offsets to continue from.
        info!("Retrying with SYNC...");
        self.queue(&[b"SYNC"]);
        self.open_sink()?;
        self.state = State::BulkCount;
        self.transfer_size = -1;
        self.transfer_read = 0;
        Ok(Some(Step::FullResync {
            replid: String::new(),
            offset: -1,
        }))
    }

    /// +CONTINUE [<replid>]: the rest of rbuf is already command stream.
    fn on_continue(&mut self, text: &str) -> Result<Option<Step>, Abort> {
        let Some((asked, _)) = self.p.psync_from.as_ref() else {
            // We sent PSYNC ? -1, which can only be answered by a full sync.
            warn!("Unexpected reply to PSYNC from master: {text}");
            return Err(Abort);
        };
        info!("Successful partial resynchronization with master.");
        // A master that was promoted (failover) continues our history under
        // a new ID; an ID of any other length is ignored, as Redis does.
        let announced = text
            .get("+CONTINUE".len()..)
            .and_then(|rest| rest.strip_prefix(' '))
            .filter(|id| id.len() == RUN_ID_SIZE);
        let new_replid = match announced {
            Some(id) if id != asked => {
                warn!("Master replication ID changed to {id}");
                Some(id.to_string())
            }
            _ => None,
        };
        info!("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        self.state = State::Done;
        Ok(Some(Step::Continue { new_replid }))
    }

    /// Create the temp file (or the Vec) before the payload starts, as Redis
    /// opens temp-<time>.<pid>.rdb right after the PSYNC reply.
    fn open_sink(&mut self) -> Result<(), Abort> {
        if self.p.load_to_memory {
            // The payload is parsed from the socket (LoadFromSocket).
            return Ok(());
        }
        let opened = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&self.p.temp_file);
        match opened {
            Ok(file) => {
                self.owns_temp_file = true;
                self.sink = Sink::File { file, unsynced: 0 };
                Ok(())
            }
            Err(e) => {
                warn!(
                    "Opening the temp file needed for MASTER <-> REPLICA synchronization: {}",
                    errno_text(&e)
                );
                Err(Abort)
            }
        }
    }

    /// The line announcing the payload, or a keep-alive newline before it.
    fn on_bulk_count(&mut self, line: &[u8]) -> Result<Option<Step>, Abort> {
        let text = String::from_utf8_lossy(line);
        if line.is_empty() {
            // A newline keeps the link alive while the master's fork writes
            // the RDB; last_io_ms was refreshed when it was read.
            return Ok(None);
        }
        if let Some(msg) = line.strip_prefix(b"-") {
            warn!(
                "MASTER aborted replication with an error: {}",
                String::from_utf8_lossy(msg)
            );
            return Err(Abort);
        }
        let Some(count) = line.strip_prefix(b"$") else {
            warn!(
                "Bad protocol from MASTER, the first byte is not '$' (we received '{text}'), are you sure the host and port are right?"
            );
            return Err(Abort);
        };
        let target = if self.p.load_to_memory {
            "to parser"
        } else {
            "to disk"
        };
        let mark = count
            .strip_prefix(b"EOF:")
            .and_then(|m| m.get(..RUN_ID_SIZE))
            .and_then(|m| <[u8; RUN_ID_SIZE]>::try_from(m).ok());
        if let Some(mark) = mark {
            info!("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF {target}");
            self.transfer_size = 0;
            if self.p.load_to_memory {
                self.state = State::Done;
                return Ok(Some(Step::LoadFromSocket(SocketFraming::Eof(mark))));
            }
            self.state = State::Payload(Framing::Eof {
                mark,
                tail: Vec::new(),
            });
            return Ok(None);
        }
        // Redis takes strtol's best effort here; a length that is not a
        // plain non-negative number means the stream is not what we think.
        let Some(len) = parse_len(count) else {
            warn!("Bad protocol from MASTER, invalid bulk length (we received '{text}')");
            return Err(Abort);
        };
        info!("MASTER <-> REPLICA sync: receiving {len} bytes from master {target}");
        self.transfer_size = i64::try_from(len).unwrap_or(i64::MAX);
        if self.p.load_to_memory {
            self.state = State::Done;
            return Ok(Some(Step::LoadFromSocket(SocketFraming::Sized(len))));
        }
        self.state = State::Payload(Framing::Sized { left: len });
        Ok(None)
    }

    /// Move buffered payload bytes to the sink; report TransferDone at the
    /// end, leaving any bytes after the payload in rbuf.
    fn on_payload(&mut self) -> Result<Option<Step>, Abort> {
        let State::Payload(framing) = &mut self.state else {
            return Ok(None);
        };
        match framing {
            Framing::Sized { left } => {
                let n = usize::try_from(*left)
                    .unwrap_or(usize::MAX)
                    .min(self.rbuf.len());
                if n > 0 {
                    write_sink(&mut self.sink, &self.rbuf[..n])?;
                    self.rbuf.drain(..n);
                    *left -= n as u64;
                    self.transfer_read += n as u64;
                }
                if *left > 0 {
                    return Ok(None);
                }
            }
            Framing::Eof { mark, tail } => {
                if self.rbuf.is_empty() {
                    return Ok(None);
                }
                // Look for the mark in what we held back plus the new bytes,
                // so a mark split across reads is still found. Redis only
                // compares the last 40 bytes of each read; searching the
                // whole window also stops at a mark followed by more data.
                self.transfer_read += self.rbuf.len() as u64;
                tail.append(&mut self.rbuf);
                match memchr::memmem::find(tail, &mark[..]) {
                    Some(at) => {
                        write_sink(&mut self.sink, &tail[..at])?;
                        self.rbuf = tail.split_off(at + RUN_ID_SIZE);
                        // The mark ends within the new bytes, so whatever
                        // follows it was counted just above.
                        self.transfer_read =
                            self.transfer_read.saturating_sub(self.rbuf.len() as u64);
                        tail.clear();
                    }
                    None => {
                        // Hold back what could be the start of the mark.
                        let cut = tail.len().saturating_sub(RUN_ID_SIZE - 1);
                        write_sink(&mut self.sink, &tail[..cut])?;
                        tail.drain(..cut);
                        return Ok(None);
                    }
                }
            }
        }
        self.finish_transfer().map(Some)
    }

    /// The payload is complete: make the temp file durable and hand it over.
    fn finish_transfer(&mut self) -> Result<Step, Abort> {
        let payload = match std::mem::replace(&mut self.sink, Sink::Closed) {
            Sink::File { file, .. } => {
                if let Err(e) = file.sync_all() {
                    warn!(
                        "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: {}",
                        errno_text(&e)
                    );
                    return Err(Abort);
                }
                drop(file);
                self.owns_temp_file = false;
                Payload::File(self.p.temp_file.clone())
            }
            // open_sink runs before any payload state is entered.
            Sink::Closed => return Err(Abort),
        };
        self.state = State::Done;
        Ok(Step::TransferDone(payload))
    }

    // ---- I/O ----

    /// Append one command in RESP multibulk form to the write buffer.
    fn queue(&mut self, args: &[&[u8]]) {
        self.wbuf
            .extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            self.wbuf
                .extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            self.wbuf.extend_from_slice(arg);
            self.wbuf.extend_from_slice(b"\r\n");
        }
    }

    /// Write what the socket takes; the rest waits for the next event.
    fn flush(&mut self) -> Result<(), Abort> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(Abort);
        };
        while !self.wbuf.is_empty() {
            match stream.write(&self.wbuf) {
                Ok(0) => {
                    let e = io::Error::from(io::ErrorKind::WriteZero);
                    return Err(write_failed(&e));
                }
                Ok(n) => {
                    self.wbuf.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(write_failed(&e)),
            }
        }
        Ok(())
    }

    /// One read into rbuf: Some(bytes read), or None when the socket has
    /// nothing more for now. End of stream and errors are logged in the
    /// words Redis uses for the current stage.
    fn fill(&mut self, now_ms: i64) -> Result<Option<usize>, Abort> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(Abort);
        };
        let start = self.rbuf.len();
        self.rbuf.resize(start + READ_CHUNK, 0);
        let outcome = loop {
            match stream.read(&mut self.rbuf[start..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        let got = match &outcome {
            Ok(n) => *n,
            Err(_) => 0,
        };
        self.rbuf.truncate(start + got);
        match outcome {
            Ok(0) => Err(self.read_failed("connection lost")),
            Ok(n) => {
                self.last_io_ms = now_ms;
                Ok(Some(n))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(self.read_failed(&errno_text(&e))),
        }
    }

    fn read_failed(&self, why: &str) -> Abort {
        match self.state {
            State::Handshake(awaiting) => {
                warn!("Failed to read response from the server: {why}");
                if awaiting == Awaiting::Psync {
                    warn!("Master did not reply to PSYNC, will try later");
                } else {
                    warn!("Master did not respond to command during SYNC handshake");
                }
            }
            State::BulkCount => warn!("I/O error reading bulk count from MASTER: {why}"),
            _ => warn!("I/O error trying to sync with MASTER: {why}"),
        }
        Abort
    }

    /// Take one line (without CR LF) off rbuf, if a whole one is there.
    fn take_line(&mut self) -> Result<Option<Vec<u8>>, Abort> {
        let Some(nl) = memchr::memchr(b'\n', &self.rbuf) else {
            if self.rbuf.len() > MAX_LINE {
                warn!("Protocol error from MASTER: reply line too long");
                return Err(Abort);
            }
            return Ok(None);
        };
        let mut line: Vec<u8> = self.rbuf.drain(..=nl).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(Some(line))
    }

    /// repl-timeout: no input for too long while connecting, in the
    /// handshake, or during the transfer (Redis checks this in
    /// replicationCron).
    fn timed_out(&self, now_ms: i64) -> bool {
        if now_ms.saturating_sub(self.last_io_ms) <= self.p.timeout_ms {
            return false;
        }
        match self.state {
            State::Connecting | State::Handshake(_) => {
                warn!("Timeout connecting to the MASTER...");
            }
            _ => warn!(
                "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value."
            ),
        }
        true
    }

    /// Close everything after a failure (already logged).
    fn fail(&mut self, registry: &Registry) {
        if let Some(mut stream) = self.stream.take() {
            let _ = registry.deregister(&mut stream);
        }
        self.sink = Sink::Closed;
        self.remove_temp_file();
        self.state = State::Failed;
    }

    fn remove_temp_file(&mut self) {
        if self.owns_temp_file {
            self.owns_temp_file = false;
            // Nothing to do if it is already gone.
            let _ = std::fs::remove_file(&self.p.temp_file);
        }
    }
}

impl Drop for MasterLink {
    /// A link dropped mid-transfer leaves no partial temp file behind.
    fn drop(&mut self) {
        self.remove_temp_file();
    }
}

/// Non-blocking connect to the first address of `host` that accepts the
/// attempt (Redis tries each getaddrinfo result the same way).
fn connect_any(host: &str, port: u16, source: Option<&str>) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address for the master host");
    for addr in (host, port).to_socket_addrs()? {
        match connect_from(addr, source) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A non-blocking connect, bound first to `source` (bind-source-addr) when
/// given, which std and mio cannot do.
fn connect_from(addr: std::net::SocketAddr, source: Option<&str>) -> io::Result<TcpStream> {
    use nix::sys::socket::{self, SockaddrStorage};
    use std::os::fd::AsRawFd;
    let Some(src) = source else {
        return TcpStream::connect(addr);
    };
    let ip: std::net::IpAddr = src
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "bad bind-source-addr"))?;
    let fd = crate::net::listener::tcp_socket(addr.is_ipv4())?;
    let local = std::net::SocketAddr::new(ip, 0);
    socket::bind(fd.as_raw_fd(), &SockaddrStorage::from(local))?;
    match socket::connect(fd.as_raw_fd(), &SockaddrStorage::from(addr)) {
        Ok(()) | Err(nix::errno::Errno::EINPROGRESS) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(TcpStream::from_std(std::net::TcpStream::from(fd)))
}

/// Log (only) an error reply to an optional REPLCONF.
fn non_critical(line: &[u8], what: &str) {
    if line.starts_with(b"-") {
        info!(
            "(Non critical) Master does not understand REPLCONF {what}: {}",
            String::from_utf8_lossy(line)
        );
    }
}

fn write_failed(e: &io::Error) -> Abort {
    warn!(
        "Sending command to master in replication handshake: -Writing to master: {}",
        errno_text(e)
    );
    Abort
}

/// Payload bytes to the temp file (fsynced every FSYNC_EVERY bytes) or Vec.
fn write_sink(sink: &mut Sink, bytes: &[u8]) -> Result<(), Abort> {
    match sink {
        Sink::File { file, unsynced } => {
            if let Err(e) = file.write_all(bytes) {
                warn!(
                    "Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: {}",
                    errno_text(&e)
                );
                return Err(Abort);
            }
            *unsynced += bytes.len() as u64;
            if *unsynced >= FSYNC_EVERY {
                // Only to spread the cost; the final sync_all checks errors.
                let _ = file.sync_data();
                *unsynced = 0;
            }
            Ok(())
        }
        Sink::Closed => Err(Abort),
    }
}

/// `+FULLRESYNC <40-char replid> <offset>` → (replid, offset). The offset
/// is read like strtoll: leading digits, 0 when there are none.
fn parse_fullresync(reply: &str) -> Option<(&str, i64)> {
    let (_, rest) = reply.split_once(' ')?;
    let (replid, offset) = rest.split_once(' ')?;
    if replid.len() != RUN_ID_SIZE {
        return None;
    }
    Some((replid, leading_i64(offset)))
}

/// strtoll-like: optional sign then digits, ignoring what follows.
fn leading_i64(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let v: i64 = digits[..end].parse().unwrap_or(0);
    if neg {
        -v
    } else {
        v
    }
}

/// A bulk length: ASCII digits only, fitting in u64.
fn parse_len(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::{TcpListener, TcpStream as StdStream};
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread::{self, JoinHandle};
    use std::time::{Duration, Instant};

    use mio::{Events, Poll};

    const ID_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const ID_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const MARK: &[u8; 40] = b"d1c6e2a5b3f4e7d8c9b0a1f2e3d4c5b6a7f8e9d0";
    const TOKEN: Token = Token(7);

    fn now_ms() -> i64 {
        crate::logging::now_ms()
    }

    /// A temp file name no other test (or test run) uses.
    fn temp_path() -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        std::env::temp_dir().join(format!("ferrodis-link-{}-{n}.rdb", std::process::id()))
    }

    fn params(port: u16) -> LinkParams {
        LinkParams {
            host: "127.0.0.1".into(),
            port,
            masteruser: None,
            masterauth: None,
            listening_port: 6380,
            announce_ip: None,
            psync_from: None,
            load_to_memory: false,
            temp_file: temp_path(),
            timeout_ms: 5000,
            source_addr: None,
            failover: false,
        }
    }

    /// The master's end of a scripted conversation.
    struct Peer {
        r: BufReader<StdStream>,
        w: StdStream,
    }

    impl Peer {
        fn line(&mut self) -> String {
            let mut s = String::new();
            self.r.read_line(&mut s).unwrap();
            s.trim_end_matches("\r\n").to_string()
        }

        /// Read one multibulk command and check its arguments.
        fn expect(&mut self, want: &[&str]) {
            let head = self.line();
            let n: usize = head.strip_prefix('*').unwrap().parse().unwrap();
            let mut got = Vec::new();
            for _ in 0..n {
                let len: usize = self.line().strip_prefix('$').unwrap().parse().unwrap();
                let mut arg = vec![0u8; len + 2];
                self.r.read_exact(&mut arg).unwrap();
                arg.truncate(len);
                got.push(String::from_utf8(arg).unwrap());
            }
            assert_eq!(got, want);
        }

        fn send(&mut self, bytes: &[u8]) {
            self.w.write_all(bytes).unwrap();
        }

        /// PING and the REPLCONFs for params() without auth or ip.
        fn handshake(&mut self) {
            self.expect(&["PING"]);
            self.send(b"+PONG\r\n");
            self.expect(&["REPLCONF", "listening-port", "6380"]);
            self.send(b"+OK\r\n");
            self.expect(&["REPLCONF", "capa", "eof", "capa", "psync2"]);
            self.send(b"+OK\r\n");
        }

        /// Keep the socket open until the replica closes it.
        fn wait_close(&mut self) {
            let mut rest = Vec::new();
            let _ = self.r.read_to_end(&mut rest);
        }
    }

    /// A one-connection master on 127.0.0.1 playing `script`.
    fn fake_master(script: impl FnOnce(&mut Peer) + Send + 'static) -> (u16, JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = thread::spawn(move || {
            let (s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s.set_nodelay(true).unwrap();
            let mut peer = Peer {
                r: BufReader::new(s.try_clone().unwrap()),
                w: s,
            };
            script(&mut peer);
        });
        (port, handle)
    }

    fn start(p: LinkParams) -> (Poll, MasterLink) {
        let poll = Poll::new().unwrap();
        let link = MasterLink::start(p, poll.registry(), TOKEN, now_ms()).unwrap();
        (poll, link)
    }

    /// Run until a step other than Wait. on_ready is called only after an
    /// event or when the link says input is pending, so a missed edge
    /// stalls and fails the test; `cron` also calls it every 20 ms.
    fn next_step(poll: &mut Poll, link: &mut MasterLink, cron: bool) -> Step {
        let mut events = Events::with_capacity(8);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let step = link.on_ready(poll.registry(), now_ms());
            if step != Step::Wait {
                return step;
            }
            loop {
                assert!(Instant::now() < deadline, "link stalled");
                if link.is_read_pending() {
                    break;
                }
                poll.poll(&mut events, Some(Duration::from_millis(20)))
                    .unwrap();
                if cron || !events.is_empty() {
                    break;
                }
            }
        }
    }

    #[test]
    fn full_resync_streams_a_sized_payload_to_the_temp_file() {
        let payload: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let sent = payload.clone();
        let (port, master) = fake_master(move |m| {
            m.handshake();
            m.expect(&["PSYNC", "?", "-1"]);
            // Keep-alives before the reply and before the payload.
            m.send(b"\n");
            m.send(format!("+FULLRESYNC {ID_A} 1234\r\n").as_bytes());
            m.send(b"\n\n");
            m.send(format!("${}\r\n", sent.len()).as_bytes());
            m.send(&sent);
            m.send(b"*1\r\n$4\r\nPING\r\n");
            m.wait_close();
        });
        let p = params(port);
        let path = p.temp_file.clone();
        let (mut poll, mut link) = start(p);
        assert_eq!(link.state_name(), "connecting");
        assert_eq!(
            next_step(&mut poll, &mut link, false),
            Step::FullResync {
                replid: ID_A.into(),
                offset: 1234
            }
        );
        assert_eq!(link.state_name(), "sync");
        assert_eq!(
            next_step(&mut poll, &mut link, false),
            Step::TransferDone(Payload::File(path.clone()))
        );
        assert_eq!(link.transfer_progress(), (50_000, 50_000));
        assert_eq!(std::fs::read(&path).unwrap(), payload);
        // The stream bytes may still be in flight: read the rest from the
        // socket we get back.
        let (mut s, mut extra) = link.into_stream(poll.registry());
        let deadline = Instant::now() + Duration::from_secs(5);
        while extra.len() < 14 && Instant::now() < deadline {
            let mut b = [0u8; 64];
            match s.read(&mut b) {
                Ok(n) => extra.extend_from_slice(&b[..n]),
                Err(_) => thread::sleep(Duration::from_millis(5)),
            }
        }
        assert_eq!(extra, b"*1\r\n$4\r\nPING\r\n");
        drop(s);
        master.join().unwrap();
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn eof_marked_payload_in_small_writes_is_received_into_memory() {
        // A false start of the mark inside the payload, and writes of 7
        // bytes so the real mark straddles several reads.
        let mut payload = b"REDIS0010".to_vec();
        payload.extend((0..150u32).map(|i| (i % 200) as u8));
        payload.extend_from_slice(&MARK[..39]);
        payload.extend((0..100u32).map(|i| (i % 13) as u8 + b'a'));
        let sent = payload.clone();
        let (port, master) = fake_master(move |m| {
            m.expect(&["PING"]);
            m.send(b"-NOAUTH Authentication required.\r\n");
            m.expect(&["AUTH", "repl", "s3cret"]);
            m.expect(&["REPLCONF", "listening-port", "6380"]);
            m.expect(&["REPLCONF", "ip-address", "10.0.0.9"]);
            m.expect(&["REPLCONF", "capa", "eof", "capa", "psync2"]);
            m.send(b"+OK\r\n-ERR unknown option\r\n+OK\r\n+OK\r\n");
            m.expect(&["PSYNC", "?", "-1"]);
            m.send(format!("+FULLRESYNC {ID_B} 0\r\n").as_bytes());
            m.send(b"\n");
            m.send(b"$EOF:");
            m.send(MARK);
            m.send(b"\r\n");
            let mut all = sent;
            all.extend_from_slice(MARK);
            for piece in all.chunks(7) {
                m.send(piece);
                thread::sleep(Duration::from_millis(1));
            }
            m.wait_close();
        });
        let mut p = params(port);
        p.masteruser = Some("repl".into());
        p.masterauth = Some("s3cret".into());
        p.announce_ip = Some("10.0.0.9".into());
        p.load_to_memory = true;
        let path = p.temp_file.clone();
        let (mut poll, mut link) = start(p);
        assert!(matches!(
            next_step(&mut poll, &mut link, false),
            Step::FullResync { offset: 0, .. }
        ));
        let mut mark = [0u8; RUN_ID_SIZE];
        mark.copy_from_slice(MARK);
        assert_eq!(
            next_step(&mut poll, &mut link, false),
            Step::LoadFromSocket(SocketFraming::Eof(mark))
        );
        assert!(!path.exists());
        let (s, already) = link.into_stream(poll.registry());
        assert_eq!(read_to_mark(s, already, &mark), payload);
        master.join().unwrap();
    }

    /// The payload of an EOF-marked transfer handed over by LoadFromSocket:
    /// read until the mark ends what arrived, and return what precedes it.
    fn read_to_mark(mut s: TcpStream, mut buf: Vec<u8>, mark: &[u8]) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !buf.ends_with(mark) {
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk) {
                Ok(0) => panic!("connection closed before the mark"),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    assert!(Instant::now() < deadline, "no mark in time");
                    thread::sleep(Duration::from_millis(1));
                }
                Err(e) => panic!("{e}"),
            }
        }
        buf.truncate(buf.len() - mark.len());
        buf
    }

    #[test]
    fn continue_with_a_new_replid_hands_over_the_stream_bytes() {
        let (port, master) = fake_master(|m| {
            m.handshake();
            m.expect(&["PSYNC", ID_A, "101"]);
            m.send(format!("+CONTINUE {ID_B}\r\n*1\r\n$4\r\nPING\r\n").as_bytes());
            // The socket keeps working after the hand-over.
            m.expect(&["REPLCONF", "ACK", "101"]);
        });
        let mut p = params(port);
        p.psync_from = Some((ID_A.into(), 100));
        let (mut poll, mut link) = start(p);
        assert_eq!(
            next_step(&mut poll, &mut link, false),
            Step::Continue {
                new_replid: Some(ID_B.into())
            }
        );
        assert_eq!(link.state_name(), "connected");
        let (mut s, extra) = link.into_stream(poll.registry());
        assert_eq!(extra, b"*1\r\n$4\r\nPING\r\n");
        s.write_all(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$3\r\n101\r\n")
            .unwrap();
        master.join().unwrap();
    }

    #[test]
    fn continue_without_a_new_replid() {
        for reply in ["+CONTINUE\r\n".to_string(), format!("+CONTINUE {ID_A}\r\n")] {
            let (port, master) = fake_master(move |m| {
                m.handshake();
                m.expect(&["PSYNC", ID_A, "6"]);
                m.send(reply.as_bytes());
                m.wait_close();
            });
            let mut p = params(port);
            p.psync_from = Some((ID_A.into(), 5));
            let (mut poll, mut link) = start(p);
            assert_eq!(
                next_step(&mut poll, &mut link, false),
                Step::Continue { new_replid: None }
            );
            let (s, extra) = link.into_stream(poll.registry());
            assert!(extra.is_empty());
            drop(s);
            master.join().unwrap();
        }
    }

    /// Handshake, PSYNC ? -1, then `reply`; returns the step after it.
    fn psync_answered_with(reply: &'static [u8]) -> Step {
        let (port, master) = fake_master(move |m| {
            m.handshake();
            m.expect(&["PSYNC", "?", "-1"]);
            m.send(reply);
            m.wait_close();
        });
        let (mut poll, mut link) = start(params(port));
        let step = next_step(&mut poll, &mut link, false);
        assert_eq!(link.state_name(), "connect");
        drop(link);
        master.join().unwrap();
        step
    }

    #[test]
    fn psync_errors_of_a_busy_master_fail_the_attempt() {
        assert_eq!(
            psync_answered_with(b"-LOADING Redis is loading the dataset in memory\r\n"),
            Step::Failed
        );
        assert_eq!(
            psync_answered_with(b"-NOMASTERLINK Can't SYNC while not connected with my master\r\n"),
            Step::Failed
        );
    }

    /// Any other answer to PSYNC means a master from before it: SYNC is
    /// sent, and the sync goes on without replid or offset.
    #[test]
    fn other_psync_answers_fall_back_to_sync() {
        for reply in [&b"-ERR unknown command 'PSYNC'\r\n"[..], b"+WHATEVER\r\n"] {
            let (port, master) = fake_master(move |m| {
                m.handshake();
                m.expect(&["PSYNC", "?", "-1"]);
                m.send(reply);
                m.expect(&["SYNC"]);
                m.wait_close();
            });
            let (mut poll, mut link) = start(params(port));
            assert_eq!(
                next_step(&mut poll, &mut link, false),
                Step::FullResync {
                    replid: String::new(),
                    offset: -1
                }
            );
            // SYNC went out with the same pass (the fake master expects it).
            assert_eq!(link.state_name(), "sync");
            drop(link);
            master.join().unwrap();
        }
    }

    #[test]
    fn ping_and_auth_errors_fail_the_attempt() {
        let (port, master) = fake_master(|m| {
            m.expect(&["PING"]);
            m.send(b"-ERR something odd\r\n");
            m.wait_close();
        });
        let (mut poll, mut link) = start(params(port));
        assert_eq!(next_step(&mut poll, &mut link, false), Step::Failed);
        drop(link);
        master.join().unwrap();

        let (port, master) = fake_master(|m| {
            m.expect(&["PING"]);
            m.send(b"+PONG\r\n");
            m.expect(&["AUTH", "default", "wrong"]);
            m.send(b"-WRONGPASS invalid username-password pair or user is disabled.\r\n");
            m.wait_close();
        });
        let mut p = params(port);
        p.masteruser = Some("default".into());
        p.masterauth = Some("wrong".into());
        let (mut poll, mut link) = start(p);
        assert_eq!(next_step(&mut poll, &mut link, false), Step::Failed);
        drop(link);
        master.join().unwrap();
    }

    #[test]
    fn connection_refused_fails() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let poll = Poll::new().unwrap();
        // Loopback may refuse at once (start's Err) or through the event.
        match MasterLink::start(params(port), poll.registry(), TOKEN, now_ms()) {
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused),
            Ok(mut link) => {
                let mut poll = poll;
                assert_eq!(next_step(&mut poll, &mut link, false), Step::Failed);
            }
        }
    }

    /// Full resync to a temp file, then `after` instead of a good payload.
    fn transfer_broken_by(after: &'static [u8]) -> (Step, PathBuf) {
        let (port, master) = fake_master(move |m| {
            m.handshake();
            m.expect(&["PSYNC", "?", "-1"]);
            m.send(format!("+FULLRESYNC {ID_A} 7\r\n").as_bytes());
            m.send(after);
            // Closing makes a truncated payload visible as end of stream.
        });
        let p = params(port);
        let path = p.temp_file.clone();
        let (mut poll, mut link) = start(p);
        assert!(matches!(
            next_step(&mut poll, &mut link, false),
            Step::FullResync { .. }
        ));
        assert!(path.exists());
        let step = next_step(&mut poll, &mut link, false);
        master.join().unwrap();
        (step, path)
    }

    #[test]
    fn a_bad_bulk_count_or_a_short_payload_fails_and_removes_the_temp_file() {
        let cases: [&'static [u8]; 5] = [
            b"hello\r\n",
            b"$12x\r\n",
            b"$-1\r\n",
            b"-ERR BGSAVE failed\r\n",
            b"$100\r\nonly a few bytes",
        ];
        for after in cases {
            let (step, path) = transfer_broken_by(after);
            assert_eq!(step, Step::Failed, "{}", String::from_utf8_lossy(after));
            assert!(!path.exists());
        }
    }

    #[test]
    fn a_silent_master_times_out() {
        let (port, master) = fake_master(|m| {
            m.expect(&["PING"]);
            m.wait_close();
        });
        let mut p = params(port);
        p.timeout_ms = 150;
        let (mut poll, mut link) = start(p);
        let t0 = Instant::now();
        assert_eq!(next_step(&mut poll, &mut link, true), Step::Failed);
        assert!(t0.elapsed() >= Duration::from_millis(140));
        drop(link);
        master.join().unwrap();
    }

    #[test]
    fn abort_mid_transfer_removes_the_partial_temp_file() {
        let (port, master) = fake_master(|m| {
            m.handshake();
            m.expect(&["PSYNC", "?", "-1"]);
            m.send(format!("+FULLRESYNC {ID_A} 7\r\n$1000\r\nREDIS").as_bytes());
            m.wait_close();
        });
        let p = params(port);
        let path = p.temp_file.clone();
        let (mut poll, mut link) = start(p);
        assert!(matches!(
            next_step(&mut poll, &mut link, false),
            Step::FullResync { .. }
        ));
        // Let the first payload bytes in.
        let deadline = Instant::now() + Duration::from_secs(5);
        while link.transfer_progress().0 < 5 && Instant::now() < deadline {
            assert_eq!(link.on_ready(poll.registry(), now_ms()), Step::Wait);
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(link.transfer_progress(), (5, 1000));
        assert!(path.exists());
        link.abort(poll.registry());
        assert!(!path.exists());
        master.join().unwrap();
    }

    #[test]
    fn fullresync_parsing_follows_redis() {
        assert_eq!(
            parse_fullresync(&format!("+FULLRESYNC {ID_A} 42")),
            Some((ID_A, 42))
        );
        assert_eq!(parse_fullresync("+FULLRESYNC abc 42"), None);
        assert_eq!(parse_fullresync("+FULLRESYNC"), None);
        assert_eq!(leading_i64("12ab"), 12);
        assert_eq!(leading_i64("-3"), -3);
        assert_eq!(leading_i64("x"), 0);
        assert_eq!(parse_len(b"0"), Some(0));
        assert_eq!(parse_len(b""), None);
        assert_eq!(parse_len(b"99999999999999999999999"), None);
    }

    /// A real redis-server, killed when dropped.
    struct RealRedis {
        child: Child,
        dir: PathBuf,
    }

    impl Drop for RealRedis {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// Send one command, return its one-line reply.
    fn cmd(s: &mut BufReader<StdStream>, args: &[&str]) -> String {
        let mut out = format!("*{}\r\n", args.len());
        for a in args {
            out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        s.get_mut().write_all(out.as_bytes()).unwrap();
        let mut line = String::new();
        s.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    }

    /// Full sync from `port` until TransferDone; returns the payload bytes.
    fn sync_from(port: u16, to_memory: bool, auth: Option<(&str, &str)>) -> Vec<u8> {
        let mut p = params(port);
        p.load_to_memory = to_memory;
        if let Some((user, pass)) = auth {
            p.masteruser = Some(user.into());
            p.masterauth = Some(pass.into());
        }
        let (mut poll, mut link) = start(p);
        match next_step(&mut poll, &mut link, false) {
            Step::FullResync { replid, offset } => {
                assert_eq!(replid.len(), 40);
                assert!(offset >= 0);
            }
            other => panic!("expected FullResync, got {other:?}"),
        }
        let bytes = match next_step(&mut poll, &mut link, false) {
            Step::TransferDone(Payload::File(path)) => {
                assert!(!to_memory);
                let b = std::fs::read(&path).unwrap();
                std::fs::remove_file(&path).unwrap();
                b
            }
            Step::LoadFromSocket(SocketFraming::Eof(mark)) => {
                assert!(to_memory);
                let (s, b) = link.into_stream(poll.registry());
                return read_to_mark(s, b, &mark);
            }
            other => panic!("expected TransferDone, got {other:?}"),
        };
        link.abort(poll.registry());
        bytes
    }

    #[test]
    fn full_sync_from_a_real_redis_7_master() {
        let bin = Path::new("/usr/bin/redis-server");
        if !bin.exists() {
            eprintln!("note: /usr/bin/redis-server missing, real-master test skipped");
            return;
        }
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let dir = std::env::temp_dir().join(format!("ferrodis-link-redis-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--repl-diskless-sync", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let _redis = RealRedis { child, dir };
        let deadline = Instant::now() + Duration::from_secs(3);
        let stream = loop {
            match StdStream::connect(("127.0.0.1", port)) {
                Ok(s) => break s,
                Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Err(e) => panic!("redis-server did not start: {e}"),
            }
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        let mut c = BufReader::new(stream);
        for i in 0..5 {
            assert_eq!(cmd(&mut c, &["SET", &format!("key:{i}"), "value"]), "+OK");
        }
        assert_eq!(cmd(&mut c, &["RPUSH", "list", "a", "b", "c"]), ":3");

        // Disk-based: `$<len>` then the file.
        let rdb = sync_from(port, false, None);
        assert!(rdb.starts_with(b"REDIS0010"));
        assert!(rdb.windows(5).any(|w| w == b"key:4"));

        // Diskless: `$EOF:<mark>`, streamed by the fork child.
        assert_eq!(
            cmd(&mut c, &["CONFIG", "SET", "repl-diskless-sync", "yes"]),
            "+OK"
        );
        assert_eq!(
            cmd(&mut c, &["CONFIG", "SET", "repl-diskless-sync-delay", "0"]),
            "+OK"
        );
        let rdb = sync_from(port, true, None);
        assert!(rdb.starts_with(b"REDIS0010"));
        assert!(rdb.windows(4).any(|w| w == b"list"));
        // RDB ends with the EOF opcode and an 8-byte checksum.
        assert_eq!(rdb.get(rdb.len() - 9), Some(&0xff));

        // A master that wants a password answers our PING with -NOAUTH;
        // AUTH <user> <pass> as an ACL user allowed just what a replica needs.
        let acl = [
            "ACL",
            "SETUSER",
            "repl",
            "on",
            ">pw",
            "+psync",
            "+replconf",
            "+ping",
        ];
        assert_eq!(cmd(&mut c, &acl), "+OK");
        assert_eq!(
            cmd(&mut c, &["CONFIG", "SET", "requirepass", "secret"]),
            "+OK"
        );
        let rdb = sync_from(port, true, Some(("repl", "pw")));
        assert!(rdb.starts_with(b"REDIS0010"));
    }
}
