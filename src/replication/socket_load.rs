//! A replica loading its master's snapshot straight from the socket
//! (`repl-diskless-load on-empty-db|swapdb`, the diskless branch of Redis'
//! readSyncBulkPayload).
//!
//! The loop is blocked while the snapshot is parsed, as in Redis, but not
//! deaf: every `loading-process-events-interval-bytes` of input, and while
//! it waits for the master, clients are served (`-LOADING`, INFO; with
//! async loading, reads of the old data). The parser (`snapshot::Loader`)
//! reads one record at a time from a window of received bytes; a record cut
//! off by the end of what has arrived is read again once more input is in,
//! the window growing at least twofold each time so a huge value is not
//! re-parsed more than a few times.
//!
//! `swapdb` loads into new databases and keeps the old ones until the load
//! succeeds (on failure they are still there); with the same replication
//! ID as the master's (a resync within one history) the old data is even
//! served meanwhile (`async_loading`). Otherwise the old data is dropped
//! first.

use std::io::{self, Read, Write};
use std::os::fd::AsFd;

use log::warn;
use mio::net::TcpStream;

use super::link::SocketFraming;
use crate::persistence::rdb::{RdbError, Reader};
use crate::persistence::snapshot::{LoadStats, Loader, Step};
use crate::server::Server;

/// How long one wait for the master's bytes lasts before clients are
/// served again (the repl-timeout clock keeps running across waits); also
/// the longest clients go unserved while bytes keep trickling in.
const WAIT_MS: u16 = 100;
/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 64 * 1024;
/// Consumed input kept before the window is shifted down.
const KEEP_CONSUMED: usize = 1 << 20;

/// Progress of a load from the socket, for INFO replication.
#[derive(Clone, Copy, Debug, Default)]
pub struct SocketProgress {
    /// Payload bytes received (with the EOF mark).
    pub read: u64,
    /// Announced size; 0 for the EOF-marked form.
    pub size: i64,
    pub last_io_ms: i64,
}

/// Why a load from the socket stopped short (already logged).
pub enum Failed {
    /// The master went away, timed out or sent a broken end mark.
    Link,
    /// The snapshot itself did not parse.
    Data(RdbError),
}

/// The socket and the received bytes not parsed yet.
struct Input {
    stream: TcpStream,
    framing: SocketFraming,
    buf: Vec<u8>,
    /// Parsed bytes at the front of `buf`.
    start: usize,
    /// The master closed the connection.
    closed: bool,
    last_newline_ms: i64,
    last_served_ms: i64,
}

impl Input {
    fn window(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Every payload byte has arrived (or none ever will).
    fn complete(&self, srv: &Server) -> bool {
        match self.framing {
            SocketFraming::Sized(size) => progress(srv).read >= size,
            SocketFraming::Eof(_) => self.closed,
        }
    }

    /// The EOF mark is the last thing received: nothing more will come
    /// before the master hears from us.
    fn mark_arrived(&self) -> bool {
        match self.framing {
            SocketFraming::Eof(mark) => self.buf.ends_with(&mark),
            SocketFraming::Sized(_) => false,
        }
    }

    /// Wait for and read input until the unparsed window holds `want`
    /// bytes, the payload is complete, or the master went quiet after
    /// sending something (it may have nothing more to send), serving
    /// clients while waiting.
    fn fill(&mut self, srv: &mut Server, want: usize) -> Result<(), Failed> {
        let mut got_some = false;
        while self.window().len() < want && !self.complete(srv) && !self.mark_arrived() {
            let mut fds = [nix::poll::PollFd::new(
                self.stream.as_fd(),
                nix::poll::PollFlags::POLLIN,
            )];
            let ready = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(WAIT_MS));
            if !matches!(ready, Ok(n) if n > 0) {
                if got_some {
                    return Ok(());
                }
                self.idle(srv)?;
                continue;
            }
            let mut cap = READ_CHUNK;
            if let SocketFraming::Sized(size) = self.framing {
                // The command stream after the payload is the master
                // client's: leave it in the socket.
                cap = cap.min((size - progress(srv).read) as usize);
            }
            let at = self.buf.len();
            self.buf.resize(at + cap, 0);
            let got = self.stream.read(&mut self.buf[at..]);
            let n = *got.as_ref().unwrap_or(&0);
            self.buf.truncate(at + n);
            match got {
                Ok(0) => {
                    self.closed = true;
                    if matches!(self.framing, SocketFraming::Sized(_)) {
                        warn!("I/O error trying to sync with MASTER: connection lost");
                        return Err(Failed::Link);
                    }
                }
                Ok(n) => {
                    got_some = true;
                    let now = crate::logging::now_ms();
                    let p = progress_mut(srv);
                    p.read += n as u64;
                    p.last_io_ms = now;
                    // A master sending a little at a time never lets the
                    // poll time out: serve clients on the clock as well.
                    if now - self.last_served_ms >= WAIT_MS as i64 {
                        self.serve(srv);
                    }
                }
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    warn!(
                        "I/O error trying to sync with MASTER: {}",
                        crate::config::errno_text(&e)
                    );
                    return Err(Failed::Link);
                }
            }
        }
        Ok(())
    }

    /// Nothing arrived for a while: serve clients, check repl-timeout.
    fn idle(&mut self, srv: &mut Server) -> Result<(), Failed> {
        self.serve(srv);
        let quiet = crate::logging::now_ms() - progress(srv).last_io_ms;
        if quiet > srv.cfg.repl_timeout as i64 * 1000 {
            warn!("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
            return Err(Failed::Link);
        }
        Ok(())
    }

    /// Answer the clients that wrote meanwhile (-LOADING, INFO, reads of
    /// the old data when loading asynchronously).
    fn serve(&mut self, srv: &mut Server) {
        self.keep_alive();
        crate::persistence::serve_while_loading(srv);
        self.last_served_ms = crate::logging::now_ms();
    }

    /// A newline to the master every second while loading: the master
    /// counts it as an ACK, so a long load does not time us out
    /// (replicationSendNewlineToMaster).
    fn keep_alive(&mut self) {
        let now = crate::logging::now_ms();
        if now - self.last_newline_ms >= 1000 {
            self.last_newline_ms = now;
            let _ = self.stream.write(b"\n");
        }
    }

    /// Forget parsed bytes once there are many of them (the loader keeps
    /// their checksum).
    fn compact(&mut self, loader: &mut Loader) {
        if self.start >= KEEP_CONSUMED && self.start * 2 >= self.buf.len() {
            loader.drop_window(&self.buf[..self.start]);
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }
}

fn progress(srv: &Server) -> SocketProgress {
    srv.repl.replica.socket_load.unwrap_or_default()
}

fn progress_mut(srv: &mut Server) -> &mut SocketProgress {
    srv.repl
        .replica
        .socket_load
        .get_or_insert_with(Default::default)
}

/// Parse the payload from `stream` (after `already`, the bytes the link
/// had read past the `$` line) into `dbs`. Returns the load's stats, the
/// socket and the bytes read past the payload (the start of the command
/// stream).
pub fn load(
    srv: &mut Server,
    stream: TcpStream,
    already: Vec<u8>,
    framing: SocketFraming,
    dbs: &mut [crate::db::Db],
) -> Result<(LoadStats, TcpStream, Vec<u8>), Failed> {
    let size = match framing {
        SocketFraming::Sized(n) => n as i64,
        SocketFraming::Eof(_) => 0,
    };
    srv.repl.replica.socket_load = Some(SocketProgress {
        read: already.len() as u64,
        size,
        last_io_ms: crate::logging::now_ms(),
    });
    let mut input = Input {
        stream,
        framing,
        buf: already,
        start: 0,
        closed: false,
        last_newline_ms: crate::logging::now_ms(),
        last_served_ms: crate::logging::now_ms(),
    };
    let opts = crate::persistence::load_opts(srv, false);
    let ctx = crate::persistence::load_ctx(srv, false);
    let delay = srv.cfg.key_load_delay as i64;
    let interval = srv.cfg.loading_process_events_interval_bytes.max(1) as u64;
    let mut loader = Loader::new();
    let mut last_serve = 0u64;
    loop {
        // The reader spans everything since the last compaction, so the
        // checksum at the end covers it (the loader has the rest).
        let mut r = Reader::new(&input.buf);
        r.pos = input.start;
        let step = loader.step(&mut r, dbs, &opts, &ctx);
        match step {
            Ok(step) => {
                input.start = r.pos;
                if step == Step::Done {
                    break;
                }
                if step == Step::Key && delay != 0 {
                    crate::persistence::save::debug_delay(delay);
                }
                let at = loader.offset(input.start) as u64;
                if at / interval > last_serve / interval {
                    last_serve = at;
                    srv.loading_loaded_bytes = at;
                    input.serve(srv);
                }
                input.compact(&mut loader);
            }
            Err(RdbError::Eof) if !input.complete(srv) => {
                // The record is cut off: read it again with more input.
                let have = input.window().len();
                let want = (have * 2).max(have + READ_CHUNK);
                input.fill(srv, want)?;
                if input.window().len() == have {
                    // Nothing more is coming (the end mark is in): the
                    // image is truncated or its lengths lie.
                    return Err(Failed::Data(loader.locate(RdbError::Eof, input.buf.len())));
                }
            }
            Err(e) => {
                let e = loader.locate(e, r.pos);
                return Err(Failed::Data(e));
            }
        }
    }
    let stats = loader.finish(input.start);
    if let SocketFraming::Eof(mark) = input.framing {
        input.fill(srv, mark.len())?;
        if input.window().get(..mark.len()) != Some(&mark[..]) {
            warn!("Replication stream EOF marker is broken");
            return Err(Failed::Link);
        }
        input.start += mark.len();
    }
    let leftover = input.window().to_vec();
    Ok((stats, input.stream, leftover))
}
