//! The runtime command table: the commands ferrodis serves, each joined to
//! its Redis 7.0 metadata (`spec_data.rs`, generated from Redis' JSON) and
//! its handler, plus per-command stats (INFO commandstats).
//!
//! Lookup is case-insensitive without allocating: names are at most a few
//! dozen bytes, so they are lower-cased into a stack buffer first.

use super::name_index::NameIndex;
use bytes::Bytes;
use std::io;

use super::spec::{self, CommandSpec};
use super::{
    bitops, blocking, client, command, config, connection, debug, expire, geo, hash, hll, info,
    keyspace, latency, list, migrate, object, persistence, pubsub, replication, server, set,
    slowlog, sort, stream, string, transaction, zset, Handler,
};
use crate::stats::CmdStats;

/// Index of a command: (top-level, subcommand+1 or 0).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CmdId(pub u32, pub u32);

pub struct Command {
    /// Name clients type (lower case; `rename-command` may change it).
    pub name: String,
    /// "get", or "config|get" for a subcommand.
    pub fullname: &'static str,
    pub spec: &'static CommandSpec,
    pub arity: i32,
    pub flags: u64,
    pub handler: Handler,
    pub subcommands: Vec<Command>,
    pub stats: CmdStats,
    /// The commands process_command treats specially (Redis compares
    /// their `proc` pointers), classified once here.
    pub role: Role,
}

/// Special roles in process_command (MULTI queueing, the RESP2 Pub/Sub
/// context, EXEC's error path).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Other,
    Multi,
    Exec,
    Discard,
    Watch,
    Quit,
    Reset,
    Ping,
    /// (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE.
    Subscribe,
}

impl Role {
    fn of(fullname: &str) -> Role {
        match fullname {
            "multi" => Role::Multi,
            "exec" => Role::Exec,
            "discard" => Role::Discard,
            "watch" => Role::Watch,
            "quit" => Role::Quit,
            "reset" => Role::Reset,
            "ping" => Role::Ping,
            "subscribe" | "psubscribe" | "ssubscribe" | "unsubscribe" | "punsubscribe"
            | "sunsubscribe" => Role::Subscribe,
            _ => Role::Other,
        }
    }
}

pub struct CommandTable {
    cmds: Vec<Command>,
    /// Name (any case) -> index into `cmds`.
    index: NameIndex,
}

/// Every command ferrodis serves, by full name, with its handler.
/// A container (CONFIG, CLIENT, ...) is served when any of its subcommands is.
const HANDLERS: &[(&str, Handler)] = &[
    // strings
    ("get", string::get),
    ("set", string::set),
    ("setnx", string::setnx),
    ("setex", string::setex),
    ("psetex", string::psetex),
    ("getex", string::getex),
    ("getdel", string::getdel),
    ("getset", string::getset),
    ("mget", string::mget),
    ("mset", string::mset),
    ("msetnx", string::msetnx),
    ("append", string::append),
    ("strlen", string::strlen),
    ("setrange", string::setrange),
    ("getrange", string::getrange),
    ("substr", string::getrange),
    ("incr", string::incr),
    ("decr", string::decr),
    ("incrby", string::incrby),
    ("decrby", string::decrby),
    ("incrbyfloat", string::incrbyfloat),
    ("lcs", string::lcs),
    // keyspace
    ("del", keyspace::del),
    ("unlink", keyspace::unlink),
    ("exists", keyspace::exists),
    ("type", keyspace::type_),
    ("keys", keyspace::keys),
    ("scan", keyspace::scan),
    ("randomkey", keyspace::randomkey),
    ("rename", keyspace::rename),
    ("renamenx", keyspace::renamenx),
    ("move", keyspace::move_),
    ("copy", keyspace::copy),
    ("swapdb", keyspace::swapdb),
    ("dbsize", keyspace::dbsize),
    ("flushdb", keyspace::flushdb),
    ("flushall", keyspace::flushall),
    ("touch", keyspace::touch),
    // expiry
    ("expire", expire::expire),
    ("pexpire", expire::pexpire),
    ("expireat", expire::expireat),
    ("pexpireat", expire::pexpireat),
    ("ttl", expire::ttl),
    ("pttl", expire::pttl),
    ("expiretime", expire::expiretime),
    ("pexpiretime", expire::pexpiretime),
    ("persist", expire::persist),
    // object
    ("object|encoding", object::encoding),
    ("object|refcount", object::refcount),
    ("object|idletime", object::idletime),
    ("object|freq", object::freq),
    ("object|help", object::help),
    // connection
    ("ping", connection::ping),
    ("echo", connection::echo),
    ("select", connection::select),
    ("quit", connection::quit),
    ("reset", connection::reset),
    ("auth", connection::auth),
    ("hello", connection::hello),
    // client
    ("client|id", client::id),
    ("client|setname", client::setname),
    ("client|getname", client::getname),
    ("client|list", client::list),
    ("client|info", client::info),
    ("client|kill", client::kill),
    ("client|pause", client::pause),
    ("client|unblock", client::unblock),
    ("client|unpause", client::unpause),
    ("client|reply", client::reply),
    ("client|no-evict", client::no_evict),
    ("client|tracking", client::tracking),
    ("client|caching", client::caching),
    ("client|getredir", client::getredir),
    ("client|trackinginfo", client::trackinginfo),
    ("client|help", client::help),
    // server
    ("info", info::info),
    ("time", server::time),
    ("lastsave", server::lastsave),
    // persistence
    ("save", persistence::save),
    ("bgsave", persistence::bgsave),
    ("bgrewriteaof", persistence::bgrewriteaof),
    ("dump", persistence::dump),
    ("restore", persistence::restore),
    ("migrate", migrate::migrate),
    ("lolwut", server::lolwut),
    ("shutdown", server::shutdown),
    ("memory|usage", server::memory_usage),
    ("memory|stats", server::memory_stats),
    ("memory|doctor", server::memory_doctor),
    ("memory|malloc-stats", server::memory_malloc_stats),
    ("memory|purge", server::memory_purge),
    ("memory|help", server::memory_help),
    ("latency|histogram", latency::histogram),
    ("latency|latest", latency::latest),
    ("latency|history", latency::history),
    ("latency|graph", latency::graph),
    ("latency|reset", latency::reset),
    ("latency|doctor", latency::doctor),
    ("latency|help", latency::help),
    ("slowlog|get", slowlog::get),
    ("slowlog|len", slowlog::len),
    ("slowlog|reset", slowlog::reset),
    ("slowlog|help", slowlog::help),
    ("config|get", config::get),
    ("config|set", config::set),
    ("config|resetstat", config::resetstat),
    ("config|rewrite", config::rewrite),
    ("config|help", config::help),
    ("command", command::command),
    ("command|count", command::count),
    ("command|list", command::list),
    ("command|info", command::info),
    ("command|docs", command::docs),
    ("command|getkeys", command::getkeys),
    ("command|getkeysandflags", command::getkeysandflags),
    ("command|help", command::help),
    ("debug", debug::debug),
];

/// Each command family's module lists its own handlers.
const FAMILIES: &[&[(&str, Handler)]] = &[
    HANDLERS,
    list::HANDLERS,
    bitops::HANDLERS,
    hash::HANDLERS,
    set::HANDLERS,
    zset::HANDLERS,
    geo::HANDLERS,
    sort::HANDLERS,
    stream::HANDLERS,
    blocking::HANDLERS,
    replication::HANDLERS,
    pubsub::HANDLERS,
    transaction::HANDLERS,
    hll::HANDLERS,
];

fn handler_for(fullname: &str) -> Option<Handler> {
    FAMILIES
        .iter()
        .flat_map(|f| f.iter())
        .find(|(n, _)| *n == fullname)
        .map(|(_, h)| *h)
}

/// Containers answer `wrong number of arguments` themselves when called
/// bare; this handler is never reached past the arity check.
fn container_handler(cx: &mut super::Ctx) -> crate::errors::CmdResult {
    Err(cx.wrong_arity())
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl CommandTable {
    /// Build the table; `renames` are the `rename-command` pairs (an empty
    /// new name disables the command).
    pub fn new(renames: &[(String, String)]) -> io::Result<CommandTable> {
        let mut cmds = Vec::new();
        for s in spec::all() {
            let mut subs = Vec::new();
            for sub in s.subcommands {
                let full = leak(format!("{}|{}", s.name, sub.name));
                if let Some(h) = handler_for(full) {
                    subs.push(Command {
                        name: sub.name.to_string(),
                        fullname: full,
                        spec: sub,
                        arity: sub.arity,
                        flags: sub.flags,
                        handler: h,
                        subcommands: Vec::new(),
                        stats: CmdStats::default(),
                        role: Role::Other,
                    });
                }
            }
            let handler = match handler_for(s.name) {
                Some(h) => h,
                None if !subs.is_empty() => container_handler,
                None => continue,
            };
            cmds.push(Command {
                name: s.name.to_string(),
                fullname: s.name,
                spec: s,
                arity: s.arity,
                flags: s.flags,
                handler,
                subcommands: subs,
                stats: CmdStats::default(),
                role: Role::of(s.name),
            });
        }
        for (from, to) in renames {
            let Some(c) = cmds.iter_mut().find(|c| c.name.eq_ignore_ascii_case(from)) else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "No such command in rename-command",
                ));
            };
            c.name = to.to_ascii_lowercase();
        }
        let index = NameIndex::new(
            cmds.iter()
                .enumerate()
                .filter(|(_, c)| !c.name.is_empty())
                .map(|(i, c)| (c.name.as_bytes(), i as u32)),
        );
        Ok(CommandTable { cmds, index })
    }

    fn find_top(&self, name: &[u8]) -> Option<u32> {
        self.index.get(name)
    }

    /// Resolve argv to a command or subcommand (lookupCommand): a container
    /// called with arguments resolves its subcommand, or nothing.
    pub fn lookup(&self, argv: &[Bytes]) -> Option<CmdId> {
        let top = self.find_top(argv.first()?)?;
        let c = &self.cmds[top as usize];
        if c.subcommands.is_empty() || argv.len() == 1 {
            return Some(CmdId(top, 0));
        }
        let sub = c
            .subcommands
            .iter()
            .position(|s| s.name.as_bytes().eq_ignore_ascii_case(&argv[1]))?;
        Some(CmdId(top, sub as u32 + 1))
    }

    /// Look up by full name ("config|get"), for INFO and COMMAND.
    pub fn lookup_name(&self, name: &[u8]) -> Option<CmdId> {
        let mut parts = name.splitn(2, |&b| b == b'|');
        let top = self.find_top(parts.next()?)?;
        match parts.next() {
            None => Some(CmdId(top, 0)),
            Some(sub) => {
                let c = &self.cmds[top as usize];
                let i = c
                    .subcommands
                    .iter()
                    .position(|s| s.name.as_bytes().eq_ignore_ascii_case(sub))?;
                Some(CmdId(top, i as u32 + 1))
            }
        }
    }

    pub fn is_container(&self, name: &[u8]) -> bool {
        self.find_top(name)
            .is_some_and(|i| !self.cmds[i as usize].subcommands.is_empty())
    }

    pub fn get(&self, id: CmdId) -> &Command {
        let c = &self.cmds[id.0 as usize];
        if id.1 == 0 {
            c
        } else {
            &c.subcommands[id.1 as usize - 1]
        }
    }

    pub fn get_mut(&mut self, id: CmdId) -> &mut Command {
        let c = &mut self.cmds[id.0 as usize];
        if id.1 == 0 {
            c
        } else {
            &mut c.subcommands[id.1 as usize - 1]
        }
    }

    /// Top-level commands, in table order.
    pub fn iter(&self) -> impl Iterator<Item = &Command> {
        self.cmds.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Command> {
        self.cmds.iter_mut()
    }
}
