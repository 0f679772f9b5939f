//! The enumerated configuration values and flag sets: Rust enums whose
//! discriminants are Redis' own numbers (server.h), each with the ordered
//! name table config.c parses and prints, plus the bit flags of
//! `shutdown-on-sig*` and `notify-keyspace-events`.
//!
//! Order matters: CONFIG GET prints the *first* name of a value, so
//! `oom-score-adj relative` reads back as `yes`, as in Redis.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_flag_bits() {
        assert_eq!(OomScoreAdj::Relative.name(), "yes");
        assert_eq!(OomScoreAdj::from_i32(2), Some(OomScoreAdj::Absolute));
        assert_eq!(LogLevel::from_i32(7), None);
        assert_eq!(SyslogFacility::default(), SyslogFacility::Local0);
        assert!(MaxmemoryPolicy::AllkeysLfu.is_lfu());
        assert!(MaxmemoryPolicy::AllkeysLfu.is_allkeys());
        assert!(!MaxmemoryPolicy::VolatileTtl.is_lru());
        assert!(ProtectedAction::Local.allows(true) && !ProtectedAction::Local.allows(false));
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
}
