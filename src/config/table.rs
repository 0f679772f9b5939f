//! The directive table: one row per configuration directive of Redis 7.0.15
//! (the `static_configs[]` array at the end of config.c), with its type,
//! flags, default, bounds, alias and the accessors that tie the row to its
//! typed field in [`Config`].
//!
//! CONFIG GET/SET/REWRITE and file loading are all driven by this table, so
//! adding a directive means adding a field to `Config` and a row here.
//! Rows keep config.c's order; the enum name lists keep config.c's order
//! too, because CONFIG GET prints the *first* name whose value matches
//! (`oom-score-adj relative` reads back as `yes`).
//!
//! Invariants: every name and alias is lowercase and unique across the
//! table; a row's accessors touch only its own field.

use std::borrow::Cow;

use super::parse::{c_strtoll, memtoull, string2d};
use super::rewrite::{self, RewriteState};
use super::{ClientBufferLimit, Config};

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
// Enumerations. Discriminants are Redis' own values (server.h) so that code
// ported from Redis can compare bits the same way.
// ---------------------------------------------------------------------------

/// Declares an enum whose discriminants are Redis' values, plus the ordered
/// name table config.c uses to parse and print it.
macro_rules! config_enum {
    (
        $(#[$m:meta])*
        $name:ident ($default:ident) {
            $($variant:ident = $val:expr),+ $(,)?
        }
        names { $($text:literal => $nv:ident),+ $(,)? }
    ) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(i32)]
        pub enum $name {
            $($variant = $val),+
        }

        impl $name {
            /// Names in config.c's order; several names may share a value.
            pub const NAMES: &'static [(&'static str, i32)] = &[$(($text, $name::$nv as i32)),+];

            /// The variant with Redis' numeric value `v`.
            pub fn from_i32(v: i32) -> Option<Self> {
                $(if v == $val {
                    return Some(Self::$variant);
                })+
                None
            }

            /// The name CONFIG GET prints for this value.
            pub fn name(self) -> &'static str {
                for (n, v) in Self::NAMES {
                    if *v == self as i32 {
                        return n;
                    }
                }
                "unknown"
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::$default
            }
        }
    };
}

config_enum! {
    /// `supervised`
    SupervisedMode(No) { No = 0, Auto = 1, Systemd = 2, Upstart = 3 }
    names { "upstart" => Upstart, "systemd" => Systemd, "auto" => Auto, "no" => No }
}

config_enum! {
    /// `syslog-facility`; values are syslog(3)'s LOG_USER / LOG_LOCALn.
    SyslogFacility(Local0) {
        User = 8, Local0 = 128, Local1 = 136, Local2 = 144, Local3 = 152,
        Local4 = 160, Local5 = 168, Local6 = 176, Local7 = 184,
    }
    names {
        "user" => User, "local0" => Local0, "local1" => Local1, "local2" => Local2,
        "local3" => Local3, "local4" => Local4, "local5" => Local5, "local6" => Local6,
        "local7" => Local7,
    }
}

config_enum! {
    /// `repl-diskless-load`
    ReplDisklessLoad(Disabled) { Disabled = 0, OnEmptyDb = 1, Swapdb = 2 }
    names { "disabled" => Disabled, "on-empty-db" => OnEmptyDb, "swapdb" => Swapdb }
}

config_enum! {
    /// `loglevel`; ordered so that `level >= cfg.loglevel` means "log it".
    LogLevel(Notice) { Debug = 0, Verbose = 1, Notice = 2, Warning = 3 }
    names { "debug" => Debug, "verbose" => Verbose, "notice" => Notice, "warning" => Warning }
}

/// Bits inside [`MaxmemoryPolicy`] values (server.h's MAXMEMORY_FLAG_*).
pub const MAXMEMORY_FLAG_LRU: i32 = 1 << 0;
pub const MAXMEMORY_FLAG_LFU: i32 = 1 << 1;
pub const MAXMEMORY_FLAG_ALLKEYS: i32 = 1 << 2;

config_enum! {
    /// `maxmemory-policy`
    MaxmemoryPolicy(Noeviction) {
        VolatileLru = 1,
        VolatileLfu = (1 << 8) | 2,
        VolatileTtl = 2 << 8,
        VolatileRandom = 3 << 8,
        AllkeysLru = (4 << 8) | 1 | 4,
        AllkeysLfu = (5 << 8) | 2 | 4,
        AllkeysRandom = (6 << 8) | 4,
        Noeviction = 7 << 8,
    }
    names {
        "volatile-lru" => VolatileLru, "volatile-lfu" => VolatileLfu,
        "volatile-random" => VolatileRandom, "volatile-ttl" => VolatileTtl,
        "allkeys-lru" => AllkeysLru, "allkeys-lfu" => AllkeysLfu,
        "allkeys-random" => AllkeysRandom, "noeviction" => Noeviction,
    }
}

impl MaxmemoryPolicy {
    /// Objects keep an LRU clock (OBJECT IDLETIME) under this policy.
    pub fn is_lru(self) -> bool {
        self as i32 & MAXMEMORY_FLAG_LRU != 0
    }
    /// Objects keep an LFU counter (OBJECT FREQ) under this policy.
    pub fn is_lfu(self) -> bool {
        self as i32 & MAXMEMORY_FLAG_LFU != 0
    }
    /// Any key may be evicted, not only keys with a TTL.
    pub fn is_allkeys(self) -> bool {
        self as i32 & MAXMEMORY_FLAG_ALLKEYS != 0
    }
}

config_enum! {
    /// `appendfsync`
    AppendFsync(Everysec) { No = 0, Always = 1, Everysec = 2 }
    names { "everysec" => Everysec, "always" => Always, "no" => No }
}

config_enum! {
    /// `oom-score-adj`; `yes` is the old spelling of `relative`.
    OomScoreAdj(No) { No = 0, Relative = 1, Absolute = 2 }
    names { "no" => No, "yes" => Relative, "relative" => Relative, "absolute" => Absolute }
}

config_enum! {
    /// `acl-pubsub-default`; AllChannels is the selector flag bit Redis stores.
    AclPubsubDefault(ResetChannels) { ResetChannels = 0, AllChannels = 1 << 3 }
    names { "allchannels" => AllChannels, "resetchannels" => ResetChannels }
}

config_enum! {
    /// `sanitize-dump-payload`
    SanitizeDumpPayload(No) { No = 0, Yes = 1, Clients = 2 }
    names { "no" => No, "yes" => Yes, "clients" => Clients }
}

config_enum! {
    /// `enable-protected-configs`, `enable-debug-command`, `enable-module-command`
    ProtectedAction(No) { No = 0, Yes = 1, Local = 2 }
    names { "no" => No, "yes" => Yes, "local" => Local }
}

impl ProtectedAction {
    /// Redis' allowProtectedAction(): `local` allows loopback and unix-socket clients only.
    pub fn allows(self, client_is_local: bool) -> bool {
        match self {
            ProtectedAction::Yes => true,
            ProtectedAction::Local => client_is_local,
            ProtectedAction::No => false,
        }
    }
}

config_enum! {
    /// `cluster-preferred-endpoint-type`
    ClusterEndpointType(Ip) { Ip = 0, Hostname = 1, UnknownEndpoint = 2 }
    names { "ip" => Ip, "hostname" => Hostname, "unknown-endpoint" => UnknownEndpoint }
}

config_enum! {
    /// `propagation-error-behavior`
    PropagationErrorBehavior(Ignore) { Ignore = 0, Panic = 1, PanicOnReplicas = 2 }
    names { "ignore" => Ignore, "panic" => Panic, "panic-on-replicas" => PanicOnReplicas }
}

config_enum! {
    /// `tls-auth-clients`
    TlsAuthClients(Yes) { No = 0, Yes = 1, Optional = 2 }
    names { "no" => No, "yes" => Yes, "optional" => Optional }
}

/// `shutdown-on-sigint` / `shutdown-on-sigterm` bits (SHUTDOWN_* in server.h).
pub const SHUTDOWN_SAVE: u32 = 1;
pub const SHUTDOWN_NOSAVE: u32 = 2;
pub const SHUTDOWN_NOW: u32 = 4;
pub const SHUTDOWN_FORCE: u32 = 8;
/// Name table of the shutdown flags; a multi-arg enum ORs its arguments.
pub const SHUTDOWN_NAMES: &[(&str, i32)] = &[
    ("default", 0),
    ("save", SHUTDOWN_SAVE as i32),
    ("nosave", SHUTDOWN_NOSAVE as i32),
    ("now", SHUTDOWN_NOW as i32),
    ("force", SHUTDOWN_FORCE as i32),
];

/// Keyspace notification classes (NOTIFY_* in server.h), the bits of
/// `notify-keyspace-events`.
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
pub const NOTIFY_GENERIC: u32 = 1 << 2;
pub const NOTIFY_STRING: u32 = 1 << 3;
pub const NOTIFY_LIST: u32 = 1 << 4;
pub const NOTIFY_SET: u32 = 1 << 5;
pub const NOTIFY_HASH: u32 = 1 << 6;
pub const NOTIFY_ZSET: u32 = 1 << 7;
pub const NOTIFY_EXPIRED: u32 = 1 << 8;
pub const NOTIFY_EVICTED: u32 = 1 << 9;
pub const NOTIFY_STREAM: u32 = 1 << 10;
/// Not part of `A`: key-miss events must be asked for by name (`m`).
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
pub const NOTIFY_LOADED: u32 = 1 << 12;
pub const NOTIFY_MODULE: u32 = 1 << 13;
pub const NOTIFY_NEW: u32 = 1 << 14;
/// What `A` stands for.
pub const NOTIFY_ALL: u32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE;

/// Parses a class string like `KEA` (notify.c's keyspaceEventsStringToFlags).
pub fn keyspace_events_from_str(classes: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for c in classes {
        flags |= match c {
            b'A' => NOTIFY_ALL,
            b'g' => NOTIFY_GENERIC,
            b'$' => NOTIFY_STRING,
            b'l' => NOTIFY_LIST,
            b's' => NOTIFY_SET,
            b'h' => NOTIFY_HASH,
            b'z' => NOTIFY_ZSET,
            b'x' => NOTIFY_EXPIRED,
            b'e' => NOTIFY_EVICTED,
            b'K' => NOTIFY_KEYSPACE,
            b'E' => NOTIFY_KEYEVENT,
            b't' => NOTIFY_STREAM,
            b'm' => NOTIFY_KEY_MISS,
            b'd' => NOTIFY_MODULE,
            b'n' => NOTIFY_NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// The canonical class string for `flags`, in Redis' order (`A` first, then
/// `K`, `E`, `m`), e.g. `KEA` reads back as `AKE`.
pub fn keyspace_events_to_string(flags: u32) -> String {
    let mut s = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (NOTIFY_GENERIC, 'g'),
            (NOTIFY_STRING, '$'),
            (NOTIFY_LIST, 'l'),
            (NOTIFY_SET, 's'),
            (NOTIFY_HASH, 'h'),
            (NOTIFY_ZSET, 'z'),
            (NOTIFY_EXPIRED, 'x'),
            (NOTIFY_EVICTED, 'e'),
            (NOTIFY_STREAM, 't'),
            (NOTIFY_MODULE, 'd'),
            (NOTIFY_NEW, 'n'),
        ] {
            if flags & bit != 0 {
                s.push(c);
            }
        }
    }
    for (bit, c) in [
        (NOTIFY_KEYSPACE, 'K'),
        (NOTIFY_KEYEVENT, 'E'),
        (NOTIFY_KEY_MISS, 'm'),
    ] {
        if flags & bit != 0 {
            s.push(c);
        }
    }
    s
}

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
            if let Some(check) = check {
                check(cfg, first)?;
            }
            // Values are C strings in Redis: anything after a NUL is lost.
            let first = first.split('\0').next().unwrap_or("");
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
        if let Some(v) = super::parse::string2ll(&value[..value.len() - 1]) {
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
        if let Some(v) = super::parse::string2ll(value) {
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
// Special directives
// ---------------------------------------------------------------------------

/// `dir`: changes the process' working directory right away, as Redis does
/// (later relative `include`s and files are resolved against it).
static DIR_OPS: SpecialOps = SpecialOps {
    init: |c| {
        c.dir = std::env::current_dir()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    },
    set: |c, argv| {
        if argv.len() != 1 {
            return Err("wrong number of arguments".into());
        }
        if let Err(e) = std::env::set_current_dir(&argv[0]) {
            return Err(super::errno_text(&e).into());
        }
        c.dir = std::env::current_dir()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(true)
    },
    get: |c| c.dir.clone(),
    rewrite: rewrite::rewrite_dir,
};

/// The `save` points Redis uses when no `save` line is given.
pub const DEFAULT_SAVE: [(i64, i64); 3] = [(3600, 1), (300, 100), (60, 10000)];

static SAVE_OPS: SpecialOps = SpecialOps {
    init: |c| c.save = DEFAULT_SAVE.to_vec(),
    set: set_save,
    get: |c| {
        let parts: Vec<String> = c.save.iter().map(|(s, n)| format!("{s} {n}")).collect();
        parts.join(" ")
    },
    rewrite: rewrite::rewrite_save,
};

/// setConfigSaveOption. In a config file the first `save` line replaces the
/// defaults and later lines add points; CONFIG SET always replaces.
fn set_save(c: &mut Config, argv: &[String]) -> SetResult {
    let mut argv = argv;
    if argv.len() == 1 && argv[0].is_empty() {
        c.save.clear();
        argv = &[];
    }
    if argv.len() % 2 == 1 {
        return Err("Invalid save parameters".into());
    }
    let mut points = Vec::with_capacity(argv.len() / 2);
    for pair in argv.chunks(2) {
        // strtoll without range checks: overflow saturates, as in Redis.
        let (secs, ok1, _) = c_strtoll(pair[0].as_bytes(), 10);
        let (changes, ok2, _) = c_strtoll(pair[1].as_bytes(), 10);
        if !ok1 || !ok2 || secs < 1 || changes < 0 {
            return Err("Invalid save parameters".into());
        }
        // `changes` lands in a C int.
        points.push((secs, changes as i32 as i64));
    }
    if !c.reading_config_file {
        c.save.clear();
    } else if !c.save_loaded {
        c.save_loaded = true;
        c.save.clear();
    }
    c.save.extend(points);
    Ok(true)
}

/// Output buffer limits of normal, replica and pubsub clients.
pub const DEFAULT_CLIENT_OUTPUT_BUFFER_LIMIT: [ClientBufferLimit; 3] = [
    ClientBufferLimit {
        hard_limit_bytes: 0,
        soft_limit_bytes: 0,
        soft_limit_seconds: 0,
    },
    ClientBufferLimit {
        hard_limit_bytes: 256 << 20,
        soft_limit_bytes: 64 << 20,
        soft_limit_seconds: 60,
    },
    ClientBufferLimit {
        hard_limit_bytes: 32 << 20,
        soft_limit_bytes: 8 << 20,
        soft_limit_seconds: 60,
    },
];

/// Index of each class in `client_output_buffer_limit` (CLIENT_TYPE_*).
pub const CLIENT_TYPE_NORMAL: usize = 0;
pub const CLIENT_TYPE_REPLICA: usize = 1;
pub const CLIENT_TYPE_PUBSUB: usize = 2;
/// Class names as CONFIG GET prints them (`slave`, not `replica`).
pub const CLIENT_TYPE_NAMES: [&str; 3] = ["normal", "slave", "pubsub"];

static COBL_OPS: SpecialOps = SpecialOps {
    init: |c| c.client_output_buffer_limit = DEFAULT_CLIENT_OUTPUT_BUFFER_LIMIT,
    set: set_client_output_buffer_limit,
    get: |c| {
        let parts: Vec<String> = c
            .client_output_buffer_limit
            .iter()
            .zip(CLIENT_TYPE_NAMES)
            .map(|(l, n)| {
                format!(
                    "{n} {} {} {}",
                    l.hard_limit_bytes, l.soft_limit_bytes, l.soft_limit_seconds
                )
            })
            .collect();
        parts.join(" ")
    },
    rewrite: rewrite::rewrite_client_output_buffer_limit,
};

/// updateClientOutputBufferLimit: `<class> <hard> <soft> <seconds>` groups;
/// all are checked before any class changes.
fn set_client_output_buffer_limit(c: &mut Config, argv: &[String]) -> SetResult {
    if !argv.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut updates = Vec::with_capacity(argv.len() / 4);
    for group in argv.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => CLIENT_TYPE_NORMAL,
            "slave" | "replica" => CLIENT_TYPE_REPLICA,
            "pubsub" => CLIENT_TYPE_PUBSUB,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let hard = memtoull(group[1].as_bytes());
        let soft = memtoull(group[2].as_bytes());
        let (secs, consumed, _) = c_strtoll(group[3].as_bytes(), 10);
        let secs = secs as i32; // Redis keeps the seconds in an int
        match (hard, soft) {
            (Some(hard), Some(soft)) if consumed && secs >= 0 => updates.push((
                class,
                ClientBufferLimit {
                    hard_limit_bytes: hard,
                    soft_limit_bytes: soft,
                    soft_limit_seconds: secs as i64,
                },
            )),
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .into(),
                )
            }
        }
    }
    for (class, limit) in updates {
        c.client_output_buffer_limit[class] = limit;
    }
    Ok(true)
}

/// oom_score_adj for master, replica and background child processes.
pub const DEFAULT_OOM_SCORE_ADJ_VALUES: [i32; 3] = [0, 200, 800];

static OOM_VALUES_OPS: SpecialOps = SpecialOps {
    init: |c| c.oom_score_adj_values = DEFAULT_OOM_SCORE_ADJ_VALUES,
    set: |c, argv| {
        if argv.len() != 3 {
            return Err("wrong number of arguments".into());
        }
        let mut values = [0i32; 3];
        for (slot, arg) in values.iter_mut().zip(argv) {
            let (v, consumed, _) = c_strtoll(arg.as_bytes(), 10);
            if !consumed || !(-2000..=2000).contains(&v) {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into(),
                );
            }
            *slot = v as i32;
        }
        // Redis only warns when the values are not increasing; so do we
        // (the server may log it when it sees the change).
        let changed = c.oom_score_adj_values != values;
        c.oom_score_adj_values = values;
        Ok(changed)
    },
    get: |c| {
        let v = c.oom_score_adj_values;
        format!("{} {} {}", v[0], v[1], v[2])
    },
    rewrite: rewrite::rewrite_oom_score_adj_values,
};

static NOTIFY_OPS: SpecialOps = SpecialOps {
    init: |c| c.notify_keyspace_events = 0,
    set: |c, argv| {
        if argv.len() != 1 {
            return Err("wrong number of arguments".into());
        }
        match keyspace_events_from_str(argv[0].as_bytes()) {
            Some(flags) => {
                c.notify_keyspace_events = flags;
                Ok(true)
            }
            None => Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
        }
    },
    get: |c| keyspace_events_to_string(c.notify_keyspace_events),
    rewrite: rewrite::rewrite_notify_keyspace_events,
};

/// Addresses bound when no `bind` is given: every IPv4 address, and every
/// IPv6 address if the host has IPv6 (the `-` means "optional").
pub const DEFAULT_BIND: [&str; 2] = ["*", "-::*"];
/// Redis' CONFIG_BINDADDR_MAX.
pub const BINDADDR_MAX: usize = 16;

static BIND_OPS: SpecialOps = SpecialOps {
    init: |c| c.bind = DEFAULT_BIND.iter().map(|s| s.to_string()).collect(),
    set: |c, argv| {
        if argv.len() > BINDADDR_MAX {
            return Err("Too many bind addresses specified.".into());
        }
        if argv.len() == 1 && argv[0].is_empty() {
            c.bind.clear();
        } else {
            c.bind = argv.to_vec();
        }
        Ok(true)
    },
    get: |c| c.bind.join(" "),
    rewrite: rewrite::rewrite_bind,
};

static REPLICAOF_OPS: SpecialOps = SpecialOps {
    init: |c| c.replicaof = None,
    set: |c, argv| {
        if argv.len() != 2 {
            return Err("wrong number of arguments".into());
        }
        c.replicaof = None;
        if argv[0].eq_ignore_ascii_case("no") && argv[1].eq_ignore_ascii_case("one") {
            return Ok(true);
        }
        // strtol: "" parses as port 0, as in Redis.
        let (port, consumed, _) = c_strtoll(argv[1].as_bytes(), 10);
        if !consumed || !(0..=65535).contains(&port) {
            return Err("Invalid master port".into());
        }
        c.replicaof = Some((argv[0].clone(), port as u16));
        Ok(true)
    },
    get: |c| match &c.replicaof {
        Some((host, port)) => format!("{host} {port}"),
        None => String::new(),
    },
    rewrite: rewrite::rewrite_replicaof,
};

/// Percentiles INFO latencystats reports by default (p50, p99, p99.9).
pub const DEFAULT_LATENCY_PERCENTILES: [f64; 3] = [50.0, 99.0, 99.9];

static PERCENTILES_OPS: SpecialOps = SpecialOps {
    init: |c| c.latency_tracking_info_percentiles = DEFAULT_LATENCY_PERCENTILES.to_vec(),
    set: |c, argv| {
        let argv = if argv.len() == 1 && argv[0].is_empty() {
            &[][..]
        } else {
            argv
        };
        let mut values = Vec::with_capacity(argv.len());
        for arg in argv {
            let Some(p) = string2d(arg.as_bytes()) else {
                return Err("Invalid latency-tracking-info-percentiles parameters".into());
            };
            if !(0.0..=100.0).contains(&p) {
                return Err(
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                        .into(),
                );
            }
            values.push(p);
        }
        c.latency_tracking_info_percentiles = values;
        Ok(true)
    },
    get: |c| {
        let parts: Vec<String> = c
            .latency_tracking_info_percentiles
            .iter()
            .map(|p| format_percentile(*p))
            .collect();
        parts.join(" ")
    },
    rewrite: rewrite::rewrite_latency_percentiles,
};

/// `%f` with trailing zeros (and a bare dot) removed: 99.9 → "99.9", 50 → "50".
pub fn format_percentile(p: f64) -> String {
    let mut s = format!("{p:.6}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
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
        assert_eq!(OomScoreAdj::Relative.name(), "yes");
        assert_eq!(enum_name(SHUTDOWN_NAMES, 0, true), "default");
        assert_eq!(enum_name(SHUTDOWN_NAMES, 6, true), "nosave now");
        assert_eq!(enum_name(SHUTDOWN_NAMES, 14, true), "nosave now force");
        assert_eq!(enum_name(SHUTDOWN_NAMES, 16, true), "unknown");
        assert!(MaxmemoryPolicy::AllkeysLfu.is_lfu());
        assert!(MaxmemoryPolicy::AllkeysLfu.is_allkeys());
        assert!(!MaxmemoryPolicy::VolatileTtl.is_lru());
    }

    #[test]
    fn keyspace_event_flags_round_trip_in_redis_order() {
        let f = keyspace_events_from_str(b"KEA").unwrap();
        assert_eq!(keyspace_events_to_string(f), "AKE");
        let f = keyspace_events_from_str(b"Egx").unwrap();
        assert_eq!(keyspace_events_to_string(f), "gxE");
        assert_eq!(keyspace_events_from_str(b"Q"), None);
        assert_eq!(keyspace_events_to_string(0), "");
        let f = keyspace_events_from_str(b"Am").unwrap();
        assert_eq!(keyspace_events_to_string(f), "Am");
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

    #[test]
    fn percentiles_print_like_percent_f_trimmed() {
        assert_eq!(format_percentile(50.0), "50");
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(99.99999), "99.99999");
        assert_eq!(format_percentile(0.0000001), "0");
    }
}
