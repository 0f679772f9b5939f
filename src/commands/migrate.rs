//! MIGRATE (cluster.c migrateCommand): move keys to another server by
//! sending it RESTORE commands with DUMP payloads over a blocking
//! connection, then delete them here (unless COPY).
//!
//! Like Redis, MIGRATE blocks the loop for the round trip (bounded by the
//! command's timeout), and keeps one connection per target cached for up
//! to `MIGRATE_SOCKET_CACHE_TTL` seconds idle, remembering which database it
//! last selected so a run of MIGRATEs sends SELECT once. Cron closes idle
//! connections (`migrate_close_timedout_sockets`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::persistence::dump::dump_payload;
use crate::server::Server;

/// Most connections kept, and how long an idle one lives (seconds).
const MIGRATE_SOCKET_CACHE_ITEMS: usize = 64;
const MIGRATE_SOCKET_CACHE_TTL: i64 = 10;

/// A cached connection to a MIGRATE target.
pub struct CachedSocket {
    reader: BufReader<TcpStream>,
    /// The db the target has selected, -1 when unknown.
    last_dbid: i64,
    last_use: i64,
}

/// host:port -> connection (server.migrate_cached_sockets).
pub type SocketCache = HashMap<String, CachedSocket>;

/// Closes cached connections idle for too long (run once a second).
pub fn migrate_close_timedout_sockets(srv: &mut Server) {
    let now = srv.unixtime;
    srv.migrate_sockets
        .retain(|_, cs| now - cs.last_use <= MIGRATE_SOCKET_CACHE_TTL);
}

struct Opts {
    copy: bool,
    replace: bool,
    user: Option<Vec<u8>>,
    pass: Option<Vec<u8>>,
    first_key: usize,
    num_keys: usize,
}

fn parse_opts(cx: &mut Ctx) -> Result<Opts, CmdError> {
    let mut o = Opts {
        copy: false,
        replace: false,
        user: None,
        pass: None,
        first_key: 3,
        num_keys: 1,
    };
    let mut j = 6;
    while j < cx.argc() {
        let more = cx.argc() - 1 - j;
        if cx.arg_is(j, "copy") {
            o.copy = true;
        } else if cx.arg_is(j, "replace") {
            o.replace = true;
        } else if cx.arg_is(j, "auth") {
            if more < 1 {
                return Err(CmdError::Syntax);
            }
            j += 1;
            cx.redact(j);
            o.pass = Some(cx.arg(j).to_vec());
        } else if cx.arg_is(j, "auth2") {
            if more < 2 {
                return Err(CmdError::Syntax);
            }
            cx.redact(j + 1);
            cx.redact(j + 2);
            o.user = Some(cx.arg(j + 1).to_vec());
            o.pass = Some(cx.arg(j + 2).to_vec());
            j += 2;
        } else if cx.arg_is(j, "keys") {
            if !cx.arg(3).is_empty() {
                return Err(CmdError::msg(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            o.first_key = j + 1;
            o.num_keys = cx.argc() - j - 1;
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

fn bulk(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(format!("${}\r\n", b.len()).as_bytes());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

fn array(out: &mut Vec<u8>, parts: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", parts.len()).as_bytes());
    parts.iter().for_each(|p| bulk(out, p));
}

/// The cached connection to `name`, connecting when there is none.
fn get_socket<'a>(
    srv: &'a mut Server,
    name: &str,
    host: &str,
    port: &str,
    timeout: Duration,
) -> Option<&'a mut CachedSocket> {
    if !srv.migrate_sockets.contains_key(name) {
        if srv.migrate_sockets.len() >= MIGRATE_SOCKET_CACHE_ITEMS {
            if let Some(k) = srv.migrate_sockets.keys().next().cloned() {
                srv.migrate_sockets.remove(&k);
            }
        }
        let port: u16 = port.parse().ok()?;
        let addr = (host, port).to_socket_addrs().ok()?.next()?;
        let s = TcpStream::connect_timeout(&addr, timeout).ok()?;
        let _ = s.set_nodelay(true);
        srv.migrate_sockets.insert(
            name.to_string(),
            CachedSocket {
                reader: BufReader::new(s),
                last_dbid: -1,
                last_use: srv.unixtime,
            },
        );
    }
    let cs = srv.migrate_sockets.get_mut(name)?;
    cs.last_use = srv.unixtime;
    let s = cs.reader.get_ref();
    let _ = s.set_read_timeout(Some(timeout));
    let _ = s.set_write_timeout(Some(timeout));
    Some(cs)
}

/// One reply line (syncReadLine): Err(true) on a timeout.
fn read_line(cs: &mut CachedSocket) -> Result<Vec<u8>, bool> {
    let mut line = Vec::new();
    match cs.reader.read_until(b'\n', &mut line) {
        Ok(0) => Err(false),
        Ok(_) => {
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            Ok(line)
        }
        Err(e) => Err(matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )),
    }
}

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
/// [AUTH password | AUTH2 username password] [KEYS key ...]
pub fn migrate(cx: &mut Ctx) -> CmdResult {
    let o = parse_opts(cx)?;
    let timeout_ms = cx.arg_i64(5)?;
    let dbid = cx.arg_i64(4)?;
    let timeout = Duration::from_millis(if timeout_ms <= 0 {
        1000
    } else {
        timeout_ms as u64
    });
    let db = cx.c.db;
    let compress = cx.srv.cfg.rdbcompression;
    // Keys that exist now, with their payload and remaining TTL.
    let mut keys: Vec<(Vec<u8>, i64, Vec<u8>)> = Vec::new();
    for j in o.first_key..o.first_key + o.num_keys {
        let key = cx.arg(j).to_vec();
        let Some(obj) = super::lookup_read(cx.srv, db, &key) else {
            continue;
        };
        let payload = dump_payload(&obj.val, compress);
        let mut ttl = 0;
        if let Some(at) = cx.srv.dbs[db].expire_at_ms(&key) {
            ttl = at - crate::logging::now_ms();
            if ttl < 0 {
                continue;
            }
            ttl = ttl.max(1);
        }
        keys.push((key, ttl, payload));
    }
    if keys.is_empty() {
        cx.reply().simple(b"NOKEY");
        return Ok(());
    }
    let host = String::from_utf8_lossy(cx.arg(1)).into_owned();
    let port = String::from_utf8_lossy(cx.arg(2)).into_owned();
    let name = format!("{host}:{port}");
    let restore_cmd: &[u8] = if cx.srv.cfg.cluster_enabled {
        b"RESTORE-ASKING"
    } else {
        b"RESTORE"
    };
    let mut may_retry = true;
    loop {
        let Some(cs) = get_socket(cx.srv, &name, &host, &port, timeout) else {
            return Err(CmdError::msg(
                "IOERR error or timeout connecting to the client",
            ));
        };
        let mut buf = Vec::new();
        if let Some(pass) = &o.pass {
            match &o.user {
                Some(u) => array(&mut buf, &[b"AUTH", u, pass]),
                None => array(&mut buf, &[b"AUTH", pass]),
            }
        }
        let select = cs.last_dbid != dbid;
        if select {
            array(&mut buf, &[b"SELECT", dbid.to_string().as_bytes()]);
        }
        for (k, ttl, p) in &keys {
            let ttl = ttl.to_string();
            let mut parts: Vec<&[u8]> = vec![restore_cmd, k, ttl.as_bytes(), p];
            if o.replace {
                parts.push(b"REPLACE");
            }
            array(&mut buf, &parts);
        }
        let write_ok = cs.reader.get_mut().write_all(&buf).is_ok();
        let outcome = if write_ok {
            read_replies(cs, o.pass.is_some(), select, keys.len())
        } else {
            Replies::SocketError {
                acked: Vec::new(),
                timeout: false,
            }
        };
        match outcome {
            Replies::Done { acked, error } => {
                if !o.copy {
                    delete_sent(cx, db, &keys, &acked);
                }
                if let Some(cs) = cx.srv.migrate_sockets.get_mut(&name) {
                    cs.last_dbid = if error.is_some() { -1 } else { dbid };
                }
                return match error {
                    Some(e) => Err(CmdError::owned(format!(
                        "ERR Target instance replied with error: {}",
                        String::from_utf8_lossy(&e[1..])
                    ))),
                    None => {
                        cx.reply().ok();
                        Ok(())
                    }
                };
            }
            Replies::SocketError { acked, timeout } => {
                cx.srv.migrate_sockets.remove(&name);
                // Retry once on a fresh connection if nothing was done and
                // the failure was not a timeout (a stale cached socket).
                if may_retry && acked.is_empty() && !timeout {
                    may_retry = false;
                    continue;
                }
                if !o.copy {
                    delete_sent(cx, db, &keys, &acked);
                }
                return Err(CmdError::owned(format!(
                    "IOERR error or timeout {} to target instance",
                    if write_ok { "reading" } else { "writing" }
                )));
            }
        }
    }
}

/// Without COPY, the keys the target accepted are deleted here, each
/// signalled and announced as `del` like any deletion, and propagated.
fn delete_sent(cx: &mut Ctx, db: usize, keys: &[(Vec<u8>, i64, Vec<u8>)], acked: &[usize]) {
    for &i in acked {
        let Some((key, _, _)) = keys.get(i) else {
            continue;
        };
        cx.srv.dbs[db].delete(key);
        crate::db::signal_modified_key(cx.srv, db, key);
        crate::notify::keyspace_event(cx.srv, crate::config::NOTIFY_GENERIC, "del", key, db);
        cx.dirty(1);
    }
    propagate_deleted(cx, keys, acked);
}

/// The keys moved away are propagated as one DEL of them (MIGRATE itself
/// would mean nothing to the AOF or a replica).
fn propagate_deleted(cx: &mut Ctx, keys: &[(Vec<u8>, i64, Vec<u8>)], acked: &[usize]) {
    if acked.is_empty() || !cx.propagating() {
        return;
    }
    let mut argv = vec![bytes::Bytes::from_static(b"DEL")];
    argv.extend(
        acked
            .iter()
            .filter_map(|&i| keys.get(i))
            .map(|k| bytes::Bytes::copy_from_slice(&k.0)),
    );
    crate::persistence::propagate::set_rewrite(cx.srv, argv);
}

enum Replies {
    /// Every reply read: indexes of the keys the target accepted, and the
    /// first error line (with its '-') if any.
    Done {
        acked: Vec<usize>,
        error: Option<Vec<u8>>,
    },
    SocketError {
        acked: Vec<usize>,
        timeout: bool,
    },
}

fn read_replies(cs: &mut CachedSocket, auth: bool, select: bool, n: usize) -> Replies {
    // An AUTH or SELECT error fails every key; otherwise each RESTORE
    // reply decides for its own key (later keys may still succeed).
    let mut first_err = None;
    for expect in [auth, select] {
        if expect {
            match read_line(cs) {
                Ok(l) => {
                    if l.first() == Some(&b'-') && first_err.is_none() {
                        first_err = Some(l);
                    }
                }
                Err(timeout) => {
                    return Replies::SocketError {
                        acked: Vec::new(),
                        timeout,
                    }
                }
            }
        }
    }
    let setup_failed = first_err.is_some();
    let mut acked = Vec::new();
    for i in 0..n {
        match read_line(cs) {
            Ok(l) if setup_failed => drop(l),
            Ok(l) if l.first() == Some(&b'-') => {
                if first_err.is_none() {
                    first_err = Some(l);
                }
            }
            Ok(_) => acked.push(i),
            Err(timeout) => return Replies::SocketError { acked, timeout },
        }
    }
    Replies::Done {
        acked,
        error: first_err,
    }
}
