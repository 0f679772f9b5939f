//! CLIENT subcommands (networking.c clientCommand): ID, SETNAME, GETNAME,
//! LIST, INFO, KILL, PAUSE, UNPAUSE, REPLY, NO-EVICT, HELP.

use super::{help::reply_help, Ctx};
use crate::errors::{CmdError, CmdResult};
use crate::net::client::{flags, Client};

pub fn id(cx: &mut Ctx) -> CmdResult {
    let id = cx.c.id;
    cx.reply().int(id as i64);
    Ok(())
}

pub fn setname(cx: &mut Ctx) -> CmdResult {
    let name = cx.arg_bytes(2);
    super::connection::check_client_name(&name)?;
    cx.c.name = if name.is_empty() { None } else { Some(name) };
    cx.reply().ok();
    Ok(())
}

pub fn getname(cx: &mut Ctx) -> CmdResult {
    match cx.c.name.clone() {
        Some(n) => cx.reply().bulk(&n),
        None => cx.reply().null(),
    }
    Ok(())
}

/// Client type names as CLIENT LIST TYPE / CLIENT KILL TYPE take them.
#[derive(PartialEq, Clone, Copy)]
enum ClientType {
    Normal,
    Replica,
    PubSub,
    Master,
}

fn client_type(name: &[u8]) -> Result<ClientType, CmdError> {
    match name.to_ascii_lowercase().as_slice() {
        b"normal" => Ok(ClientType::Normal),
        b"slave" | b"replica" => Ok(ClientType::Replica),
        b"pubsub" => Ok(ClientType::PubSub),
        b"master" => Ok(ClientType::Master),
        _ => Err(CmdError::owned(format!(
            "ERR Unknown client type '{}'",
            String::from_utf8_lossy(name)
        ))),
    }
}

fn type_of(c: &Client) -> ClientType {
    use crate::net::client::flags;
    if c.flags & flags::MASTER != 0 {
        ClientType::Master
    } else if c.flags & flags::REPLICA != 0 && c.flags & flags::MONITOR == 0 {
        ClientType::Replica
    } else if crate::pubsub::is_subscriber(c) {
        ClientType::PubSub
    } else {
        ClientType::Normal
    }
}

/// Visit every client, the caller included (it is out of the table while
/// its command runs), in connection order.
fn for_each_client(cx: &Ctx, mut f: impl FnMut(&Client)) {
    let mut all: Vec<&Client> = cx.srv.clients.iter().flatten().map(|b| &**b).collect();
    all.push(&*cx.c);
    all.sort_by_key(|c| c.id);
    for c in all {
        f(c);
    }
}

pub fn list(cx: &mut Ctx) -> CmdResult {
    let now = cx.srv.unixtime;
    let mut out = String::new();
    if cx.argc() == 4 && cx.arg_is(2, "type") {
        let t = client_type(cx.arg(3))?;
        for_each_client(cx, |c| {
            if type_of(c) == t {
                c.info_string(now, &mut out);
                out.push('\n');
            }
        });
    } else if cx.argc() > 3 && cx.arg_is(2, "id") {
        let mut ids = Vec::new();
        for j in 3..cx.argc() {
            ids.push(
                crate::util::number::parse_i64(cx.arg(j))
                    .ok_or(CmdError::msg("ERR Invalid client ID"))?,
            );
        }
        for id in ids {
            for_each_client(cx, |c| {
                if c.id as i64 == id {
                    c.info_string(now, &mut out);
                    out.push('\n');
                }
            });
        }
    } else if cx.argc() != 2 {
        return Err(CmdError::Syntax);
    } else {
        for_each_client(cx, |c| {
            c.info_string(now, &mut out);
            out.push('\n');
        });
    }
    cx.reply().verbatim(out.as_bytes(), "txt");
    Ok(())
}

pub fn info(cx: &mut Ctx) -> CmdResult {
    let mut out = String::new();
    cx.c.info_string(cx.srv.unixtime, &mut out);
    out.push('\n');
    cx.reply().verbatim(out.as_bytes(), "txt");
    Ok(())
}

pub fn kill(cx: &mut Ctx) -> CmdResult {
    let (mut addr, mut laddr, mut ty, mut id, mut user) = (None, None, None, 0u64, None);
    let mut skipme = true;
    let old_style = cx.argc() == 3;
    if old_style {
        addr = Some(cx.arg(2).to_vec());
        skipme = false;
    } else {
        let mut i = 2;
        while i < cx.argc() {
            let more = cx.argc() > i + 1;
            if !more {
                return Err(CmdError::Syntax);
            }
            if cx.arg_is(i, "id") {
                match crate::util::number::parse_i64(cx.arg(i + 1)) {
                    Some(n) if n >= 1 => id = n as u64,
                    _ => return Err(CmdError::msg("ERR client-id should be greater than 0")),
                }
            } else if cx.arg_is(i, "type") {
                ty = Some(client_type(cx.arg(i + 1))?);
            } else if cx.arg_is(i, "addr") {
                addr = Some(cx.arg(i + 1).to_vec());
            } else if cx.arg_is(i, "laddr") {
                laddr = Some(cx.arg(i + 1).to_vec());
            } else if cx.arg_is(i, "user") {
                if cx.arg(i + 1) != b"default" {
                    return Err(CmdError::owned(format!(
                        "ERR No such user '{}'",
                        String::from_utf8_lossy(cx.arg(i + 1))
                    )));
                }
                user = Some(cx.arg(i + 1).to_vec());
            } else if cx.arg_is(i, "skipme") {
                if cx.arg_is(i + 1, "yes") {
                    skipme = true;
                } else if cx.arg_is(i + 1, "no") {
                    skipme = false;
                } else {
                    return Err(CmdError::Syntax);
                }
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
    }
    let matches = |c: &Client| {
        addr.as_ref().is_none_or(|a| a == c.addr.as_bytes())
            && laddr.as_ref().is_none_or(|a| a == c.laddr.as_bytes())
            && ty.is_none_or(|t| t == type_of(c))
            && (id == 0 || c.id == id)
            && user.as_ref().is_none_or(|u| u == c.user.as_bytes())
    };
    let victims: Vec<usize> = cx
        .srv
        .client_slots()
        .filter(|&s| cx.srv.clients[s].as_ref().is_some_and(|c| matches(c)))
        .collect();
    let mut killed = victims.len();
    for s in victims {
        cx.srv.free_client(s);
    }
    let kill_self = !skipme && matches(cx.c);
    if kill_self {
        killed += 1;
    }
    if old_style {
        if killed == 0 {
            return Err(CmdError::msg("ERR No such client"));
        }
        cx.reply().ok();
    } else {
        cx.reply().int(killed as i64);
    }
    if kill_self {
        cx.c.flags |= flags::CLOSE_AFTER_REPLY;
    }
    Ok(())
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: end another client's blocking wait.
pub fn unblock(cx: &mut Ctx) -> CmdResult {
    let mut error = false;
    if cx.argc() == 4 {
        if cx.arg_is(3, "timeout") {
            error = false;
        } else if cx.arg_is(3, "error") {
            error = true;
        } else {
            return Err(CmdError::msg(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ));
        }
    }
    let id = cx.arg_i64(2)?;
    // The caller is out of its slot while it runs, so it is never found
    // here (and it cannot be blocked anyway).
    let slot = cx.srv.client_slots().find(|&s| {
        cx.srv.clients[s]
            .as_ref()
            .is_some_and(|t| t.id as i64 == id)
    });
    let done = slot.is_some_and(|s| crate::blocking::unblock_by_request(cx.srv, s, error));
    cx.reply().int(done as i64);
    Ok(())
}

pub fn pause(cx: &mut Ctx) -> CmdResult {
    if cx.argc() > 4 {
        return Err(super::help::subcommand_syntax_error(cx));
    }
    let mut write_only = false;
    if cx.argc() == 4 {
        if cx.arg_is(3, "write") {
            write_only = true;
        } else if !cx.arg_is(3, "all") {
            return Err(CmdError::msg("ERR CLIENT PAUSE mode must be WRITE or ALL"));
        }
    }
    let ms = crate::util::number::parse_i64(cx.arg(2)).ok_or(CmdError::msg(
        "ERR timeout is not an integer or out of range",
    ))?;
    if ms < 0 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    let end = cx.srv.now_ms.saturating_add(ms);
    // A new pause never shortens an existing one, and ALL wins over WRITE
    // (pauseClients keeps the max of both).
    let was_paused = cx.srv.pause_until_ms != 0;
    cx.srv.pause_write_only = write_only && (!was_paused || cx.srv.pause_write_only);
    cx.srv.pause_until_ms = cx.srv.pause_until_ms.max(end);
    cx.reply().ok();
    Ok(())
}

pub fn unpause(cx: &mut Ctx) -> CmdResult {
    cx.srv.unpause();
    cx.reply().ok();
    Ok(())
}

pub fn reply(cx: &mut Ctx) -> CmdResult {
    if cx.arg_is(2, "on") {
        cx.c.flags &= !(flags::REPLY_OFF | flags::REPLY_SKIP | flags::REPLY_SKIP_NEXT);
        cx.reply().ok();
    } else if cx.arg_is(2, "off") {
        cx.c.flags |= flags::REPLY_OFF;
    } else if cx.arg_is(2, "skip") {
        if cx.c.flags & flags::REPLY_OFF == 0 {
            cx.c.flags |= flags::REPLY_SKIP_NEXT;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(())
}

/// CLIENT NO-EVICT ON|OFF: leave the eviction buckets at once, or join
/// them (an already oversized client may be evicted right after).
pub fn no_evict(cx: &mut Ctx) -> CmdResult {
    if cx.arg_is(2, "on") {
        cx.c.flags |= flags::NO_EVICT;
        crate::client_evict::exempt(cx.srv, cx.c);
    } else if cx.arg_is(2, "off") {
        cx.c.flags &= !flags::NO_EVICT;
        crate::client_evict::update(cx.srv, cx.c);
    } else {
        return Err(CmdError::Syntax);
    }
    cx.reply().ok();
    Ok(())
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p]... [OPTIN]
/// [OPTOUT] [NOLOOP]: every option parsed first, then checked in Redis'
/// order, so the same first error comes back.
pub fn tracking(cx: &mut Ctx) -> CmdResult {
    let mut redirect = 0i64;
    let mut redirect_slot = usize::MAX;
    let mut opts = crate::tracking::Options::default();
    let mut prefixes = Vec::new();
    let mut j = 3;
    while j < cx.argc() {
        let more = j + 1 < cx.argc();
        if cx.arg_is(j, "redirect") && more {
            j += 1;
            if redirect != 0 {
                return Err(CmdError::msg(
                    "ERR A client can only redirect to a single other client",
                ));
            }
            redirect = cx.arg_i64(j)?;
            // The target must exist now, though it may leave later.
            redirect_slot = crate::tracking::find_client(cx.srv, cx.c, redirect).ok_or(
                CmdError::msg("ERR The client ID you want redirect to does not exist"),
            )?;
        } else if cx.arg_is(j, "bcast") {
            opts.bcast = true;
        } else if cx.arg_is(j, "optin") {
            opts.optin = true;
        } else if cx.arg_is(j, "optout") {
            opts.optout = true;
        } else if cx.arg_is(j, "noloop") {
            opts.noloop = true;
        } else if cx.arg_is(j, "prefix") && more {
            j += 1;
            prefixes.push(cx.arg_bytes(j));
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if cx.arg_is(2, "on") {
        check_tracking_options(cx.c, opts, &prefixes)?;
        crate::tracking::enable(
            cx.srv,
            cx.c,
            redirect as u64,
            redirect_slot,
            opts,
            &prefixes,
        );
    } else if cx.arg_is(2, "off") {
        crate::tracking::disable(cx.srv, cx.c);
    } else {
        return Err(CmdError::Syntax);
    }
    cx.reply().ok();
    Ok(())
}

/// The rules of CLIENT TRACKING ON: options compatible with each other
/// and with the mode the client is already in.
fn check_tracking_options(
    c: &Client,
    opts: crate::tracking::Options,
    prefixes: &[bytes::Bytes],
) -> Result<(), CmdError> {
    if !opts.bcast && !prefixes.is_empty() {
        return Err(CmdError::msg(
            "ERR PREFIX option requires BCAST mode to be enabled",
        ));
    }
    let cur = c.tracking.as_deref();
    if cur.is_some_and(|t| t.bcast != opts.bcast) {
        return Err(CmdError::msg("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."));
    }
    if opts.bcast && (opts.optin || opts.optout) {
        return Err(CmdError::msg(
            "ERR OPTIN and OPTOUT are not compatible with BCAST",
        ));
    }
    if opts.optin && opts.optout {
        return Err(CmdError::msg(
            "ERR You can't specify both OPTIN mode and OPTOUT mode",
        ));
    }
    if cur.is_some_and(|t| (opts.optin && t.optout) || (opts.optout && t.optin)) {
        return Err(CmdError::msg("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."));
    }
    if opts.bcast {
        crate::tracking::check_prefix_collisions(c, prefixes)?;
    }
    Ok(())
}

/// CLIENT CACHING YES|NO: decide for the next command (or transaction)
/// whether its keys are tracked, in OPTIN / OPTOUT mode.
pub fn caching(cx: &mut Ctx) -> CmdResult {
    let yes = cx.arg_is(2, "yes");
    let no = cx.arg_is(2, "no");
    let Some(t) = cx.c.tracking.as_deref_mut() else {
        return Err(CmdError::msg("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"));
    };
    if yes {
        if !t.optin {
            return Err(CmdError::msg(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
    } else if no {
        if !t.optout {
            return Err(CmdError::msg(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
    } else {
        return Err(CmdError::Syntax);
    }
    t.caching = true;
    cx.reply().ok();
    Ok(())
}

/// CLIENT GETREDIR: the redirect client's id, 0 for none, -1 when
/// tracking is off.
pub fn getredir(cx: &mut Ctx) -> CmdResult {
    let id = cx.c.tracking.as_ref().map_or(-1, |t| t.redirect as i64);
    cx.reply().int(id);
    Ok(())
}

/// CLIENT TRACKINGINFO: a map of the flags (a set), the redirect id and
/// the BCAST prefixes.
pub fn trackinginfo(cx: &mut Ctx) -> CmdResult {
    let mut flags_list: Vec<&[u8]> = Vec::new();
    let mut redirect = -1;
    let mut prefixes = Vec::new();
    match cx.c.tracking.as_deref() {
        None => flags_list.push(b"off"),
        Some(t) => {
            flags_list.push(b"on");
            if t.bcast {
                flags_list.push(b"bcast");
            }
            if t.optin {
                flags_list.push(b"optin");
                if t.caching {
                    flags_list.push(b"caching-yes");
                }
            }
            if t.optout {
                flags_list.push(b"optout");
                if t.caching {
                    flags_list.push(b"caching-no");
                }
            }
            if t.noloop {
                flags_list.push(b"noloop");
            }
            if t.broken_redirect {
                flags_list.push(b"broken_redirect");
            }
            redirect = t.redirect as i64;
            prefixes = t.prefixes.iter().cloned().collect();
        }
    }
    let mut r = cx.c.reply();
    r.map_len(3);
    r.bulk(b"flags");
    r.set_len(flags_list.len());
    for f in flags_list {
        r.bulk(f);
    }
    r.bulk(b"redirect");
    r.int(redirect);
    r.bulk(b"prefixes");
    r.bulks(prefixes.iter());
    Ok(())
}

pub fn help(cx: &mut Ctx) -> CmdResult {
    reply_help(
        cx,
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    With OPTIN/OPTOUT tracking, decide whether the next command's keys are tracked.",
            "GETREDIR",
            "    ID of the client receiving this connection's tracking invalidations, or -1.",
            "ID",
            "    This connection's unique ID.",
            "INFO",
            "    Details about this connection, in the CLIENT LIST format.",
            "KILL <ip:port>",
            "    Close the connection from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Close every connection matching all the filters:",
            "    * ID <client-id>",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "    * USER <username>",
            "    * ADDR <ip:port>",
            "    * LADDR <ip:port>",
            "    * SKIPME (YES|NO)",
            "LIST [options ...]",
            "    One line per connection. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "    * ID <client-id> [<client-id> ...]",
            "GETNAME",
            "    This connection's name, if set.",
            "SETNAME <name>",
            "    Name this connection.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Hold back commands from all clients for <timeout> ms (only writes with WRITE).",
            "UNPAUSE",
            "    End a pause early.",
            "REPLY (ON|OFF|SKIP)",
            "    Turn replies to this connection on or off, or drop the next one.",
            "NO-EVICT (ON|OFF)",
            "    Exempt this connection from client eviction.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]] [OPTIN] [OPTOUT] [NOLOOP]",
            "    Turn client-side caching invalidation messages on or off.",
            "TRACKINGINFO",
            "    The current tracking settings of this connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Wake a client blocked in a blocking command.",
        ],
    );
    Ok(())
}
