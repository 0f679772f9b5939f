//! XREAD and XREADGROUP, served at once or blocked until a stream gets
//! entries past the ID each key waits for (xreadCommand and blocked.c's
//! serveClientsBlockedOnStreamKey).
//!
//! A group reader blocked with `>` waits for entries past its group's
//! last delivered ID, read again when it is woken, since other consumers
//! of the group may have advanced it meanwhile. It is woken with an
//! error when the group is destroyed or the stream deleted or replaced.

use bytes::Bytes;

use super::*;
use crate::blocking::{BlockOp, Blocked, XReadWait};
use crate::errors::CmdResult;
use crate::types::value::Value;

/// COUNT of a blocked XREAD given none: enough for a burst, bounded.
const BLOCKED_DEFAULT_COUNT: usize = 1000;

struct ReadArgs {
    /// -1: no BLOCK; 0: forever; else the deadline in Unix ms.
    timeout: i64,
    count: usize,
    streams_at: usize,
    nstreams: usize,
    group: Option<(Bytes, Bytes)>,
    noack: bool,
}

fn parse_args(cx: &Ctx, xreadgroup: bool) -> Result<ReadArgs, CmdError> {
    let argc = cx.argc();
    let mut a = ReadArgs {
        timeout: -1,
        count: 0,
        streams_at: 0,
        nstreams: 0,
        group: None,
        noack: false,
    };
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        if cx.arg_is(i, "block") && more > 0 {
            i += 1;
            let ms = crate::util::number::parse_i64(cx.arg(i)).ok_or(CmdError::msg(
                "ERR timeout is not an integer or out of range",
            ))?;
            if ms < 0 {
                return Err(CmdError::msg("ERR timeout is negative"));
            }
            a.timeout = if ms > 0 { ms.wrapping_add(now_ms()) } else { 0 };
        } else if cx.arg_is(i, "count") && more > 0 {
            i += 1;
            a.count = int_or_err(cx.arg(i))?.max(0) as usize;
        } else if cx.arg_is(i, "streams") && more > 0 {
            a.streams_at = i + 1;
            let n = argc - a.streams_at;
            if !n.is_multiple_of(2) {
                return Err(CmdError::msg(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            a.nstreams = n / 2;
            break;
        } else if cx.arg_is(i, "group") && more >= 2 {
            if !xreadgroup {
                return Err(CmdError::msg(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            a.group = Some((cx.arg_bytes(i + 1), cx.arg_bytes(i + 2)));
            i += 2;
        } else if cx.arg_is(i, "noack") {
            if !xreadgroup {
                return Err(CmdError::msg(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            a.noack = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if a.streams_at == 0 {
        return Err(CmdError::Syntax);
    }
    if xreadgroup && a.group.is_none() {
        return Err(CmdError::msg("ERR Missing GROUP option for XREADGROUP"));
    }
    Ok(a)
}

/// XREAD [COUNT n] [BLOCK ms] STREAMS key ... id ...
/// XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS key ... id ...
pub fn xread(cx: &mut Ctx) -> CmdResult {
    let xreadgroup = cx.fullname() == "xreadgroup";
    // Whatever happens, the command itself is not propagated: a group
    // read is replicated by the XCLAIMs it records.
    cx.prevent_propagation();
    let a = parse_args(cx, xreadgroup)?;
    let db = ctx_db(cx);
    let mut ids: Vec<StreamId> = Vec::with_capacity(a.nstreams);
    for k in 0..a.nstreams {
        let key = cx.arg_bytes(a.streams_at + k);
        let arg = cx.arg_bytes(a.streams_at + a.nstreams + k);
        let s = match cx.lookup_read(&key) {
            Some(o) => Some(o.val.as_stream()?),
            None => None,
        };
        if let Some((g, _)) = &a.group {
            if s.is_none_or(|s| !s.groups.contains_key(&g[..])) {
                return Err(no_group(&key, g, " in XREADGROUP with GROUP option"));
            }
        }
        let id = if &arg[..] == b"$" {
            if xreadgroup {
                return Err(CmdError::msg(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ));
            }
            s.map_or(StreamId::MIN, |s| s.last_id)
        } else if &arg[..] == b">" {
            if !xreadgroup {
                return Err(CmdError::msg(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ));
            }
            StreamId::MAX
        } else {
            strict_id(&arg)?
        };
        ids.push(id);
    }

    let resp3 = cx.c.resp == 3;
    let now = now_ms();
    let mut served = 0usize;
    let mut top: Option<crate::net::reply::Deferred> = None;
    for (k, &gt) in ids.iter().enumerate() {
        let key = cx.arg_bytes(a.streams_at + k);
        let Some(s) = stream_mut(cx.srv, db, &key) else {
            continue;
        };
        let mut gt = gt;
        let mut history = false;
        let serve = match &a.group {
            Some((gname, _)) => {
                if gt != StreamId::MAX {
                    history = true;
                    true
                } else if s.length > 0 {
                    let last = s
                        .groups
                        .get(&gname[..])
                        .map_or(StreamId::MAX, |g| g.last_id);
                    if s.last_valid_id() > last {
                        gt = last;
                        true
                    } else {
                        false
                    }
                } else {
                    false
                }
            }
            None => s.length > 0 && s.last_valid_id() > gt,
        };
        if !serve {
            continue;
        }
        served += 1;
        if served == 1 {
            top = Some(cx.c.reply().defer_len());
        }
        let start = gt.incr().unwrap_or(StreamId::MIN);
        if !resp3 {
            cx.c.reply().array_len(2);
        }
        cx.c.reply().bulk(&key);
        match &a.group {
            None => {
                let srv = &mut *cx.srv;
                if let Some(s) = stream_mut(srv, db, &key) {
                    reply_range(&mut cx.c.reply(), s, start, StreamId::MAX, a.count, false);
                }
            }
            Some((gname, cname)) => {
                let props = read_for_group(
                    cx.srv,
                    cx.c,
                    db,
                    &key,
                    (gname, cname, a.noack),
                    start,
                    a.count,
                    history,
                    now,
                );
                propagate_all(cx.srv, db, props);
                cx.dirty(1);
            }
        }
    }
    if let Some(d) = top {
        let mut r = cx.c.reply();
        if resp3 {
            r.set_deferred_map(d, served);
        } else {
            r.set_deferred_array(d, served);
        }
        return Ok(());
    }
    if a.timeout == -1 || cx.c.flags & flags::DENY_BLOCKING != 0 {
        // Nothing to serve and no (allowed) wait: answered as a timeout.
        cx.c.reply().null_array();
        return Ok(());
    }
    let mut waits: Vec<(Bytes, StreamId)> = Vec::with_capacity(a.nstreams);
    for (k, &id) in ids.iter().enumerate() {
        let key = cx.arg_bytes(a.streams_at + k);
        if !waits.iter().any(|(w, _)| *w == key) {
            waits.push((key, id));
        }
    }
    let keys = waits.iter().map(|(k, _)| k.clone()).collect();
    let op = BlockOp::XRead(Box::new(XReadWait {
        ids: waits,
        count: if a.count > 0 {
            a.count
        } else {
            BLOCKED_DEFAULT_COUNT
        },
        group: a.group.map(|(g, c)| (g, c, a.noack)),
    }));
    let b = Blocked {
        db,
        keys,
        deadline_ms: a.timeout,
        op,
        cmd: cx.cmd,
        argv: Vec::new(),
    };
    crate::blocking::block(cx.srv, cx.c, b);
    Ok(())
}

/// Serve one stream key to a group consumer: new entries after `start`,
/// or (`history`) its own pending ones. Writes the entries array and
/// returns the commands to propagate.
#[allow(clippy::too_many_arguments)]
fn read_for_group(
    srv: &mut Server,
    c: &mut Client,
    db: usize,
    key: &[u8],
    (gname, cname, noack): (&[u8], &[u8], bool),
    start: StreamId,
    count: usize,
    history: bool,
    now: i64,
) -> Vec<Vec<Bytes>> {
    let mut props = Vec::new();
    // Detach the group so the stream can be read while it changes.
    let Some(mut g) = stream_mut(srv, db, key).and_then(|s| s.groups.remove(gname)) else {
        c.reply().array_len(0);
        return props;
    };
    let (slot, created) = consumer_slot(srv, db, key, &mut g, cname, now);
    if created && noack {
        props.push(createconsumer_argv(key, gname, cname));
    }
    if let Some(s) = stream_mut(srv, db, key) {
        let mut r = c.reply();
        if history {
            reply_consumer_history(&mut r, s, &mut g, slot, start, count, now);
        } else {
            let mut gr = GroupRead {
                key,
                group_name: gname,
                consumer: slot,
                noack,
                now,
                props,
            };
            reply_group_range(&mut r, s, &mut g, start, count, &mut gr);
            props = gr.props;
        }
        s.groups.insert(gname.into(), g);
    }
    props
}

/// Whether a client blocked in XREAD/XREADGROUP on `key` gets an answer
/// now: entries past what it waits for, or (group readers) the error
/// that its stream or group is gone.
pub fn blocked_can_serve(srv: &Server, c: &Client, db: usize, key: &[u8]) -> bool {
    let Some(BlockOp::XRead(w)) = c.blocked.as_ref().map(|b| &b.op) else {
        return false;
    };
    let s = match srv.dbs[db].keys.peek(key).map(|o| &o.val) {
        Some(Value::Stream(s)) => s,
        // Gone or replaced: only group readers are told.
        _ => return w.group.is_some(),
    };
    match &w.group {
        Some((g, _, _)) => match s.groups.get(&g[..]) {
            None => true,
            Some(g) => s.last_id > g.last_id,
        },
        None => {
            let gt = w
                .ids
                .iter()
                .find(|(k, _)| &k[..] == key)
                .map_or(StreamId::MAX, |x| x.1);
            s.last_id > gt
        }
    }
}

/// Answer a blocked XREAD/XREADGROUP from `key` (the check above said
/// it can be answered).
pub fn serve_blocked(srv: &mut Server, c: &mut Client, db: usize, key: &[u8]) {
    let Some(BlockOp::XRead(w)) = c.blocked.as_ref().map(|b| b.op.clone()) else {
        return;
    };
    let is_stream = matches!(
        srv.dbs[db].keys.peek(key).map(|o| &o.val),
        Some(Value::Stream(_))
    );
    if !is_stream {
        super::super::add_error_reply(srv, c, "UNBLOCKED the stream key no longer exists");
        return;
    }
    let now = now_ms();
    let Some(s) = stream_mut(srv, db, key) else {
        return;
    };
    let start = match &w.group {
        Some((g, _, _)) => match s.groups.get(&g[..]) {
            Some(g) => g.last_id,
            None => {
                super::super::add_error_reply(
                    srv,
                    c,
                    "NOGROUP the consumer group this client was blocked on no longer exists",
                );
                return;
            }
        },
        None => w
            .ids
            .iter()
            .find(|(k, _)| &k[..] == key)
            .map_or(StreamId::MAX, |x| x.1),
    }
    .incr()
    .unwrap_or(StreamId::MIN);
    {
        let resp2 = c.resp == 2;
        let mut r = c.reply();
        if resp2 {
            r.array_len(1);
            r.array_len(2);
        } else {
            r.map_len(1);
        }
    }
    c.reply().bulk(key);
    match &w.group {
        None => {
            if let Some(s) = stream_mut(srv, db, key) {
                reply_range(&mut c.reply(), s, start, StreamId::MAX, w.count, false);
            }
        }
        Some((g, cname, noack)) => {
            let props = read_for_group(
                srv,
                c,
                db,
                key,
                (g, cname, *noack),
                start,
                w.count,
                false,
                now,
            );
            propagate_all(srv, db, props);
        }
    }
    crate::persistence::propagate::propagate_pending(srv, true);
}
