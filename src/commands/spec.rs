//! Command metadata: the types of the generated table (`spec_data.rs`), the
//! flag and category bits, name lookup, and the pure functions behind
//! `COMMAND`, `COMMAND INFO`, `COMMAND DOCS`, `COMMAND LIST FILTERBY` and
//! `COMMAND GETKEYS[ANDFLAGS]` (server.c's addReplyCommandInfo/Docs and
//! db.c's key extraction in Redis 7.0).
//!
//! Invariants:
//! * The table is a `static` of `&'static` data; nothing here allocates
//!   except the key lists returned by the key extraction functions.
//! * `COMMANDS` is sorted by name and every `subcommands` slice is sorted by
//!   its declared name, so lookups are binary searches (checked by a test).
//! * `flags` and `acl` already contain what Redis derives when it builds its
//!   table (implicit ACL categories, `movablekeys`); the generator computes
//!   them, and a test recomputes `movablekeys` from the key specs here.
//! * Redis prints a command's subcommands in hash-table order, which differs
//!   between runs; we print them sorted. Clients cannot rely on the order.

use std::cmp::Ordering;

use crate::net::reply::Reply;
use crate::util::glob::glob_match;

pub use super::spec_data::COMMANDS;

// ---------------------------------------------------------------------------
// Command flags (server.h CMD_*). Same bit positions as Redis, so the numbers
// are comparable when debugging against it.

/// May modify the dataset.
pub const CMD_WRITE: u64 = 1 << 0;
/// Only reads keys; never modifies them.
pub const CMD_READONLY: u64 = 1 << 1;
/// May grow memory use, so it is refused when over `maxmemory`.
pub const CMD_DENYOOM: u64 = 1 << 2;
/// Implemented by a loaded module (never set on our own commands).
pub const CMD_MODULE: u64 = 1 << 3;
/// Administrative: changes or reveals server state; implies @admin @dangerous.
pub const CMD_ADMIN: u64 = 1 << 4;
/// Pub/Sub related; allowed in the subscribed state where applicable.
pub const CMD_PUBSUB: u64 = 1 << 5;
/// Refused inside Lua scripts and functions.
pub const CMD_NOSCRIPT: u64 = 1 << 6;
/// May block the client until data arrives or a timeout passes.
pub const CMD_BLOCKING: u64 = 1 << 8;
/// Allowed while the dataset is still being loaded.
pub const CMD_LOADING: u64 = 1 << 9;
/// Allowed on a replica whose link to the master is down with
/// `replica-serve-stale-data no`.
pub const CMD_STALE: u64 = 1 << 10;
/// Not echoed to MONITOR clients (it would leak secrets or is the replication
/// stream itself).
pub const CMD_SKIP_MONITOR: u64 = 1 << 11;
/// Never recorded in the slow log.
pub const CMD_SKIP_SLOWLOG: u64 = 1 << 12;
/// In cluster mode, accepted for an importing slot after ASKING.
pub const CMD_ASKING: u64 = 1 << 13;
/// O(1) or O(log N) and never delays the server; @fast instead of @slow.
pub const CMD_FAST: u64 = 1 << 14;
/// Runs before the connection has authenticated (AUTH, HELLO, ...).
pub const CMD_NO_AUTH: u64 = 1 << 15;
/// May propagate to replicas even though it is not a write (scripts,
/// PUBLISH); refused where replication must not happen. Not printed.
pub const CMD_MAY_REPLICATE: u64 = 1 << 16;
/// Also exists in sentinel mode. Not printed.
pub const CMD_SENTINEL: u64 = 1 << 17;
/// Exists only in sentinel mode (such commands are left out of our table).
pub const CMD_ONLY_SENTINEL: u64 = 1 << 18;
/// Its key arguments are all optional, so zero keys is not an error.
pub const CMD_NO_MANDATORY_KEYS: u64 = 1 << 19;
/// Refused unless `enable-protected-configs`/`enable-debug-command`/
/// `enable-module-command` allow it. Not printed.
pub const CMD_PROTECTED: u64 = 1 << 20;
/// Module command with its own getkeys callback.
pub const CMD_MODULE_GETKEYS: u64 = 1 << 21;
/// Module command refused in cluster mode.
pub const CMD_MODULE_NO_CLUSTER: u64 = 1 << 22;
/// Refused while a replica loads a new dataset in the background.
pub const CMD_NO_ASYNC_LOADING: u64 = 1 << 23;
/// Refused inside MULTI (it cannot be queued).
pub const CMD_NO_MULTI: u64 = 1 << 24;
/// The legacy (first, last, step) triple does not cover every key: callers
/// must use the key specs (or the getkeys procs) to find them.
pub const CMD_MOVABLE_KEYS: u64 = 1 << 25;
/// Allowed while a script or function is running too long (BUSY state).
pub const CMD_ALLOW_BUSY: u64 = 1 << 26;
/// Module command with its own getchannels callback.
pub const CMD_MODULE_GETCHANNELS: u64 = 1 << 27;
/// May touch keys that are not in its arguments (SCAN, RANDOMKEY): scripts
/// calling it must declare no keys in cluster mode. Not printed.
pub const CMD_TOUCHES_ARBITRARY_KEYS: u64 = 1 << 28;

/// Command flags as COMMAND INFO prints them, in Redis' order. The flags not
/// listed (may_replicate, sentinel, only_sentinel, protected, module
/// internals, touches_arbitrary_keys) are internal and never printed.
const CMD_FLAG_NAMES: &[(u64, &str)] = &[
    (CMD_WRITE, "write"),
    (CMD_READONLY, "readonly"),
    (CMD_DENYOOM, "denyoom"),
    (CMD_MODULE, "module"),
    (CMD_ADMIN, "admin"),
    (CMD_PUBSUB, "pubsub"),
    (CMD_NOSCRIPT, "noscript"),
    (CMD_BLOCKING, "blocking"),
    (CMD_LOADING, "loading"),
    (CMD_STALE, "stale"),
    (CMD_SKIP_MONITOR, "skip_monitor"),
    (CMD_SKIP_SLOWLOG, "skip_slowlog"),
    (CMD_ASKING, "asking"),
    (CMD_FAST, "fast"),
    (CMD_NO_AUTH, "no_auth"),
    (CMD_NO_MANDATORY_KEYS, "no_mandatory_keys"),
    (CMD_NO_ASYNC_LOADING, "no_async_loading"),
    (CMD_NO_MULTI, "no_multi"),
    (CMD_MOVABLE_KEYS, "movablekeys"),
    (CMD_ALLOW_BUSY, "allow_busy"),
];

// ---------------------------------------------------------------------------
// ACL categories (server.h ACL_CATEGORY_*), same bits as Redis.

pub const ACL_KEYSPACE: u64 = 1 << 0;
pub const ACL_READ: u64 = 1 << 1;
pub const ACL_WRITE: u64 = 1 << 2;
pub const ACL_SET: u64 = 1 << 3;
pub const ACL_SORTEDSET: u64 = 1 << 4;
pub const ACL_LIST: u64 = 1 << 5;
pub const ACL_HASH: u64 = 1 << 6;
pub const ACL_STRING: u64 = 1 << 7;
pub const ACL_BITMAP: u64 = 1 << 8;
pub const ACL_HYPERLOGLOG: u64 = 1 << 9;
pub const ACL_GEO: u64 = 1 << 10;
pub const ACL_STREAM: u64 = 1 << 11;
pub const ACL_PUBSUB: u64 = 1 << 12;
pub const ACL_ADMIN: u64 = 1 << 13;
pub const ACL_FAST: u64 = 1 << 14;
pub const ACL_SLOW: u64 = 1 << 15;
pub const ACL_BLOCKING: u64 = 1 << 16;
pub const ACL_DANGEROUS: u64 = 1 << 17;
pub const ACL_CONNECTION: u64 = 1 << 18;
pub const ACL_TRANSACTION: u64 = 1 << 19;
pub const ACL_SCRIPTING: u64 = 1 << 20;

/// Category names (without '@') in Redis' order, which is the order of
/// COMMAND INFO, ACL CAT and ACL GETUSER.
pub const ACL_CATEGORIES: &[(&str, u64)] = &[
    ("keyspace", ACL_KEYSPACE),
    ("read", ACL_READ),
    ("write", ACL_WRITE),
    ("set", ACL_SET),
    ("sortedset", ACL_SORTEDSET),
    ("list", ACL_LIST),
    ("hash", ACL_HASH),
    ("string", ACL_STRING),
    ("bitmap", ACL_BITMAP),
    ("hyperloglog", ACL_HYPERLOGLOG),
    ("geo", ACL_GEO),
    ("stream", ACL_STREAM),
    ("pubsub", ACL_PUBSUB),
    ("admin", ACL_ADMIN),
    ("fast", ACL_FAST),
    ("slow", ACL_SLOW),
    ("blocking", ACL_BLOCKING),
    ("dangerous", ACL_DANGEROUS),
    ("connection", ACL_CONNECTION),
    ("transaction", ACL_TRANSACTION),
    ("scripting", ACL_SCRIPTING),
];

/// The bit of a category name (no '@', any case), or None if unknown.
pub fn acl_category_by_name(name: &[u8]) -> Option<u64> {
    ACL_CATEGORIES
        .iter()
        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        .map(|&(_, bit)| bit)
}

// ---------------------------------------------------------------------------
// Key spec flags (server.h CMD_KEY_*). The first group says what happens to
// the key as a whole (exactly one of RO/RW/OW/RM), the second what happens to
// its data; then three markers about the spec itself.

/// Reads the key without modifying it.
pub const KEY_RO: u64 = 1 << 0;
/// Reads and modifies the key.
pub const KEY_RW: u64 = 1 << 1;
/// Overwrites the key without reading it.
pub const KEY_OW: u64 = 1 << 2;
/// Deletes the key.
pub const KEY_RM: u64 = 1 << 3;
/// Returns, copies or otherwise uses the user data of the value.
pub const KEY_ACCESS: u64 = 1 << 4;
/// Updates data in place (the old data may be lost).
pub const KEY_UPDATE: u64 = 1 << 5;
/// Only adds data; nothing existing is changed or dropped.
pub const KEY_INSERT: u64 = 1 << 6;
/// Only removes data from the value.
pub const KEY_DELETE: u64 = 1 << 7;
/// A name that routes like a key (shard channels) but is not a key.
pub const KEY_NOT_KEY: u64 = 1 << 8;
/// The spec may miss some keys; a getkeys proc is needed for all of them.
pub const KEY_INCOMPLETE: u64 = 1 << 9;
/// The flags depend on the other arguments (SET ... GET, BITFIELD).
pub const KEY_VARIABLE_FLAGS: u64 = 1 << 10;

/// Key spec flags as COMMAND INFO / GETKEYSANDFLAGS print them.
const KEY_FLAG_NAMES: &[(u64, &str)] = &[
    (KEY_RO, "RO"),
    (KEY_RW, "RW"),
    (KEY_OW, "OW"),
    (KEY_RM, "RM"),
    (KEY_ACCESS, "access"),
    (KEY_UPDATE, "update"),
    (KEY_INSERT, "insert"),
    (KEY_DELETE, "delete"),
    (KEY_NOT_KEY, "not_key"),
    (KEY_INCOMPLETE, "incomplete"),
    (KEY_VARIABLE_FLAGS, "variable_flags"),
];

// Argument flags (server.h CMD_ARG_*).
/// The argument may be left out.
pub const ARG_OPTIONAL: u8 = 1 << 0;
/// The argument may be repeated.
pub const ARG_MULTIPLE: u8 = 1 << 1;
/// When repeated, its token is repeated too (`GET a GET b`).
pub const ARG_MULTIPLE_TOKEN: u8 = 1 << 2;

const ARG_FLAG_NAMES: &[(u64, &str)] = &[
    (ARG_OPTIONAL as u64, "optional"),
    (ARG_MULTIPLE as u64, "multiple"),
    (ARG_MULTIPLE_TOKEN as u64, "multiple_token"),
];

// Documentation flags (server.h CMD_DOC_*).
/// Superseded by another command (see `replaced_by`).
pub const DOC_DEPRECATED: u8 = 1 << 0;
/// Internal command, not meant for users (PSYNC, REPLCONF, ...).
pub const DOC_SYSCMD: u8 = 1 << 1;

const DOC_FLAG_NAMES: &[(u64, &str)] = &[
    (DOC_DEPRECATED as u64, "deprecated"),
    (DOC_SYSCMD as u64, "syscmd"),
];

// ---------------------------------------------------------------------------
// The table's types.

/// One command or subcommand, as Redis 7.0 describes it.
#[derive(Debug)]
pub struct CommandSpec {
    /// Declared name, lower case ("get" for both GET and CONFIG GET).
    pub name: &'static str,
    /// Name as COMMAND prints it: "get", or "config|get" for a subcommand.
    pub fullname: &'static str,
    /// Group as COMMAND DOCS prints it ("sorted-set", "generic", ...).
    pub group: &'static str,
    pub since: Option<&'static str>,
    /// Our own one-line description (tools/command-summaries.tsv).
    pub summary: &'static str,
    pub complexity: Option<&'static str>,
    /// Argument count including the name (subcommand name included for
    /// subcommands); negative means "at least -arity".
    pub arity: i32,
    /// CMD_* bits, `movablekeys` included.
    pub flags: u64,
    /// ACL_* bits, implicit categories included.
    pub acl: u64,
    /// DOC_* bits.
    pub doc_flags: u8,
    pub deprecated_since: Option<&'static str>,
    pub replaced_by: Option<&'static str>,
    /// (version, what changed), oldest first.
    pub history: &'static [(&'static str, &'static str)],
    /// Hints for cluster clients ("request_policy:all_shards", ...).
    pub tips: &'static [&'static str],
    pub key_specs: &'static [KeySpec],
    /// Redis' command-specific key finder, used where the specs fall short.
    pub getkeys: GetKeysProc,
    pub args: &'static [Arg],
    /// Sorted by `name`; empty for plain commands.
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    /// Defaults for the generated table (`..CommandSpec::BLANK`).
    pub const BLANK: CommandSpec = CommandSpec {
        name: "",
        fullname: "",
        group: "",
        since: None,
        summary: "",
        complexity: None,
        arity: 0,
        flags: 0,
        acl: 0,
        doc_flags: 0,
        deprecated_since: None,
        replaced_by: None,
        history: &[],
        tips: &[],
        key_specs: &[],
        getkeys: GetKeysProc::None,
        args: &[],
        subcommands: &[],
    };

    /// True for CONFIG, CLIENT, ... whose real work is in subcommands.
    pub fn is_container(&self) -> bool {
        !self.subcommands.is_empty()
    }
}

/// Where a command's keys are (a Redis 7 "key spec"): how to find the first
/// one (begin_search), then how many follow (find_keys).
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    pub notes: Option<&'static str>,
    /// KEY_* bits.
    pub flags: u64,
    pub begin_search: BeginSearch,
    pub find_keys: FindKeys,
}

#[derive(Debug, Clone, Copy)]
pub enum BeginSearch {
    /// The keys cannot be found from the arguments' positions alone.
    Unknown,
    /// The first key is argv[pos].
    Index(i32),
    /// The first key follows `keyword`, searched from argv[startfrom]
    /// forwards, or from argv[argc+startfrom] backwards when negative.
    Keyword {
        keyword: &'static str,
        startfrom: i32,
    },
}

#[derive(Debug, Clone, Copy)]
pub enum FindKeys {
    Unknown,
    /// Keys run to `lastkey` (relative to the first; negative counts from
    /// the end, or with `limit` > 0 means "1/limit of what remains"), every
    /// `keystep` arguments.
    Range {
        lastkey: i32,
        keystep: i32,
        limit: i32,
    },
    /// argv[first+keynumidx] holds the key count; keys start `firstkey`
    /// after the first position, every `keystep` arguments.
    Keynum {
        keynumidx: i32,
        firstkey: i32,
        keystep: i32,
    },
}

/// Redis' getkeys procs (db.c), for commands whose specs are incomplete or
/// whose key flags depend on the arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetKeysProc {
    None,
    /// `[dest] numkeys key...`: argv[count] keys from argv[first]; the
    /// destination (if `store` != 0) is listed last.
    Numkeys {
        store: u8,
        count: u8,
        first: u8,
    },
    Sort,
    SortRo,
    Migrate,
    Georadius,
    Xread,
    Set,
    Bitfield,
}

/// One node of a command's argument tree (COMMAND DOCS "arguments").
#[derive(Debug)]
pub struct Arg {
    /// Lower case.
    pub name: &'static str,
    pub typ: ArgType,
    /// Index into the command's key specs, or -1.
    pub key_spec_index: i32,
    /// Upper case.
    pub token: Option<&'static str>,
    pub summary: Option<&'static str>,
    pub since: Option<&'static str>,
    /// ARG_* bits.
    pub flags: u8,
    pub deprecated_since: Option<&'static str>,
    /// Children of `OneOf` and `Block` arguments.
    pub subargs: &'static [Arg],
}

impl Arg {
    /// Defaults for the generated table (`..Arg::BLANK`).
    pub const BLANK: Arg = Arg {
        name: "",
        typ: ArgType::String,
        key_spec_index: -1,
        token: None,
        summary: None,
        since: None,
        flags: 0,
        deprecated_since: None,
        subargs: &[],
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    String,
    Integer,
    Double,
    Key,
    Pattern,
    UnixTime,
    PureToken,
    OneOf,
    Block,
}

impl ArgType {
    /// The name COMMAND DOCS prints.
    pub fn as_str(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Integer => "integer",
            ArgType::Double => "double",
            ArgType::Key => "key",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::OneOf => "oneof",
            ArgType::Block => "block",
        }
    }
}

// ---------------------------------------------------------------------------
// Lookup. Case-insensitive and allocation-free: the table is lower case and
// sorted, and the probe is lower-cased byte by byte while comparing.

fn cmp_name(table_name: &str, probe: &[u8]) -> Ordering {
    let t = table_name.as_bytes();
    for (a, b) in t.iter().zip(probe) {
        let b = b.to_ascii_lowercase();
        if *a != b {
            return a.cmp(&b);
        }
    }
    t.len().cmp(&probe.len())
}

fn search(table: &'static [CommandSpec], name: &[u8]) -> Option<&'static CommandSpec> {
    let i = table.binary_search_by(|c| cmp_name(c.name, name)).ok()?;
    table.get(i)
}

/// A top-level command by name, any case.
pub fn find(name: &[u8]) -> Option<&'static CommandSpec> {
    search(COMMANDS, name)
}

/// A subcommand of `parent` by its declared name, any case.
pub fn find_sub(parent: &'static CommandSpec, sub: &[u8]) -> Option<&'static CommandSpec> {
    search(parent.subcommands, sub)
}

/// The command a request runs (lookupCommand): argv[1] picks the
/// subcommand of a container; a container named alone is returned itself.
/// None when the command or the subcommand is unknown.
pub fn lookup_argv<A: AsRef<[u8]>>(argv: &[A]) -> Option<&'static CommandSpec> {
    let base = find(argv.first()?.as_ref())?;
    if argv.len() == 1 || !base.is_container() {
        return Some(base);
    }
    find_sub(base, argv.get(1)?.as_ref())
}

/// A command by the name COMMAND INFO/DOCS accept: "get" or "config|get"
/// (lookupCommandBySds). "get|x" and deeper nesting find nothing.
pub fn find_by_fullname(name: &[u8]) -> Option<&'static CommandSpec> {
    let mut parts = name.splitn(3, |&b| b == b'|');
    let top = find(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(top),
        (Some(sub), None) if top.is_container() => find_sub(top, sub),
        _ => None,
    }
}

/// The top-level commands, sorted by name; subcommands hang off each.
pub fn all() -> &'static [CommandSpec] {
    COMMANDS
}

/// Every command then its subcommands, in table order (COMMAND LIST).
pub fn all_commands() -> impl Iterator<Item = &'static CommandSpec> {
    COMMANDS
        .iter()
        .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
}

// ---------------------------------------------------------------------------
// The legacy (first, last, step) triple.

/// COMMAND INFO's first key, last key and step, derived from the key specs
/// as Redis' populateCommandLegacyRangeSpec does: one index+range spec is
/// used as is; otherwise consecutive step-1 index+range specs are merged
/// and the rest ignored. `last` is absolute, or negative from the end.
/// (0, 0, 0) when no spec fits.
pub fn legacy_range(spec: &CommandSpec) -> (i32, i32, i32) {
    legacy_range_and_movable(spec.key_specs).0
}

/// The triple plus whether it misses keys (which sets `movablekeys`).
fn legacy_range_and_movable(specs: &[KeySpec]) -> ((i32, i32, i32), bool) {
    let simple = |ks: &KeySpec| match (ks.begin_search, ks.find_keys) {
        (
            BeginSearch::Index(pos),
            FindKeys::Range {
                lastkey, keystep, ..
            },
        ) => Some((pos, lastkey, keystep)),
        _ => None,
    };
    if specs.is_empty() {
        return ((0, 0, 0), false);
    }
    if let [only] = specs {
        if let Some((pos, lastkey, step)) = simple(only) {
            let last = if lastkey >= 0 { lastkey + pos } else { lastkey };
            return ((pos, last, step), only.flags & KEY_INCOMPLETE != 0);
        }
    }
    let mut movable = false;
    let mut first = i32::MAX;
    // Redis compares last keys as unsigned so that a negative (open-ended)
    // last key wins over any absolute one; u32 reproduces that.
    let mut last: u32 = 0;
    let mut prev_last: u32 = 0;
    for ks in specs {
        let Some((pos, lastkey, step)) = simple(ks) else {
            movable = true;
            continue;
        };
        if step != 1 || (prev_last != 0 && prev_last != (pos - 1) as u32) {
            movable = true;
            continue;
        }
        if ks.flags & KEY_INCOMPLETE != 0 {
            movable = true;
        }
        first = first.min(pos);
        let abs = if lastkey >= 0 { lastkey + pos } else { lastkey };
        last = last.max(abs as u32);
        prev_last = last;
    }
    if first == i32::MAX {
        return ((0, 0, 0), true);
    }
    ((first, last as i32, 1), movable)
}

// ---------------------------------------------------------------------------
// COMMAND INFO / COMMAND DOCS replies.

/// A set of status strings, one per flag bit present, in table order.
fn reply_flag_set(r: &mut Reply, flags: u64, names: &[(u64, &str)]) {
    let n = names.iter().filter(|(bit, _)| flags & bit != 0).count();
    r.set_len(n);
    for (bit, name) in names {
        if flags & bit != 0 {
            r.simple(name.as_bytes());
        }
    }
}

/// One entry of COMMAND / COMMAND INFO (addReplyCommandInfo): a 10-element
/// array of name, arity, flags, first key, last key, step, ACL categories,
/// tips, key specs and subcommands (each an entry of the same shape).
pub fn reply_command_info(r: &mut Reply, spec: &CommandSpec) {
    let (first, last, step) = legacy_range(spec);
    r.array_len(10);
    r.bulk(spec.fullname.as_bytes());
    r.int(spec.arity as i64);
    reply_flag_set(r, spec.flags, CMD_FLAG_NAMES);
    r.int(first as i64);
    r.int(last as i64);
    r.int(step as i64);
    let ncat = ACL_CATEGORIES
        .iter()
        .filter(|(_, bit)| spec.acl & bit != 0)
        .count();
    r.set_len(ncat);
    for (name, bit) in ACL_CATEGORIES {
        if spec.acl & bit != 0 {
            // A status reply "@name", written in pieces to avoid formatting.
            r.raw(b"+@");
            r.raw(name.as_bytes());
            r.raw(b"\r\n");
        }
    }
    r.set_len(spec.tips.len());
    for tip in spec.tips {
        r.bulk(tip.as_bytes());
    }
    r.set_len(spec.key_specs.len());
    for ks in spec.key_specs {
        reply_key_spec(r, ks);
    }
    // No subcommands is an empty *set*, a list of them an array: Redis' quirk.
    if spec.subcommands.is_empty() {
        r.set_len(0);
    } else {
        r.array_len(spec.subcommands.len());
        for sub in spec.subcommands {
            reply_command_info(r, sub);
        }
    }
}

fn reply_key_spec(r: &mut Reply, ks: &KeySpec) {
    r.map_len(3 + ks.notes.is_some() as usize);
    if let Some(notes) = ks.notes {
        r.bulk(b"notes");
        r.bulk(notes.as_bytes());
    }
    r.bulk(b"flags");
    reply_flag_set(r, ks.flags, KEY_FLAG_NAMES);

    r.bulk(b"begin_search");
    r.map_len(2);
    r.bulk(b"type");
    match ks.begin_search {
        BeginSearch::Unknown => {
            r.bulk(b"unknown");
            r.bulk(b"spec");
            r.map_len(0);
        }
        BeginSearch::Index(pos) => {
            r.bulk(b"index");
            r.bulk(b"spec");
            r.map_len(1);
            r.bulk(b"index");
            r.int(pos as i64);
        }
        BeginSearch::Keyword { keyword, startfrom } => {
            r.bulk(b"keyword");
            r.bulk(b"spec");
            r.map_len(2);
            r.bulk(b"keyword");
            r.bulk(keyword.as_bytes());
            r.bulk(b"startfrom");
            r.int(startfrom as i64);
        }
    }

    r.bulk(b"find_keys");
    r.map_len(2);
    r.bulk(b"type");
    match ks.find_keys {
        FindKeys::Unknown => {
            r.bulk(b"unknown");
            r.bulk(b"spec");
            r.map_len(0);
        }
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => {
            r.bulk(b"range");
            r.bulk(b"spec");
            r.map_len(3);
            r.bulk(b"lastkey");
            r.int(lastkey as i64);
            r.bulk(b"keystep");
            r.int(keystep as i64);
            r.bulk(b"limit");
            r.int(limit as i64);
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => {
            r.bulk(b"keynum");
            r.bulk(b"spec");
            r.map_len(3);
            r.bulk(b"keynumidx");
            r.int(keynumidx as i64);
            r.bulk(b"firstkey");
            r.int(firstkey as i64);
            r.bulk(b"keystep");
            r.int(keystep as i64);
        }
    }
}

/// The value of one COMMAND DOCS entry (addReplyCommandDocs): a map with
/// summary, since, group, complexity, doc_flags, deprecated_since,
/// replaced_by, history, arguments and subcommands, each only when present
/// (group always), in that order. The caller writes the name before it.
pub fn reply_command_docs(r: &mut Reply, spec: &CommandSpec) {
    let present = [
        true, // summary: ours, always there
        spec.since.is_some(),
        true, // group
        spec.complexity.is_some(),
        spec.doc_flags != 0,
        spec.deprecated_since.is_some(),
        spec.replaced_by.is_some(),
        !spec.history.is_empty(),
        !spec.args.is_empty(),
        !spec.subcommands.is_empty(),
    ];
    r.map_len(present.iter().filter(|&&p| p).count());
    r.bulk(b"summary");
    r.bulk(spec.summary.as_bytes());
    if let Some(since) = spec.since {
        r.bulk(b"since");
        r.bulk(since.as_bytes());
    }
    r.bulk(b"group");
    r.bulk(spec.group.as_bytes());
    if let Some(c) = spec.complexity {
        r.bulk(b"complexity");
        r.bulk(c.as_bytes());
    }
    if spec.doc_flags != 0 {
        r.bulk(b"doc_flags");
        reply_flag_set(r, spec.doc_flags as u64, DOC_FLAG_NAMES);
    }
    if let Some(v) = spec.deprecated_since {
        r.bulk(b"deprecated_since");
        r.bulk(v.as_bytes());
    }
    if let Some(v) = spec.replaced_by {
        r.bulk(b"replaced_by");
        r.bulk(v.as_bytes());
    }
    if !spec.history.is_empty() {
        r.bulk(b"history");
        r.set_len(spec.history.len());
        for (version, change) in spec.history {
            r.array_len(2);
            r.bulk(version.as_bytes());
            r.bulk(change.as_bytes());
        }
    }
    if !spec.args.is_empty() {
        r.bulk(b"arguments");
        reply_args(r, spec.args);
    }
    if !spec.subcommands.is_empty() {
        r.bulk(b"subcommands");
        r.map_len(spec.subcommands.len());
        for sub in spec.subcommands {
            r.bulk(sub.fullname.as_bytes());
            reply_command_docs(r, sub);
        }
    }
}

/// An argument list (addReplyCommandArgList): one map per argument.
fn reply_args(r: &mut Reply, args: &[Arg]) {
    r.array_len(args.len());
    for a in args {
        let nested = matches!(a.typ, ArgType::OneOf | ArgType::Block);
        let n = 2
            + (a.key_spec_index != -1) as usize
            + a.token.is_some() as usize
            + a.summary.is_some() as usize
            + a.since.is_some() as usize
            + a.deprecated_since.is_some() as usize
            + (a.flags != 0) as usize
            + nested as usize;
        r.map_len(n);
        r.bulk(b"name");
        r.bulk(a.name.as_bytes());
        r.bulk(b"type");
        r.bulk(a.typ.as_str().as_bytes());
        if a.key_spec_index != -1 {
            r.bulk(b"key_spec_index");
            r.int(a.key_spec_index as i64);
        }
        for (field, value) in [
            (&b"token"[..], a.token),
            (b"summary", a.summary),
            (b"since", a.since),
            (b"deprecated_since", a.deprecated_since),
        ] {
            if let Some(v) = value {
                r.bulk(field);
                r.bulk(v.as_bytes());
            }
        }
        if a.flags != 0 {
            r.bulk(b"flags");
            reply_flag_set(r, a.flags as u64, ARG_FLAG_NAMES);
        }
        if nested {
            r.bulk(b"arguments");
            reply_args(r, a.subargs);
        }
    }
}

// ---------------------------------------------------------------------------
// COMMAND LIST FILTERBY.

/// The filter of `COMMAND LIST FILTERBY <kind> <arg>`.
#[derive(Debug, Clone, Copy)]
pub enum Filter<'a> {
    /// Commands of a loaded module.
    Module(&'a [u8]),
    /// Commands in an ACL category (name without '@', any case).
    AclCat(&'a [u8]),
    /// Commands whose full name ("config|get") matches a glob, any case.
    Pattern(&'a [u8]),
}

/// Whether COMMAND LIST FILTERBY keeps `spec` (shouldFilterFromCommandList,
/// inverted). An unknown category matches nothing; no command in this table
/// comes from a module.
pub fn matches_filter(spec: &CommandSpec, filter: &Filter) -> bool {
    match *filter {
        Filter::Module(_) => false,
        Filter::AclCat(name) => match acl_category_by_name(name) {
            Some(bit) => spec.acl & bit != 0,
            None => false,
        },
        Filter::Pattern(pat) => glob_match(pat, spec.fullname.as_bytes(), true),
    }
}

// ---------------------------------------------------------------------------
// Key extraction (db.c). A key is returned as (position in argv, KEY_*
// flags); argv[0] is the command name, argv[1] the subcommand name for
// subcommands. A proc that Redis lets report no flags reports 0.

/// A key position and its KEY_* flags.
pub type KeyRef = (usize, u64);

pub const ERR_INVALID_COMMAND: &str = "ERR Invalid command specified";
pub const ERR_NO_KEY_ARGUMENTS: &str = "ERR The command has no key arguments";
pub const ERR_INVALID_ARG_COUNT: &str = "ERR Invalid number of arguments specified for command";
pub const ERR_INVALID_ARGUMENTS: &str = "ERR Invalid arguments specified for command";

/// Whether the command can have keys at all (doesCommandHaveKeys): it has a
/// getkeys proc or a key spec that names real keys.
pub fn has_keys(spec: &CommandSpec) -> bool {
    spec.getkeys != GetKeysProc::None || spec.key_specs.iter().any(|k| k.flags & KEY_NOT_KEY == 0)
}

/// COMMAND GETKEYS / GETKEYSANDFLAGS (getKeysSubcommandImpl) for an
/// already looked-up `spec` (`lookup_argv`; if that finds nothing the reply
/// is ERR_INVALID_COMMAND). `argv` is the command line after
/// `COMMAND GETKEYS`. Errors are the full texts for `Reply::error`.
pub fn get_keys<A: AsRef<[u8]>>(
    spec: &CommandSpec,
    argv: &[A],
) -> Result<Vec<KeyRef>, &'static str> {
    if !has_keys(spec) {
        return Err(ERR_NO_KEY_ARGUMENTS);
    }
    let argc = argv.len() as i64;
    let arity = spec.arity as i64;
    if (arity > 0 && arity != argc) || argc < -arity {
        return Err(ERR_INVALID_ARG_COUNT);
    }
    let keys = keys_with_specs(spec, argv);
    if keys.is_empty() && spec.flags & CMD_NO_MANDATORY_KEYS == 0 {
        return Err(ERR_INVALID_ARGUMENTS);
    }
    Ok(keys)
}

/// `get_keys` with the lookup included: `argv` is everything after
/// `COMMAND GETKEYS`, command name first.
pub fn command_getkeys<A: AsRef<[u8]>>(argv: &[A]) -> Result<Vec<KeyRef>, &'static str> {
    let spec = lookup_argv(argv).ok_or(ERR_INVALID_COMMAND)?;
    get_keys(spec, argv)
}

/// The keys of a command line with flags (getKeysFromCommandWithSpecs):
/// the key specs when they name real keys, are complete and have fixed
/// flags; otherwise the command's getkeys proc. Empty when the arguments
/// do not parse. Used by COMMAND GETKEYS and ACL key checks.
pub fn keys_with_specs<A: AsRef<[u8]>>(spec: &CommandSpec, argv: &[A]) -> Vec<KeyRef> {
    let real_keys = spec.key_specs.iter().any(|k| k.flags & KEY_NOT_KEY == 0);
    let variable = spec
        .key_specs
        .iter()
        .any(|k| k.flags & KEY_VARIABLE_FLAGS != 0);
    if real_keys && !variable {
        if let Some(keys) = keys_from_specs(spec, argv, false) {
            return keys;
        }
    }
    keys_from_proc(spec.getkeys, argv).unwrap_or_default()
}

/// The keys of a command line the pre-7.0 way (getKeysFromCommand): the
/// getkeys proc if there is one, else the legacy (first, last, step) range
/// with flags 0. Used for cluster slot checks and client-side caching.
pub fn keys_legacy<A: AsRef<[u8]>>(spec: &CommandSpec, argv: &[A]) -> Vec<KeyRef> {
    if let Some(keys) = keys_from_proc(spec.getkeys, argv) {
        return keys;
    }
    let (first, last, step) = legacy_range(spec);
    if first == 0 || step <= 0 {
        return Vec::new();
    }
    let argc = argv.len() as i64;
    let (first, step) = (first as i64, step as i64);
    let last = if last < 0 {
        argc + last as i64
    } else {
        last as i64
    };
    let mut keys = Vec::new();
    let mut i = first;
    while i <= last {
        if i >= argc {
            // Too few arguments: no keys, the command will report its error.
            return Vec::new();
        }
        keys.push((i as usize, 0));
        i += step;
    }
    keys
}

/// Runs the key specs (getKeysUsingKeySpecs). None means a spec could not
/// be applied (unknown kind, bad key count, out of range, or incomplete);
/// with `partial` those specs are skipped instead and the rest returned.
/// NOT_KEY specs (shard channels) are skipped.
pub fn keys_from_specs<A: AsRef<[u8]>>(
    spec: &CommandSpec,
    argv: &[A],
    partial: bool,
) -> Option<Vec<KeyRef>> {
    let mut keys = Vec::new();
    for ks in spec.key_specs {
        if ks.flags & KEY_NOT_KEY != 0 {
            continue;
        }
        match apply_key_spec(ks, argv, &mut keys) {
            // Applied, and either complete or (keyword absent) not applied
            // at all: an absent keyword never makes a spec "incomplete".
            Some(true) if ks.flags & KEY_INCOMPLETE == 0 => {}
            Some(false) => {}
            // Keys from an incomplete spec stay in the list: useful with
            // `partial`, and thrown away with everything else otherwise.
            _ if partial => {}
            _ => return None,
        }
    }
    Some(keys)
}

/// One spec's keys appended to `keys`: Some(true) when applied, None if it
/// cannot be applied. A keyword that is absent is not an error: the spec
/// just has no keys here, Some(false).
fn apply_key_spec<A: AsRef<[u8]>>(
    ks: &KeySpec,
    argv: &[A],
    keys: &mut Vec<KeyRef>,
) -> Option<bool> {
    let argc = argv.len() as i64;
    let first: i64 = match ks.begin_search {
        BeginSearch::Unknown => return None,
        BeginSearch::Index(pos) => pos as i64,
        BeginSearch::Keyword { keyword, startfrom } => {
            match find_keyword(argv, keyword.as_bytes(), startfrom as i64) {
                Some(i) => i + 1,
                None => return Some(false),
            }
        }
    };
    let (first, last, step) = match ks.find_keys {
        FindKeys::Unknown => return None,
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => {
            let (lastkey, limit) = (lastkey as i64, limit as i64);
            let last = if lastkey >= 0 {
                first + lastkey
            } else if limit == 0 {
                argc + lastkey
            } else {
                // "All remaining arguments / limit are keys" (XREAD STREAMS
                // k1 k2 id1 id2): C division, truncating towards zero.
                first + ((argc - first) / limit + lastkey)
            };
            (first, last, keystep as i64)
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => {
            let count_at = usize::try_from(first + keynumidx as i64).ok()?;
            let numkeys = parse_strict_i64(argv.get(count_at)?.as_ref())?;
            if numkeys < 0 {
                return None;
            }
            let first = first + firstkey as i64;
            (first, first + numkeys - 1, keystep as i64)
        }
    };
    // Zero keys (numkeys 0) also lands here, as in Redis.
    if last >= argc || last < first || first >= argc || step <= 0 {
        return None;
    }
    let mut i = first;
    while i <= last {
        keys.push((i as usize, ks.flags));
        i += step;
    }
    Some(true)
}

/// The position of `keyword` (any case) searched as Redis does: forwards
/// from `startfrom` up to but excluding the last argument, or, when
/// `startfrom` is negative, backwards from argc+startfrom down to but
/// excluding argv[1].
fn find_keyword<A: AsRef<[u8]>>(argv: &[A], keyword: &[u8], startfrom: i64) -> Option<i64> {
    let argc = argv.len() as i64;
    let (start, end) = if startfrom > 0 {
        (startfrom, argc - 1)
    } else {
        (argc + startfrom, 1)
    };
    let dir = if start <= end { 1 } else { -1 };
    let mut i = start;
    while i != end {
        if i >= argc || i < 1 {
            break;
        }
        if arg_is(argv, i as usize, keyword) {
            return Some(i);
        }
        i += dir;
    }
    None
}

/// argv[i] equals `word`, ignoring ASCII case; false past the end.
fn arg_is<A: AsRef<[u8]>>(argv: &[A], i: usize, word: &[u8]) -> bool {
    argv.get(i)
        .is_some_and(|a| a.as_ref().eq_ignore_ascii_case(word))
}

/// Redis' string2ll: optional '-', digits, no leading zeros (except "0"),
/// no spaces or '+', within i64.
fn parse_strict_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits {
        [] => return None,
        [b'0'] if !neg => return Some(0),
        [b'0', ..] => return None,
        _ => {}
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let d = (d - b'0') as i64;
        v = if neg {
            v.checked_mul(10)?.checked_sub(d)?
        } else {
            v.checked_mul(10)?.checked_add(d)?
        };
    }
    Some(v)
}

/// C's atoi as glibc implements it (strtol clamped to i64, then truncated
/// to int): leading spaces, a sign, digits, and whatever follows ignored.
fn c_atoi(s: &[u8]) -> i32 {
    let mut it = s
        .iter()
        .skip_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .peekable();
    let neg = match it.peek() {
        Some(b'-') => {
            it.next();
            true
        }
        Some(b'+') => {
            it.next();
            false
        }
        _ => false,
    };
    let mut v: i64 = 0;
    for &d in it.take_while(|b| b.is_ascii_digit()) {
        let d = (d - b'0') as i64;
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
    }
    v as i32
}

/// The command-specific key finders (db.c's *GetKeys). None when the
/// command has none.
fn keys_from_proc<A: AsRef<[u8]>>(proc_: GetKeysProc, argv: &[A]) -> Option<Vec<KeyRef>> {
    let keys = match proc_ {
        GetKeysProc::None => return None,
        GetKeysProc::Numkeys {
            store,
            count,
            first,
        } => numkeys_keys(argv, store as usize, count as usize, first as usize),
        GetKeysProc::Sort => sort_keys(argv),
        GetKeysProc::SortRo => vec![(1, KEY_RO | KEY_ACCESS)],
        GetKeysProc::Migrate => migrate_keys(argv),
        GetKeysProc::Georadius => georadius_keys(argv),
        GetKeysProc::Xread => xread_keys(argv),
        GetKeysProc::Set => set_keys(argv),
        GetKeysProc::Bitfield => bitfield_keys(argv),
    };
    Some(keys)
}

/// `[dest] numkeys key...` (genericGetKeys): no keys at all when the count
/// is below 1 or larger than the arguments left, so the command itself
/// reports the error. The destination comes last, as in Redis.
fn numkeys_keys<A: AsRef<[u8]>>(
    argv: &[A],
    store: usize,
    count: usize,
    first: usize,
) -> Vec<KeyRef> {
    let Some(n) = argv.get(count) else {
        return Vec::new();
    };
    let num = c_atoi(n.as_ref()) as i64;
    let room = argv.len() as i64 - first as i64;
    if num < 1 || num > room {
        return Vec::new();
    }
    let mut keys: Vec<KeyRef> = (0..num as usize).map(|i| (first + i, 0)).collect();
    if store != 0 {
        keys.push((store, 0));
    }
    keys
}

/// SORT key [BY p] [LIMIT o c] [GET p ...] [ASC|DESC] [ALPHA] [STORE dest]:
/// the sorted key, and the last STORE destination. BY/GET patterns name
/// keys only through the data, so they are not reported.
fn sort_keys<A: AsRef<[u8]>>(argv: &[A]) -> Vec<KeyRef> {
    let mut keys = vec![(1, KEY_RO | KEY_ACCESS)];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        // Same scan as Redis: LIMIT skips two arguments, GET and BY one,
        // and STORE records its argument without skipping it.
        if arg_is(argv, i, b"limit") {
            i += 2;
        } else if arg_is(argv, i, b"store") && i + 1 < argv.len() {
            store = Some(i + 1);
        } else if arg_is(argv, i, b"get") || arg_is(argv, i, b"by") {
            i += 1;
        }
        i += 1;
    }
    if let Some(pos) = store {
        keys.push((pos, KEY_OW | KEY_UPDATE));
    }
    keys
}

/// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw]
/// [AUTH2 user pw] [KEYS key...]: argv[3], or the keys after KEYS when the
/// key argument is empty (no keys if it is not: that is a syntax error).
fn migrate_keys<A: AsRef<[u8]>>(argv: &[A]) -> Vec<KeyRef> {
    let flags = KEY_RW | KEY_ACCESS | KEY_DELETE;
    let mut first = 3;
    let mut num = 1;
    if argv.len() > 6 {
        let mut i = 6;
        while i < argv.len() {
            if arg_is(argv, i, b"keys") {
                if argv.get(3).is_some_and(|k| !k.as_ref().is_empty()) {
                    num = 0;
                } else {
                    first = i + 1;
                    num = argv.len() - first;
                }
                break;
            }
            if arg_is(argv, i, b"auth") {
                i += 1;
            } else if arg_is(argv, i, b"auth2") {
                i += 2;
            }
            i += 1;
        }
    }
    if first >= argv.len() {
        return Vec::new();
    }
    (first..first + num).map(|p| (p, flags)).collect()
}

/// GEORADIUS key lon lat radius unit ... [STORE k] [STOREDIST k] (and
/// GEORADIUSBYMEMBER): the key and the last STORE/STOREDIST destination.
fn georadius_keys<A: AsRef<[u8]>>(argv: &[A]) -> Vec<KeyRef> {
    let mut stored = None;
    let mut i = 5;
    while i < argv.len() {
        if (arg_is(argv, i, b"store") || arg_is(argv, i, b"storedist")) && i + 1 < argv.len() {
            stored = Some(i + 1);
            i += 1;
        }
        i += 1;
    }
    let mut keys = vec![(1, 0)];
    if let Some(pos) = stored {
        keys.push((pos, 0));
    }
    keys
}

/// XREAD/XREADGROUP ... STREAMS k1 .. kN id1 .. idN: the first half after
/// the STREAMS that ends the options (a stream or group may be named
/// "streams" too, so options are skipped rather than searched).
fn xread_keys<A: AsRef<[u8]>>(argv: &[A]) -> Vec<KeyRef> {
    let mut streams_pos = None;
    let mut i = 1;
    while i < argv.len() {
        if arg_is(argv, i, b"block") || arg_is(argv, i, b"count") {
            i += 1;
        } else if arg_is(argv, i, b"group") {
            i += 2;
        } else if arg_is(argv, i, b"noack") {
            // no argument
        } else if arg_is(argv, i, b"streams") {
            streams_pos = Some(i);
            break;
        } else {
            break;
        }
        i += 1;
    }
    let Some(pos) = streams_pos else {
        return Vec::new();
    };
    let rest = argv.len() - pos - 1;
    if rest == 0 || !rest.is_multiple_of(2) {
        return Vec::new();
    }
    (pos + 1..pos + 1 + rest / 2).map(|p| (p, 0)).collect()
}

/// SET key value [... GET ...]: with GET the old value is read too.
fn set_keys<A: AsRef<[u8]>>(argv: &[A]) -> Vec<KeyRef> {
    let get = (3..argv.len()).any(|i| arg_is(argv, i, b"get"));
    let flags = if get {
        KEY_RW | KEY_ACCESS | KEY_UPDATE
    } else {
        KEY_OW | KEY_UPDATE
    };
    vec![(1, flags)]
}

/// BITFIELD key [GET t o] [SET t o v] [INCRBY t o i] [OVERFLOW m]: read-only
/// when every operation is a complete GET (anything unparsable counts as a
/// write, the safe side).
fn bitfield_keys<A: AsRef<[u8]>>(argv: &[A]) -> Vec<KeyRef> {
    let mut readonly = true;
    let mut i = 2;
    while i < argv.len() {
        let remaining = argv.len() - i - 1;
        if arg_is(argv, i, b"get") && remaining >= 2 {
            i += 2;
        } else if (arg_is(argv, i, b"set") || arg_is(argv, i, b"incrby")) && remaining >= 3 {
            readonly = false;
            break;
        } else if arg_is(argv, i, b"overflow") && remaining >= 1 {
            i += 1;
        } else {
            readonly = false;
            break;
        }
        i += 1;
    }
    let flags = if readonly {
        KEY_RO | KEY_ACCESS
    } else {
        KEY_RW | KEY_ACCESS | KEY_UPDATE
    };
    vec![(1, flags)]
}

/// KEY_* flags as GETKEYSANDFLAGS prints them: a set of status strings.
pub fn reply_key_flags(r: &mut Reply, flags: u64) {
    reply_flag_set(r, flags, KEY_FLAG_NAMES);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, resp3: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let spec = find_by_fullname(name.as_bytes()).expect("known command");
        reply_command_info(&mut Reply::new(&mut out, resp3), spec);
        out
    }

    fn docs(name: &str, resp3: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let spec = find_by_fullname(name.as_bytes()).expect("known command");
        reply_command_docs(&mut Reply::new(&mut out, resp3), spec);
        out
    }

    fn keys(line: &[&str]) -> Result<Vec<(String, u64)>, &'static str> {
        let argv: Vec<&[u8]> = line.iter().map(|s| s.as_bytes()).collect();
        command_getkeys(&argv).map(|v| {
            v.into_iter()
                .map(|(p, f)| (line[p].to_string(), f))
                .collect()
        })
    }

    fn key_names(line: &[&str]) -> Vec<String> {
        keys(line).unwrap().into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn table_is_sorted_so_binary_search_works() {
        for w in COMMANDS.windows(2) {
            assert!(w[0].name < w[1].name, "{} !< {}", w[0].name, w[1].name);
        }
        for c in COMMANDS {
            for w in c.subcommands.windows(2) {
                assert!(w[0].name < w[1].name);
            }
            for s in c.subcommands {
                assert_eq!(s.fullname, format!("{}|{}", c.name, s.name));
            }
        }
        assert_eq!(COMMANDS.len(), 240);
        assert_eq!(all_commands().count(), 366);
    }

    #[test]
    fn lookup_ignores_case_and_follows_redis_name_rules() {
        assert_eq!(find(b"GeT").unwrap().fullname, "get");
        assert!(find(b"nosuch").is_none());
        assert!(find(b"").is_none());
        let config = find(b"CONFIG").unwrap();
        assert_eq!(find_sub(config, b"Get").unwrap().fullname, "config|get");
        assert_eq!(
            find_by_fullname(b"CONFIG|GET").unwrap().fullname,
            "config|get"
        );
        assert_eq!(find_by_fullname(b"config").unwrap().fullname, "config");
        assert!(find_by_fullname(b"get|key").is_none());
        assert!(find_by_fullname(b"config|get|key").is_none());
        assert!(find_by_fullname(b"config|").is_none());
        assert_eq!(lookup_argv(&["config"]).unwrap().fullname, "config");
        assert_eq!(
            lookup_argv(&["config", "set", "a"]).unwrap().fullname,
            "config|set"
        );
        assert!(lookup_argv(&["config", "nosuch"]).is_none());
        assert_eq!(lookup_argv(&["get", "x"]).unwrap().fullname, "get");
        assert!(lookup_argv::<&str>(&[]).is_none());
    }

    #[test]
    fn movablekeys_matches_the_key_specs() {
        for c in all_commands() {
            let (_, movable) = legacy_range_and_movable(c.key_specs);
            assert_eq!(c.flags & CMD_MOVABLE_KEYS != 0, movable, "{}", c.fullname);
        }
    }

    #[test]
    fn implicit_acl_categories_are_present() {
        let get = find(b"get").unwrap();
        assert_eq!(get.acl, ACL_READ | ACL_STRING | ACL_FAST);
        let flushall = find(b"flushall").unwrap();
        assert!(flushall.acl & (ACL_ADMIN | ACL_DANGEROUS | ACL_SLOW | ACL_WRITE) != 0);
        // Scripts are readonly-flagged variants but never @read.
        let eval_ro = find(b"eval_ro").unwrap();
        assert_eq!(eval_ro.acl & ACL_READ, 0);
        for c in all_commands() {
            assert!(c.acl & (ACL_FAST | ACL_SLOW) != 0, "{}", c.fullname);
        }
    }

    #[test]
    fn legacy_ranges_match_redis() {
        assert_eq!(legacy_range(find(b"mset").unwrap()), (1, -1, 2));
        assert_eq!(legacy_range(find(b"lmove").unwrap()), (1, 2, 1));
        assert_eq!(legacy_range(find(b"xread").unwrap()), (0, 0, 0));
        assert_eq!(legacy_range(find(b"eval").unwrap()), (0, 0, 0));
        assert_eq!(legacy_range(find(b"zunionstore").unwrap()), (1, 1, 1));
        assert_eq!(legacy_range(find(b"ping").unwrap()), (0, 0, 0));
    }

    // Expected bytes below were captured from Debian's redis-server 7.0.15
    // (`COMMAND INFO <name>` over a raw socket, RESP2 and after HELLO 3),
    // stripped of the outer one-element array.

    const GET_INFO_RESP2: &[u8] = b"*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";

    const GET_INFO_RESP3: &[u8] = b"*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n";

    const CONFIG_GET_INFO_RESP2: &[u8] = b"*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n";

    #[test]
    fn command_info_get_is_byte_exact() {
        assert_eq!(info("get", false), GET_INFO_RESP2);
        assert_eq!(info("get", true), GET_INFO_RESP3);
    }

    #[test]
    fn command_info_config_get_is_byte_exact() {
        assert_eq!(info("config|get", false), CONFIG_GET_INFO_RESP2);
    }

    #[test]
    fn command_info_xread_has_keyword_spec_and_movablekeys() {
        assert_eq!(info("xread", false), XREAD_INFO_RESP2);
        assert_eq!(info("xread", true), XREAD_INFO_RESP3);
    }

    const XREAD_INFO_RESP2: &[u8] = b"*10\r\n$5\r\nxread\r\n:-4\r\n*3\r\n+readonly\r\n+blocking\r\n+movablekeys\r\n:0\r\n:0\r\n:0\r\n*4\r\n+@read\r\n+@stream\r\n+@slow\r\n+@blocking\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$7\r\nkeyword\r\n$4\r\nspec\r\n*4\r\n$7\r\nkeyword\r\n$7\r\nSTREAMS\r\n$9\r\nstartfrom\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:2\r\n*0\r\n";

    const XREAD_INFO_RESP3: &[u8] = b"*10\r\n$5\r\nxread\r\n:-4\r\n~3\r\n+readonly\r\n+blocking\r\n+movablekeys\r\n:0\r\n:0\r\n:0\r\n~4\r\n+@read\r\n+@stream\r\n+@slow\r\n+@blocking\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$7\r\nkeyword\r\n$4\r\nspec\r\n%2\r\n$7\r\nkeyword\r\n$7\r\nSTREAMS\r\n$9\r\nstartfrom\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:2\r\n~0\r\n";

    /// COMMAND DOCS of SET as Redis sends it after the summary (history,
    /// nested oneof arguments, tokens, since, flags).
    const SET_DOCS_AFTER_SUMMARY_RESP2: &[u8] = b"$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$7\r\nhistory\r\n*4\r\n*2\r\n$6\r\n2.6.12\r\n$44\r\nAdded the `EX`, `PX`, `NX` and `XX` options.\r\n*2\r\n$5\r\n6.0.0\r\n$27\r\nAdded the `KEEPTTL` option.\r\n*2\r\n$5\r\n6.2.0\r\n$42\r\nAdded the `GET`, `EXAT` and `PXAT` option.\r\n*2\r\n$5\r\n7.0.0\r\n$55\r\nAllowed the `NX` and `GET` options to be used together.\r\n$9\r\narguments\r\n*5\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n*4\r\n$4\r\nname\r\n$5\r\nvalue\r\n$4\r\ntype\r\n$6\r\nstring\r\n*10\r\n$4\r\nname\r\n$9\r\ncondition\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nsince\r\n$6\r\n2.6.12\r\n$5\r\nflags\r\n*1\r\n+optional\r\n$9\r\narguments\r\n*2\r\n*6\r\n$4\r\nname\r\n$2\r\nnx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\nNX\r\n*6\r\n$4\r\nname\r\n$2\r\nxx\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\nXX\r\n*10\r\n$4\r\nname\r\n$3\r\nget\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$3\r\nGET\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n$5\r\nflags\r\n*1\r\n+optional\r\n*8\r\n$4\r\nname\r\n$10\r\nexpiration\r\n$4\r\ntype\r\n$5\r\noneof\r\n$5\r\nflags\r\n*1\r\n+optional\r\n$9\r\narguments\r\n*5\r\n*8\r\n$4\r\nname\r\n$7\r\nseconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n$2\r\nEX\r\n$5\r\nsince\r\n$6\r\n2.6.12\r\n*8\r\n$4\r\nname\r\n$12\r\nmilliseconds\r\n$4\r\ntype\r\n$7\r\ninteger\r\n$5\r\ntoken\r\n$2\r\nPX\r\n$5\r\nsince\r\n$6\r\n2.6.12\r\n*8\r\n$4\r\nname\r\n$17\r\nunix-time-seconds\r\n$4\r\ntype\r\n$9\r\nunix-time\r\n$5\r\ntoken\r\n$4\r\nEXAT\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n*8\r\n$4\r\nname\r\n$22\r\nunix-time-milliseconds\r\n$4\r\ntype\r\n$9\r\nunix-time\r\n$5\r\ntoken\r\n$4\r\nPXAT\r\n$5\r\nsince\r\n$5\r\n6.2.0\r\n*8\r\n$4\r\nname\r\n$7\r\nkeepttl\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$7\r\nKEEPTTL\r\n$5\r\nsince\r\n$5\r\n6.0.0\r\n";

    #[test]
    fn command_docs_set_matches_redis_apart_from_the_summary() {
        let summary = find(b"set").unwrap().summary;
        let mut expected = format!(
            "*12\r\n$7\r\nsummary\r\n${}\r\n{}\r\n",
            summary.len(),
            summary
        )
        .into_bytes();
        expected.extend_from_slice(SET_DOCS_AFTER_SUMMARY_RESP2);
        assert_eq!(docs("set", false), expected);
    }

    #[test]
    fn command_docs_of_a_container_lists_subcommands_by_full_name() {
        let out = String::from_utf8(docs("config", true)).unwrap();
        assert!(out.contains("$11\r\nsubcommands\r\n%5\r\n$10\r\nconfig|get\r\n%"));
        // An argument token that is the empty string (MIGRATE's `""`).
        let out = String::from_utf8(docs("migrate", false)).unwrap();
        assert!(out.contains("$5\r\ntoken\r\n$0\r\n\r\n"));
    }

    #[test]
    fn command_docs_get_matches_redis_apart_from_the_summary() {
        let expected_tail: &[u8] = b"$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n";
        let out = docs("get", false);
        let summary = find(b"get").unwrap().summary;
        let mut expected = format!(
            "*10\r\n$7\r\nsummary\r\n${}\r\n{}\r\n",
            summary.len(),
            summary
        )
        .into_bytes();
        expected.extend_from_slice(expected_tail);
        assert_eq!(out, expected);
    }

    #[test]
    fn getkeys_follows_the_suite() {
        assert_eq!(key_names(&["get", "key"]), ["key"]);
        assert_eq!(
            keys(&["set", "k1", "v1"]).unwrap(),
            [("k1".into(), KEY_OW | KEY_UPDATE)]
        );
        assert_eq!(
            keys(&["set", "k1", "v1", "get"]).unwrap(),
            [("k1".into(), KEY_RW | KEY_ACCESS | KEY_UPDATE)]
        );
        assert_eq!(
            keys(&["lmove", "k1", "k2", "left", "right"]).unwrap(),
            [
                ("k1".into(), KEY_RW | KEY_ACCESS | KEY_DELETE),
                ("k2".into(), KEY_RW | KEY_INSERT)
            ]
        );
        assert_eq!(
            keys(&["sort", "k1", "store", "k2"]).unwrap(),
            [
                ("k1".into(), KEY_RO | KEY_ACCESS),
                ("k2".into(), KEY_OW | KEY_UPDATE)
            ]
        );
        assert_eq!(
            key_names(&["sort", "abc", "store", "invalid", "store", "stillbad", "store", "def"]),
            ["abc", "def"]
        );
        assert_eq!(key_names(&["sort_ro", "abc"]), ["abc"]);
        assert_eq!(key_names(&["memory", "usage", "key"]), ["key"]);
        assert_eq!(
            key_names(&["xgroup", "create", "key", "groupname", "$"]),
            ["key"]
        );
        assert_eq!(key_names(&["eval", "return 1", "1", "key"]), ["key"]);
        assert!(keys(&["eval", "return 1", "0"]).unwrap().is_empty());
        assert_eq!(key_names(&["lcs", "key1", "key2"]), ["key1", "key2"]);
        assert_eq!(key_names(&["fcall", "test", "1", "x", "foo"]), ["x"]);
        assert_eq!(key_names(&["mset", "a", "1", "b", "2"]), ["a", "b"]);
    }

    #[test]
    fn getkeys_more_than_256_keys_puts_the_destination_first() {
        let mut line: Vec<String> = vec!["zunionstore".into(), "target".into(), "260".into()];
        line.extend((0..260).map(|i| format!("key{i}")));
        let refs: Vec<&str> = line.iter().map(|s| s.as_str()).collect();
        let got = key_names(&refs);
        assert_eq!(got.len(), 261);
        assert_eq!(got[0], "target");
        assert_eq!(got[260], "key259");
    }

    #[test]
    fn getkeys_errors_use_redis_texts() {
        assert_eq!(keys(&["nosuch", "x"]), Err(ERR_INVALID_COMMAND));
        assert_eq!(keys(&["ping"]), Err(ERR_NO_KEY_ARGUMENTS));
        assert_eq!(keys(&["config", "get", "x"]), Err(ERR_NO_KEY_ARGUMENTS));
        assert_eq!(keys(&["get"]), Err(ERR_INVALID_ARG_COUNT));
        assert_eq!(keys(&["get", "a", "b"]), Err(ERR_INVALID_ARG_COUNT));
        assert_eq!(
            keys(&["zunionstore", "d", "x", "a"]),
            Err(ERR_INVALID_ARGUMENTS)
        );
        assert_eq!(
            keys(&["xread", "count", "1", "a", "b"]),
            Err(ERR_INVALID_ARGUMENTS)
        );
        // SPUBLISH's only spec is a shard channel, not a key.
        assert_eq!(keys(&["spublish", "ch", "msg"]), Err(ERR_NO_KEY_ARGUMENTS));
    }

    #[test]
    fn getkeys_keyword_and_proc_forms() {
        assert_eq!(
            key_names(&["xread", "count", "2", "streams", "a", "b", "0", "0"]),
            ["a", "b"]
        );
        assert_eq!(
            key_names(&["xreadgroup", "group", "g", "c", "streams", "s", ">"]),
            ["s"]
        );
        assert_eq!(
            key_names(&["georadius", "src", "0", "0", "1", "km", "store", "dst"]),
            ["src", "dst"]
        );
        assert_eq!(
            key_names(&["migrate", "h", "1", "", "0", "10", "auth", "pw", "keys", "a", "b"]),
            ["a", "b"]
        );
        assert_eq!(key_names(&["migrate", "h", "1", "k", "0", "10"]), ["k"]);
        assert_eq!(
            key_names(&["blmpop", "0", "2", "a", "b", "left"]),
            ["a", "b"]
        );
        assert_eq!(
            keys(&["bitfield", "k", "get", "u8", "0"]).unwrap(),
            [("k".into(), KEY_RO | KEY_ACCESS)]
        );
        assert_eq!(
            keys(&["bitfield", "k", "incrby", "u8", "0", "1"]).unwrap(),
            [("k".into(), KEY_RW | KEY_ACCESS | KEY_UPDATE)]
        );
    }

    #[test]
    fn legacy_keys_use_procs_or_the_range() {
        let argv = ["mset", "a", "1", "b", "2"];
        let got: Vec<usize> = keys_legacy(find(b"mset").unwrap(), &argv)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(got, [1, 3]);
        let argv = ["zunionstore", "d", "2", "a", "b"];
        let got: Vec<usize> = keys_legacy(find(b"zunionstore").unwrap(), &argv)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(got, [3, 4, 1]);
    }

    #[test]
    fn filters_select_by_category_and_pattern() {
        let get = find(b"get").unwrap();
        assert!(matches_filter(get, &Filter::AclCat(b"READ")));
        assert!(!matches_filter(get, &Filter::AclCat(b"write")));
        assert!(!matches_filter(get, &Filter::AclCat(b"nosuch")));
        assert!(!matches_filter(get, &Filter::Module(b"any")));
        let cg = find_by_fullname(b"config|get").unwrap();
        assert!(matches_filter(cg, &Filter::Pattern(b"CONFIG|*")));
        assert!(!matches_filter(get, &Filter::Pattern(b"config*")));
    }

    #[test]
    fn strict_and_atoi_parsers_agree_with_c() {
        assert_eq!(parse_strict_i64(b"0"), Some(0));
        assert_eq!(parse_strict_i64(b"012"), None);
        assert_eq!(parse_strict_i64(b"-0"), None);
        assert_eq!(parse_strict_i64(b"+1"), None);
        assert_eq!(parse_strict_i64(b" 1"), None);
        assert_eq!(parse_strict_i64(b"-12"), Some(-12));
        assert_eq!(parse_strict_i64(b"99999999999999999999"), None);
        assert_eq!(c_atoi(b"  12abc"), 12);
        assert_eq!(c_atoi(b"-3"), -3);
        assert_eq!(c_atoi(b"x"), 0);
    }
}
