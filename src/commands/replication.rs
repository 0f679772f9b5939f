//! Replication commands: SYNC, PSYNC, REPLCONF, REPLICAOF/SLAVEOF, ROLE,
//! WAIT (replication.c syncCommand, replconfCommand, replicaofCommand,
//! roleCommand, waitCommand). The machinery is in `crate::replication`.

use super::{Ctx, Handler};
use crate::errors::{CmdError, CmdResult};
use crate::net::client::flags;
use crate::replication::{master, replica, ReplicaConn, CAPA_EOF, CAPA_PSYNC2};

pub const HANDLERS: &[(&str, Handler)] = &[
    ("sync", sync),
    ("psync", psync),
    ("replconf", replconf),
    ("replicaof", replicaof),
    ("slaveof", replicaof),
    ("role", role),
    ("wait", wait),
    ("failover", failover),
];

/// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms].
fn failover(cx: &mut Ctx) -> CmdResult {
    use crate::replication::failover;
    if cx.srv.cfg.cluster_enabled {
        return Err(CmdError::msg(
            "ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.",
        ));
    }
    if cx.argc() == 2 && cx.arg_is(1, "abort") {
        if cx.srv.repl.failover.state == failover::FailoverState::None {
            return Err(CmdError::msg("ERR No failover in progress."));
        }
        failover::abort(cx.srv, "Failover manually aborted");
        cx.reply().ok();
        return Ok(());
    }
    let (mut timeout, mut force, mut target) = (0i64, false, None);
    let mut j = 1;
    while j < cx.argc() {
        if cx.arg_is(j, "timeout") && j + 1 < cx.argc() && timeout == 0 {
            timeout = cx.arg_i64(j + 1)?;
            if timeout <= 0 {
                return Err(CmdError::msg("ERR FAILOVER timeout must be greater than 0"));
            }
            j += 2;
        } else if cx.arg_is(j, "to") && j + 2 < cx.argc() && target.is_none() {
            let port = cx.arg_i64(j + 2)?;
            target = Some((String::from_utf8_lossy(cx.arg(j + 1)).into_owned(), port));
            j += 3;
        } else if cx.arg_is(j, "force") && !force {
            force = true;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    failover::start(cx.srv, target, timeout, force).map_err(CmdError::owned)?;
    cx.reply().ok();
    Ok(())
}

fn sync(cx: &mut Ctx) -> CmdResult {
    master::sync_command(cx.srv, cx.c, false).map_err(CmdError::owned)
}

fn psync(cx: &mut Ctx) -> CmdResult {
    master::sync_command(cx.srv, cx.c, true).map_err(CmdError::owned)
}

/// REPLCONF <option> <value> ...: what a replica tells its master about
/// itself, its ACKs, and the master's GETACK.
fn replconf(cx: &mut Ctx) -> CmdResult {
    if cx.argc().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let mut i = 1;
    while i < cx.argc() {
        let opt = cx.arg(i).to_ascii_lowercase();
        match opt.as_slice() {
            b"listening-port" => {
                let port = cx.arg_i64(i + 1)?;
                conn(cx).listening_port = port.clamp(0, 65535) as u16;
            }
            b"ip-address" => {
                let addr = cx.arg(i + 1);
                // NET_HOST_STR_LEN: 256 with the terminator.
                if addr.len() >= 256 {
                    return Err(CmdError::owned(format!(
                        "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                        addr.len()
                    )));
                }
                conn(cx).announced_ip = Some(String::from_utf8_lossy(addr).into_owned());
            }
            b"capa" => {
                let capa = cx.arg(i + 1).to_ascii_lowercase();
                let bit = match capa.as_slice() {
                    b"eof" => CAPA_EOF,
                    b"psync2" => CAPA_PSYNC2,
                    _ => 0, // unknown capabilities are ignored
                };
                conn(cx).capa |= bit;
            }
            b"ack" => {
                // Only from a replica, and never answered.
                if cx.c.flags & flags::REPLICA == 0 {
                    return Ok(());
                }
                let off = cx.arg_i64(i + 1)?;
                master::ack(cx.srv, cx.c, off);
                return Ok(());
            }
            b"getack" => {
                if cx.c.flags & flags::MASTER != 0 {
                    replica::push_ack(cx.c);
                    cx.srv.repl.replica.force_reply = true;
                }
                return Ok(());
            }
            b"rdb-only" => {
                let v = cx.arg_i64(i + 1)?;
                if v != 0 && v != 1 {
                    return Err(CmdError::Syntax);
                }
                conn(cx).rdb_only = v == 1;
            }
            _ => {
                return Err(CmdError::owned(format!(
                    "ERR Unrecognized REPLCONF option: {}",
                    String::from_utf8_lossy(cx.arg(i))
                )));
            }
        }
        i += 2;
    }
    cx.reply().ok();
    Ok(())
}

/// The replica fields of the calling client, created on first use.
fn conn<'a>(cx: &'a mut Ctx) -> &'a mut ReplicaConn {
    cx.c.repl.get_or_insert_with(Default::default)
}

/// REPLICAOF host port | NO ONE (and its old name SLAVEOF).
fn replicaof(cx: &mut Ctx) -> CmdResult {
    if cx.srv.cfg.cluster_enabled {
        return Err(CmdError::msg("ERR REPLICAOF not allowed in cluster mode."));
    }
    if cx.srv.repl.failover.state != crate::replication::failover::FailoverState::None {
        return Err(CmdError::msg(
            "ERR REPLICAOF not allowed while failing over.",
        ));
    }
    let mut who = String::new();
    if cx.arg_is(1, "no") && cx.arg_is(2, "one") {
        if cx.srv.repl.replica.is_replica() {
            replica::unset_master(cx.srv);
            cx.c.info_string(cx.srv.unixtime, &mut who);
            log::info!("MASTER MODE enabled (user request from '{who}')");
        }
        cx.reply().ok();
        return Ok(());
    }
    if cx.c.flags & flags::REPLICA != 0 {
        return Err(CmdError::msg(
            "ERR Command is not valid when client is a replica.",
        ));
    }
    let port = crate::util::number::parse_i64(cx.arg(2))
        .filter(|p| (0..=65535).contains(p))
        .ok_or(CmdError::msg("ERR Invalid master port"))?;
    let host = String::from_utf8_lossy(cx.arg(1)).into_owned();
    let same = cx
        .srv
        .repl
        .replica
        .master
        .as_ref()
        .is_some_and(|(h, p)| h.eq_ignore_ascii_case(&host) && *p as i64 == port);
    if same {
        log::info!("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
        cx.reply()
            .simple(b"OK Already connected to specified master");
        return Ok(());
    }
    replica::set_master(cx.srv, host.clone(), port as u16);
    cx.c.info_string(cx.srv.unixtime, &mut who);
    log::info!("REPLICAOF {host}:{port} enabled (user request from '{who}')");
    cx.reply().ok();
    Ok(())
}

fn role(cx: &mut Ctx) -> CmdResult {
    replica::role(cx.srv, cx.c);
    Ok(())
}

/// WAIT numreplicas timeout-ms: block until that many replicas acknowledged
/// this client's last write, or the time is up; answers the count.
fn wait(cx: &mut Ctx) -> CmdResult {
    if cx.srv.repl.replica.is_replica() {
        return Err(CmdError::msg("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."));
    }
    let want = cx.arg_i64(1)?;
    let timeout = crate::util::number::parse_i64(cx.arg(2)).ok_or(CmdError::msg(
        "ERR timeout is not an integer or out of range",
    ))?;
    if timeout < 0 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    let offset = cx.c.woff;
    let acked = master::count_acks(cx.srv, offset);
    if acked as i64 >= want || cx.c.flags & flags::DENY_BLOCKING != 0 {
        cx.reply().int(acked as i64);
        return Ok(());
    }
    let deadline_ms = if timeout > 0 {
        timeout.saturating_add(crate::logging::now_ms())
    } else {
        0
    };
    let b = crate::blocking::Blocked {
        db: cx.c.db,
        keys: Vec::new(),
        deadline_ms,
        op: crate::blocking::BlockOp::Wait {
            offset,
            replicas: want.max(0) as usize,
        },
        cmd: cx.cmd,
        argv: Vec::new(),
    };
    crate::blocking::block(cx.srv, cx.c, b);
    let slot = cx.c.token - crate::server::CLIENT_TOKEN_BASE;
    cx.srv.repl.waiting.push(slot);
    cx.srv.repl.get_ack = true;
    Ok(())
}
