//! Connection commands: PING, ECHO, SELECT, QUIT, RESET, AUTH, HELLO
//! (server.c, networking.c, acl.c). Authentication knows only the default
//! user and `requirepass` until ACLs land.

use super::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::net::client::flags;

pub fn ping(cx: &mut Ctx) -> CmdResult {
    if cx.argc() > 2 {
        return Err(cx.wrong_arity());
    }
    // A RESP2 subscriber can only read pushes, so PING answers in the
    // message shape: ["pong", msg].
    if cx.c.resp == 2 && crate::pubsub::is_subscriber(cx.c) {
        let msg = if cx.argc() == 2 {
            cx.arg_bytes(1)
        } else {
            bytes::Bytes::new()
        };
        let mut r = cx.reply();
        r.array_len(2);
        r.bulk(b"pong");
        r.bulk(&msg);
    } else if cx.argc() == 2 {
        let msg = cx.arg_bytes(1);
        cx.reply().bulk(&msg);
    } else {
        cx.reply().simple(b"PONG");
    }
    Ok(())
}

pub fn echo(cx: &mut Ctx) -> CmdResult {
    let msg = cx.arg_bytes(1);
    cx.reply().bulk(&msg);
    Ok(())
}

pub fn select(cx: &mut Ctx) -> CmdResult {
    let id = cx.arg_i64(1).map_err(|_| CmdError::NotInteger)?;
    if cx.srv.cfg.cluster_enabled && id != 0 {
        return Err(CmdError::msg("ERR SELECT is not allowed in cluster mode"));
    }
    if id < 0 || id >= cx.srv.dbs.len() as i64 {
        return Err(CmdError::DbIndexOutOfRange);
    }
    cx.c.db = id as usize;
    cx.reply().ok();
    Ok(())
}

pub fn quit(cx: &mut Ctx) -> CmdResult {
    cx.reply().ok();
    cx.c.flags |= flags::CLOSE_AFTER_REPLY;
    Ok(())
}

/// RESET: back to a fresh connection's state (clearClientConnectionState).
pub fn reset(cx: &mut Ctx) -> CmdResult {
    crate::tracking::disable(cx.srv, cx.c);
    // Leave MULTI (and WATCH), every subscription and MONITOR mode.
    crate::multi::discard(cx.srv, cx.c);
    crate::pubsub::forget_client(cx.srv, cx.c);
    if cx.c.flags & flags::MONITOR != 0 {
        let slot = cx.c.token - crate::server::CLIENT_TOKEN_BASE;
        cx.srv.monitors.retain(|&s| s != slot);
        cx.c.flags &= !flags::MONITOR;
    }
    cx.c.db = 0;
    cx.c.resp = 2;
    cx.c.name = None;
    cx.c.flags &=
        !(flags::REPLY_OFF | flags::REPLY_SKIP | flags::REPLY_SKIP_NEXT | flags::NO_EVICT);
    cx.c.authenticated = cx.srv.cfg.requirepass.as_deref().unwrap_or("").is_empty();
    cx.reply().simple(b"RESET");
    Ok(())
}

/// Check a username/password pair against the default user.
fn authenticate(cx: &mut Ctx, user: &[u8], pass: &[u8]) -> bool {
    if user != b"default" {
        return false;
    }
    let rp = cx.srv.cfg.requirepass.as_deref().unwrap_or("").as_bytes();
    // The default user without a password ("nopass") accepts any password.
    rp.is_empty() || rp == pass
}

pub fn auth(cx: &mut Ctx) -> CmdResult {
    for i in 1..cx.argc() {
        cx.redact(i);
    }
    if cx.argc() > 3 {
        return Err(CmdError::Syntax);
    }
    let (user, pass) = if cx.argc() == 2 {
        if cx.srv.cfg.requirepass.as_deref().unwrap_or("").is_empty() {
            return Err(CmdError::msg("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"));
        }
        (b"default".to_vec(), cx.arg(1).to_vec())
    } else {
        (cx.arg(1).to_vec(), cx.arg(2).to_vec())
    };
    if authenticate(cx, &user, &pass) {
        cx.c.authenticated = true;
        cx.reply().ok();
        Ok(())
    } else {
        Err(CmdError::msg(
            "WRONGPASS invalid username-password pair or user is disabled.",
        ))
    }
}

/// Validate a client name (clientSetNameOrReply): printable, no spaces.
pub fn check_client_name(name: &[u8]) -> CmdResult {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(CmdError::msg(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

pub fn hello(cx: &mut Ctx) -> CmdResult {
    let mut ver = 0;
    let mut j = 1;
    if cx.argc() >= 2 {
        ver = crate::util::number::parse_i64(cx.arg(1)).ok_or(CmdError::msg(
            "ERR Protocol version is not an integer or out of range",
        ))?;
        if !(2..=3).contains(&ver) {
            return Err(CmdError::msg("NOPROTO unsupported protocol version"));
        }
        j = 2;
    }
    let mut setname = None;
    while j < cx.argc() {
        let more = cx.argc() - 1 - j;
        if cx.arg_is(j, "AUTH") && more >= 2 {
            cx.redact(j + 1);
            cx.redact(j + 2);
            let (u, p) = (cx.arg(j + 1).to_vec(), cx.arg(j + 2).to_vec());
            if !authenticate(cx, &u, &p) {
                return Err(CmdError::msg(
                    "WRONGPASS invalid username-password pair or user is disabled.",
                ));
            }
            cx.c.authenticated = true;
            j += 3;
        } else if cx.arg_is(j, "SETNAME") && more >= 1 {
            let name = cx.arg_bytes(j + 1);
            check_client_name(&name)?;
            setname = Some(name);
            j += 2;
        } else {
            return Err(CmdError::owned(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(cx.arg(j))
            )));
        }
    }
    if !cx.c.authenticated {
        return Err(CmdError::msg("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"));
    }
    if let Some(n) = setname {
        cx.c.name = if n.is_empty() { None } else { Some(n) };
    }
    if ver != 0 {
        cx.c.resp = ver as u8;
    }
    let id = cx.c.id;
    let proto = cx.c.resp as i64;
    let mode: &[u8] = if cx.srv.cfg.cluster_enabled {
        b"cluster"
    } else {
        b"standalone"
    };
    let mut r = cx.reply();
    r.map_len(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(crate::REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(proto);
    r.bulk(b"id");
    r.int(id as i64);
    r.bulk(b"mode");
    r.bulk(mode);
    r.bulk(b"role");
    r.bulk(b"master");
    r.bulk(b"modules");
    r.array_len(0);
    Ok(())
}
