//! A connected client: its socket, query buffer and parse state, pending
//! output, and the per-connection state commands read (db, protocol, name,
//! flags). Mirrors the `client` struct of Redis' server.h.

use bytes::{Bytes, BytesMut};
use mio::net::{TcpStream, UnixStream};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};

use crate::net::reply::Reply;
use crate::net::resp::Parser;

/// Client flag bits (server.h CLIENT_*), only those we keep.
pub mod flags {
    /// Close once the pending output is written (QUIT, protocol errors).
    pub const CLOSE_AFTER_REPLY: u32 = 1 << 0;
    /// Close at the next safe point (CLIENT KILL, buffer limits).
    pub const CLOSE_ASAP: u32 = 1 << 1;
    pub const UNIX_SOCKET: u32 = 1 << 2;
    /// CLIENT NO-EVICT on.
    pub const NO_EVICT: u32 = 1 << 3;
    /// CLIENT REPLY OFF: drop every reply.
    pub const REPLY_OFF: u32 = 1 << 4;
    /// CLIENT REPLY SKIP: drop the next command's reply.
    pub const REPLY_SKIP_NEXT: u32 = 1 << 5;
    pub const REPLY_SKIP: u32 = 1 << 6;
    /// Already queued in the server's list of clients with output.
    pub const PENDING_WRITE: u32 = 1 << 7;
    /// The socket is registered for writable events (kernel buffer full).
    pub const WANT_WRITE: u32 = 1 << 8;
    /// A protocol error was answered; nothing else is read from it.
    pub const PROTOCOL_ERROR: u32 = 1 << 9;
    /// Read was cut short for fairness; resume without a new event.
    pub const PENDING_READ: u32 = 1 << 10;
    pub const MONITOR: u32 = 1 << 11;
    /// Holding a command until CLIENT PAUSE ends (blockPostponeClient).
    pub const POSTPONED: u32 = 1 << 12;
    /// Waiting in a blocking command (BLPOP, BZPOPMIN, ...).
    pub const BLOCKED: u32 = 1 << 13;
    /// Just unblocked: run what is already in the query buffer before
    /// reading more.
    pub const UNBLOCKED: u32 = 1 << 14;
    /// Blocking commands answer at once as if timed out (inside MULTI,
    /// scripts).
    pub const DENY_BLOCKING: u32 = 1 << 15;
    /// A replica of ours (after SYNC/PSYNC); `Client::repl` holds its state.
    pub const REPLICA: u32 = 1 << 16;
    /// The connection to our master: its commands are applied, not answered.
    pub const MASTER: u32 = 1 << 17;
    /// Inside MULTI: commands are queued until EXEC.
    pub const MULTI: u32 = 1 << 18;
    /// A WATCHed key was touched: EXEC fails with a null reply.
    pub const DIRTY_CAS: u32 = 1 << 19;
    /// A command was refused while queueing: EXEC answers EXECABORT.
    pub const DIRTY_EXEC: u32 = 1 << 20;
    /// CLIENT TRACKING on.
    pub const TRACKING: u32 = 1 << 21;
    /// Running EXEC's queued commands.
    pub const IN_EXEC: u32 = 1 << 22;
}

/// What `memory_usage` charges for the connection itself (the `Client`
/// struct, the socket's bookkeeping).
pub const CLIENT_BASE_MEM: usize = 1024;

/// PROTO_REPLY_CHUNK_BYTES / PROTO_REPLY_MIN_BYTES: a new client's reply
/// buffer, and the least clients cron shrinks it to.
pub const REPLY_CHUNK_BYTES: usize = 16 * 1024;
pub const REPLY_MIN_BYTES: usize = 1024;
/// Per subscribed channel (a set entry and its hash slot), per pattern (a
/// list entry plus a set entry) and per BCAST prefix (a tree entry): the
/// client's own share, the names being shared with the server's tables.
const SUB_ENTRY_MEM: usize = 40;
const PATTERN_ENTRY_MEM: usize = 64;
const PREFIX_ENTRY_MEM: usize = 48;

pub enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Conn {
    pub fn fd(&self) -> RawFd {
        match self {
            Conn::Tcp(s) => s.as_raw_fd(),
            Conn::Unix(s) => s.as_raw_fd(),
        }
    }

    pub fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Conn::Tcp(s) => s,
            Conn::Unix(s) => s,
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub struct Client {
    pub id: u64,
    /// mio token: the slot in `Server::clients` plus the client token base.
    pub token: usize,
    pub conn: Conn,
    /// Peer and local address as CLIENT LIST shows them (`ip:port` or `path:0`).
    pub addr: String,
    pub laddr: String,
    pub name: Option<Bytes>,
    pub flags: u32,
    pub db: usize,
    /// 2 or 3 (HELLO).
    pub resp: u8,
    pub authenticated: bool,
    pub user: &'static str,
    pub qbuf: BytesMut,
    /// Largest query buffer seen since the last cron check (for shrinking).
    pub qbuf_peak: usize,
    /// Bytes of this batch already parsed: Redis keeps them in its query
    /// buffer until the batch is done, so CLIENT LIST counts them in qbuf.
    pub qbuf_consumed: usize,
    pub parser: Parser,
    pub argv: Vec<Bytes>,
    /// Replies not yet written; `sent` bytes of it are already on the wire.
    pub out: Vec<u8>,
    /// The reply buffer proper (Redis' c->buf, `rbs`): `out` keeps at
    /// least this much room; replies beyond it are the overflow Redis
    /// keeps in its reply list. Sized by clients cron from `buf_peak`.
    pub buf_size: usize,
    /// Most reply bytes held at once, capped at `buf_size` (`rbp`).
    pub buf_peak: usize,
    /// When `buf_peak` was last reset (ms; 0: never, so the first cron
    /// pass resets it, as Redis' seconds-vs-ms start value does).
    pub buf_peak_reset_ms: i64,
    pub sent: usize,
    /// Creation and last-command time in Unix seconds (age, idle).
    pub ctime: i64,
    pub last_interaction: i64,
    /// Full name of the last command run (CLIENT LIST `cmd=`).
    pub last_cmd: &'static str,
    /// Time the output buffer first exceeded the soft limit (0 = not over).
    pub obuf_soft_limit_since: i64,
    /// What the client waits for while BLOCKED.
    pub blocked: Option<Box<crate::blocking::Blocked>>,
    /// Replica state: set by REPLCONF or SYNC/PSYNC (see flags::REPLICA).
    pub repl: Option<Box<crate::replication::ReplicaConn>>,
    /// master_repl_offset after this client's last write (WAIT).
    pub woff: i64,
    /// As the master client of a replica: the offset applied so far, and
    /// the bytes of the command being parsed.
    pub reploff: i64,
    pub master_pending: usize,
    /// As the master client, inside a MULTI block: the block's bytes so
    /// far. They count towards the offset, and go on to our own replicas,
    /// only once EXEC ran, so a link lost mid-block resumes before MULTI.
    pub master_multi: Vec<u8>,
    pub master_multi_bytes: usize,
    /// Channels, patterns and shard channels subscribed to (Pub/Sub).
    pub subs: Option<Box<crate::pubsub::ClientSubs>>,
    /// MULTI state and WATCHed keys (multi.rs).
    pub mstate: Option<Box<crate::multi::ClientMulti>>,
    /// CLIENT TRACKING state (tracking.rs).
    pub tracking: Option<Box<crate::tracking::ClientTracking>>,
    /// Arguments of the running command MONITOR must not show (bit i =
    /// argv[i]: passwords of AUTH, HELLO, MIGRATE).
    pub redact_mask: u64,
}

impl Client {
    /// Forget the executed command's arguments. The vector is reused, but
    /// not after a command with thousands of arguments: its slots (32
    /// bytes each) would stay allocated for good, as Redis frees argv.
    pub fn clear_argv(&mut self) {
        const KEEP: usize = 1024;
        if self.argv.capacity() > KEEP {
            self.argv = Vec::new();
        } else {
            self.argv.clear();
        }
    }

    pub fn new(id: u64, token: usize, conn: Conn, addr: String, laddr: String, now: i64) -> Client {
        let unix = matches!(conn, Conn::Unix(_));
        Client {
            id,
            token,
            conn,
            addr,
            laddr,
            name: None,
            flags: if unix { flags::UNIX_SOCKET } else { 0 },
            db: 0,
            resp: 2,
            authenticated: false,
            user: "default",
            qbuf: BytesMut::new(),
            qbuf_peak: 0,
            qbuf_consumed: 0,
            parser: Parser::new(),
            argv: Vec::new(),
            out: Vec::with_capacity(REPLY_CHUNK_BYTES),
            buf_size: REPLY_CHUNK_BYTES,
            buf_peak: REPLY_CHUNK_BYTES,
            buf_peak_reset_ms: 0,
            sent: 0,
            ctime: now,
            last_interaction: now,
            last_cmd: "NULL",
            obuf_soft_limit_since: 0,
            blocked: None,
            repl: None,
            woff: 0,
            reploff: 0,
            master_pending: 0,
            master_multi: Vec::new(),
            master_multi_bytes: 0,
            subs: None,
            mstate: None,
            tracking: None,
            redact_mask: 0,
        }
    }

    /// The reply writer for this client.
    #[inline]
    pub fn reply(&mut self) -> Reply<'_> {
        Reply::new(&mut self.out, self.resp == 3)
    }

    pub fn has_pending_output(&self) -> bool {
        self.out.len() > self.sent
    }

    /// Bytes of output waiting to be written.
    pub fn pending_output(&self) -> usize {
        self.out.len() - self.sent
    }

    /// Write as much pending output as the socket takes. Ok(true) when all
    /// was written, Ok(false) when the kernel buffer is full.
    pub fn write_pending(&mut self) -> io::Result<bool> {
        // What the reply buffer held at its fullest (Redis tracks it as
        // replies are added; they all wait here until this write).
        let held = (self.out.len() - self.sent).min(self.buf_size);
        if held > self.buf_peak {
            self.buf_peak = held;
        }
        while self.sent < self.out.len() {
            match self.conn.write(&self.out[self.sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.compact_out();
                    return Ok(false);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        self.sent = 0;
        // Don't keep a huge buffer around after one big reply (room up to
        // 64 KiB stays: pipelined batches reuse it instead of reallocating).
        if self.out.capacity() > 64 * 1024 {
            self.out = Vec::with_capacity(self.buf_size);
        }
        Ok(true)
    }

    /// clientsCronResizeOutputBuffer: halve the reply buffer (down to
    /// 1 KiB) when its recent peak used less than half of it, double it
    /// (up to 16 KiB) when a reply filled it; the peak restarts every
    /// `reset_ms` (-1: never). Returns -1 (shrunk), 1 (expanded) or 0.
    pub fn resize_reply_buffer(&mut self, now_ms: i64, reset_ms: i64) -> i32 {
        let (shrink_to, expand_to) = (self.buf_size / 2, self.buf_size * 2);
        let mut new_size = 0;
        let mut change = 0;
        if shrink_to >= REPLY_MIN_BYTES && self.buf_peak < shrink_to {
            new_size = REPLY_MIN_BYTES.max(self.buf_peak + 1);
            change = -1;
        } else if expand_to < REPLY_CHUNK_BYTES * 2 && self.buf_peak == self.buf_size {
            new_size = REPLY_CHUNK_BYTES.min(expand_to);
            change = 1;
        }
        if reset_ms >= 0 && now_ms - self.buf_peak_reset_ms >= reset_ms {
            self.buf_peak = (self.out.len() - self.sent).min(self.buf_size);
            self.buf_peak_reset_ms = now_ms;
        }
        if new_size != 0 {
            self.buf_size = new_size;
            let pending = self.out.len() - self.sent;
            if pending <= new_size && self.out.capacity() != new_size {
                let mut out = Vec::with_capacity(new_size);
                out.extend_from_slice(&self.out[self.sent..]);
                self.out = out;
                self.sent = 0;
            }
        }
        change
    }

    fn compact_out(&mut self) {
        if self.sent > 64 * 1024 && self.sent * 2 > self.out.len() {
            self.out.drain(..self.sent);
            self.sent = 0;
        }
    }

    /// Bytes this connection holds, as CLIENT LIST `tot-mem` shows them and
    /// client eviction counts them (getClientMemoryUsage). O(1), so it can
    /// be taken after every command, read and write:
    /// * the query buffer's allocation: what is left of it plus what this
    ///   batch already split off (the arguments point into that part, so
    ///   they are not counted again), plus a pointer per argument;
    /// * the output buffer's allocation;
    /// * MULTI's queue and WATCHed keys, subscriptions and BCAST prefixes,
    ///   by count (their names are shared with the server's tables);
    /// * a fixed cost for the connection itself.
    pub fn memory_usage(&self) -> usize {
        let qbuf = self.qbuf.capacity() + self.qbuf_consumed;
        let argc = self.argv.len() + self.parser.argv.len();
        let subs = self.subs.as_ref().map_or(0, |s| {
            (s.channels.len() + s.shard.len()) * SUB_ENTRY_MEM
                + s.patterns.len() * PATTERN_ENTRY_MEM
        });
        let prefixes = self
            .tracking
            .as_ref()
            .map_or(0, |t| t.prefixes.len() * PREFIX_ENTRY_MEM);
        CLIENT_BASE_MEM
            + qbuf
            + argc * std::mem::size_of::<Bytes>()
            + self.out.capacity()
            + crate::multi::mem_overhead(self)
            + subs
            + prefixes
    }

    /// CLIENT LIST / CLIENT INFO line for this client (catClientInfoString).
    pub fn info_string(&self, now: i64, out: &mut String) {
        use std::fmt::Write as _;
        // Redis' letters in Redis' order (getClientInfoString).
        let mut fl = String::new();
        let tracking = self.tracking.as_ref();
        let letters = [
            (self.flags & flags::MONITOR != 0, 'O'),
            (
                self.flags & flags::REPLICA != 0 && self.flags & flags::MONITOR == 0,
                'S',
            ),
            (self.flags & flags::MASTER != 0, 'M'),
            (crate::pubsub::is_subscriber(self), 'P'),
            (self.flags & flags::MULTI != 0, 'x'),
            (self.flags & flags::BLOCKED != 0, 'b'),
            (tracking.is_some(), 't'),
            (tracking.is_some_and(|t| t.broken_redirect), 'R'),
            (tracking.is_some_and(|t| t.bcast), 'B'),
            (self.flags & flags::DIRTY_CAS != 0, 'd'),
            (self.flags & flags::CLOSE_AFTER_REPLY != 0, 'c'),
            (self.flags & flags::UNBLOCKED != 0, 'u'),
            (self.flags & flags::CLOSE_ASAP != 0, 'A'),
            (self.flags & flags::UNIX_SOCKET != 0, 'U'),
            (self.flags & flags::NO_EVICT != 0, 'e'),
        ];
        fl.extend(letters.iter().filter(|(on, _)| *on).map(|(_, ch)| *ch));
        if fl.is_empty() {
            fl.push('N');
        }
        let events = if self.flags & flags::WANT_WRITE != 0 {
            "rw"
        } else {
            "r"
        };
        let argv_mem: usize = self.argv.iter().map(|a| a.len()).sum();
        let qbuf = self.qbuf.len() + self.qbuf_consumed;
        let qbuf_free = self.qbuf.capacity() - self.qbuf.len();
        // Bytes past the reply buffer play Redis' reply list.
        let pending = self.out.len() - self.sent;
        let omem = if pending > self.buf_size {
            self.out.capacity().saturating_sub(self.buf_size)
        } else {
            0
        };
        // The figure client eviction counts, so the two always agree.
        let tot = self.memory_usage();
        let _ = write!(
            out,
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd={} user={} redir={} resp={}",
            self.id,
            self.addr,
            self.laddr,
            self.conn.fd(),
            self.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default(),
            now - self.ctime,
            now - self.last_interaction,
            fl,
            self.db,
            self.subs.as_ref().map_or(0, |s| s.channels.len()),
            self.subs.as_ref().map_or(0, |s| s.patterns.len()),
            self.subs.as_ref().map_or(0, |s| s.shard.len()),
            crate::multi::queued_count(self),
            qbuf,
            qbuf_free,
            argv_mem,
            crate::multi::mem_overhead(self),
            self.buf_size,
            self.buf_peak,
            pending.min(self.buf_size),
            (pending > self.buf_size) as usize,
            omem,
            tot,
            events,
            self.last_cmd,
            self.user,
            self.tracking.as_ref().map_or(-1, |t| t.redirect as i64),
            self.resp
        );
    }
}
