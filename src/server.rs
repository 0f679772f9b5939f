//! `Server` owns everything (databases, clients, config, stats) and runs the
//! one event loop (Redis' server.c + ae.c): poll, read and execute, then
//! `before_sleep` writes the replies; `cron` runs `hz` times a second.
//!
//! Invariant: only this thread touches the dataset. A client executing a
//! command is taken out of `clients` for the call (so a handler can hold
//! `&mut Server` and `&mut Client` at once) and put back after.

use std::io;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use log::{debug, info, warn};
use mio::{Events, Interest, Poll, Token};

use crate::commands::{self, CommandTable};
use crate::config::Config;
use crate::db::Db;
use crate::net::client::{flags, Client, Conn};
use crate::net::listener::{self, Listener};
use crate::net::resp::{Limits, Parsed};
use crate::stats::Stats;

/// Tokens below this are listeners; clients are `CLIENT_TOKEN_BASE + slot`.
pub const CLIENT_TOKEN_BASE: usize = 1024;
/// mio tokens below CLIENT_TOKEN_BASE that are not listeners: the pipe a
/// diskless-sync child writes the snapshot into, and the replica's
/// connection to its master while it handshakes and transfers.
pub const RDB_PIPE_TOKEN: usize = CLIENT_TOKEN_BASE - 1;
pub const MASTER_LINK_TOKEN: usize = CLIENT_TOKEN_BASE - 2;
/// Bytes read from a socket per read call (PROTO_IOBUF_LEN).
const PROTO_IOBUF_LEN: usize = 16 * 1024;
/// Arguments at least this long are read into a buffer of their own
/// (PROTO_MBULK_BIG_ARG); `pending_bulk` counts the CRLF too.
const BIG_ARG: usize = 32 * 1024 + 1;
/// Reads per readable event before yielding to other clients.
const MAX_READS_PER_EVENT: usize = 16;

/// REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME.
pub const REPLY_BUFFER_PEAK_RESET_MS: i64 = 5000;

pub struct Server {
    pub cfg: Config,
    /// Absolute path of the config file, if any (CONFIG REWRITE, INFO).
    pub config_file: Option<std::path::PathBuf>,
    pub executable: String,
    /// argv[0] as invoked ({title} in proc-title-template).
    pub argv0: String,
    pub dbs: Vec<Db>,
    pub clients: Vec<Option<Box<Client>>>,
    free_slots: Vec<usize>,
    pub num_clients: usize,
    pub next_client_id: u64,
    pub poll: Poll,
    pub listeners: Vec<Listener>,
    /// Slots of clients with output to write in `before_sleep`.
    pub pending_writes: Vec<usize>,
    /// Slots of clients whose read was cut short for fairness, or whose
    /// postponed command can run again.
    pub pending_reads: Vec<usize>,
    /// The events of the batch being dispatched, not handled yet. A long
    /// job started by one of them (a load from the master, DEBUG RELOAD)
    /// serves the sockets from inside the dispatch: it must handle these
    /// too, as the edge-triggered poll will not report them again.
    /// `ready_next` is the first one not handled.
    ready: Vec<ReadyEvent>,
    ready_next: usize,
    /// Clients blocked on keys (INFO blocked_clients with the postponed).
    pub blocked_clients: usize,
    /// (deadline ms, client id, slot) of every blocked client with a timeout.
    pub block_deadlines: std::collections::BTreeSet<(i64, u64, usize)>,
    /// Spare vector swapped with `pending_writes` each iteration.
    write_batch: Vec<usize>,
    /// Slots of clients holding a command back during CLIENT PAUSE.
    postponed: Vec<usize>,
    pub commands: CommandTable,
    pub stats: Stats,
    /// Changes since the last save (save points; drives propagation later).
    pub dirty: u64,
    pub last_save: i64,
    /// Whether the last save succeeded (INFO rdb_last_bgsave_status).
    pub lastbgsave_ok: bool,
    /// Successful saves since start-up (INFO rdb_saves).
    pub rdb_saves: u64,
    /// Keys loaded / dropped as expired by the last RDB load (INFO).
    pub rdb_last_load_keys_loaded: u64,
    pub rdb_last_load_keys_expired: u64,
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE and loading skip CRC64.
    pub skip_checksum_validation: bool,
    /// The background save running, if any.
    pub rdb_child: Option<crate::persistence::fork::RdbChild>,
    /// BGSAVE SCHEDULE asked for a save once no other child runs.
    pub rdb_bgsave_scheduled: bool,
    /// EXEC is running its queue: a fork now would snapshot half a
    /// transaction, so BGSAVE/BGREWRITEAOF are scheduled instead.
    pub in_exec: bool,
    /// Effects of the running command waiting to be propagated.
    pub prop: crate::persistence::propagate::PropState,
    /// The append-only file.
    pub aof: crate::persistence::aof::Aof,
    /// `dirty` when the running BGSAVE started: what its success clears.
    pub dirty_before_bgsave: u64,
    /// Unix seconds of the last BGSAVE attempt (retry delay after errors).
    pub last_bgsave_try: i64,
    /// Duration in seconds of the last BGSAVE (-1 = none yet).
    pub rdb_save_time_last: i64,
    /// fork() statistics (INFO latest_fork_usec, total_forks).
    pub stat_fork_time_us: u64,
    pub stat_total_forks: u64,
    /// What the BGSAVE child last reported (INFO current_* fields), and
    /// the COW size of the last finished save (rdb_last_cow_size).
    pub current_cow_size: u64,
    pub current_cow_peak: u64,
    /// Unix ms of the last COW report (current_cow_size_age).
    pub current_cow_size_age: i64,
    pub current_save_keys_processed: u64,
    pub current_save_keys_total: u64,
    pub rdb_last_cow_size: u64,
    /// Progress of the load in progress (INFO loading_*).
    pub loading_start_time: i64,
    pub loading_total_bytes: u64,
    pub loading_loaded_bytes: u64,
    /// MIGRATE's cached connections (INFO migrate_cached_sockets).
    pub migrate_sockets: crate::commands::migrate::SocketCache,
    /// Cached clocks, refreshed before each command and in cron.
    pub now_ms: i64,
    pub unixtime: i64,
    /// The clock (`mono_ns`) at which the last `call` ended, 0 once taken.
    pub call_end_ns: u64,
    /// Set only for the next `process_command` of a pipelined batch: the
    /// previous command's end, which serves as this one's start, so a
    /// command back to back with another costs one clock read, not two.
    pub chained_start_ns: u64,
    pub start: Instant,
    pub start_unix: i64,
    pub run_id: String,
    pub cronloops: u64,
    /// Effective hz (dynamic-hz scales it with the number of clients).
    pub hz: i32,
    next_cron: Instant,
    pub lruclock: u32,
    pub shutdown_asap: bool,
    /// A shutdown waiting for replicas to catch up ends by this Unix ms
    /// (0: none), with these flags (isShutdownInitiated).
    pub shutdown_mstime: i64,
    pub shutdown_flags: crate::shutdown::ShutdownFlags,
    /// DEBUG SET-ACTIVE-EXPIRE 0 turns the active cycle off.
    pub active_expire_enabled: bool,
    /// DEBUG PAUSE-CRON 1 stops cron (tests use it to freeze expiry).
    pub cron_paused: bool,
    /// CLIENT PAUSE: until when, and whether only writes are paused.
    pub pause_until_ms: i64,
    pub pause_write_only: bool,
    pub loading: bool,
    /// A replica loads its master's snapshot while serving its old data
    /// (repl-diskless-load swapdb within one history).
    pub async_loading: bool,
    /// DEBUG REPLYBUFFER RESIZING / PEAK-RESET-TIME (ms, -1 never).
    pub reply_buffer_resizing: bool,
    pub reply_buffer_peak_reset_ms: i64,
    /// State of `rand01` (LFU counter increments).
    rng: u64,
    /// Wall-clock ms at monotonic time `clock_base_ns` (see `unix_ms_at`).
    clock_base_ns: u64,
    /// Wall-clock time in ns at `clock_base_ns`: kept in ns so truncation
    /// never puts the derived clock behind the real one.
    clock_base_unix_ns: u64,
    /// Replication state (IDs, offsets, backlog, replicas, master link).
    pub repl: crate::replication::Repl,
    /// used_memory right after start-up (INFO used_memory_startup).
    pub used_memory_startup: u64,
    /// The OOM score we set (oom-score-adj), to restore when turned off.
    pub oom_score: crate::linux_tuning::OomScore,
    /// We created the pidfile, so shutdown removes it.
    pub pidfile_written: bool,
    /// Pub/Sub subscription tables.
    pub pubsub: crate::pubsub::PubSub,
    /// Slot of the client whose command is running (out of `clients`
    /// meanwhile), or `usize::MAX`; its protocol, and what was published to
    /// it during the command (see pubsub.rs).
    pub exec_slot: usize,
    pub exec_resp3: bool,
    pub exec_out: Vec<u8>,
    /// Client flags to set on the running client once its command returns
    /// (a WATCHed key it touched itself marks it dirty).
    pub exec_flags: u32,
    /// Client id of the running client (tracking's NOLOOP), 0 if none.
    pub exec_client_id: u64,
    /// Transactions and WATCH (multi.rs).
    pub multi: crate::multi::MultiState,
    /// Client-side caching (tracking.rs).
    pub tracking: crate::tracking::Tracking,
    /// Slots of the clients in MONITOR mode.
    pub monitors: Vec<usize>,
    pub slowlog: crate::slowlog::SlowLog,
    /// Operations that reached latency-monitor-threshold (latency.rs).
    pub latency: crate::latency::Monitor,
    /// Client memory by type and the eviction buckets (client_evict.rs).
    pub client_mem: crate::client_evict::ClientMem,
}

/// One readiness report of the poll, kept until it is handled.
#[derive(Clone, Copy)]
struct ReadyEvent {
    token: usize,
    readable: bool,
    writable: bool,
    hup: bool,
}

impl Server {
    pub fn new(
        cfg: Config,
        executable: String,
        config_file: Option<std::path::PathBuf>,
    ) -> io::Result<Server> {
        let now = crate::logging::now_ms();
        let dbs = (0..cfg.databases.max(1) as usize).map(Db::new).collect();
        let commands = CommandTable::new(&cfg.rename_commands)?;
        let aof_on = cfg.appendonly;
        Ok(Server {
            hz: cfg.hz,
            cfg,
            config_file,
            argv0: std::env::args().next().unwrap_or_default(),
            executable,
            dbs,
            clients: Vec::new(),
            free_slots: Vec::new(),
            num_clients: 0,
            next_client_id: 1,
            poll: Poll::new()?,
            listeners: Vec::new(),
            pending_writes: Vec::new(),
            pending_reads: Vec::new(),
            ready: Vec::with_capacity(1024),
            ready_next: 0,
            blocked_clients: 0,
            block_deadlines: std::collections::BTreeSet::new(),
            postponed: Vec::new(),
            write_batch: Vec::new(),
            commands,
            stats: Stats::default(),
            dirty: 0,
            last_save: now / 1000,
            lastbgsave_ok: true,
            rdb_saves: 0,
            rdb_last_load_keys_loaded: 0,
            rdb_last_load_keys_expired: 0,
            skip_checksum_validation: false,
            migrate_sockets: Default::default(),
            rdb_child: None,
            rdb_bgsave_scheduled: false,
            in_exec: false,
            prop: Default::default(),
            aof: crate::persistence::aof::Aof::new(aof_on),
            dirty_before_bgsave: 0,
            last_bgsave_try: 0,
            rdb_save_time_last: -1,
            stat_fork_time_us: 0,
            stat_total_forks: 0,
            current_cow_size: 0,
            current_cow_peak: 0,
            current_cow_size_age: 0,
            current_save_keys_processed: 0,
            current_save_keys_total: 0,
            rdb_last_cow_size: 0,
            loading_start_time: 0,
            loading_total_bytes: 0,
            loading_loaded_bytes: 0,
            now_ms: now,
            unixtime: now / 1000,
            call_end_ns: 0,
            chained_start_ns: 0,
            start: Instant::now(),
            start_unix: now / 1000,
            run_id: random_hex(40),
            cronloops: 0,
            next_cron: Instant::now(),
            lruclock: 0,
            shutdown_asap: false,
            shutdown_mstime: 0,
            shutdown_flags: Default::default(),
            active_expire_enabled: true,
            cron_paused: false,
            pause_until_ms: 0,
            pause_write_only: false,
            loading: false,
            async_loading: false,
            reply_buffer_resizing: true,
            reply_buffer_peak_reset_ms: REPLY_BUFFER_PEAK_RESET_MS,
            rng: (now as u64) | 1,
            clock_base_ns: mono_ns(),
            clock_base_unix_ns: unix_ns(),
            repl: crate::replication::Repl::new(),
            used_memory_startup: 0,
            oom_score: Default::default(),
            pidfile_written: false,
            pubsub: Default::default(),
            exec_slot: usize::MAX,
            exec_resp3: false,
            exec_out: Vec::new(),
            exec_flags: 0,
            exec_client_id: 0,
            multi: Default::default(),
            tracking: Default::default(),
            monitors: Vec::new(),
            slowlog: Default::default(),
            latency: Default::default(),
            client_mem: Default::default(),
        })
    }

    /// Open the TCP and unix listeners from the config. Err is the text to
    /// log before exiting.
    pub fn open_listeners(&mut self) -> Result<(), String> {
        let mut ls = Vec::new();
        if self.cfg.port != 0 {
            for l in
                listener::listen_tcp(&self.cfg.bind, self.cfg.port as u16, self.cfg.tcp_backlog)?
            {
                ls.push(Listener::Tcp(l));
            }
        }
        if let Some(path) = self.cfg.unixsocket.clone().filter(|p| !p.is_empty()) {
            match listener::listen_unix(&path, self.cfg.unixsocketperm) {
                Ok(l) => ls.push(Listener::Unix(l)),
                Err(e) => return Err(format!("Failed opening Unix socket: {e}")),
            }
        }
        if ls.is_empty() {
            return Err("Configured to not listen anywhere, exiting.".into());
        }
        self.set_listeners(ls).map_err(|e| e.to_string())
    }

    /// Replace the listeners (start-up and CONFIG SET port/bind).
    pub fn set_listeners(&mut self, mut ls: Vec<Listener>) -> io::Result<()> {
        for (i, l) in ls.iter_mut().enumerate() {
            let src: &mut dyn mio::event::Source = match l {
                Listener::Tcp(t) => t,
                Listener::Unix(u) => u,
            };
            self.poll
                .registry()
                .register(src, Token(i), Interest::READABLE)?;
        }
        for mut old in std::mem::replace(&mut self.listeners, ls) {
            let src: &mut dyn mio::event::Source = match &mut old {
                Listener::Tcp(t) => t,
                Listener::Unix(u) => u,
            };
            let _ = self.poll.registry().deregister(src);
        }
        Ok(())
    }

    /// Re-bind TCP after CONFIG SET port/bind (changeListenPort /
    /// changeBindAddr): the old TCP sockets are closed first so the same
    /// port can be bound again; on failure the old (bind, port) is restored.
    pub fn rebind_tcp(&mut self, old_bind: &[String], old_port: i32) -> Result<(), String> {
        let mut unix = Vec::new();
        for mut l in std::mem::take(&mut self.listeners) {
            let src: &mut dyn mio::event::Source = match &mut l {
                Listener::Tcp(t) => t,
                Listener::Unix(u) => u,
            };
            let _ = self.poll.registry().deregister(src);
            if let Listener::Unix(u) = l {
                unix.push(Listener::Unix(u));
            }
        }
        let backlog = self.cfg.tcp_backlog;
        let bind_tcp = |bind: &[String], port: i32| -> Result<Vec<Listener>, String> {
            if port == 0 {
                return Ok(Vec::new());
            }
            let ls = listener::listen_tcp(bind, port as u16, backlog)?;
            Ok(ls.into_iter().map(Listener::Tcp).collect())
        };
        let (mut ls, result) = match bind_tcp(&self.cfg.bind, self.cfg.port) {
            Ok(ls) => (ls, Ok(())),
            Err(e) => (bind_tcp(old_bind, old_port).unwrap_or_default(), Err(e)),
        };
        ls.extend(unix);
        self.set_listeners(ls).map_err(|e| e.to_string())?;
        result
    }

    /// The event loop; returns when a shutdown was requested and prepared.
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        self.next_cron = Instant::now();
        loop {
            self.before_sleep();
            // An armed eviction timer runs every iteration: no sleeping then.
            let mut timeout = if self.pending_reads.is_empty() && !crate::evict::timer_running() {
                self.next_cron.saturating_duration_since(Instant::now())
            } else {
                Duration::ZERO
            };
            if let Some(when) = crate::blocking::next_deadline(self) {
                let ms = (when - crate::logging::now_ms()).max(0) as u64;
                timeout = timeout.min(Duration::from_millis(ms));
            }
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            // The monotonic clock is the cheaper read; cron re-syncs it with
            // the wall clock.
            self.now_ms = self.unix_ms_at(mono_ns());
            self.unixtime = self.now_ms / 1000;
            self.dispatch_events(&events);
            if crate::evict::timer_running() {
                crate::evict::eviction_timer(self);
            }
            if Instant::now() >= self.next_cron {
                if !self.cron_paused {
                    crate::cron::cron(self);
                }
                let period = Duration::from_micros(1_000_000 / self.hz.max(1) as u64);
                self.next_cron = Instant::now() + period;
            }
            if self.shutdown_asap
                && crate::shutdown::prepare_shutdown(
                    self,
                    crate::shutdown::ShutdownFlags::default(),
                )
            {
                return Ok(());
            }
        }
    }

    /// Serve what the sockets have ready: accepts, reads (which run the
    /// commands) and writes, then the reads cut short for fairness.
    fn dispatch_events(&mut self, events: &Events) {
        for ev in events.iter() {
            self.ready.push(ReadyEvent {
                token: ev.token().0,
                readable: ev.is_readable(),
                writable: ev.is_writable(),
                // With the peer gone, read on to the EOF even after a
                // short read: no further event will come.
                hup: ev.is_read_closed() || ev.is_error(),
            });
        }
        // A nested dispatch (serving during a load) drains the queue to
        // its end and empties it, which ends this loop too.
        while self.ready_next < self.ready.len() {
            let ev = self.ready[self.ready_next];
            self.ready_next += 1;
            let t = ev.token;
            if t == RDB_PIPE_TOKEN {
                crate::replication::transfer::relay_pipe(self);
                continue;
            }
            if t == MASTER_LINK_TOKEN {
                crate::replication::replica::on_link_event(self);
                continue;
            }
            if t < CLIENT_TOKEN_BASE {
                self.accept_all(t);
                continue;
            }
            let slot = t - CLIENT_TOKEN_BASE;
            if ev.writable {
                self.handle_writable(slot);
            }
            if ev.readable || ev.hup {
                self.read_from_client(slot, ev.hup);
            }
        }
        self.ready.clear();
        self.ready_next = 0;
        if !self.pending_reads.is_empty() {
            for slot in std::mem::take(&mut self.pending_reads) {
                self.read_from_client(slot, false);
            }
        }
    }

    /// processEventsWhileBlocked: serve the sockets a few rounds without
    /// waiting, for a long job run in the loop's place (loading a snapshot
    /// at start-up): clients connect, get `-LOADING` or INFO, and leave.
    pub fn process_events_while_blocked(&mut self) {
        let mut events = Events::with_capacity(256);
        for _ in 0..4 {
            // Replies made before the job started (the batch it interrupted)
            // or in the last round.
            self.handle_pending_writes();
            if self.poll.poll(&mut events, Some(Duration::ZERO)).is_err() {
                break;
            }
            let queued = self.ready_next < self.ready.len();
            if events.is_empty() && self.pending_reads.is_empty() && !queued {
                break;
            }
            self.update_cached_time();
            self.dispatch_events(&events);
        }
        self.handle_pending_writes();
    }

    /// Record `usec` for a latency-monitor event if it reaches
    /// latency-monitor-threshold (latencyAddSampleIfNeeded).
    pub fn latency_sample(&mut self, event: &str, usec: u64) {
        let threshold = self.cfg.latency_monitor_threshold;
        if threshold > 0 {
            let now = crate::logging::now_ms() / 1000;
            self.latency
                .add_if_needed(threshold, event, usec / 1000, now);
        }
    }

    pub fn update_cached_time(&mut self) {
        self.now_ms = crate::logging::now_ms();
        self.unixtime = self.now_ms / 1000;
    }

    /// Unix time in ms at monotonic instant `t`, from the wall clock read
    /// in the last cron tick: saves a second clock read per command, and
    /// cron re-reads the wall clock so a clock step is followed within 1/hz s.
    #[inline]
    pub fn unix_ms_at(&self, mono_ns: u64) -> i64 {
        ((self.clock_base_unix_ns + mono_ns.saturating_sub(self.clock_base_ns)) / 1_000_000) as i64
    }

    /// Re-read the wall clock (cron).
    pub fn sync_clock(&mut self) {
        self.clock_base_ns = mono_ns();
        self.clock_base_unix_ns = unix_ns();
    }

    /// Work done before blocking in poll: the fast expire cycle, the AOF
    /// write (and fsync under `always`), then every pending reply written
    /// directly (handleClientsWithPendingWrites). The AOF goes first so no
    /// client is told of a write the file does not hold yet.
    fn before_sleep(&mut self) {
        if !self.block_deadlines.is_empty() {
            crate::blocking::handle_timeouts(self);
        }
        if self.active_expire_enabled && !self.cron_paused && !self.repl.replica.is_replica() {
            crate::db::expire::active_expire_cycle(self, crate::db::expire::CycleKind::Fast);
        }
        // BCAST invalidations collected during this iteration (and anything
        // that waited for its client), before the replies are written.
        crate::tracking::broadcast_pending(self);
        // Anything queued outside a command (a defensive flush).
        crate::persistence::propagate::propagate_pending(self, false);
        crate::persistence::aof::before_sleep(self);
        crate::replication::before_sleep(self);
        self.handle_pending_writes();
        // Close clients if together they use more than maxmemory-clients
        // (Redis does it after the writes, which may have shrunk them).
        crate::client_evict::evict_clients(self, None);
    }

    pub fn handle_pending_writes(&mut self) {
        // Swap in the spare list (kept between iterations) so this hot path
        // allocates nothing.
        let mut batch = std::mem::take(&mut self.write_batch);
        std::mem::swap(&mut batch, &mut self.pending_writes);
        // Newest first, as Redis (it links clients at the head of
        // clients_pending_write): the client whose command caused the
        // other writes — a publisher, after its 100 subscribers — gets its
        // reply first and can send its next command while we write on.
        for &slot in batch.iter().rev() {
            let Some(Some(c)) = self.clients.get_mut(slot) else {
                continue;
            };
            c.flags &= !flags::PENDING_WRITE;
            // CLOSE_ASAP drops whatever output is left (an output buffer
            // limit, a failed sync): free it now rather than wait for a
            // writable event that a peer which never reads will not give.
            if c.flags & flags::CLOSE_ASAP != 0 {
                self.free_client(slot);
                continue;
            }
            if c.flags & flags::WANT_WRITE != 0 {
                continue; // the writable event will finish it
            }
            self.write_client(slot);
        }
        batch.clear();
        self.write_batch = batch;
    }

    /// Register or drop interest in a client's writable event.
    pub fn set_write_interest(&mut self, slot: usize, want: bool) {
        let Some(Some(c)) = self.clients.get_mut(slot) else {
            return;
        };
        if want == (c.flags & flags::WANT_WRITE != 0) {
            return;
        }
        let interest = if want {
            c.flags |= flags::WANT_WRITE;
            Interest::READABLE | Interest::WRITABLE
        } else {
            c.flags &= !flags::WANT_WRITE;
            Interest::READABLE
        };
        let tok = Token(c.token);
        let _ = self
            .poll
            .registry()
            .reregister(c.conn.source(), tok, interest);
    }

    fn write_client(&mut self, slot: usize) {
        let Some(Some(c)) = self.clients.get_mut(slot) else {
            return;
        };
        if c.flags & flags::REPLICA != 0 {
            crate::replication::transfer::write_replica(self, slot);
            return;
        }
        let before = c.pending_output();
        self.stats.writes_processed += 1;
        match c.write_pending() {
            Ok(done) => {
                self.stats.net_output_bytes += (before - c.pending_output()) as u64;
                if done {
                    // Room kept past the reply buffer (for the next
                    // pipelined batch) is memory maxmemory counts: with a
                    // limit, give it back as Redis frees its reply list,
                    // or replies would feed evictions (tracking pushes).
                    if self.cfg.maxmemory != 0 && c.out.capacity() > c.buf_size {
                        c.out = Vec::with_capacity(c.buf_size);
                    }
                    if c.flags & flags::WANT_WRITE != 0 {
                        c.flags &= !flags::WANT_WRITE;
                        let tok = Token(c.token);
                        let _ = self.poll.registry().reregister(
                            c.conn.source(),
                            tok,
                            Interest::READABLE,
                        );
                    }
                    if c.flags & (flags::CLOSE_AFTER_REPLY | flags::CLOSE_ASAP) != 0 {
                        self.free_client(slot);
                    }
                } else if c.flags & flags::WANT_WRITE == 0 {
                    c.flags |= flags::WANT_WRITE;
                    let tok = Token(c.token);
                    let _ = self.poll.registry().reregister(
                        c.conn.source(),
                        tok,
                        Interest::READABLE | Interest::WRITABLE,
                    );
                }
            }
            Err(e) => {
                debug!("Error writing to client: {e}");
                self.free_client(slot);
                return;
            }
        }
        // What was written no longer counts against maxmemory-clients.
        crate::client_evict::update_slot(self, slot);
    }

    fn handle_writable(&mut self, slot: usize) {
        if matches!(self.clients.get(slot), Some(Some(_))) {
            self.write_client(slot);
        }
    }

    /// Accept every pending connection on listener `idx` (acceptTcpHandler).
    fn accept_all(&mut self, idx: usize) {
        loop {
            let accepted = match self.listeners.get(idx) {
                Some(Listener::Tcp(l)) => l.accept().map(|(s, a)| {
                    let laddr = s.local_addr().map(|a| fmt_addr(&a)).unwrap_or_default();
                    let _ = s.set_nodelay(true);
                    (Conn::Tcp(s), fmt_addr(&a), laddr)
                }),
                Some(Listener::Unix(l)) => l.accept().map(|(s, _)| {
                    let path = format!("{}:0", self.cfg.unixsocket.as_deref().unwrap_or(""));
                    (Conn::Unix(s), path.clone(), path)
                }),
                None => return,
            };
            match accepted {
                Ok((conn, addr, laddr)) => self.create_client(conn, addr, laddr),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    warn!("Accepting client connection: {e}");
                    return;
                }
            }
        }
    }

    fn create_client(&mut self, mut conn: Conn, addr: String, laddr: String) {
        self.stats.total_connections_received += 1;
        if let Conn::Tcp(s) = &conn {
            if self.cfg.tcp_keepalive > 0 {
                set_keepalive(s, self.cfg.tcp_keepalive as u32);
            }
        }
        // maxclients counts the connection being accepted (acceptCommonHandler).
        if self.num_clients >= self.cfg.maxclients as usize {
            let _ = io::Write::write(&mut conn, b"-ERR max number of clients reached\r\n");
            self.stats.rejected_connections += 1;
            return;
        }
        if self.cfg.protected_mode && self.requires_password_none() && !is_local(&addr, &conn) {
            let _ = io::Write::write(&mut conn, crate::net::PROTECTED_MODE_ERR.as_bytes());
            self.stats.rejected_connections += 1;
            return;
        }
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            self.clients.push(None);
            self.clients.len() - 1
        });
        let token = CLIENT_TOKEN_BASE + slot;
        if let Err(e) =
            self.poll
                .registry()
                .register(conn.source(), Token(token), Interest::READABLE)
        {
            warn!("Error registering fd event for the new client: {e}");
            self.free_slots.push(slot);
            return;
        }
        let id = self.next_client_id;
        self.next_client_id += 1;
        let mut c = Box::new(Client::new(id, token, conn, addr, laddr, self.unixtime));
        c.authenticated = !self.auth_required_default();
        debug!("Accepted {}", c.addr);
        self.clients[slot] = Some(c);
        self.num_clients += 1;
    }

    /// Turn the replica's link to its master into the master client
    /// (replicationCreateMasterClient): bytes already read after the
    /// snapshot or +CONTINUE are its first input. None if the socket could
    /// not be registered.
    pub fn add_master_client(
        &mut self,
        stream: mio::net::TcpStream,
        leftover: Vec<u8>,
    ) -> Option<usize> {
        let addr = stream.peer_addr().map(|a| fmt_addr(&a)).unwrap_or_default();
        let laddr = stream
            .local_addr()
            .map(|a| fmt_addr(&a))
            .unwrap_or_default();
        let _ = stream.set_nodelay(true);
        let mut conn = Conn::Tcp(stream);
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            self.clients.push(None);
            self.clients.len() - 1
        });
        let token = CLIENT_TOKEN_BASE + slot;
        if self
            .poll
            .registry()
            .register(conn.source(), Token(token), Interest::READABLE)
            .is_err()
        {
            self.free_slots.push(slot);
            return None;
        }
        let id = self.next_client_id;
        self.next_client_id += 1;
        let mut c = Box::new(Client::new(id, token, conn, addr, laddr, self.unixtime));
        c.authenticated = true;
        c.flags |= flags::MASTER | flags::UNBLOCKED;
        c.qbuf.extend_from_slice(&leftover);
        self.clients[slot] = Some(c);
        self.num_clients += 1;
        // Run what is already buffered, and read what the socket holds.
        self.pending_reads.push(slot);
        Some(slot)
    }

    /// No password on the default user: protected mode applies.
    fn requires_password_none(&self) -> bool {
        self.cfg.requirepass.as_deref().unwrap_or("").is_empty()
    }

    fn auth_required_default(&self) -> bool {
        !self.cfg.requirepass.as_deref().unwrap_or("").is_empty()
    }

    /// Close a client and release its slot (freeClient).
    pub fn free_client(&mut self, slot: usize) {
        let Some(c) = self.clients.get_mut(slot).and_then(Option::take) else {
            return;
        };
        let mut c = c;
        if c.flags & flags::BLOCKED != 0 {
            crate::blocking::forget(self, &mut c);
        }
        if c.flags & flags::REPLICA != 0 {
            crate::replication::master::replica_freed(self, slot, &c);
        }
        if c.flags & flags::MASTER != 0 {
            crate::replication::replica::master_client_freed(self, &c);
        }
        crate::pubsub::forget_client(self, &mut c);
        crate::multi::discard(self, &mut c);
        if c.flags & flags::TRACKING != 0 {
            crate::tracking::disable(self, &mut c);
        }
        if c.flags & flags::MONITOR != 0 {
            self.monitors.retain(|&s| s != slot);
        }
        self.client_mem.forget(slot);
        let _ = self.poll.registry().deregister(c.conn.source());
        debug!("Client closed connection id={} addr={}", c.id, c.addr);
        self.num_clients -= 1;
        self.free_slots.push(slot);
    }

    /// Read what the socket has and run every complete command in it.
    fn read_from_client(&mut self, slot: usize, hup: bool) {
        let Some(mut c) = self.clients.get_mut(slot).and_then(Option::take) else {
            return;
        };
        let mut reads = 0;
        let mut closed = false;
        c.flags &= !flags::PENDING_READ;
        if c.flags & flags::POSTPONED != 0 && self.pause_until_ms == 0 {
            // Resumed after CLIENT UNPAUSE: run what is already buffered.
            self.process_input(&mut c);
        }
        if c.flags & flags::UNBLOCKED != 0 {
            // Just unblocked: run what arrived while it waited.
            c.flags &= !flags::UNBLOCKED;
            self.process_input(&mut c);
        }
        loop {
            if c.flags & (flags::CLOSE_AFTER_REPLY | flags::CLOSE_ASAP | flags::PROTOCOL_ERROR) != 0
            {
                break;
            }
            // For a big argument ask for exactly what is missing of it, so
            // the buffer ends up its size and no bigger: growing by a full
            // read for its last few bytes would double the allocation, and
            // with it the client's memory (tot-mem, maxmemory-clients).
            let want = match c.parser.pending_bulk() {
                Some(n) if n > PROTO_IOBUF_LEN && n > c.qbuf.len() => n - c.qbuf.len(),
                _ => PROTO_IOBUF_LEN,
            };
            match read_into(&mut c.conn, &mut c.qbuf, want) {
                Ok((0, _)) => {
                    closed = true;
                    break;
                }
                Ok((n, asked)) => {
                    self.stats.reads_processed += 1;
                    self.stats.net_input_bytes += n as u64;
                    c.last_interaction = self.unixtime;
                    c.qbuf_peak = c.qbuf_peak.max(c.qbuf.len());
                    if c.flags & flags::MASTER != 0 {
                        self.stats.net_repl_input_bytes += n as u64;
                    }
                    if c.qbuf.len() > self.cfg.client_query_buffer_limit
                        && c.flags & flags::MASTER == 0
                    {
                        let mut s = String::new();
                        c.info_string(self.unixtime, &mut s);
                        warn!("Closing client that reached max query buffer length: {s} (qbuf initial bytes: {:?})", String::from_utf8_lossy(&c.qbuf[..c.qbuf.len().min(64)]));
                        closed = true;
                        break;
                    }
                    self.process_input(&mut c);
                    // A short read means the socket was drained: skip the
                    // read that would only return EAGAIN (a syscall per
                    // request at pipeline 1). Data arriving later raises a
                    // new edge-triggered event.
                    if n < asked && !hup {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    debug!("Reading from client: {e}");
                    closed = true;
                    break;
                }
            }
            reads += 1;
            if reads >= MAX_READS_PER_EVENT {
                c.flags |= flags::PENDING_READ;
                self.pending_reads.push(slot);
                break;
            }
        }
        // The arguments are gone, so the buffer is ours alone again: move an
        // empty view back to the start of its allocation (no copy, no alloc).
        // (A view that ended exactly at the end of its allocation has
        // capacity 0; reserve reclaims that too.)
        if c.qbuf.is_empty() && !closed {
            c.qbuf.reserve(PROTO_IOBUF_LEN);
        }
        if !closed {
            // A half-read big argument counts too (Redis re-measures the
            // client after each read for the same reason).
            crate::client_evict::update(self, &c);
        }
        let has_output = c.has_pending_output();
        let closing = c.flags & (flags::CLOSE_AFTER_REPLY | flags::CLOSE_ASAP) != 0;
        self.clients[slot] = Some(c);
        if closed || (closing && !has_output) {
            self.free_client(slot);
        } else if has_output {
            self.queue_write(slot);
        }
    }

    /// Queue a client for the write pass in before_sleep.
    pub fn queue_write(&mut self, slot: usize) {
        if let Some(Some(c)) = self.clients.get_mut(slot) {
            if c.flags & flags::PENDING_WRITE == 0 {
                c.flags |= flags::PENDING_WRITE;
                self.pending_writes.push(slot);
            }
        }
    }

    /// Run the command our master sent (in `c.argv`) and account its bytes
    /// to the replication offset; true when a pause postponed it, in which
    /// case argv and the bytes wait (slave_repl_offset does not move).
    fn run_master_command(&mut self, c: &mut Client) -> bool {
        let mark = c.out.len();
        commands::process_command(self, c);
        if c.flags & flags::POSTPONED != 0 {
            return true;
        }
        // Every byte of the stream counts towards our offset.
        let bytes = std::mem::take(&mut c.master_pending);
        crate::replication::replica::after_master_command(self, c, bytes, mark);
        c.clear_argv();
        false
    }

    /// Parse and execute every complete request in the query buffer
    /// (processInputBuffer).
    fn process_input(&mut self, c: &mut Client) {
        let master = c.flags & flags::MASTER != 0;
        // The first command of a batch reads the clock; each following one
        // starts when the one before it ended (only parsing lies between).
        let mut chained = 0;
        loop {
            if c.flags & (flags::CLOSE_AFTER_REPLY | flags::CLOSE_ASAP | flags::BLOCKED) != 0 {
                return;
            }
            if c.flags & flags::POSTPONED != 0 {
                // Run the command the pause held back, then go on parsing.
                c.flags &= !flags::POSTPONED;
                if master {
                    if self.run_master_command(c) {
                        return;
                    }
                    continue;
                }
                commands::process_command(self, c);
                if c.flags & flags::POSTPONED != 0 {
                    return;
                }
                c.clear_argv();
                continue;
            }
            let lim = Limits {
                proto_max_bulk_len: self.cfg.proto_max_bulk_len,
                auth_required: !c.authenticated,
                is_master: master,
            };
            let before = c.qbuf.len();
            let parsed = c.parser.parse(&mut c.qbuf, &lim);
            let used = before - c.qbuf.len();
            c.qbuf_consumed += used;
            if master {
                c.master_pending += used;
            }
            match parsed {
                Ok(Parsed::Incomplete) => {
                    // Cron trims big buffers (resize_query_buffer); a batch
                    // is over once no request is half read. Redis also
                    // starts its buffer afresh at a big argument
                    // (PROTO_MBULK_BIG_ARG), so `qbuf` then shows only it.
                    if !c.parser.in_progress()
                        || (!master && c.parser.pending_bulk().is_some_and(|n| n > BIG_ARG))
                    {
                        c.qbuf_consumed = 0;
                    }
                    return;
                }
                Ok(Parsed::Command) => {
                    if c.parser.argv.is_empty() {
                        // A bare newline from a replica loading our
                        // snapshot: its keep-alive, counted as an ACK.
                        if let Some(r) = c.repl.as_mut() {
                            r.ack_time_ms = self.now_ms;
                        }
                        continue;
                    }
                    std::mem::swap(&mut c.argv, &mut c.parser.argv);
                    if master {
                        if self.run_master_command(c) {
                            return; // held back by CLIENT PAUSE, argv kept
                        }
                        continue;
                    }
                    let replica_mark = (c.flags & flags::REPLICA != 0).then_some(c.out.len());
                    self.chained_start_ns = chained;
                    self.call_end_ns = 0;
                    commands::process_command(self, c);
                    chained = std::mem::take(&mut self.call_end_ns);
                    if c.flags & flags::POSTPONED != 0 {
                        return; // argv is kept for when the pause ends
                    }
                    if let Some(mark) = replica_mark {
                        crate::replication::master::replica_replied(self, c, mark);
                    }
                    c.clear_argv();
                    if c.pending_output() > 0 {
                        self.check_output_buffer_limits(c);
                    }
                    // Its reply (and whatever the command queued or
                    // subscribed) counts against maxmemory-clients now.
                    crate::client_evict::update(self, c);
                }
                Err(e) => {
                    c.reply().error(&e.reply());
                    self.stats.count_error("ERR");
                    if log::log_enabled!(log::Level::Debug) {
                        let mut s = String::new();
                        c.info_string(self.unixtime, &mut s);
                        let sample: String =
                            String::from_utf8_lossy(&c.qbuf[..c.qbuf.len().min(128)])
                                .chars()
                                .map(|ch| {
                                    if ch.is_ascii_graphic() || ch == ' ' {
                                        ch
                                    } else {
                                        '.'
                                    }
                                })
                                .collect();
                        debug!("Protocol error ({}) from client: {}. Query buffer during protocol error: '{}'", e.log(), s, sample);
                    }
                    c.flags |= flags::CLOSE_AFTER_REPLY | flags::PROTOCOL_ERROR;
                    c.qbuf.clear();
                    return;
                }
            }
        }
    }

    /// Close a client whose pending replies passed `client-output-buffer-limit`
    /// (closeClientOnOutputBufferLimitReached): at once over the hard
    /// limit, or after staying over the soft limit for its seconds.
    pub fn check_output_buffer_limits(&mut self, c: &mut Client) {
        enforce_output_limits(&self.cfg, self.unixtime, &mut self.stats, c);
    }

    /// Whether a CLIENT PAUSE is in force now; ends an expired one (and
    /// queues the postponed clients to run again).
    pub fn is_paused(&mut self) -> bool {
        if self.pause_until_ms == 0 {
            return false;
        }
        if crate::logging::now_ms() >= self.pause_until_ms {
            self.unpause();
            return false;
        }
        true
    }

    /// End the pause: postponed clients run their held command next.
    pub fn unpause(&mut self) {
        self.pause_until_ms = 0;
        self.pause_write_only = false;
        self.pending_reads.append(&mut self.postponed);
    }

    /// Sets this process' OOM score for its role (setOOMScoreAdj(-1)).
    pub fn apply_oom_score(&mut self) -> bool {
        use crate::linux_tuning::OomClass;
        let class = if self.repl.replica.is_replica() {
            OomClass::Replica
        } else {
            OomClass::Master
        };
        self.oom_score.apply(&self.cfg, class)
    }

    /// Show `proc-title-template` as the process title (redisSetProcTitle),
    /// at start-up and when a directive it uses changes.
    pub fn update_proc_title(&self) {
        if !self.cfg.set_proc_title {
            return;
        }
        let file = self.config_file.as_ref().map(|p| p.display().to_string());
        if let Some(t) =
            self.cfg
                .expand_proc_title(&self.cfg.proc_title_template, &self.argv0, file.as_deref())
        {
            crate::proctitle::set(&t);
        }
    }

    /// What an access writes into a value's LRU/LFU field; computed before
    /// the value is borrowed.
    pub fn access_stamp(&mut self) -> AccessStamp {
        let lfu = self.cfg.maxmemory_policy.is_lfu();
        AccessStamp {
            lfu,
            lruclock: self.lruclock,
            unix_secs: self.unixtime,
            lfu_cfg: (
                self.cfg.lfu_log_factor as i64,
                self.cfg.lfu_decay_time as i64,
            ),
            rand01: if lfu { self.rand01() } else { 0.0 },
        }
    }

    /// The LRU/LFU field of a value created now.
    pub fn new_lru_field(&self) -> u32 {
        crate::db::lru::initial(
            self.cfg.maxmemory_policy.is_lfu(),
            self.lruclock,
            self.unixtime,
        )
    }

    /// A uniform sample in [0, 1) from a small xorshift generator.
    pub fn rand01(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Clients holding a command back (counted in INFO blocked_clients, as
    /// Redis counts postponed clients).
    pub fn postponed_count(&self) -> usize {
        self.postponed.len()
    }

    /// Remember a client whose command waits for the pause to end.
    pub fn postpone(&mut self, c: &mut Client) {
        c.flags |= flags::POSTPONED;
        self.postponed.push(c.token - CLIENT_TOKEN_BASE);
    }

    /// Write `pidfile` when configured (or when daemonized, as Redis does
    /// with its default path).
    pub fn write_pidfile(&mut self) {
        let path = if let Some(p) = self.cfg.pidfile.clone().filter(|p| !p.is_empty()) {
            p
        } else if self.cfg.daemonize {
            "/var/run/redis.pid".to_string()
        } else {
            return;
        };
        match std::fs::write(&path, format!("{}\n", std::process::id())) {
            Ok(()) => self.pidfile_written = true,
            Err(e) => warn!("Failed to write PID file: {e}"),
        }
    }

    /// `supervised systemd` (or auto with $NOTIFY_SOCKET): tell systemd we
    /// are ready, over the datagram socket it named.
    pub fn notify_systemd_ready(&self) {
        let Ok(sock_path) = std::env::var("NOTIFY_SOCKET") else {
            return;
        };
        if !matches!(
            self.cfg.supervised,
            crate::config::SupervisedMode::Systemd | crate::config::SupervisedMode::Auto
        ) {
            return;
        }
        info!("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.");
        let msg = "STATUS=Ready to accept connections\nREADY=1\n";
        let sock = match std::os::unix::net::UnixDatagram::unbound() {
            Ok(s) => s,
            Err(e) => {
                warn!("systemd supervision error: {e}");
                return;
            }
        };
        let res = if let Some(abs) = sock_path.strip_prefix('@') {
            use std::os::linux::net::SocketAddrExt;
            std::os::unix::net::SocketAddr::from_abstract_name(abs.as_bytes())
                .and_then(|a| sock.send_to_addr(msg.as_bytes(), &a))
        } else {
            sock.send_to(msg.as_bytes(), &sock_path)
        };
        if let Err(e) = res {
            warn!("systemd supervision error: NOTIFY_SOCKET not reachable: {e}");
        }
    }

    /// Every client slot (for CLIENT LIST/KILL, INFO, cron).
    pub fn client_slots(&self) -> impl Iterator<Item = usize> + '_ {
        self.clients
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_some())
            .map(|(i, _)| i)
    }
}

/// Read up to `want` bytes from `conn` into the spare capacity of `buf`;
/// returns (bytes read, bytes asked for).
fn read_into(conn: &mut Conn, buf: &mut BytesMut, want: usize) -> io::Result<(usize, usize)> {
    buf.reserve(want);
    let spare = buf.spare_capacity_mut();
    let len = spare.len().min(want.max(PROTO_IOBUF_LEN));
    // SAFETY: we pass read(2) a pointer to `len` bytes of spare capacity we
    // own; no reference to uninitialised memory is formed, and only the `n`
    // bytes the kernel reports written are exposed via set_len.
    let n = unsafe { nix::libc::read(conn.fd(), spare.as_mut_ptr().cast(), len) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    // SAFETY: the kernel initialised exactly `n` bytes after the old length.
    unsafe { buf.set_len(buf.len() + n) };
    Ok((n, len))
}

fn fmt_addr(a: &std::net::SocketAddr) -> String {
    match a {
        std::net::SocketAddr::V4(v4) => format!("{}:{}", v4.ip(), v4.port()),
        std::net::SocketAddr::V6(v6) => format!("{}:{}", v6.ip(), v6.port()),
    }
}

fn is_local(addr: &str, conn: &Conn) -> bool {
    matches!(conn, Conn::Unix(_)) || addr.starts_with("127.0.0.1:") || addr.starts_with("::1:")
}

fn set_keepalive(s: &mio::net::TcpStream, secs: u32) {
    use nix::sys::socket::{setsockopt, sockopt};
    let _ = setsockopt(s, sockopt::KeepAlive, &true);
    let _ = setsockopt(s, sockopt::TcpKeepIdle, &secs);
    let _ = setsockopt(s, sockopt::TcpKeepInterval, &(secs / 3).max(1));
    let _ = setsockopt(s, sockopt::TcpKeepCount, &3);
}

/// An access' effect on a value's LRU/LFU field (see `db::lru`).
#[derive(Clone, Copy)]
pub struct AccessStamp {
    lfu: bool,
    lruclock: u32,
    unix_secs: i64,
    lfu_cfg: (i64, i64),
    rand01: f64,
}

impl AccessStamp {
    #[inline]
    pub fn apply(self, field: u32) -> u32 {
        crate::db::lru::touched(
            field,
            self.lfu,
            self.lruclock,
            self.unix_secs,
            self.lfu_cfg,
            self.rand01,
        )
    }
}

/// Wall-clock (Unix) time in ns.
fn unix_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Monotonic time in ns (CLOCK_MONOTONIC through the vDSO): the cheapest
/// clock for timing every command.
#[inline]
pub fn mono_ns() -> u64 {
    let mut ts = nix::libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we pass; CLOCK_MONOTONIC
    // always exists on Linux.
    unsafe { nix::libc::clock_gettime(nix::libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// `n` random hex characters (run_id, replication ids).
pub fn random_hex(n: usize) -> String {
    let mut seed = crate::logging::now_ms() as u64 ^ ((std::process::id() as u64) << 32);
    if let Ok(bytes) = std::fs::read("/proc/sys/kernel/random/uuid") {
        for b in bytes {
            seed = seed.rotate_left(5) ^ b as u64;
            seed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    let mut s = String::with_capacity(n);
    for _ in 0..n {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        s.push(b"0123456789abcdef"[(seed & 15) as usize] as char);
    }
    s
}

/// Close `c` (CLOSE_ASAP) once its pending output passes the hard limit of
/// its class, or has stayed over the soft limit for longer than allowed
/// (checkClientOutputBufferLimits). A free function over the fields it
/// needs, so Pub/Sub can check a client in place in the table.
pub fn enforce_output_limits(
    cfg: &crate::config::Config,
    unixtime: i64,
    stats: &mut crate::stats::Stats,
    c: &mut Client,
) {
    if c.flags & flags::CLOSE_ASAP != 0 {
        return;
    }
    // getClientType: a subscriber (other than our master) is a pubsub client.
    let class = if c.flags & flags::MASTER == 0 && crate::pubsub::is_subscriber(c) {
        crate::config::CLIENT_TYPE_PUBSUB
    } else {
        crate::config::CLIENT_TYPE_NORMAL
    };
    let lim = cfg.client_output_buffer_limit[class];
    let used = c.pending_output() as u64;
    let hard = lim.hard_limit_bytes > 0 && used >= lim.hard_limit_bytes;
    let mut soft = lim.soft_limit_bytes > 0 && used >= lim.soft_limit_bytes;
    if soft {
        if c.obuf_soft_limit_since == 0 {
            c.obuf_soft_limit_since = unixtime;
            soft = false;
        } else if unixtime - c.obuf_soft_limit_since <= lim.soft_limit_seconds {
            soft = false;
        }
    } else {
        c.obuf_soft_limit_since = 0;
    }
    if soft || hard {
        let mut info = String::new();
        c.info_string(unixtime, &mut info);
        warn!("Client {info} scheduled to be closed ASAP for overcoming of output buffer limits.");
        stats.client_outbuf_limit_disconnections += 1;
        c.flags |= flags::CLOSE_ASAP;
        // Nothing more is written to a client being dropped.
        c.out.clear();
        c.sent = 0;
    }
}
