//! Pub/Sub delivery (Redis' pubsub.c): who is subscribed to what, and
//! putting a published message into every subscriber's output.
//!
//! Bookkeeping, as in Redis, is kept on both sides:
//! * the server maps each channel (and each pattern, and each shard
//!   channel) to the slots of its subscribers, in subscription order;
//! * a client keeps the set of its own channels, patterns and shard
//!   channels (`Client::subs`), for the counts in replies and to
//!   unsubscribe everything when it leaves.
//!
//! The client running a command is out of the client table while it runs
//! (see `Server::exec_slot`): a message for it is kept in
//! `Server::exec_out` and placed into its output, before the running
//! command's reply, when the command returns (`flush_exec_out`). That is the
//! order Redis produces by writing into the client's buffer directly.
//!
//! Invariant: a slot appears in a server-side list iff the client in it has
//! the name in its own set; `unsubscribe_all` runs when a client is freed,
//! so slots are never stale.

use std::collections::{HashMap, HashSet, VecDeque};

use bytes::Bytes;

use crate::net::client::Client;
use crate::server::{Server, CLIENT_TOKEN_BASE};

/// Subscription kinds: their table, and the words of their messages.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn subscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

/// Server-side subscription tables.
#[derive(Default)]
pub struct PubSub {
    pub channels: HashMap<Bytes, Vec<usize>>,
    pub patterns: HashMap<Bytes, Vec<usize>>,
    pub shard: HashMap<Bytes, Vec<usize>>,
}

impl PubSub {
    fn table(&mut self, kind: Kind) -> &mut HashMap<Bytes, Vec<usize>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }
}

/// A client's own subscriptions.
#[derive(Default, Debug)]
pub struct ClientSubs {
    pub channels: HashSet<Bytes>,
    /// Patterns in subscription order (PUNSUBSCRIBE without arguments
    /// answers in this order, as Redis' list does), with a set beside it
    /// so that membership checks stay O(1) for clients with many.
    pub patterns: VecDeque<Bytes>,
    pattern_set: HashSet<Bytes>,
    pub shard: HashSet<Bytes>,
}

impl ClientSubs {
    fn has(&self, kind: Kind, name: &[u8]) -> bool {
        match kind {
            Kind::Channel => self.channels.contains(name),
            Kind::Pattern => self.pattern_set.contains(name),
            Kind::Shard => self.shard.contains(name),
        }
    }

    fn add(&mut self, kind: Kind, name: Bytes) {
        match kind {
            Kind::Channel => {
                self.channels.insert(name);
            }
            Kind::Pattern => {
                self.pattern_set.insert(name.clone());
                self.patterns.push_back(name);
            }
            Kind::Shard => {
                self.shard.insert(name);
            }
        }
    }

    fn remove(&mut self, kind: Kind, name: &[u8]) -> bool {
        match kind {
            Kind::Channel => self.channels.remove(name),
            Kind::Pattern => {
                if !self.pattern_set.remove(name) {
                    return false;
                }
                // Unsubscribing everything removes from the front: O(1).
                if let Some(i) = self.patterns.iter().position(|p| p == name) {
                    self.patterns.remove(i);
                }
                true
            }
            Kind::Shard => self.shard.remove(name),
        }
    }

    fn names(&self, kind: Kind) -> Vec<Bytes> {
        match kind {
            Kind::Channel => self.channels.iter().cloned().collect(),
            Kind::Pattern => self.patterns.iter().cloned().collect(),
            Kind::Shard => self.shard.iter().cloned().collect(),
        }
    }
}

/// Channels plus patterns (clientSubscriptionsCount): the number in
/// (un)subscribe replies for classic Pub/Sub.
pub fn subscription_count(c: &Client) -> usize {
    c.subs
        .as_ref()
        .map_or(0, |s| s.channels.len() + s.patterns.len())
}

/// Shard channels (clientShardSubscriptionsCount).
pub fn shard_count(c: &Client) -> usize {
    c.subs.as_ref().map_or(0, |s| s.shard.len())
}

/// Whether the client is subscribed to anything (Redis' CLIENT_PUBSUB).
pub fn is_subscriber(c: &Client) -> bool {
    c.subs
        .as_ref()
        .is_some_and(|s| !s.channels.is_empty() || !s.patterns.is_empty() || !s.shard.is_empty())
}

fn count_for(c: &Client, kind: Kind) -> usize {
    match kind {
        Kind::Shard => shard_count(c),
        _ => subscription_count(c),
    }
}

fn slot_of(c: &Client) -> usize {
    c.token - CLIENT_TOKEN_BASE
}

/// `[word, name, count]` as a push (RESP3) or an array (RESP2). It goes
/// with the pushes for the running client (so CLIENT REPLY OFF does not
/// drop it, as Redis' CLIENT_PUSHING).
fn write_ack(srv: &mut Server, c: &Client, word: &[u8], name: Option<&[u8]>, count: usize) {
    let resp3 = c.resp == 3;
    let out = &mut srv.exec_out;
    out.extend_from_slice(if resp3 { b">3\r\n" } else { b"*3\r\n" });
    bulk(out, word);
    match name {
        Some(n) => bulk(out, n),
        None => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"$-1\r\n" }),
    }
    out.push(b':');
    out.extend_from_slice(count.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut Vec<u8>, b: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(b.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// Subscribe the client to `name`; replies the acknowledgement either way
/// (pubsubSubscribeChannel / pubsubSubscribePattern).
pub fn subscribe(srv: &mut Server, c: &mut Client, kind: Kind, name: &Bytes) {
    let subs = c.subs.get_or_insert_with(Default::default);
    if !subs.has(kind, name) {
        subs.add(kind, name.clone());
        srv.pubsub
            .table(kind)
            .entry(name.clone())
            .or_default()
            .push(slot_of(c));
    }
    let count = count_for(c, kind);
    write_ack(srv, c, kind.subscribe_word(), Some(name), count);
}

/// Unsubscribe the client from `name`; with `notify` the acknowledgement
/// is sent even when it was not subscribed.
pub fn unsubscribe(
    srv: &mut Server,
    c: &mut Client,
    kind: Kind,
    name: &[u8],
    notify: bool,
) -> bool {
    let removed = c.subs.as_mut().is_some_and(|s| s.remove(kind, name));
    if removed {
        let slot = slot_of(c);
        let table = srv.pubsub.table(kind);
        if let Some(list) = table.get_mut(name) {
            list.retain(|&s| s != slot);
            if list.is_empty() {
                table.remove(name);
            }
        }
    }
    if notify {
        let count = count_for(c, kind);
        write_ack(srv, c, kind.unsubscribe_word(), Some(name), count);
    }
    removed
}

/// Unsubscribe from every name of a kind; with `notify` one acknowledgement
/// per name, or a single one with a null name when there were none.
pub fn unsubscribe_all(srv: &mut Server, c: &mut Client, kind: Kind, notify: bool) -> usize {
    let names = c.subs.as_ref().map(|s| s.names(kind)).unwrap_or_default();
    for n in &names {
        unsubscribe(srv, c, kind, n, notify);
    }
    if notify && names.is_empty() {
        let count = count_for(c, kind);
        write_ack(srv, c, kind.unsubscribe_word(), None, count);
    }
    if !is_subscriber(c) {
        c.subs = None;
    }
    names.len()
}

/// Drop every subscription of a client (freeClient, RESET).
pub fn forget_client(srv: &mut Server, c: &mut Client) {
    if c.subs.is_none() {
        return;
    }
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        unsubscribe_all(srv, c, kind, false);
    }
    c.subs = None;
}

/// A message in both protocols, encoded once per publish.
struct Message<'a> {
    word: &'static [u8],
    pattern: Option<&'a [u8]>,
    channel: &'a [u8],
    payload: &'a [u8],
    encoded: [Option<Vec<u8>>; 2],
}

impl Message<'_> {
    fn bytes(&mut self, resp3: bool) -> &[u8] {
        let (word, pattern, channel, payload) =
            (self.word, self.pattern, self.channel, self.payload);
        self.encoded[resp3 as usize].get_or_insert_with(|| {
            let n = if pattern.is_some() { 4 } else { 3 };
            let mut out = Vec::with_capacity(32 + channel.len() + payload.len());
            out.push(if resp3 { b'>' } else { b'*' });
            out.extend_from_slice(format!("{n}\r\n").as_bytes());
            bulk(&mut out, word);
            if let Some(p) = pattern {
                bulk(&mut out, p);
            }
            bulk(&mut out, channel);
            bulk(&mut out, payload);
            out
        })
    }
}

/// Publish to channel and pattern subscribers (pubsubPublishMessage);
/// returns how many received it.
pub fn publish(srv: &mut Server, channel: &[u8], payload: &[u8]) -> usize {
    publish_kind(srv, channel, payload, false)
}

/// SPUBLISH: shard channel subscribers only.
pub fn publish_shard(srv: &mut Server, channel: &[u8], payload: &[u8]) -> usize {
    publish_kind(srv, channel, payload, true)
}

fn publish_kind(srv: &mut Server, channel: &[u8], payload: &[u8], shard: bool) -> usize {
    let mut receivers = 0;
    let table = if shard {
        &srv.pubsub.shard
    } else {
        &srv.pubsub.channels
    };
    if let Some(slots) = table.get(channel) {
        // The list is only read while delivering (delivery never changes
        // subscriptions); a copy keeps the borrow checker out of the way.
        let slots = slots.clone();
        let mut msg = Message {
            word: if shard { b"smessage" } else { b"message" },
            pattern: None,
            channel,
            payload,
            encoded: [None, None],
        };
        receivers += deliver_all(srv, &slots, &mut msg);
    }
    if shard || srv.pubsub.patterns.is_empty() {
        return receivers;
    }
    let matching: Vec<(Bytes, Vec<usize>)> = srv
        .pubsub
        .patterns
        .iter()
        .filter(|(p, _)| crate::util::glob::glob_match(p, channel, false))
        .map(|(p, s)| (p.clone(), s.clone()))
        .collect();
    for (pattern, slots) in matching {
        let mut msg = Message {
            word: b"pmessage",
            pattern: Some(&pattern),
            channel,
            payload,
            encoded: [None, None],
        };
        receivers += deliver_all(srv, &slots, &mut msg);
    }
    receivers
}

/// Deliver to every slot of one subscription list; returns how many.
fn deliver_all(srv: &mut Server, slots: &[usize], msg: &mut Message) -> usize {
    for &slot in slots {
        deliver(srv, slot, msg);
    }
    slots.len()
}

/// Put a message into a subscriber's output. The client running the
/// current command is not in the table: its messages wait in `exec_out`.
fn deliver(srv: &mut Server, slot: usize, msg: &mut Message) {
    let resp3 = if slot == srv.exec_slot {
        srv.exec_resp3
    } else {
        match srv.clients.get(slot) {
            Some(Some(c)) => c.resp == 3,
            _ => return,
        }
    };
    send_raw(srv, slot, msg.bytes(resp3));
}

/// Append protocol bytes to a client's output by slot (also Pub/Sub's
/// way to MONITOR clients and tracking redirections), enforcing its
/// output buffer limit.
pub fn send_raw(srv: &mut Server, slot: usize, bytes: &[u8]) {
    if slot == srv.exec_slot {
        srv.exec_out.extend_from_slice(bytes);
        return;
    }
    let Some(Some(c)) = srv.clients.get_mut(slot) else {
        return;
    };
    if c.flags & crate::net::client::flags::CLOSE_ASAP != 0 {
        return;
    }
    c.out.extend_from_slice(bytes);
    // queue_write and the limit check, inline: this runs once per
    // subscriber per message, and the client stays where it is.
    if c.flags & crate::net::client::flags::PENDING_WRITE == 0 {
        c.flags |= crate::net::client::flags::PENDING_WRITE;
        srv.pending_writes.push(slot);
    }
    crate::server::enforce_output_limits(&srv.cfg, srv.unixtime, &mut srv.stats, c);
    // Messages and invalidations grow other clients' memory too.
    crate::client_evict::update_slot(srv, slot);
}

/// Write what was published to the running client into its output, at
/// `mark` (before the reply of the command that caused it).
pub fn flush_exec_out(srv: &mut Server, c: &mut Client, mark: usize) {
    if srv.exec_out.is_empty() {
        return;
    }
    let msgs = std::mem::take(&mut srv.exec_out);
    let at = mark.max(c.sent).min(c.out.len());
    c.out.splice(at..at, msgs.iter().copied());
    let mut msgs = msgs;
    msgs.clear();
    srv.exec_out = msgs;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_encoded_for_each_protocol() {
        let mut m = Message {
            word: b"pmessage",
            pattern: Some(b"f*"),
            channel: b"foo",
            payload: b"hi",
            encoded: [None, None],
        };
        assert_eq!(
            m.bytes(false),
            b"*4\r\n$8\r\npmessage\r\n$2\r\nf*\r\n$3\r\nfoo\r\n$2\r\nhi\r\n"
        );
        assert_eq!(
            m.bytes(true),
            b">4\r\n$8\r\npmessage\r\n$2\r\nf*\r\n$3\r\nfoo\r\n$2\r\nhi\r\n"
        );
    }

    #[test]
    fn client_subs_keep_pattern_order() {
        let mut s = ClientSubs::default();
        s.add(Kind::Pattern, Bytes::from_static(b"b*"));
        s.add(Kind::Pattern, Bytes::from_static(b"a*"));
        assert_eq!(
            s.names(Kind::Pattern),
            vec![Bytes::from_static(b"b*"), Bytes::from_static(b"a*")]
        );
        assert!(s.remove(Kind::Pattern, b"b*"));
        assert!(!s.remove(Kind::Pattern, b"b*"));
        assert!(s.has(Kind::Pattern, b"a*"));
    }
}
