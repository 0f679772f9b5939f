//! The directive table: one row per configuration directive of Redis 7.0.15
//! (the `static_configs[]` array at the end of config.c), with its type,
//! flags, default, bounds, alias and the accessors that tie the row to its
//! typed field in [`Config`].
//!
//! CONFIG GET/SET/REWRITE and file loading are all driven by this table, so
//! adding a directive means adding a field to `Config` and a row here.
//! Rows keep config.c's order. The enum types live in enums.rs and the
//! directives with their own parsing (`save`, `bind`, ...) in special.rs.
//!
//! Invariants: every name and alias is lowercase and unique across the
//! table; a row's accessors touch only its own field.

use std::borrow::Cow;

use super::enums::*;
use super::parse::{c_strtoll, memtoull, string2ll};
use super::rewrite::RewriteState;
use super::special::{
    BIND_OPS, COBL_OPS, DIR_OPS, NOTIFY_OPS, OOM_VALUES_OPS, PERCENTILES_OPS, REPLICAOF_OPS,
    SAVE_OPS,
};
use super::Config;

// ---------------------------------------------------------------------------
// Flags (server.h). A directive is modifiable unless IMMUTABLE is set.
// ---------------------------------------------------------------------------

/// Only settable at start-up (config file or command line).
pub const IMMUTABLE: u32 = 1 << 0;
/// The value is a secret: CONFIG SET arguments get redacted from SLOWLOG/MONITOR.
pub const SENSITIVE: u32 = 1 << 1;
/// Printed in the crash report's config section (`debug_info`).
pub const DEBUG: u32 = 1 << 2;
/// Takes several arguments (`save 3600 1 300 100`); CONFIG SET splits its value on spaces.
pub const MULTI_ARG: u32 = 1 << 3;
/// Left out of CONFIG GET glob matches; only an exact name shows it.
pub const HIDDEN: u32 = 1 << 4;
/// Refused by CONFIG SET unless `enable-protected-configs` allows the client.
pub const PROTECTED: u32 = 1 << 5;
/// Refused by CONFIG SET with a -LOADING error while a dataset is loading.
pub const DENY_LOADING: u32 = 1 << 6;
/// The stored value names something outside (a TLS file): setting the same
/// value again still counts as a change so it gets re-applied.
pub const VOLATILE: u32 = 1 << 9;

/// Numeric flag: accepts memory units (`1kb`, `5gb`) and prints plain bytes.
pub const MEMORY: u8 = 1 << 0;
/// Numeric flag: accepts `N%`, stored as the negative number `-N`.
pub const PERCENT: u8 = 1 << 1;
/// Numeric flag: parsed and printed in octal (`unixsocketperm`).
pub const OCTAL: u8 = 1 << 2;

/// Whether `activedefrag yes` is accepted. Redis only allows it when built
/// with its own patched jemalloc; Debian's package is not, and neither is
/// ferrodis, so we refuse it with the same error text.
pub const ACTIVE_DEFRAG_SUPPORTED: bool = false;

// ---------------------------------------------------------------------------
// Row types
// ---------------------------------------------------------------------------

/// The C type behind a numeric directive. It decides how bounds are compared
/// (unsigned types compare as unsigned, like numericBoundaryCheck) and how
/// the parsed `long long` is truncated into the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumType {
    Int,
    UInt,
    Long,
    ULong,
    LongLong,
    ULongLong,
    SizeT,
    SSizeT,
    OffT,
    TimeT,
}

impl NumType {
    fn is_unsigned_checked(self) -> bool {
        // ULong is missing on purpose: Redis checks `unsigned long` as signed.
        matches!(self, NumType::ULongLong | NumType::UInt | NumType::SizeT)
    }
}

/// Error text of a failed set: usually static, sometimes formatted.
pub type SetError = Cow<'static, str>;
/// Result of setting one directive: `Ok(true)` if the stored value changed
/// (Redis' return 1, which triggers the apply step), `Ok(false)` if not.
pub type SetResult = Result<bool, SetError>;

/// Behaviour of a directive that fits none of the generic types.
pub struct SpecialOps {
    pub(super) init: fn(&mut Config),
    pub(super) set: fn(&mut Config, &[String]) -> SetResult,
    pub(super) get: fn(&Config) -> String,
    pub(super) rewrite: fn(&Config, &'static str, &mut RewriteState),
}

/// Extra validation of a yes/no value (config.c's is_valid_fn).
pub type BoolCheck = fn(bool) -> Result<(), &'static str>;
/// Extra validation of a string value; it may look at other directives.
pub type StrCheck = fn(&Config, &str) -> Result<(), &'static str>;
/// Extra validation of an enum value (or OR-ed flags).
pub type EnumCheck = fn(i32) -> Result<(), &'static str>;

/// How a directive is parsed, stored, printed and rewritten.
pub enum Kind {
    Bool {
        get: fn(&Config) -> bool,
        set: fn(&mut Config, bool),
        default: bool,
        check: Option<BoolCheck>,
    },
    /// Strings. `get` returns None for a NULL value (only when
    /// `empty_is_null`), which CONFIG GET prints as "" and REWRITE omits.
    Str {
        get: fn(&Config) -> Option<&str>,
        set: fn(&mut Config, Option<String>),
        default: Option<&'static str>,
        empty_is_null: bool,
        check: Option<StrCheck>,
    },
    /// `names` in config.c's order; with MULTI_ARG the arguments are OR-ed bit flags.
    Enum {
        get: fn(&Config) -> i32,
        set: fn(&mut Config, i32),
        names: &'static [(&'static str, i32)],
        default: i32,
        check: Option<EnumCheck>,
    },
    /// Every C numeric type goes through `long long`, as in config.c.
    Num {
        get: fn(&Config) -> i64,
        set: fn(&mut Config, i64),
        ty: NumType,
        min: i64,
        max: i64,
        default: i64,
        nflags: u8,
    },
    Special(&'static SpecialOps),
}

/// One row of the table.
pub struct ConfigSpec {
    /// The primary (canonical) name.
    pub name: &'static str,
    /// An older name accepted everywhere (`slaveof`, `hash-max-ziplist-entries`).
    pub alias: Option<&'static str>,
    /// IMMUTABLE, SENSITIVE, ... (the constants above).
    pub flags: u32,
    pub kind: Kind,
}

impl ConfigSpec {
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

/// Finds a directive by primary name or alias, ignoring ASCII case.
/// The bool tells whether `name` was the alias.
pub fn lookup(name: &[u8]) -> Option<(&'static ConfigSpec, bool)> {
    for spec in CONFIGS {
        if spec.name.as_bytes().eq_ignore_ascii_case(name) {
            return Some((spec, false));
        }
        if let Some(alias) = spec.alias {
            if alias.as_bytes().eq_ignore_ascii_case(name) {
                return Some((spec, true));
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Generic set / get
// ---------------------------------------------------------------------------

/// Sets one directive from its already-split arguments (config.c's
/// `interface.set`). Non multi-arg directives receive exactly one argument.
pub fn set_spec(cfg: &mut Config, spec: &ConfigSpec, argv: &[String]) -> SetResult {
    let volatile = spec.has(VOLATILE);
    let first = argv.first().map(String::as_str).unwrap_or("");
    match &spec.kind {
        Kind::Bool {
            get, set, check, ..
        } => {
            let v = if first.eq_ignore_ascii_case("yes") {
                true
            } else if first.eq_ignore_ascii_case("no") {
                false
            } else {
                return Err("argument must be 'yes' or 'no'".into());
            };
            if let Some(check) = check {
                check(v)?;
            }
            if get(cfg) != v {
                set(cfg, v);
                return Ok(true);
            }
            Ok(volatile)
        }
        Kind::Str {
            get,
            set,
            empty_is_null,
            check,
            ..
        } => {
            // Most values are C strings in Redis, so anything after a NUL is
            // lost; the two passwords are binary-safe sds strings.
            let binary = matches!(spec.name, "requirepass" | "masterauth");
            let first = if binary {
                first
            } else {
                first.split('\0').next().unwrap_or("")
            };
            if let Some(check) = check {
                check(cfg, first)?;
            }
            let new = if *empty_is_null && first.is_empty() {
                None
            } else {
                Some(first)
            };
            if get(cfg) != new {
                set(cfg, new.map(str::to_owned));
                return Ok(true);
            }
            Ok(volatile)
        }
        Kind::Enum {
            get,
            set,
            names,
            check,
            ..
        } => {
            let bitflags = spec.has(MULTI_ARG);
            let Some(v) = enum_value(names, argv, bitflags) else {
                return Err(enum_error(names).into());
            };
            if let Some(check) = check {
                check(v)?;
            }
            if get(cfg) != v {
                set(cfg, v);
                return Ok(true);
            }
            Ok(volatile)
        }
        Kind::Num {
            get,
            set,
            ty,
            min,
            max,
            nflags,
            ..
        } => {
            let v = parse_numeric(first.as_bytes(), *nflags)?;
            check_bounds(v, *ty, *min, *max, *nflags)?;
            if get(cfg) != v {
                set(cfg, v);
                return Ok(true);
            }
            Ok(volatile)
        }
        Kind::Special(ops) => (ops.set)(cfg, argv),
    }
}

/// The CONFIG GET text of one directive.
pub fn get_spec(cfg: &Config, spec: &ConfigSpec) -> String {
    match &spec.kind {
        Kind::Bool { get, .. } => yes_no(get(cfg)).to_string(),
        Kind::Str { get, .. } => get(cfg).unwrap_or("").to_string(),
        Kind::Enum { get, names, .. } => enum_name(names, get(cfg), spec.has(MULTI_ARG)),
        Kind::Num { get, nflags, .. } => format_numeric(get(cfg), *nflags),
        Kind::Special(ops) => (ops.get)(cfg),
    }
}

/// Sets a directive to its table default (start-up initialisation).
pub fn init_spec(cfg: &mut Config, spec: &ConfigSpec) {
    match &spec.kind {
        Kind::Bool { set, default, .. } => set(cfg, *default),
        Kind::Str { set, default, .. } => set(cfg, default.map(str::to_owned)),
        Kind::Enum { set, default, .. } => set(cfg, *default),
        Kind::Num { set, default, .. } => set(cfg, *default),
        Kind::Special(ops) => (ops.init)(cfg),
    }
}

pub fn yes_no(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}

/// configEnumGetValue: case-insensitive names; with `bitflags` every
/// argument must match and the values are OR-ed; zero arguments never match.
fn enum_value(names: &[(&str, i32)], argv: &[String], bitflags: bool) -> Option<i32> {
    if argv.is_empty() || (!bitflags && argv.len() != 1) {
        return None;
    }
    let mut values = 0;
    for arg in argv {
        let mut matched = false;
        for (name, v) in names {
            if name.eq_ignore_ascii_case(arg) {
                values |= v;
                matched = true;
            }
        }
        if !matched {
            return None;
        }
    }
    Some(values)
}

/// configEnumGetName: an exact value match wins; bit flags are listed in
/// table order; leftover bits give "unknown".
pub fn enum_name(names: &[(&str, i32)], value: i32, bitflags: bool) -> String {
    let mut out: Option<String> = None;
    let mut unmatched = value;
    for (name, v) in names {
        if value == *v {
            return (*name).to_string();
        }
        if bitflags && *v != 0 && *v == (unmatched & v) {
            match &mut out {
                Some(s) => {
                    s.push(' ');
                    s.push_str(name);
                }
                None => out = Some((*name).to_string()),
            }
            unmatched &= !v;
        }
    }
    match out {
        Some(s) if unmatched == 0 => s,
        _ => "unknown".to_string(),
    }
}

/// "argument(s) must be one of the following: a, b, c", cut to 255 bytes
/// like Redis' fixed 256-byte buffer.
fn enum_error(names: &[(&str, i32)]) -> String {
    let list: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
    let mut msg = format!(
        "argument(s) must be one of the following: {}",
        list.join(", ")
    );
    msg.truncate(255);
    msg
}

/// numericParseString: memory units first, then `N%`, then octal, and a
/// plain integer only for directives without any numeric flag.
pub fn parse_numeric(value: &[u8], nflags: u8) -> Result<i64, SetError> {
    if nflags & MEMORY != 0 {
        if let Some(v) = memtoull(value) {
            // Stored through `long long`, as Redis does (u64::MAX becomes -1).
            return Ok(v as i64);
        }
    }
    if nflags & PERCENT != 0 && value.len() > 1 && value.last() == Some(&b'%') {
        if let Some(v) = string2ll(&value[..value.len() - 1]) {
            if v >= 0 {
                return Ok(-v); // percentages are stored negative
            }
        }
    }
    if nflags & OCTAL != 0 {
        let (v, consumed, overflow) = c_strtoll(value, 8);
        if consumed && !overflow {
            return Ok(v);
        }
    }
    if nflags == 0 {
        if let Some(v) = string2ll(value) {
            return Ok(v);
        }
    }
    Err(if nflags & MEMORY != 0 && nflags & PERCENT != 0 {
        "argument must be a memory or percent value"
    } else if nflags & MEMORY != 0 {
        "argument must be a memory value"
    } else if nflags & OCTAL != 0 {
        "argument couldn't be parsed as an octal number"
    } else {
        "argument couldn't be parsed into an integer"
    }
    .into())
}

/// numericBoundaryCheck, including its error texts.
fn check_bounds(v: i64, ty: NumType, min: i64, max: i64, nflags: u8) -> Result<(), SetError> {
    if ty.is_unsigned_checked() {
        let (u, lo, hi) = (v as u64, min as u64, max as u64);
        if u > hi || u < lo {
            return Err(if nflags & OCTAL != 0 {
                format!("argument must be between {lo:o} and {hi:o} inclusive")
            } else {
                format!("argument must be between {lo} and {hi} inclusive")
            }
            .into());
        }
    } else if nflags & PERCENT != 0 && v < 0 {
        if v < min {
            return Err(format!("percentage argument must be less or equal to {}", -min).into());
        }
    } else if v > max || v < min {
        return Err(format!("argument must be between {min} and {max} inclusive").into());
    }
    Ok(())
}

/// numericConfigGet: `N%` for stored percentages, unsigned bytes for memory
/// values, octal when flagged, plain decimal otherwise.
pub fn format_numeric(v: i64, nflags: u8) -> String {
    if nflags & PERCENT != 0 && v < 0 {
        format!("{}%", v.wrapping_neg())
    } else if nflags & MEMORY != 0 {
        (v as u64).to_string()
    } else if nflags & OCTAL != 0 {
        format!("{:o}", v as u64)
    } else {
        v.to_string()
    }
}

// ---------------------------------------------------------------------------
// Validity checks of single directives (config.c's is_valid_fn family).
// ---------------------------------------------------------------------------

fn valid_activedefrag(v: bool) -> Result<(), &'static str> {
    if v && !ACTIVE_DEFRAG_SUPPORTED {
        return Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution");
    }
    Ok(())
}

fn is_base_name(v: &str) -> bool {
    !v.contains('/') && !v.contains('\\')
}

fn valid_dbfilename(_: &Config, v: &str) -> Result<(), &'static str> {
    if !is_base_name(v) {
        return Err("dbfilename can't be a path, just a filename");
    }
    Ok(())
}

fn valid_appendfilename(_: &Config, v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appendfilename can't be empty");
    }
    if !is_base_name(v) {
        return Err("appendfilename can't be a path, just a filename");
    }
    Ok(())
}

fn valid_appenddirname(_: &Config, v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appenddirname can't be empty");
    }
    if !is_base_name(v) {
        return Err("appenddirname can't be a path, just a dirname");
    }
    Ok(())
}

fn valid_shutdown_flags(v: i32) -> Result<(), &'static str> {
    let v = v as u32;
    if v & SHUTDOWN_NOSAVE != 0 && v & SHUTDOWN_SAVE != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously");
    }
    Ok(())
}

fn valid_hostname(_: &Config, v: &str) -> Result<(), &'static str> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !v
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

fn valid_proc_title(cfg: &Config, v: &str) -> Result<(), &'static str> {
    // Valid when every variable is known and the expansion with an empty
    // title is not blank (validateProcTitleTemplate).
    match cfg.expand_proc_title(v, "", None) {
        Some(s) if !s.is_empty() => Ok(()),
        _ => Err("template format is invalid or contains unknown variables"),
    }
}

// ---------------------------------------------------------------------------
// Row constructors. Each ties a name to one field of `Config`.
// ---------------------------------------------------------------------------

macro_rules! bool_cfg {
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $default:expr) => {
        bool_cfg!($name, $alias, $flags, $field, $default, None)
    };
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $default:expr, $check:expr) => {
        ConfigSpec {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Bool {
                get: |c| c.$field,
                set: |c, v| c.$field = v,
                default: $default,
                check: $check,
            },
        }
    };
}

/// A string that may be empty (`String` field) with a non-NULL default.
macro_rules! str_cfg {
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $default:literal, $check:expr) => {
        ConfigSpec {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Str {
                get: |c| Some(c.$field.as_str()),
                set: |c, v| c.$field = v.unwrap_or_default(),
                default: Some($default),
                empty_is_null: false,
                check: $check,
            },
        }
    };
}

/// A string where "" means unset (`Option<String>` field, default None).
macro_rules! nstr_cfg {
    ($name:literal, $alias:expr, $flags:expr, $field:ident) => {
        nstr_cfg!($name, $alias, $flags, $field, None)
    };
    ($name:literal, $alias:expr, $flags:expr, $field:ident, $check:expr) => {
        ConfigSpec {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Str {
                get: |c| c.$field.as_deref(),
                set: |c, v| c.$field = v,
                default: None,
                empty_is_null: true,
                check: $check,
            },
        }
    };
}

macro_rules! enum_cfg {
    ($name:literal, $flags:expr, $ty:ident, $field:ident, $default:ident) => {
        ConfigSpec {
            name: $name,
            alias: None,
            flags: $flags,
            kind: Kind::Enum {
                get: |c| c.$field as i32,
                set: |c, v| {
                    if let Some(e) = $ty::from_i32(v) {
                        c.$field = e;
                    }
                },
                names: $ty::NAMES,
                default: $ty::$default as i32,
                check: None,
            },
        }
    };
}

/// The bit-flag enums `shutdown-on-sigint` / `shutdown-on-sigterm` (u32 field).
macro_rules! shutdown_cfg {
    ($name:literal, $field:ident) => {
        ConfigSpec {
            name: $name,
            alias: None,
            flags: MULTI_ARG,
            kind: Kind::Enum {
                get: |c| c.$field as i32,
                set: |c, v| c.$field = v as u32,
                names: SHUTDOWN_NAMES,
                default: 0,
                check: Some(valid_shutdown_flags),
            },
        }
    };
}

macro_rules! num_cfg {
    ($name:literal, $alias:expr, $flags:expr, $ty:ident, $min:expr, $max:expr,
     $field:ident, $default:expr, $nflags:expr) => {
        ConfigSpec {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Num {
                get: |c| c.$field as i64,
                // Truncating casts, exactly like storing a long long into the C field.
                set: |c, v| c.$field = v as _,
                ty: NumType::$ty,
                min: $min,
                max: $max,
                default: $default,
                nflags: $nflags,
            },
        }
    };
}

macro_rules! special_cfg {
    ($name:literal, $alias:expr, $flags:expr, $ops:expr) => {
        ConfigSpec {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: Kind::Special(&$ops),
        }
    };
}

const M: u32 = 0; // MODIFIABLE_CONFIG, spelled short to keep rows on one line
const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
const LLONG_MAX: i64 = i64::MAX;
const ULLONG_MAX: i64 = -1; // u64::MAX seen through `long long`, compared unsigned
const SSIZE_MAX: i64 = i64::MAX;
const NONE: u8 = 0; // INTEGER_CONFIG

/// Every directive of Redis 7.0.15, in config.c's order. The TLS rows exist
/// in Redis builds with TLS (Debian's does); they are stored but ferrodis
/// does not act on them. Kept one row per line, like config.c's table.
#[rustfmt::skip]
pub static CONFIGS: &[ConfigSpec] = &[
    // Bool configs
    bool_cfg!("rdbchecksum", None, IMMUTABLE, rdbchecksum, true),
    bool_cfg!("daemonize", None, IMMUTABLE, daemonize, false),
    bool_cfg!("io-threads-do-reads", None, DEBUG | IMMUTABLE, io_threads_do_reads, false),
    bool_cfg!("always-show-logo", None, IMMUTABLE, always_show_logo, false),
    bool_cfg!("protected-mode", None, M, protected_mode, true),
    bool_cfg!("rdbcompression", None, M, rdbcompression, true),
    bool_cfg!("rdb-del-sync-files", None, M, rdb_del_sync_files, false),
    bool_cfg!("activerehashing", None, M, activerehashing, true),
    bool_cfg!("stop-writes-on-bgsave-error", None, M, stop_writes_on_bgsave_error, true),
    bool_cfg!("set-proc-title", None, IMMUTABLE, set_proc_title, true),
    bool_cfg!("dynamic-hz", None, M, dynamic_hz, true),
    bool_cfg!("lazyfree-lazy-eviction", None, DEBUG, lazyfree_lazy_eviction, false),
    bool_cfg!("lazyfree-lazy-expire", None, DEBUG, lazyfree_lazy_expire, false),
    bool_cfg!("lazyfree-lazy-server-del", None, DEBUG, lazyfree_lazy_server_del, false),
    bool_cfg!("lazyfree-lazy-user-del", None, DEBUG, lazyfree_lazy_user_del, false),
    bool_cfg!("lazyfree-lazy-user-flush", None, DEBUG, lazyfree_lazy_user_flush, false),
    bool_cfg!("repl-disable-tcp-nodelay", None, M, repl_disable_tcp_nodelay, false),
    bool_cfg!("repl-diskless-sync", None, DEBUG, repl_diskless_sync, true),
    bool_cfg!("aof-rewrite-incremental-fsync", None, M, aof_rewrite_incremental_fsync, true),
    bool_cfg!("no-appendfsync-on-rewrite", None, M, no_appendfsync_on_rewrite, false),
    bool_cfg!("cluster-require-full-coverage", None, M, cluster_require_full_coverage, true),
    bool_cfg!("rdb-save-incremental-fsync", None, M, rdb_save_incremental_fsync, true),
    bool_cfg!("aof-load-truncated", None, M, aof_load_truncated, true),
    bool_cfg!("aof-use-rdb-preamble", None, M, aof_use_rdb_preamble, true),
    bool_cfg!("aof-timestamp-enabled", None, M, aof_timestamp_enabled, false),
    bool_cfg!("cluster-replica-no-failover", Some("cluster-slave-no-failover"), M, cluster_replica_no_failover, false),
    bool_cfg!("replica-lazy-flush", Some("slave-lazy-flush"), M, replica_lazy_flush, false),
    bool_cfg!("replica-serve-stale-data", Some("slave-serve-stale-data"), M, replica_serve_stale_data, true),
    bool_cfg!("replica-read-only", Some("slave-read-only"), DEBUG, replica_read_only, true),
    bool_cfg!("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), M, replica_ignore_maxmemory, true),
    bool_cfg!("jemalloc-bg-thread", None, M, jemalloc_bg_thread, true),
    bool_cfg!("activedefrag", None, DEBUG, activedefrag, false, Some(valid_activedefrag)),
    bool_cfg!("syslog-enabled", None, IMMUTABLE, syslog_enabled, false),
    bool_cfg!("cluster-enabled", None, IMMUTABLE, cluster_enabled, false),
    bool_cfg!("appendonly", None, DENY_LOADING, appendonly, false),
    bool_cfg!("cluster-allow-reads-when-down", None, M, cluster_allow_reads_when_down, false),
    bool_cfg!("cluster-allow-pubsubshard-when-down", None, M, cluster_allow_pubsubshard_when_down, true),
    bool_cfg!("crash-log-enabled", None, M, crash_log_enabled, true),
    bool_cfg!("crash-memcheck-enabled", None, M, crash_memcheck_enabled, true),
    bool_cfg!("use-exit-on-panic", None, HIDDEN, use_exit_on_panic, false),
    bool_cfg!("disable-thp", None, IMMUTABLE, disable_thp, true),
    bool_cfg!("cluster-allow-replica-migration", None, M, cluster_allow_replica_migration, true),
    bool_cfg!("replica-announced", None, M, replica_announced, true),
    bool_cfg!("latency-tracking", None, M, latency_tracking, true),
    bool_cfg!("aof-disable-auto-gc", None, M, aof_disable_auto_gc, false),
    bool_cfg!("replica-ignore-disk-write-errors", None, M, replica_ignore_disk_write_errors, false),
    // Not in upstream 7.0.15: Debian's redis-server 7.0.15 carries it with
    // the backported Lua CVE fixes (CVE-2025-49844 and friends), so config
    // files written for it must load. Hidden and immutable, as there.
    bool_cfg!("lua-enable-deprecated-api", None, IMMUTABLE | HIDDEN, lua_enable_deprecated_api, false),
    // String configs
    str_cfg!("aclfile", None, IMMUTABLE, aclfile, "", None),
    nstr_cfg!("unixsocket", None, IMMUTABLE, unixsocket),
    nstr_cfg!("pidfile", None, IMMUTABLE, pidfile),
    nstr_cfg!("replica-announce-ip", Some("slave-announce-ip"), M, replica_announce_ip),
    nstr_cfg!("masteruser", None, SENSITIVE, masteruser),
    nstr_cfg!("cluster-announce-ip", None, M, cluster_announce_ip),
    str_cfg!("cluster-config-file", None, IMMUTABLE, cluster_config_file, "nodes.conf", None),
    nstr_cfg!("cluster-announce-hostname", None, M, cluster_announce_hostname, Some(valid_hostname)),
    str_cfg!("syslog-ident", None, IMMUTABLE, syslog_ident, "redis", None),
    str_cfg!("dbfilename", None, PROTECTED, dbfilename, "dump.rdb", Some(valid_dbfilename)),
    str_cfg!("appendfilename", None, IMMUTABLE, appendfilename, "appendonly.aof", Some(valid_appendfilename)),
    str_cfg!("appenddirname", None, IMMUTABLE, appenddirname, "appendonlydir", Some(valid_appenddirname)),
    nstr_cfg!("server_cpulist", None, IMMUTABLE, server_cpulist),
    nstr_cfg!("bio_cpulist", None, IMMUTABLE, bio_cpulist),
    nstr_cfg!("aof_rewrite_cpulist", None, IMMUTABLE, aof_rewrite_cpulist),
    nstr_cfg!("bgsave_cpulist", None, IMMUTABLE, bgsave_cpulist),
    str_cfg!("ignore-warnings", None, M, ignore_warnings, "", None),
    str_cfg!("proc-title-template", None, M, proc_title_template, "{title} {listen-addr} {server-mode}", Some(valid_proc_title)),
    nstr_cfg!("bind-source-addr", None, M, bind_source_addr),
    str_cfg!("logfile", None, IMMUTABLE, logfile, "", None),
    // SDS configs
    nstr_cfg!("masterauth", None, SENSITIVE, masterauth),
    nstr_cfg!("requirepass", None, SENSITIVE, requirepass),
    // Enum configs
    enum_cfg!("supervised", IMMUTABLE, SupervisedMode, supervised, No),
    enum_cfg!("syslog-facility", IMMUTABLE, SyslogFacility, syslog_facility, Local0),
    enum_cfg!("repl-diskless-load", DEBUG | DENY_LOADING, ReplDisklessLoad, repl_diskless_load, Disabled),
    enum_cfg!("loglevel", M, LogLevel, loglevel, Notice),
    enum_cfg!("maxmemory-policy", M, MaxmemoryPolicy, maxmemory_policy, Noeviction),
    enum_cfg!("appendfsync", M, AppendFsync, appendfsync, Everysec),
    enum_cfg!("oom-score-adj", M, OomScoreAdj, oom_score_adj, No),
    enum_cfg!("acl-pubsub-default", M, AclPubsubDefault, acl_pubsub_default, ResetChannels),
    enum_cfg!("sanitize-dump-payload", DEBUG, SanitizeDumpPayload, sanitize_dump_payload, No),
    enum_cfg!("enable-protected-configs", IMMUTABLE, ProtectedAction, enable_protected_configs, No),
    enum_cfg!("enable-debug-command", IMMUTABLE, ProtectedAction, enable_debug_command, No),
    enum_cfg!("enable-module-command", IMMUTABLE, ProtectedAction, enable_module_command, No),
    enum_cfg!("cluster-preferred-endpoint-type", M, ClusterEndpointType, cluster_preferred_endpoint_type, Ip),
    enum_cfg!("propagation-error-behavior", M, PropagationErrorBehavior, propagation_error_behavior, Ignore),
    shutdown_cfg!("shutdown-on-sigint", shutdown_on_sigint),
    shutdown_cfg!("shutdown-on-sigterm", shutdown_on_sigterm),
    // Integer configs
    num_cfg!("databases", None, IMMUTABLE, Int, 1, INT_MAX, databases, 16, NONE),
    num_cfg!("port", None, M, Int, 0, 65535, port, 6379, NONE),
    num_cfg!("io-threads", None, DEBUG | IMMUTABLE, Int, 1, 128, io_threads, 1, NONE),
    num_cfg!("auto-aof-rewrite-percentage", None, M, Int, 0, INT_MAX, auto_aof_rewrite_percentage, 100, NONE),
    num_cfg!("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), M, Int, 0, INT_MAX, cluster_replica_validity_factor, 10, NONE),
    num_cfg!("list-max-listpack-size", Some("list-max-ziplist-size"), M, Int, INT_MIN, INT_MAX, list_max_listpack_size, -2, NONE),
    num_cfg!("tcp-keepalive", None, M, Int, 0, INT_MAX, tcp_keepalive, 300, NONE),
    num_cfg!("cluster-migration-barrier", None, M, Int, 0, INT_MAX, cluster_migration_barrier, 1, NONE),
    num_cfg!("active-defrag-cycle-min", None, M, Int, 1, 99, active_defrag_cycle_min, 1, NONE),
    num_cfg!("active-defrag-cycle-max", None, M, Int, 1, 99, active_defrag_cycle_max, 25, NONE),
    num_cfg!("active-defrag-threshold-lower", None, M, Int, 0, 1000, active_defrag_threshold_lower, 10, NONE),
    num_cfg!("active-defrag-threshold-upper", None, M, Int, 0, 1000, active_defrag_threshold_upper, 100, NONE),
    num_cfg!("lfu-log-factor", None, M, Int, 0, INT_MAX, lfu_log_factor, 10, NONE),
    num_cfg!("lfu-decay-time", None, M, Int, 0, INT_MAX, lfu_decay_time, 1, NONE),
    num_cfg!("replica-priority", Some("slave-priority"), M, Int, 0, INT_MAX, replica_priority, 100, NONE),
    num_cfg!("repl-diskless-sync-delay", None, M, Int, 0, INT_MAX, repl_diskless_sync_delay, 5, NONE),
    num_cfg!("maxmemory-samples", None, M, Int, 1, INT_MAX, maxmemory_samples, 5, NONE),
    num_cfg!("maxmemory-eviction-tenacity", None, M, Int, 0, 100, maxmemory_eviction_tenacity, 10, NONE),
    num_cfg!("timeout", None, M, Int, 0, INT_MAX, timeout, 0, NONE),
    num_cfg!("replica-announce-port", Some("slave-announce-port"), M, Int, 0, 65535, replica_announce_port, 0, NONE),
    num_cfg!("tcp-backlog", None, IMMUTABLE, Int, 0, INT_MAX, tcp_backlog, 511, NONE),
    num_cfg!("cluster-port", None, IMMUTABLE, Int, 0, 65535, cluster_port, 0, NONE),
    num_cfg!("cluster-announce-bus-port", None, M, Int, 0, 65535, cluster_announce_bus_port, 0, NONE),
    num_cfg!("cluster-announce-port", None, M, Int, 0, 65535, cluster_announce_port, 0, NONE),
    num_cfg!("cluster-announce-tls-port", None, M, Int, 0, 65535, cluster_announce_tls_port, 0, NONE),
    num_cfg!("repl-timeout", None, M, Int, 1, INT_MAX, repl_timeout, 60, NONE),
    num_cfg!("repl-ping-replica-period", Some("repl-ping-slave-period"), M, Int, 1, INT_MAX, repl_ping_replica_period, 10, NONE),
    num_cfg!("list-compress-depth", None, DEBUG, Int, 0, INT_MAX, list_compress_depth, 0, NONE),
    num_cfg!("rdb-key-save-delay", None, HIDDEN, Int, INT_MIN, INT_MAX, rdb_key_save_delay, 0, NONE),
    num_cfg!("key-load-delay", None, HIDDEN, Int, INT_MIN, INT_MAX, key_load_delay, 0, NONE),
    num_cfg!("active-expire-effort", None, M, Int, 1, 10, active_expire_effort, 1, NONE),
    num_cfg!("hz", None, M, Int, 0, INT_MAX, hz, 10, NONE),
    num_cfg!("min-replicas-to-write", Some("min-slaves-to-write"), M, Int, 0, INT_MAX, min_replicas_to_write, 0, NONE),
    num_cfg!("min-replicas-max-lag", Some("min-slaves-max-lag"), M, Int, 0, INT_MAX, min_replicas_max_lag, 10, NONE),
    num_cfg!("watchdog-period", None, HIDDEN, Int, 0, INT_MAX, watchdog_period, 0, NONE),
    num_cfg!("shutdown-timeout", None, M, Int, 0, INT_MAX, shutdown_timeout, 10, NONE),
    num_cfg!("repl-diskless-sync-max-replicas", None, M, Int, 0, INT_MAX, repl_diskless_sync_max_replicas, 0, NONE),
    // Unsigned int configs
    num_cfg!("maxclients", None, M, UInt, 1, UINT_MAX, maxclients, 10000, NONE),
    num_cfg!("unixsocketperm", None, IMMUTABLE, UInt, 0, 0o777, unixsocketperm, 0, OCTAL),
    num_cfg!("socket-mark-id", None, IMMUTABLE, UInt, 0, UINT_MAX, socket_mark_id, 0, NONE),
    // Unsigned long configs
    num_cfg!("active-defrag-max-scan-fields", None, M, ULong, 1, LONG_MAX, active_defrag_max_scan_fields, 1000, NONE),
    num_cfg!("slowlog-max-len", None, M, ULong, 0, LONG_MAX, slowlog_max_len, 128, NONE),
    num_cfg!("acllog-max-len", None, M, ULong, 0, LONG_MAX, acllog_max_len, 128, NONE),
    // Long long configs
    num_cfg!("busy-reply-threshold", Some("lua-time-limit"), M, LongLong, 0, LONG_MAX, busy_reply_threshold, 5000, NONE),
    num_cfg!("cluster-node-timeout", None, M, LongLong, 0, LLONG_MAX, cluster_node_timeout, 15000, NONE),
    num_cfg!("slowlog-log-slower-than", None, M, LongLong, -1, LLONG_MAX, slowlog_log_slower_than, 10000, NONE),
    num_cfg!("latency-monitor-threshold", None, M, LongLong, 0, LLONG_MAX, latency_monitor_threshold, 0, NONE),
    num_cfg!("proto-max-bulk-len", None, DEBUG, LongLong, 1024 * 1024, LONG_MAX, proto_max_bulk_len, 512 * 1024 * 1024, MEMORY),
    num_cfg!("stream-node-max-entries", None, M, LongLong, 0, LLONG_MAX, stream_node_max_entries, 100, NONE),
    num_cfg!("repl-backlog-size", None, M, LongLong, 1, LLONG_MAX, repl_backlog_size, 1024 * 1024, MEMORY),
    // Unsigned long long configs
    num_cfg!("maxmemory", None, M, ULongLong, 0, ULLONG_MAX, maxmemory, 0, MEMORY),
    num_cfg!("cluster-link-sendbuf-limit", None, M, ULongLong, 0, ULLONG_MAX, cluster_link_sendbuf_limit, 0, MEMORY),
    // Size_t configs
    num_cfg!("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), M, SizeT, 0, LONG_MAX, hash_max_listpack_entries, 512, NONE),
    num_cfg!("set-max-intset-entries", None, M, SizeT, 0, LONG_MAX, set_max_intset_entries, 512, NONE),
    num_cfg!("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), M, SizeT, 0, LONG_MAX, zset_max_listpack_entries, 128, NONE),
    num_cfg!("active-defrag-ignore-bytes", None, M, SizeT, 1, LLONG_MAX, active_defrag_ignore_bytes, 100 << 20, MEMORY),
    num_cfg!("hash-max-listpack-value", Some("hash-max-ziplist-value"), M, SizeT, 0, LONG_MAX, hash_max_listpack_value, 64, MEMORY),
    num_cfg!("stream-node-max-bytes", None, M, SizeT, 0, LONG_MAX, stream_node_max_bytes, 4096, MEMORY),
    num_cfg!("zset-max-listpack-value", Some("zset-max-ziplist-value"), M, SizeT, 0, LONG_MAX, zset_max_listpack_value, 64, MEMORY),
    num_cfg!("hll-sparse-max-bytes", None, M, SizeT, 0, LONG_MAX, hll_sparse_max_bytes, 3000, MEMORY),
    num_cfg!("tracking-table-max-keys", None, M, SizeT, 0, LONG_MAX, tracking_table_max_keys, 1000000, NONE),
    num_cfg!("client-query-buffer-limit", None, DEBUG, SizeT, 1024 * 1024, LONG_MAX, client_query_buffer_limit, 1024 * 1024 * 1024, MEMORY),
    num_cfg!("maxmemory-clients", None, M, SSizeT, -100, SSIZE_MAX, maxmemory_clients, 0, MEMORY | PERCENT),
    // Other configs
    num_cfg!("repl-backlog-ttl", None, M, TimeT, 0, LONG_MAX, repl_backlog_ttl, 3600, NONE),
    num_cfg!("auto-aof-rewrite-min-size", None, M, OffT, 0, LLONG_MAX, auto_aof_rewrite_min_size, 64 * 1024 * 1024, MEMORY),
    num_cfg!("loading-process-events-interval-bytes", None, HIDDEN, OffT, 1024, INT_MAX, loading_process_events_interval_bytes, 2 * 1024 * 1024, NONE),
    // TLS configs (USE_OPENSSL builds)
    num_cfg!("tls-port", None, M, Int, 0, 65535, tls_port, 0, NONE),
    num_cfg!("tls-session-cache-size", None, M, Int, 0, INT_MAX, tls_session_cache_size, 20 * 1024, NONE),
    num_cfg!("tls-session-cache-timeout", None, M, Int, 0, INT_MAX, tls_session_cache_timeout, 300, NONE),
    bool_cfg!("tls-cluster", None, M, tls_cluster, false),
    bool_cfg!("tls-replication", None, M, tls_replication, false),
    enum_cfg!("tls-auth-clients", M, TlsAuthClients, tls_auth_clients, Yes),
    bool_cfg!("tls-prefer-server-ciphers", None, M, tls_prefer_server_ciphers, false),
    bool_cfg!("tls-session-caching", None, M, tls_session_caching, true),
    nstr_cfg!("tls-cert-file", None, VOLATILE, tls_cert_file),
    nstr_cfg!("tls-key-file", None, VOLATILE, tls_key_file),
    nstr_cfg!("tls-key-file-pass", None, M, tls_key_file_pass),
    nstr_cfg!("tls-client-cert-file", None, VOLATILE, tls_client_cert_file),
    nstr_cfg!("tls-client-key-file", None, VOLATILE, tls_client_key_file),
    nstr_cfg!("tls-client-key-file-pass", None, M, tls_client_key_file_pass),
    nstr_cfg!("tls-dh-params-file", None, VOLATILE, tls_dh_params_file),
    nstr_cfg!("tls-ca-cert-file", None, VOLATILE, tls_ca_cert_file),
    nstr_cfg!("tls-ca-cert-dir", None, VOLATILE, tls_ca_cert_dir),
    nstr_cfg!("tls-protocols", None, M, tls_protocols),
    nstr_cfg!("tls-ciphers", None, M, tls_ciphers),
    nstr_cfg!("tls-ciphersuites", None, M, tls_ciphersuites),
    // Special configs
    special_cfg!("dir", None, PROTECTED | DENY_LOADING, DIR_OPS),
    special_cfg!("save", None, MULTI_ARG, SAVE_OPS),
    special_cfg!("client-output-buffer-limit", None, MULTI_ARG, COBL_OPS),
    special_cfg!("oom-score-adj-values", None, MULTI_ARG, OOM_VALUES_OPS),
    special_cfg!("notify-keyspace-events", None, M, NOTIFY_OPS),
    special_cfg!("bind", None, MULTI_ARG, BIND_OPS),
    special_cfg!("replicaof", Some("slaveof"), IMMUTABLE | MULTI_ARG, REPLICAOF_OPS),
    special_cfg!("latency-tracking-info-percentiles", None, MULTI_ARG, PERCENTILES_OPS),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique_and_lowercase() {
        let mut seen = std::collections::HashSet::new();
        for spec in CONFIGS {
            for name in std::iter::once(spec.name).chain(spec.alias) {
                assert_eq!(name, name.to_ascii_lowercase());
                assert!(seen.insert(name), "duplicate {name}");
            }
        }
        // 178 directives + 19 aliases of Redis 7.0.15 built with TLS, plus
        // Debian's lua-enable-deprecated-api.
        assert_eq!(CONFIGS.len(), 179);
        assert_eq!(seen.len(), 198);
    }

    #[test]
    fn lookup_is_case_insensitive_and_knows_aliases() {
        let (spec, alias) = lookup(b"SlaveOf").unwrap();
        assert_eq!(spec.name, "replicaof");
        assert!(alias);
        let (spec, alias) = lookup(b"HZ").unwrap();
        assert_eq!(spec.name, "hz");
        assert!(!alias);
        assert!(lookup(b"nope").is_none());
    }

    #[test]
    fn enum_names_follow_redis_order() {
        assert_eq!(
            enum_name(OomScoreAdj::NAMES, OomScoreAdj::Relative as i32, false),
            "yes"
        );
        assert_eq!(enum_name(SHUTDOWN_NAMES, 0, true), "default");
        assert_eq!(enum_name(SHUTDOWN_NAMES, 6, true), "nosave now");
        assert_eq!(enum_name(SHUTDOWN_NAMES, 14, true), "nosave now force");
        assert_eq!(enum_name(SHUTDOWN_NAMES, 16, true), "unknown");
    }

    #[test]
    fn numeric_parsing_and_formatting() {
        assert_eq!(parse_numeric(b"1kb", MEMORY).unwrap(), 1024);
        assert_eq!(parse_numeric(b"10%", MEMORY | PERCENT).unwrap(), -10);
        assert_eq!(parse_numeric(b"700", OCTAL).unwrap(), 0o700);
        assert_eq!(parse_numeric(b"-5", NONE).unwrap(), -5);
        assert_eq!(
            parse_numeric(b"-5", MEMORY | PERCENT).unwrap_err(),
            "argument must be a memory or percent value"
        );
        assert_eq!(
            parse_numeric(b"9x", OCTAL).unwrap_err(),
            "argument couldn't be parsed as an octal number"
        );
        assert_eq!(format_numeric(-10, MEMORY | PERCENT), "10%");
        assert_eq!(format_numeric(-1, MEMORY), "18446744073709551615");
        assert_eq!(format_numeric(0o700, OCTAL), "700");
    }

    #[test]
    fn bounds_errors_match_redis() {
        assert_eq!(
            check_bounds(5, NumType::Int, 10, 20, NONE).unwrap_err(),
            "argument must be between 10 and 20 inclusive"
        );
        assert_eq!(
            check_bounds(0o1000, NumType::UInt, 0, 0o777, OCTAL).unwrap_err(),
            "argument must be between 0 and 777 inclusive"
        );
        assert_eq!(
            check_bounds(-1, NumType::SizeT, 0, i64::MAX, NONE).unwrap_err(),
            "argument must be between 0 and 9223372036854775807 inclusive"
        );
        assert_eq!(
            check_bounds(-200, NumType::SSizeT, -100, i64::MAX, MEMORY | PERCENT).unwrap_err(),
            "percentage argument must be less or equal to 100"
        );
        assert!(check_bounds(-1, NumType::ULongLong, 0, -1, MEMORY).is_ok());
    }
}
