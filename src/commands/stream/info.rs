//! XINFO STREAM [FULL [COUNT n]] | GROUPS | CONSUMERS.

use super::*;
use crate::errors::CmdResult;

pub fn xinfo_help(cx: &mut Ctx) -> CmdResult {
    super::super::help::reply_help(
        cx,
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    List the consumers of a group.",
            "GROUPS <key>",
            "    List the consumer groups of a stream.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Describe the stream (FULL: with its entries and groups in detail).",
        ],
    );
    Ok(())
}

/// A group's lag, or null when it cannot be known.
fn reply_lag(r: &mut Reply, s: &Stream, g: &Group) {
    match s.group_lag(g) {
        Some(l) => r.int(l),
        None => r.null(),
    }
}

fn reply_entries_read(r: &mut Reply, g: &Group) {
    if g.entries_read != ENTRIES_READ_INVALID {
        r.int(g.entries_read);
    } else {
        r.null();
    }
}

pub fn xinfo(cx: &mut Ctx) -> CmdResult {
    let sub = cx.arg(1).to_ascii_lowercase();
    let key = cx.arg_bytes(2);
    let db = ctx_db(cx);
    // STREAM's options are checked before the key is looked up.
    let mut full = false;
    let mut count: i64 = 10;
    if sub == b"stream" {
        let optc = cx.argc() - 3;
        if optc > 0 {
            if (optc != 1 && optc != 3) || !cx.arg_is(3, "full") {
                return Err(super::super::help::subcommand_syntax_error(cx));
            }
            if optc == 3 {
                if !cx.arg_is(4, "count") {
                    return Err(super::super::help::subcommand_syntax_error(cx));
                }
                count = int_or_err(cx.arg(5))?;
                if count < 0 {
                    count = 10;
                }
            }
            full = true;
        }
    }
    let srv = &mut *cx.srv;
    let Some(o) = super::super::lookup_read(srv, db, &key) else {
        return Err(CmdError::NoSuchKey);
    };
    let s = o.val.as_stream()?;
    let now = now_ms();
    let mut r = cx.c.reply();
    match &sub[..] {
        b"consumers" => {
            let gname = cx.c.argv[3].clone();
            let Some(g) = s.groups.get(&gname[..]) else {
                return Err(CmdError::owned(format!(
                    "NOGROUP No such consumer group '{}' for key name '{}'",
                    c_text(&gname),
                    c_text(&key)
                )));
            };
            let mut r = cx.c.reply();
            r.array_len(g.consumer_count());
            for c in g.consumers() {
                r.map_len(3);
                r.bulk(b"name");
                r.bulk(&c.name);
                r.bulk(b"pending");
                r.int(c.pel.len() as i64);
                r.bulk(b"idle");
                r.int((now - c.seen_time).max(0));
            }
        }
        b"groups" => {
            r.array_len(s.groups.len());
            for (name, g) in &s.groups {
                r.map_len(6);
                r.bulk(b"name");
                r.bulk(name);
                r.bulk(b"consumers");
                r.int(g.consumer_count() as i64);
                r.bulk(b"pending");
                r.int(g.pel.len() as i64);
                r.bulk(b"last-delivered-id");
                reply_id(&mut r, g.last_id);
                r.bulk(b"entries-read");
                reply_entries_read(&mut r, g);
                r.bulk(b"lag");
                reply_lag(&mut r, s, g);
            }
        }
        _ => stream_info(&mut r, s, full, count as usize),
    }
    Ok(())
}

fn stream_info(r: &mut Reply, s: &Stream, full: bool, count: usize) {
    r.map_len(if full { 9 } else { 10 });
    r.bulk(b"length");
    r.int(s.length as i64);
    r.bulk(b"radix-tree-keys");
    r.int(s.node_count() as i64);
    r.bulk(b"radix-tree-nodes");
    r.int(s.rax_nodes() as i64);
    r.bulk(b"last-generated-id");
    reply_id(r, s.last_id);
    r.bulk(b"max-deleted-entry-id");
    reply_id(r, s.max_deleted_id);
    r.bulk(b"entries-added");
    r.int(s.entries_added as i64);
    r.bulk(b"recorded-first-entry-id");
    reply_id(r, s.first_id);
    if !full {
        r.bulk(b"groups");
        r.int(s.groups.len() as i64);
        r.bulk(b"first-entry");
        match s.range(StreamId::MIN, StreamId::MAX, false).next() {
            Some(e) => reply_entry(r, &e),
            None => r.null(),
        }
        r.bulk(b"last-entry");
        match s.range(StreamId::MIN, StreamId::MAX, true).next() {
            Some(e) => reply_entry(r, &e),
            None => r.null(),
        }
        return;
    }
    r.bulk(b"entries");
    reply_range(r, s, StreamId::MIN, StreamId::MAX, count, false);
    r.bulk(b"groups");
    r.array_len(s.groups.len());
    // COUNT 0 lists every pending entry.
    let limit = if count == 0 { usize::MAX } else { count };
    for (name, g) in &s.groups {
        r.map_len(7);
        r.bulk(b"name");
        r.bulk(name);
        r.bulk(b"last-delivered-id");
        reply_id(r, g.last_id);
        r.bulk(b"entries-read");
        reply_entries_read(r, g);
        r.bulk(b"lag");
        reply_lag(r, s, g);
        r.bulk(b"pel-count");
        r.int(g.pel.len() as i64);
        r.bulk(b"pending");
        r.array_len(g.pel.len().min(limit));
        for (id, n) in g.pel.iter().take(limit) {
            r.array_len(4);
            reply_id(r, *id);
            r.bulk(g.owner_name(n));
            r.int(n.delivery_time);
            r.int(n.delivery_count as i64);
        }
        r.bulk(b"consumers");
        r.array_len(g.consumer_count());
        for c in g.consumers() {
            r.map_len(4);
            r.bulk(b"name");
            r.bulk(&c.name);
            r.bulk(b"seen-time");
            r.int(c.seen_time);
            r.bulk(b"pel-count");
            r.int(c.pel.len() as i64);
            r.bulk(b"pending");
            r.array_len(c.pel.len().min(limit));
            for id in c.pel.iter().take(limit) {
                let (t, dc) = g
                    .pel
                    .get(id)
                    .map_or((0, 0), |n| (n.delivery_time, n.delivery_count));
                r.array_len(3);
                reply_id(r, *id);
                r.int(t);
                r.int(dc as i64);
            }
        }
    }
}
