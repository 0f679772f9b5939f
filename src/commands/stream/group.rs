//! XGROUP XACK XPENDING XCLAIM XAUTOCLAIM: consumer group management.
//!
//! XCLAIM and XAUTOCLAIM are replicated as one idempotent XCLAIM per
//! entry they touched (with TIME, RETRYCOUNT, FORCE, JUSTID and LASTID),
//! never as the command the client sent.

use bytes::Bytes;

use super::*;
use crate::config::NOTIFY_STREAM;
use crate::errors::CmdResult;
use crate::types::value::Value;

pub fn xgroup_help(cx: &mut Ctx) -> CmdResult {
    super::super::help::reply_help(
        cx,
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a consumer group starting after the given ID. Options:",
            "    * MKSTREAM",
            "      Create an empty stream when the key is missing.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's read counter (used by replication).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Add a consumer to the group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove a consumer and its pending entries.",
            "DESTROY <key> <groupname>",
            "    Remove the group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Move the group's last delivered ID (and read counter).",
        ],
    );
    Ok(())
}

/// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER key group ...
pub fn xgroup(cx: &mut Ctx) -> CmdResult {
    let sub = cx.arg(1).to_ascii_lowercase();
    let create = sub == b"create";
    let setid = sub == b"setid";
    let mut mkstream = false;
    let mut entries_read: i64 = ENTRIES_READ_INVALID;
    let mut i = 5;
    while i < cx.argc() {
        if create && cx.arg_is(i, "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && cx.arg_is(i, "entriesread") && i + 1 < cx.argc() {
            entries_read = int_or_err(cx.arg(i + 1))?;
            if entries_read < 0 && entries_read != ENTRIES_READ_INVALID {
                return Err(CmdError::msg(
                    "ERR value for ENTRIESREAD must be positive or -1",
                ));
            }
            i += 2;
        } else {
            return Err(super::super::help::subcommand_syntax_error(cx));
        }
    }
    let db = ctx_db(cx);
    let key = cx.arg_bytes(2);
    let gname = cx.arg_bytes(3);
    let exists = match cx.lookup_write(&key) {
        Some(o) => {
            o.val.as_stream()?;
            true
        }
        None => false,
    };
    if !mkstream {
        if !exists {
            return Err(CmdError::msg(
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
            ));
        }
        let has_group =
            stream_mut(cx.srv, db, &key).is_some_and(|s| s.groups.contains_key(&gname[..]));
        if !has_group && matches!(&sub[..], b"setid" | b"createconsumer" | b"delconsumer") {
            return Err(CmdError::owned(format!(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                c_text(&gname),
                c_text(&key)
            )));
        }
    }
    match &sub[..] {
        b"create" if (5..=8).contains(&cx.argc()) => {
            let id = if cx.arg(4) == b"$" {
                stream_mut(cx.srv, db, &key).map_or(StreamId::MIN, |s| s.last_id)
            } else {
                strict_id(cx.arg(4))?
            };
            if !exists {
                let obj = cx.obj(Value::Stream(Box::default()));
                crate::db::add_key(cx.srv, db, &key, obj);
                cx.modified(&key);
            }
            let Some(s) = stream_mut(cx.srv, db, &key) else {
                return Err(CmdError::WrongType);
            };
            if s.groups.contains_key(&gname[..]) {
                return Err(CmdError::msg(
                    "BUSYGROUP Consumer Group name already exists",
                ));
            }
            s.groups
                .insert((&gname[..]).into(), Group::new(id, entries_read));
            cx.reply().ok();
            cx.dirty(1);
            cx.notify(NOTIFY_STREAM, "xgroup-create", &key);
        }
        b"setid" if cx.argc() == 5 || cx.argc() == 7 => {
            let id = if cx.arg(4) == b"$" {
                stream_mut(cx.srv, db, &key).map_or(StreamId::MIN, |s| s.last_id)
            } else {
                parse_id(cx.arg(4), LOOSE)?.id
            };
            let Some(s) = stream_mut(cx.srv, db, &key) else {
                return Err(CmdError::WrongType);
            };
            if let Some(g) = s.groups.get_mut(&gname[..]) {
                g.last_id = id;
                g.entries_read = entries_read;
            }
            cx.reply().ok();
            cx.dirty(1);
            cx.notify(NOTIFY_STREAM, "xgroup-setid", &key);
        }
        b"destroy" if cx.argc() == 4 => {
            let removed =
                stream_mut(cx.srv, db, &key).is_some_and(|s| s.groups.remove(&gname[..]).is_some());
            if removed {
                cx.reply().int(1);
                cx.dirty(1);
                cx.notify(NOTIFY_STREAM, "xgroup-destroy", &key);
                // Its blocked readers are told the group is gone.
                cx.srv.dbs[db].signal_key_ready(&key);
            } else {
                cx.reply().int(0);
            }
        }
        b"createconsumer" if cx.argc() == 5 => {
            let now = now_ms();
            let cname = cx.arg_bytes(4);
            let created = stream_mut(cx.srv, db, &key)
                .and_then(|s| s.groups.get_mut(&gname[..]))
                .and_then(|g| g.create_consumer(&cname, now))
                .is_some();
            if created {
                cx.dirty(1);
                cx.notify(NOTIFY_STREAM, "xgroup-createconsumer", &key);
            }
            cx.reply().int(i64::from(created));
        }
        b"delconsumer" if cx.argc() == 5 => {
            let cname = cx.arg_bytes(4);
            let pending = stream_mut(cx.srv, db, &key)
                .and_then(|s| s.groups.get_mut(&gname[..]))
                .and_then(|g| g.delete_consumer(&cname));
            if pending.is_some() {
                cx.dirty(1);
                cx.notify(NOTIFY_STREAM, "xgroup-delconsumer", &key);
            }
            cx.reply().int(pending.unwrap_or(0) as i64);
        }
        _ => return Err(super::super::help::subcommand_syntax_error(cx)),
    }
    Ok(())
}

/// XACK key group id [id ...]
pub fn xack(cx: &mut Ctx) -> CmdResult {
    let db = ctx_db(cx);
    let key = cx.arg_bytes(1);
    let gname = cx.arg_bytes(2);
    let has_group = match cx.lookup_read(&key) {
        Some(o) => o.val.as_stream()?.groups.contains_key(&gname[..]),
        None => false,
    };
    if !has_group {
        cx.reply().int(0);
        return Ok(());
    }
    let ids = (3..cx.argc())
        .map(|i| strict_id(cx.arg(i)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut acked = 0;
    if let Some(g) = stream_mut(cx.srv, db, &key).and_then(|s| s.groups.get_mut(&gname[..])) {
        for id in ids {
            if g.ack(id) {
                acked += 1;
            }
        }
    }
    cx.dirty(acked);
    cx.reply().int(acked as i64);
    Ok(())
}

/// XPENDING key group [[IDLE min-idle] start end count [consumer]]
pub fn xpending(cx: &mut Ctx) -> CmdResult {
    let argc = cx.argc();
    let summary = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CmdError::Syntax);
    }
    let mut start = StreamId::MIN;
    let mut end = StreamId::MAX;
    let mut count: i64 = 0;
    let mut minidle: i64 = 0;
    let mut consumer: Option<Bytes> = None;
    if argc >= 6 {
        let mut at = 3;
        if cx.arg_is(3, "idle") {
            minidle = int_or_err(cx.arg(4))?;
            if argc < 8 {
                return Err(CmdError::Syntax);
            }
            at += 2;
        }
        count = int_or_err(cx.arg(at + 2))?.max(0);
        start = range_start(cx.arg(at))?;
        end = range_end(cx.arg(at + 1))?;
        if at + 3 < argc {
            consumer = Some(cx.arg_bytes(at + 3));
        }
    }
    let key = cx.arg_bytes(1);
    let gname = cx.arg_bytes(2);
    let db = ctx_db(cx);
    let srv = &mut *cx.srv;
    let g = match super::super::lookup_read(srv, db, &key) {
        Some(o) => o.val.as_stream()?.groups.get(&gname[..]),
        None => None,
    };
    let Some(g) = g else {
        return Err(no_group(&key, &gname, ""));
    };
    let mut r = cx.c.reply();
    if summary {
        r.array_len(4);
        r.int(g.pel.len() as i64);
        match (g.pel.keys().next(), g.pel.keys().next_back()) {
            (Some(&first), Some(&last)) => {
                reply_id(&mut r, first);
                reply_id(&mut r, last);
                let busy: Vec<_> = g.consumers().filter(|c| !c.pel.is_empty()).collect();
                r.array_len(busy.len());
                for c in busy {
                    r.array_len(2);
                    r.bulk(&c.name);
                    r.bulk_i64(c.pel.len() as i64);
                }
            }
            _ => {
                r.null();
                r.null();
                r.null_array();
            }
        }
        return Ok(());
    }
    let now = now_ms();
    let ids: Vec<StreamId> = match &consumer {
        Some(name) => match g.find(name).and_then(|s| g.consumer(s)) {
            Some(c) => c
                .pel
                .range(start..)
                .take_while(|&&id| id <= end)
                .copied()
                .collect(),
            None => {
                r.array_len(0);
                return Ok(());
            }
        },
        None => {
            if start > end {
                Vec::new()
            } else {
                g.pel.range(start..=end).map(|(id, _)| *id).collect()
            }
        }
    };
    let d = r.defer_len();
    let mut n = 0;
    for id in ids {
        if count == 0 {
            break;
        }
        let Some(nack) = g.pel.get(&id) else {
            continue;
        };
        if minidle != 0 && now - nack.delivery_time < minidle {
            continue;
        }
        n += 1;
        count -= 1;
        r.array_len(4);
        reply_id(&mut r, id);
        r.bulk(g.owner_name(nack));
        r.int((now - nack.delivery_time).max(0));
        r.int(nack.delivery_count as i64);
    }
    r.set_deferred_array(d, n);
    Ok(())
}

/// The group at key/group for a claim: the NOGROUP error otherwise.
fn claim_group_check(cx: &mut Ctx, key: &[u8], gname: &[u8]) -> CmdResult {
    let ok = match cx.lookup_read(key) {
        Some(o) => o.val.as_stream()?.groups.contains_key(gname),
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(no_group(key, gname, ""))
    }
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms]
/// [TIME unix-ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]
pub fn xclaim(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let gname = cx.arg_bytes(2);
    let cname = cx.arg_bytes(3);
    claim_group_check(cx, &key, &gname)?;
    let minidle = int_arg(cx.arg(4), "ERR Invalid min-idle-time argument for XCLAIM")?.max(0);
    // IDs run until the first argument that is not one: the options.
    let mut ids: Vec<(StreamId, Bytes)> = Vec::new();
    let mut j = 5;
    while j < cx.argc() {
        match stream::parse_id(cx.arg(j), STRICT) {
            Some(p) => ids.push((p.id, cx.arg_bytes(j))),
            None => break,
        }
        j += 1;
    }
    let now = now_ms();
    let mut force = false;
    let mut justid = false;
    let mut deliverytime: i64 = -1;
    let mut retrycount: i64 = -1;
    let mut last_id = StreamId::MIN;
    while j < cx.argc() {
        let more = cx.argc() - 1 - j;
        if cx.arg_is(j, "force") {
            force = true;
        } else if cx.arg_is(j, "justid") {
            justid = true;
        } else if cx.arg_is(j, "idle") && more > 0 {
            j += 1;
            let v = int_arg(cx.arg(j), "ERR Invalid IDLE option argument for XCLAIM")?;
            deliverytime = now.wrapping_sub(v);
        } else if cx.arg_is(j, "time") && more > 0 {
            j += 1;
            deliverytime = int_arg(cx.arg(j), "ERR Invalid TIME option argument for XCLAIM")?;
        } else if cx.arg_is(j, "retrycount") && more > 0 {
            j += 1;
            retrycount = int_arg(
                cx.arg(j),
                "ERR Invalid RETRYCOUNT option argument for XCLAIM",
            )?;
        } else if cx.arg_is(j, "lastid") && more > 0 {
            j += 1;
            last_id = strict_id(cx.arg(j))?;
        } else {
            return Err(CmdError::owned(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                c_text(cx.arg(j))
            )));
        }
        j += 1;
    }
    if deliverytime == -1 || deliverytime < 0 || deliverytime > now {
        deliverytime = now;
    }
    let db = ctx_db(cx);
    let Some(mut g) = stream_mut(cx.srv, db, &key).and_then(|s| s.groups.remove(&gname[..])) else {
        return Err(no_group(&key, &gname, ""));
    };
    let mut propagate_last_id = false;
    if last_id > g.last_id {
        g.last_id = last_id;
        propagate_last_id = true;
    }
    let mut props: Vec<Vec<Bytes>> = Vec::new();
    let mut slot: Option<u32> = None;
    let d = cx.c.reply().defer_len();
    let mut n = 0;
    for (id, id_arg) in &ids {
        let id = *id;
        let exists = stream_mut(cx.srv, db, &key).is_some_and(|s| s.contains(id));
        if !exists {
            // A pending entry whose message is gone is dropped.
            if let Some(nack) = g.pel.get(&id) {
                let owner = g.owner_name(nack).to_vec();
                let mut argv = xclaim_argv(&key, &gname, &owner, id, nack, g.last_id);
                argv[5] = id_arg.clone();
                props.push(argv);
                propagate_last_id = false;
                cx.dirty(1);
                g.ack(id);
            }
            continue;
        }
        let pending = g.pel.get(&id);
        if pending.is_none() && !force {
            continue;
        }
        if let Some(nack) = pending {
            if minidle != 0 && now - nack.delivery_time < minidle {
                continue;
            }
        }
        let s_slot = match slot {
            Some(s) => s,
            None => {
                let (s, _) = consumer_slot(cx.srv, db, &key, &mut g, &cname, now);
                slot = Some(s);
                s
            }
        };
        if let Some(nack) = g.assign(id, s_slot, now) {
            nack.delivery_time = deliverytime;
            if retrycount >= 0 {
                nack.delivery_count = retrycount as u64;
            } else if !justid {
                // A NACK made by FORCE starts at 1 and is counted again.
                nack.delivery_count += 1;
            }
        }
        {
            let mut r = cx.c.reply();
            if justid {
                reply_id(&mut r, id);
            } else if let Some(s) = stream_mut(cx.srv, db, &key) {
                match s.range(id, id, false).next() {
                    Some(e) => reply_entry(&mut r, &e),
                    None => r.null_array(),
                }
            }
        }
        n += 1;
        if let Some(nack) = g.pel.get(&id) {
            let mut argv = xclaim_argv(&key, &gname, g.owner_name(nack), id, nack, g.last_id);
            argv[5] = id_arg.clone();
            props.push(argv);
        }
        propagate_last_id = false;
        cx.dirty(1);
    }
    if propagate_last_id {
        props.push(setid_argv(&key, &gname, &g));
        cx.dirty(1);
    }
    if let Some(s) = stream_mut(cx.srv, db, &key) {
        s.groups.insert((&gname[..]).into(), g);
    }
    cx.c.reply().set_deferred_array(d, n);
    propagate_all(cx.srv, db, props);
    cx.prevent_propagation();
    Ok(())
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT n] [JUSTID]
pub fn xautoclaim(cx: &mut Ctx) -> CmdResult {
    let key = cx.arg_bytes(1);
    let gname = cx.arg_bytes(2);
    let cname = cx.arg_bytes(3);
    let minidle = int_arg(
        cx.arg(4),
        "ERR Invalid min-idle-time argument for XAUTOCLAIM",
    )?
    .max(0);
    let start = range_start(cx.arg(5))?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < cx.argc() {
        let more = cx.argc() - 1 - j;
        if cx.arg_is(j, "count") && more > 0 {
            // Redis bounds COUNT so count * 16 bytes fits a long.
            let max = i64::MAX / 16;
            count = crate::util::number::parse_i64(cx.arg(j + 1))
                .filter(|&c| (1..=max).contains(&c))
                .ok_or(CmdError::msg("ERR COUNT must be > 0"))?;
            j += 1;
        } else if cx.arg_is(j, "justid") {
            justid = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    claim_group_check(cx, &key, &gname)?;
    // Redis allocates COUNT IDs up front for the deleted-entries reply;
    // a COUNT no machine could hold gets its allocation error.
    if count > 1 << 36 {
        return Err(CmdError::msg(
            "ERR Insufficient memory, failed allocating transient memory, COUNT too high.",
        ));
    }
    let db = ctx_db(cx);
    let Some(mut g) = stream_mut(cx.srv, db, &key).and_then(|s| s.groups.remove(&gname[..])) else {
        return Err(no_group(&key, &gname, ""));
    };
    let now = now_ms();
    let mut attempts = count.saturating_mul(10);
    let mut props: Vec<Vec<Bytes>> = Vec::new();
    let mut deleted: Vec<StreamId> = Vec::new();
    let mut slot: Option<u32> = None;
    cx.c.reply().array_len(3);
    let cursor_at = cx.c.reply().defer_len();
    let d = cx.c.reply().defer_len();
    let mut n = 0;
    let mut next = g.pel.range(start..).next().map(|(id, _)| *id);
    let mut last_seen: Option<StreamId> = None;
    while attempts > 0 && count > 0 {
        let Some(id) = next else {
            break;
        };
        attempts -= 1;
        last_seen = Some(id);
        let exists = stream_mut(cx.srv, db, &key).is_some_and(|s| s.contains(id));
        if !exists {
            if let Some(nack) = g.pel.get(&id) {
                let owner = g.owner_name(nack).to_vec();
                props.push(xclaim_argv(&key, &gname, &owner, id, nack, g.last_id));
            }
            cx.dirty(1);
            g.ack(id);
            deleted.push(id);
            count -= 1;
            next = following(&g, id);
            continue;
        }
        next = following(&g, id);
        let idle_ok = g
            .pel
            .get(&id)
            .is_some_and(|nack| minidle == 0 || now - nack.delivery_time >= minidle);
        if !idle_ok {
            continue;
        }
        let s_slot = match slot {
            Some(s) => s,
            None => {
                let (s, _) = consumer_slot(cx.srv, db, &key, &mut g, &cname, now);
                slot = Some(s);
                s
            }
        };
        if let Some(nack) = g.assign(id, s_slot, now) {
            nack.delivery_time = now;
            if !justid {
                nack.delivery_count += 1;
            }
        }
        {
            let mut r = cx.c.reply();
            if justid {
                reply_id(&mut r, id);
            } else if let Some(s) = stream_mut(cx.srv, db, &key) {
                match s.range(id, id, false).next() {
                    Some(e) => reply_entry(&mut r, &e),
                    None => r.null_array(),
                }
            }
        }
        n += 1;
        count -= 1;
        if let Some(nack) = g.pel.get(&id) {
            props.push(xclaim_argv(
                &key,
                &gname,
                g.owner_name(nack),
                id,
                nack,
                g.last_id,
            ));
        }
        cx.dirty(1);
    }
    // The cursor: the pending entry after the last one looked at.
    let cursor = match last_seen {
        Some(id) => following(&g, id).unwrap_or(StreamId::MIN),
        None => StreamId::MIN,
    };
    if let Some(s) = stream_mut(cx.srv, db, &key) {
        s.groups.insert((&gname[..]).into(), g);
    }
    {
        let mut r = cx.c.reply();
        r.set_deferred_array(d, n);
        // The cursor goes before the entries: fill it in last.
        let mut c = Vec::new();
        {
            let mut cr = crate::net::reply::Reply::new(&mut c, false);
            reply_id(&mut cr, cursor);
        }
        r.insert_raw(cursor_at, &c);
        r.array_len(deleted.len());
        for id in deleted {
            reply_id(&mut r, id);
        }
    }
    propagate_all(cx.srv, db, props);
    cx.prevent_propagation();
    Ok(())
}

/// The first pending ID after `id`.
fn following(g: &Group, id: StreamId) -> Option<StreamId> {
    use std::ops::Bound;
    g.pel
        .range((Bound::Excluded(id), Bound::Unbounded))
        .next()
        .map(|(k, _)| *k)
}
