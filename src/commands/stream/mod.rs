//! The stream commands (t_stream.c): XADD XTRIM XDEL XLEN XRANGE
//! XREVRANGE XSETID (add.rs), XREAD XREADGROUP and their blocking side
//! (read.rs), XGROUP XACK XPENDING XCLAIM XAUTOCLAIM (group.rs) and XINFO
//! (info.rs). The data structure is `types::stream`.
//!
//! Shared here: ID argument parsing with Redis' error, the entry reply
//! shape (`[id, [field, value, ...]]`), and the read of a range on behalf
//! of a consumer group, which updates the group and records the XCLAIM /
//! XGROUP SETID commands that replicate what it did.

mod add;
mod group;
mod info;
mod read;

use bytes::Bytes;

use super::{Ctx, Handler};
use crate::errors::CmdError;
use crate::net::client::{flags, Client};
use crate::net::reply::Reply;
use crate::server::Server;
use crate::types::listpack::Entry;
use crate::types::stream::{
    self, group::ENTRIES_READ_INVALID, EntryRef, Group, IdSyntax, NodeLimits, ParsedId, Stream,
    StreamId,
};

pub use read::{blocked_can_serve, serve_blocked};

/// The commands this module serves, by full name.
pub const HANDLERS: &[(&str, Handler)] = &[
    ("xadd", add::xadd),
    ("xtrim", add::xtrim),
    ("xdel", add::xdel),
    ("xlen", add::xlen),
    ("xrange", add::xrange),
    ("xrevrange", add::xrevrange),
    ("xsetid", add::xsetid),
    ("xread", read::xread),
    ("xreadgroup", read::xread),
    ("xgroup|create", group::xgroup),
    ("xgroup|setid", group::xgroup),
    ("xgroup|destroy", group::xgroup),
    ("xgroup|createconsumer", group::xgroup),
    ("xgroup|delconsumer", group::xgroup),
    ("xgroup|help", group::xgroup_help),
    ("xack", group::xack),
    ("xpending", group::xpending),
    ("xclaim", group::xclaim),
    ("xautoclaim", group::xautoclaim),
    ("xinfo|stream", info::xinfo),
    ("xinfo|groups", info::xinfo),
    ("xinfo|consumers", info::xinfo),
    ("xinfo|help", info::xinfo_help),
];

const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

/// `<ms>[-<seq>]`, `-` and `+` (streamParseIDOrReply).
const LOOSE: IdSyntax = IdSyntax {
    missing_seq: 0,
    strict: false,
    allow_auto_seq: false,
};

/// The same without `-` and `+` (streamParseStrictIDOrReply).
const STRICT: IdSyntax = IdSyntax {
    missing_seq: 0,
    strict: true,
    allow_auto_seq: false,
};

fn parse_id(arg: &[u8], how: IdSyntax) -> Result<ParsedId, CmdError> {
    stream::parse_id(arg, how).ok_or(CmdError::msg(INVALID_ID))
}

/// A strict ID argument.
fn strict_id(arg: &[u8]) -> Result<StreamId, CmdError> {
    parse_id(arg, STRICT).map(|p| p.id)
}

/// A range bound (streamParseIntervalIDOrReply): `(` makes it exclusive,
/// which needs a strict ID after it. Returns the ID and exclusivity.
fn interval_id(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), CmdError> {
    if arg.len() > 1 && arg[0] == b'(' {
        let how = IdSyntax {
            missing_seq,
            ..STRICT
        };
        Ok((parse_id(&arg[1..], how)?.id, true))
    } else {
        let how = IdSyntax {
            missing_seq,
            ..LOOSE
        };
        Ok((parse_id(arg, how)?.id, false))
    }
}

/// The start of a range: exclusive bounds move up by one.
fn range_start(arg: &[u8]) -> Result<StreamId, CmdError> {
    match interval_id(arg, 0)? {
        (id, false) => Ok(id),
        (id, true) => id
            .incr()
            .ok_or(CmdError::msg("ERR invalid start ID for the interval")),
    }
}

/// The end of a range: a bare `<ms>` means its last sequence, exclusive
/// bounds move down by one.
fn range_end(arg: &[u8]) -> Result<StreamId, CmdError> {
    match interval_id(arg, u64::MAX)? {
        (id, false) => Ok(id),
        (id, true) => id
            .decr()
            .ok_or(CmdError::msg("ERR invalid end ID for the interval")),
    }
}

/// getLongLongFromObjectOrReply with a custom message.
fn int_arg(arg: &[u8], msg: &'static str) -> Result<i64, CmdError> {
    crate::util::number::parse_i64(arg).ok_or(CmdError::msg(msg))
}

fn int_or_err(arg: &[u8]) -> Result<i64, CmdError> {
    crate::util::number::parse_i64(arg).ok_or(CmdError::NotInteger)
}

pub fn reply_id(r: &mut Reply, id: StreamId) {
    let mut b = Vec::with_capacity(41);
    id.write_to(&mut b);
    r.bulk(&b);
}

fn reply_elem(r: &mut Reply, e: Entry<'_>) {
    match e {
        Entry::Int(v) => r.bulk_i64(v),
        Entry::Str(s) => r.bulk(s),
    }
}

/// `[id, [field, value, ...]]`.
fn reply_entry(r: &mut Reply, e: &EntryRef<'_>) {
    r.array_len(2);
    reply_id(r, e.id);
    r.array_len(e.nfields() * 2);
    for (f, v) in e.fields() {
        reply_elem(r, f);
        reply_elem(r, v);
    }
}

/// Entries from `start` to `end`, at most `count` (0 = all), as an array
/// (streamReplyWithRange without a group).
fn reply_range(r: &mut Reply, s: &Stream, start: StreamId, end: StreamId, count: usize, rev: bool) {
    let d = r.defer_len();
    let mut n = 0;
    for e in s.range(start, end, rev) {
        reply_entry(r, &e);
        n += 1;
        if n == count {
            break;
        }
    }
    r.set_deferred_array(d, n);
}

fn limits(srv: &Server) -> NodeLimits {
    NodeLimits {
        max_bytes: srv.cfg.stream_node_max_bytes,
        max_entries: srv.cfg.stream_node_max_entries,
    }
}

/// Redis reads the wall clock (mstime) for stream IDs and delivery times.
fn now_ms() -> i64 {
    crate::logging::now_ms()
}

/// mustObeyClient: the master link and the AOF loader replay commands
/// whose outcome was already decided.
fn must_obey(c: &Client) -> bool {
    c.flags & flags::MASTER != 0 || c.id == u64::MAX
}

fn id_bytes(id: StreamId) -> Bytes {
    Bytes::from(id.to_bytes())
}

fn int_bytes(n: i64) -> Bytes {
    let mut v = Vec::with_capacity(20);
    crate::util::number::write_i64(&mut v, n);
    Bytes::from(v)
}

/// A client argument as Redis prints it inside an error: its messages
/// format the argument with `%s`, so the text stops at the first NUL byte.
fn c_text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b.split(|&c| c == 0).next().unwrap_or(b))
}

/// The `-NOGROUP` error of the read and claim commands.
fn no_group(key: &[u8], group: &[u8], suffix: &str) -> CmdError {
    CmdError::owned(format!(
        "NOGROUP No such key '{}' or consumer group '{}'{suffix}",
        c_text(key),
        c_text(group)
    ))
}

/// A read on behalf of a consumer group: what to do and what it did.
struct GroupRead<'a> {
    key: &'a [u8],
    group_name: &'a [u8],
    consumer: u32,
    noack: bool,
    now: i64,
    /// Commands that replicate the read (XCLAIM, XGROUP SETID).
    props: Vec<Vec<Bytes>>,
}

impl GroupRead<'_> {
    /// XCLAIM <key> <group> <consumer> 0 <id> TIME <ms> RETRYCOUNT <n>
    /// FORCE JUSTID LASTID <group-last-id> (streamPropagateXCLAIM).
    fn xclaim(&mut self, g: &Group, id: StreamId) {
        let Some(n) = g.pel.get(&id) else {
            return;
        };
        let consumer = g.owner_name(n);
        self.props.push(xclaim_argv(
            self.key,
            self.group_name,
            consumer,
            id,
            n,
            g.last_id,
        ));
    }
}

fn xclaim_argv(
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    id: StreamId,
    n: &stream::Nack,
    last_id: StreamId,
) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XCLAIM"),
        Bytes::copy_from_slice(key),
        Bytes::copy_from_slice(group),
        Bytes::copy_from_slice(consumer),
        Bytes::from_static(b"0"),
        id_bytes(id),
        Bytes::from_static(b"TIME"),
        int_bytes(n.delivery_time),
        Bytes::from_static(b"RETRYCOUNT"),
        int_bytes(n.delivery_count as i64),
        Bytes::from_static(b"FORCE"),
        Bytes::from_static(b"JUSTID"),
        Bytes::from_static(b"LASTID"),
        id_bytes(last_id),
    ]
}

/// XGROUP SETID <key> <group> <id> ENTRIESREAD <n> (streamPropagateGroupID).
fn setid_argv(key: &[u8], group: &[u8], g: &Group) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XGROUP"),
        Bytes::from_static(b"SETID"),
        Bytes::copy_from_slice(key),
        Bytes::copy_from_slice(group),
        id_bytes(g.last_id),
        Bytes::from_static(b"ENTRIESREAD"),
        int_bytes(g.entries_read),
    ]
}

/// XGROUP CREATECONSUMER <key> <group> <consumer>.
fn createconsumer_argv(key: &[u8], group: &[u8], consumer: &[u8]) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XGROUP"),
        Bytes::from_static(b"CREATECONSUMER"),
        Bytes::copy_from_slice(key),
        Bytes::copy_from_slice(group),
        Bytes::copy_from_slice(consumer),
    ]
}

/// New entries after `start` delivered to a group's consumer
/// (streamReplyWithRange with a group): the group's last ID and read
/// counter advance, and unless NOACK each entry enters the PEL of the
/// group and the consumer (taken from another consumer if it was there).
/// The group is passed detached from `s` so the stream can be read while
/// the group changes. Returns the entries sent.
fn reply_group_range(
    r: &mut Reply,
    s: &Stream,
    g: &mut Group,
    start: StreamId,
    count: usize,
    gr: &mut GroupRead<'_>,
) -> usize {
    let d = r.defer_len();
    let mut n = 0;
    let mut propagate_last_id = false;
    for e in s.range(start, StreamId::MAX, false) {
        if e.id > g.last_id {
            if g.entries_read != ENTRIES_READ_INVALID
                && !s.range_has_tombstones(e.id, StreamId::MAX)
            {
                g.entries_read += 1;
            } else if s.entries_added > 0 {
                g.entries_read = s
                    .estimate_distance(e.id)
                    .map_or(ENTRIES_READ_INVALID, |v| v as i64);
            }
            g.last_id = e.id;
            propagate_last_id |= gr.noack;
        }
        reply_entry(r, &e);
        if !gr.noack {
            if let Some(nack) = g.assign(e.id, gr.consumer, gr.now) {
                nack.delivery_time = gr.now;
                nack.delivery_count = 1;
            }
            gr.xclaim(g, e.id);
        }
        n += 1;
        if n == count {
            break;
        }
    }
    if propagate_last_id {
        gr.props.push(setid_argv(gr.key, gr.group_name, g));
    }
    r.set_deferred_array(d, n);
    n
}

/// Re-delivery of a consumer's own pending entries from `start`
/// (streamReplyWithRangeFromConsumerPEL): each one still in the stream is
/// sent and its delivery counted; one deleted meanwhile is sent as
/// `[id, nil]`.
fn reply_consumer_history(
    r: &mut Reply,
    s: &Stream,
    g: &mut Group,
    consumer: u32,
    start: StreamId,
    count: usize,
    now: i64,
) -> usize {
    let ids: Vec<StreamId> = match g.consumer(consumer) {
        Some(c) => c
            .pel
            .range(start..)
            .take(if count == 0 { usize::MAX } else { count })
            .copied()
            .collect(),
        None => Vec::new(),
    };
    r.array_len(ids.len());
    for id in &ids {
        match s.range(*id, *id, false).next() {
            Some(e) => {
                reply_entry(r, &e);
                if let Some(n) = g.pel.get_mut(id) {
                    n.delivery_time = now;
                    n.delivery_count += 1;
                }
            }
            None => {
                r.array_len(2);
                reply_id(r, *id);
                r.null_array();
            }
        }
    }
    ids.len()
}

/// Looks up a consumer, refreshing its seen time, or creates it (with
/// the `xgroup-createconsumer` event and a dirty bump); returns its slot
/// and whether it was created.
fn consumer_slot(
    srv: &mut Server,
    db: usize,
    key: &[u8],
    g: &mut Group,
    name: &[u8],
    now: i64,
) -> (u32, bool) {
    if let Some(slot) = g.find(name) {
        if let Some(c) = g.consumer_mut(slot) {
            c.seen_time = now;
        }
        return (slot, false);
    }
    match g.create_consumer(name, now) {
        Some(slot) => {
            srv.dirty += 1;
            crate::notify::keyspace_event(
                srv,
                crate::config::NOTIFY_STREAM,
                "xgroup-createconsumer",
                key,
                db,
            );
            (slot, true)
        }
        None => (0, false),
    }
}

/// The stream at `key` for writing, if it is one.
fn stream_mut<'a>(srv: &'a mut Server, db: usize, key: &[u8]) -> Option<&'a mut Stream> {
    match srv.dbs[db].keys.get_mut(key) {
        Some(o) => match &mut o.val {
            crate::types::value::Value::Stream(s) => Some(s),
            _ => None,
        },
        None => None,
    }
}

/// Queue the commands a group read recorded, for AOF and replicas.
fn propagate_all(srv: &mut Server, db: usize, props: Vec<Vec<Bytes>>) {
    if props.is_empty() || !crate::persistence::propagate::should_propagate(srv) {
        return;
    }
    for argv in props {
        crate::persistence::propagate::also_propagate(srv, db, argv);
    }
}

fn ctx_db(cx: &Ctx) -> usize {
    cx.c.db
}
