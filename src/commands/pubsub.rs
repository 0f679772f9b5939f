//! Pub/Sub commands (Redis' pubsub.c): SUBSCRIBE and friends, PUBLISH,
//! SPUBLISH and PUBSUB introspection. Delivery and bookkeeping are in
//! `crate::pubsub`.

use super::Ctx;
use crate::errors::{CmdError, CmdResult};
use crate::net::client::flags;
use crate::pubsub::{self, Kind};

pub const HANDLERS: &[(&str, super::Handler)] = &[
    ("subscribe", subscribe),
    ("unsubscribe", unsubscribe),
    ("psubscribe", psubscribe),
    ("punsubscribe", punsubscribe),
    ("ssubscribe", ssubscribe),
    ("sunsubscribe", sunsubscribe),
    ("publish", publish),
    ("spublish", spublish),
    ("pubsub|channels", channels),
    ("pubsub|numsub", numsub),
    ("pubsub|numpat", numpat),
    ("pubsub|shardchannels", shardchannels),
    ("pubsub|shardnumsub", shardnumsub),
    ("pubsub|help", help),
];

/// A client that may not block (inside a script) may not subscribe
/// either; MULTI is allowed.
fn deny_subscribe(cx: &Ctx) -> Option<CmdError> {
    if cx.c.flags & flags::DENY_BLOCKING != 0 && cx.c.flags & flags::IN_EXEC == 0 {
        let name = cx.fullname().to_uppercase();
        return Some(CmdError::owned(format!(
            "ERR {name} isn't allowed for a DENY BLOCKING client"
        )));
    }
    None
}

fn subscribe_kind(cx: &mut Ctx, kind: Kind) -> CmdResult {
    if let Some(e) = deny_subscribe(cx) {
        return Err(e);
    }
    for i in 1..cx.argc() {
        let name = cx.arg_bytes(i);
        pubsub::subscribe(cx.srv, cx.c, kind, &name);
    }
    Ok(())
}

fn unsubscribe_kind(cx: &mut Ctx, kind: Kind) -> CmdResult {
    if cx.argc() == 1 {
        pubsub::unsubscribe_all(cx.srv, cx.c, kind, true);
    } else {
        for i in 1..cx.argc() {
            let name = cx.arg_bytes(i);
            pubsub::unsubscribe(cx.srv, cx.c, kind, &name, true);
        }
        if !pubsub::is_subscriber(cx.c) {
            cx.c.subs = None;
        }
    }
    Ok(())
}

pub fn subscribe(cx: &mut Ctx) -> CmdResult {
    subscribe_kind(cx, Kind::Channel)
}

pub fn psubscribe(cx: &mut Ctx) -> CmdResult {
    subscribe_kind(cx, Kind::Pattern)
}

pub fn ssubscribe(cx: &mut Ctx) -> CmdResult {
    subscribe_kind(cx, Kind::Shard)
}

pub fn unsubscribe(cx: &mut Ctx) -> CmdResult {
    unsubscribe_kind(cx, Kind::Channel)
}

pub fn punsubscribe(cx: &mut Ctx) -> CmdResult {
    unsubscribe_kind(cx, Kind::Pattern)
}

pub fn sunsubscribe(cx: &mut Ctx) -> CmdResult {
    unsubscribe_kind(cx, Kind::Shard)
}

pub fn publish(cx: &mut Ctx) -> CmdResult {
    let (chan, msg) = (cx.arg_bytes(1), cx.arg_bytes(2));
    let n = pubsub::publish(cx.srv, &chan, &msg);
    // Replicas carry PUBLISH so subscribers there get it too.
    crate::persistence::propagate::force_repl(cx.srv);
    cx.reply().int(n as i64);
    Ok(())
}

pub fn spublish(cx: &mut Ctx) -> CmdResult {
    let (chan, msg) = (cx.arg_bytes(1), cx.arg_bytes(2));
    let n = pubsub::publish_shard(cx.srv, &chan, &msg);
    crate::persistence::propagate::force_repl(cx.srv);
    cx.reply().int(n as i64);
    Ok(())
}

/// PUBSUB CHANNELS / SHARDCHANNELS [pattern]: active channels matching.
fn list_channels(cx: &mut Ctx, shard: bool) -> CmdResult {
    if cx.argc() > 3 {
        return Err(cx.wrong_arity());
    }
    let pat = (cx.argc() == 3).then(|| cx.arg_bytes(2));
    let table = if shard {
        &cx.srv.pubsub.shard
    } else {
        &cx.srv.pubsub.channels
    };
    let names: Vec<bytes::Bytes> = table
        .keys()
        .filter(|k| {
            pat.as_ref()
                .is_none_or(|p| crate::util::glob::glob_match(p, k, false))
        })
        .cloned()
        .collect();
    cx.reply().bulks(names.iter());
    Ok(())
}

pub fn channels(cx: &mut Ctx) -> CmdResult {
    list_channels(cx, false)
}

pub fn shardchannels(cx: &mut Ctx) -> CmdResult {
    list_channels(cx, true)
}

/// PUBSUB NUMSUB / SHARDNUMSUB ch...: a flat map channel -> subscribers.
fn count_subscribers(cx: &mut Ctx, shard: bool) -> CmdResult {
    let n = cx.argc() - 2;
    let mut counts = Vec::with_capacity(n);
    for i in 2..cx.argc() {
        let table = if shard {
            &cx.srv.pubsub.shard
        } else {
            &cx.srv.pubsub.channels
        };
        counts.push(table.get(cx.arg(i)).map_or(0, Vec::len));
    }
    let names: Vec<bytes::Bytes> = cx.c.argv[2..].to_vec();
    let mut r = cx.c.reply();
    r.map_len(n);
    for (name, count) in names.iter().zip(counts) {
        r.bulk(name);
        r.int(count as i64);
    }
    Ok(())
}

pub fn numsub(cx: &mut Ctx) -> CmdResult {
    count_subscribers(cx, false)
}

pub fn shardnumsub(cx: &mut Ctx) -> CmdResult {
    count_subscribers(cx, true)
}

pub fn numpat(cx: &mut Ctx) -> CmdResult {
    let n = cx.srv.pubsub.patterns.len();
    cx.reply().int(n as i64);
    Ok(())
}

pub fn help(cx: &mut Ctx) -> CmdResult {
    super::help::reply_help(
        cx,
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    List the channels that have subscribers, optionally only those matching",
            "    the glob-style pattern.",
            "NUMPAT",
            "    Count the distinct patterns clients are subscribed to.",
            "NUMSUB [<channel> ...]",
            "    Count the subscribers of each channel given (patterns not counted).",
            "SHARDCHANNELS [<pattern>]",
            "    List the shard channels that have subscribers, optionally only those",
            "    matching the glob-style pattern.",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Count the subscribers of each shard channel given.",
        ],
    );
    Ok(())
}
