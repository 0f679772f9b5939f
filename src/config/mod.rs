//! Configuration: every Redis 7.0.15 directive as a typed field of [`Config`],
//! plus config-file loading, CONFIG GET, CONFIG SET and CONFIG REWRITE
//! (Redis' config.c).
//!
//! Layout:
//! * `mod.rs`: `Config` (one pub field per directive, `-` spelled `_`),
//!   CONFIG GET / SET and the rollback contract.
//! * `table.rs`: the directive table (name, alias, flags, type, default,
//!   bounds) that drives everything else, and the generic typed set/get.
//! * `enums.rs`: the enumerated value types (`MaxmemoryPolicy`, ...) and
//!   the shutdown / keyspace-event flag bits.
//! * `special.rs`: directives with their own syntax (`save`, `bind`,
//!   `client-output-buffer-limit`, ...).
//! * `parse.rs`: Redis' string rules (sdssplitargs quoting, memory units,
//!   strict integers), config text loading with `include`, the command
//!   line, and the glob matcher.
//! * `rewrite.rs`: CONFIG REWRITE, keeping the file's comments and layout.
//!
//! The hot path reads fields directly (`cfg.hz`, `cfg.maxmemory`); the
//! table's function pointers are only used by the slow paths.
//!
//! Applying changes (design): `Config::set` only validates and stores. It
//! returns the canonical names whose value changed; the server then runs its
//! side effects (listen on the new `port`/`bind`, resize the backlog, adjust
//! `maxclients`, ...). To be able to undo, the server clones the `Config`
//! before calling `set`; if an apply step fails it calls
//! [`Config::restore`] with that clone, re-applies the restored values, and
//! replies with [`set_failed_error`] naming the directive that failed.
//! The one side effect done here is `dir` (a `chdir`, as Redis does while
//! parsing); `restore` and a failed `set` change the directory back.
//!
//! Invariant: after `Config::default()` or any successful `set`/load, every
//! field holds a value its directive's parser accepts (so CONFIG GET output
//! can always be fed back to CONFIG SET or written to a file).

mod enums;
mod parse;
mod rewrite;
mod special;
mod table;

use std::fmt;
use std::io;

pub use enums::{
    keyspace_events_from_str, keyspace_events_to_string, AclPubsubDefault, AppendFsync,
    ClusterEndpointType, LogLevel, MaxmemoryPolicy, OomScoreAdj, PropagationErrorBehavior,
    ProtectedAction, ReplDisklessLoad, SanitizeDumpPayload, SupervisedMode, SyslogFacility,
    TlsAuthClients, NOTIFY_ALL, NOTIFY_EVICTED, NOTIFY_EXPIRED, NOTIFY_GENERIC, NOTIFY_HASH,
    NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, NOTIFY_KEY_MISS, NOTIFY_LIST, NOTIFY_LOADED, NOTIFY_MODULE,
    NOTIFY_NEW, NOTIFY_SET, NOTIFY_STREAM, NOTIFY_STRING, NOTIFY_ZSET, SHUTDOWN_FORCE,
    SHUTDOWN_NOSAVE, SHUTDOWN_NOW, SHUTDOWN_SAVE,
};
pub use parse::{
    args_to_config_text, parse_command_line, repr, split_args, CommandLine, LoadHooks, NoHooks,
};
pub use rewrite::RewriteExtras;
pub use special::{CLIENT_TYPE_NORMAL, CLIENT_TYPE_PUBSUB, CLIENT_TYPE_REPLICA};
pub use table::{
    enum_name, lookup, ConfigSpec, ACTIVE_DEFRAG_SUPPORTED, CONFIGS, DEBUG, DENY_LOADING, HIDDEN,
    IMMUTABLE, MULTI_ARG, PROTECTED, SENSITIVE, VOLATILE,
};

/// The version string Redis prints in its fatal config error banner.
pub const REDIS_VERSION: &str = "7.0.15";
/// Bounds `updateHZ` clamps `hz` into (CONFIG_MIN_HZ / CONFIG_MAX_HZ).
pub const CONFIG_MIN_HZ: i32 = 1;
pub const CONFIG_MAX_HZ: i32 = 500;

/// One class of `client-output-buffer-limit`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientBufferLimit {
    /// Disconnect as soon as the output buffer exceeds this (0 = no limit).
    pub hard_limit_bytes: u64,
    /// Disconnect when above this for `soft_limit_seconds` in a row.
    pub soft_limit_bytes: u64,
    pub soft_limit_seconds: i64,
}

/// Where a file-only directive (`rename-command`, `user`) was read, so an
/// error found later can still be reported against its line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceLine {
    pub line: usize,
    pub text: String,
}

/// Declares `Config` with one pub field per listed item and `blank()`, a
/// value with every field at its type's `Default` (the table then installs
/// Redis' defaults on top, so defaults live in exactly one place).
macro_rules! config_struct {
    ($( $(#[$doc:meta])* $field:ident : $ty:ty, )*) => {
        /// All configuration of one server. Field names are the directive
        /// names with `_` for `-`; see table.rs for each one's bounds.
        #[derive(Clone, Debug, PartialEq)]
        pub struct Config {
            $( $(#[$doc])* pub $field: $ty, )*
            /// Redis' `reading_config_file`: decides whether `save` appends.
            reading_config_file: bool,
            /// Whether a config file `save` line already replaced the defaults.
            save_loaded: bool,
        }

        impl Config {
            fn blank() -> Config {
                Config {
                    $( $field: Default::default(), )*
                    reading_config_file: false,
                    save_loaded: false,
                }
            }
        }
    };
}

config_struct! {
    // --- yes/no directives ---
    rdbchecksum: bool,
    daemonize: bool,
    io_threads_do_reads: bool,
    always_show_logo: bool,
    protected_mode: bool,
    rdbcompression: bool,
    rdb_del_sync_files: bool,
    activerehashing: bool,
    stop_writes_on_bgsave_error: bool,
    set_proc_title: bool,
    dynamic_hz: bool,
    lazyfree_lazy_eviction: bool,
    lazyfree_lazy_expire: bool,
    lazyfree_lazy_server_del: bool,
    lazyfree_lazy_user_del: bool,
    lazyfree_lazy_user_flush: bool,
    repl_disable_tcp_nodelay: bool,
    repl_diskless_sync: bool,
    aof_rewrite_incremental_fsync: bool,
    no_appendfsync_on_rewrite: bool,
    cluster_require_full_coverage: bool,
    rdb_save_incremental_fsync: bool,
    aof_load_truncated: bool,
    aof_use_rdb_preamble: bool,
    aof_timestamp_enabled: bool,
    cluster_replica_no_failover: bool,
    replica_lazy_flush: bool,
    replica_serve_stale_data: bool,
    replica_read_only: bool,
    replica_ignore_maxmemory: bool,
    jemalloc_bg_thread: bool,
    activedefrag: bool,
    syslog_enabled: bool,
    cluster_enabled: bool,
    appendonly: bool,
    cluster_allow_reads_when_down: bool,
    cluster_allow_pubsubshard_when_down: bool,
    crash_log_enabled: bool,
    crash_memcheck_enabled: bool,
    use_exit_on_panic: bool,
    disable_thp: bool,
    cluster_allow_replica_migration: bool,
    replica_announced: bool,
    latency_tracking: bool,
    aof_disable_auto_gc: bool,
    replica_ignore_disk_write_errors: bool,
    /// Debian-only: re-enables the Lua APIs its CVE fixes removed.
    lua_enable_deprecated_api: bool,
    // --- strings; `Option` where Redis stores "" as NULL ---
    aclfile: String,
    unixsocket: Option<String>,
    pidfile: Option<String>,
    replica_announce_ip: Option<String>,
    masteruser: Option<String>,
    cluster_announce_ip: Option<String>,
    cluster_config_file: String,
    cluster_announce_hostname: Option<String>,
    syslog_ident: String,
    dbfilename: String,
    appendfilename: String,
    appenddirname: String,
    server_cpulist: Option<String>,
    bio_cpulist: Option<String>,
    aof_rewrite_cpulist: Option<String>,
    bgsave_cpulist: Option<String>,
    ignore_warnings: String,
    proc_title_template: String,
    bind_source_addr: Option<String>,
    logfile: String,
    masterauth: Option<String>,
    requirepass: Option<String>,
    // --- enums ---
    supervised: SupervisedMode,
    syslog_facility: SyslogFacility,
    repl_diskless_load: ReplDisklessLoad,
    loglevel: LogLevel,
    maxmemory_policy: MaxmemoryPolicy,
    appendfsync: AppendFsync,
    oom_score_adj: OomScoreAdj,
    acl_pubsub_default: AclPubsubDefault,
    sanitize_dump_payload: SanitizeDumpPayload,
    enable_protected_configs: ProtectedAction,
    enable_debug_command: ProtectedAction,
    enable_module_command: ProtectedAction,
    cluster_preferred_endpoint_type: ClusterEndpointType,
    propagation_error_behavior: PropagationErrorBehavior,
    /// SHUTDOWN_* bits; 0 is `default`.
    shutdown_on_sigint: u32,
    /// SHUTDOWN_* bits; 0 is `default`.
    shutdown_on_sigterm: u32,
    // --- C int ---
    databases: i32,
    port: i32,
    io_threads: i32,
    auto_aof_rewrite_percentage: i32,
    cluster_replica_validity_factor: i32,
    list_max_listpack_size: i32,
    tcp_keepalive: i32,
    cluster_migration_barrier: i32,
    active_defrag_cycle_min: i32,
    active_defrag_cycle_max: i32,
    active_defrag_threshold_lower: i32,
    active_defrag_threshold_upper: i32,
    lfu_log_factor: i32,
    lfu_decay_time: i32,
    replica_priority: i32,
    repl_diskless_sync_delay: i32,
    maxmemory_samples: i32,
    maxmemory_eviction_tenacity: i32,
    /// Client idle timeout in seconds (0 = never).
    timeout: i32,
    replica_announce_port: i32,
    tcp_backlog: i32,
    cluster_port: i32,
    cluster_announce_bus_port: i32,
    cluster_announce_port: i32,
    cluster_announce_tls_port: i32,
    repl_timeout: i32,
    repl_ping_replica_period: i32,
    list_compress_depth: i32,
    rdb_key_save_delay: i32,
    key_load_delay: i32,
    active_expire_effort: i32,
    /// The configured `hz` (Redis' config_hz), kept in 1..=500 after load/set.
    hz: i32,
    min_replicas_to_write: i32,
    min_replicas_max_lag: i32,
    watchdog_period: i32,
    shutdown_timeout: i32,
    repl_diskless_sync_max_replicas: i32,
    // --- C unsigned int / unsigned long ---
    maxclients: u32,
    /// File mode bits of the unix socket (0 = leave as created).
    unixsocketperm: u32,
    socket_mark_id: u32,
    active_defrag_max_scan_fields: u64,
    slowlog_max_len: u64,
    acllog_max_len: u64,
    // --- C long long / unsigned long long (times in ms, sizes in bytes) ---
    busy_reply_threshold: i64,
    cluster_node_timeout: i64,
    slowlog_log_slower_than: i64,
    latency_monitor_threshold: i64,
    proto_max_bulk_len: i64,
    stream_node_max_entries: i64,
    repl_backlog_size: i64,
    maxmemory: u64,
    cluster_link_sendbuf_limit: u64,
    // --- C size_t / ssize_t / time_t / off_t ---
    hash_max_listpack_entries: usize,
    set_max_intset_entries: usize,
    zset_max_listpack_entries: usize,
    active_defrag_ignore_bytes: usize,
    hash_max_listpack_value: usize,
    stream_node_max_bytes: usize,
    zset_max_listpack_value: usize,
    hll_sparse_max_bytes: usize,
    tracking_table_max_keys: usize,
    client_query_buffer_limit: usize,
    /// Bytes, or `-N` for N percent of `maxmemory`; 0 disables client eviction.
    maxmemory_clients: i64,
    repl_backlog_ttl: i64,
    auto_aof_rewrite_min_size: i64,
    loading_process_events_interval_bytes: i64,
    // --- TLS (stored only) ---
    tls_port: i32,
    tls_session_cache_size: i32,
    tls_session_cache_timeout: i32,
    tls_cluster: bool,
    tls_replication: bool,
    tls_auth_clients: TlsAuthClients,
    tls_prefer_server_ciphers: bool,
    tls_session_caching: bool,
    tls_cert_file: Option<String>,
    tls_key_file: Option<String>,
    tls_key_file_pass: Option<String>,
    tls_client_cert_file: Option<String>,
    tls_client_key_file: Option<String>,
    tls_client_key_file_pass: Option<String>,
    tls_dh_params_file: Option<String>,
    tls_ca_cert_file: Option<String>,
    tls_ca_cert_dir: Option<String>,
    tls_protocols: Option<String>,
    tls_ciphers: Option<String>,
    tls_ciphersuites: Option<String>,
    // --- special directives ---
    /// Absolute working directory (CONFIG GET dir prints the cwd).
    dir: String,
    /// Save points as (seconds, changes); empty means no automatic saving.
    save: Vec<(i64, i64)>,
    /// Indexed by CLIENT_TYPE_NORMAL, CLIENT_TYPE_REPLICA, CLIENT_TYPE_PUBSUB.
    client_output_buffer_limit: [ClientBufferLimit; 3],
    /// oom_score_adj of master, replica, background child.
    oom_score_adj_values: [i32; 3],
    /// NOTIFY_* bits.
    notify_keyspace_events: u32,
    /// Addresses to listen on; a leading `-` marks an optional address.
    bind: Vec<String>,
    /// Master (host, port) when this server is a replica.
    replicaof: Option<(String, u16)>,
    latency_tracking_info_percentiles: Vec<f64>,
    // --- file-only directives, recorded for the server to act on ---
    /// `rename-command old new` in file order; an empty `new` deletes the command.
    rename_commands: Vec<(String, String)>,
    /// Line of each `rename_commands` entry, for error reports.
    rename_sources: Vec<SourceLine>,
    /// Arguments after `user` of each `user` line (ACL rules), in file order.
    users: Vec<Vec<String>>,
    /// Line of each `users` entry, for error reports.
    user_sources: Vec<SourceLine>,
    /// `loadmodule path args...` lines.
    loadmodules: Vec<(String, Vec<String>)>,
    /// `module.name value` lines, later ones replacing earlier ones.
    module_configs: Vec<(String, String)>,
}

impl Default for Config {
    /// Redis' defaults: what CONFIG GET shows on `redis-server` without a config file.
    fn default() -> Config {
        let mut c = Config::blank();
        for spec in CONFIGS {
            table::init_spec(&mut c, spec);
        }
        c
    }
}

/// A configuration error that stops the server (Redis exits with status 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The complete text Redis prints to stderr, banner included
    /// (`\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n...`). Print it
    /// as-is with `eprint!` and exit(1).
    Fatal(String),
    /// A file could not be opened. Redis logs this one line at warning level
    /// (`Fatal error, can't open config file '...': ...`) and exits(1).
    Log(String),
}

impl ConfigError {
    /// The text to print (Fatal) or log (Log).
    pub fn message(&self) -> &str {
        match self {
            ConfigError::Fatal(s) | ConfigError::Log(s) => s,
        }
    }

    /// Formats loadServerConfigFromString's report. `at` is the 1-based line
    /// number and the trimmed line, absent for checks done after the last line.
    pub(crate) fn fatal(at: Option<(usize, &str)>, err: &str) -> ConfigError {
        let mut s = format!("\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n");
        if let Some((line, text)) = at {
            s.push_str(&format!(
                "Reading the configuration file, at line {line}\n>>> '{text}'\n"
            ));
        }
        s.push_str(err);
        s.push('\n');
        ConfigError::Fatal(s)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ConfigError {}

/// strerror() text of an I/O error: Rust's Display minus " (os error N)".
pub(crate) fn errno_text(e: &io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s,
    }
}

/// The reply text when applying a CONFIG SET change failed (Redis' wording).
pub fn set_failed_error(name: &str, err: &str) -> String {
    format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {err}")
}

/// The -LOADING error CONFIG SET gives for DENY_LOADING directives.
pub const LOADING_ERROR: &str = "LOADING Redis is loading the dataset in memory";

impl Config {
    /// CONFIG GET: name/value pairs for every directive matching one of the
    /// patterns (Redis' glob, case-insensitive), each name at most once.
    ///
    /// A pattern without `*`, `?` or `[` is an exact lookup: it may name a
    /// HIDDEN directive and the reply uses the name as written (`PORT`).
    /// Glob patterns skip HIDDEN directives and match primary names and
    /// aliases separately, so `*` lists both `replicaof` and `slaveof`.
    /// Order: by pattern, then table order (Redis uses hash order).
    pub fn get(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let seen = |out: &Vec<(String, String)>, name: &[u8]| {
            out.iter()
                .any(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        };
        for pat in patterns {
            if !pat.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
                if seen(&out, pat) {
                    continue;
                }
                if let Some((spec, _)) = lookup(pat) {
                    let name = String::from_utf8_lossy(pat).into_owned();
                    out.push((name, table::get_spec(self, spec)));
                }
                continue;
            }
            for spec in CONFIGS {
                if spec.has(HIDDEN) {
                    continue;
                }
                for name in std::iter::once(spec.name).chain(spec.alias) {
                    if !seen(&out, name.as_bytes()) && parse::glob_match(pat, name.as_bytes(), true)
                    {
                        out.push((name.to_string(), table::get_spec(self, spec)));
                    }
                }
            }
        }
        out
    }

    /// The CONFIG GET text of one directive (primary name or alias).
    pub fn get_one(&self, name: &str) -> Option<String> {
        lookup(name.as_bytes()).map(|(spec, _)| table::get_spec(self, spec))
    }

    /// CONFIG SET of one or more `name value` pairs, all or nothing.
    ///
    /// `allow_protected`: whether this client may change PROTECTED
    /// directives (`enable-protected-configs` via
    /// [`ProtectedAction::allows`]). `loading`: a dataset is being loaded
    /// (DENY_LOADING directives get [`LOADING_ERROR`]).
    ///
    /// On success returns the primary names whose stored value changed (for
    /// special directives like `bind`/`save`: every one that was set), in
    /// argument order without duplicates; the caller applies their side
    /// effects. On error nothing changed and the Err is the full reply text
    /// (`ERR ...` or `LOADING ...`). The caller redacts SENSITIVE values from
    /// slowlog/monitor itself (see [`ConfigSpec::has`]).
    pub fn set(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        allow_protected: bool,
        loading: bool,
    ) -> Result<Vec<&'static str>, String> {
        let specs = check_set_pairs(pairs, allow_protected, loading)?;

        // Set everything on the live value; on error put the old one back.
        let backup = self.clone();
        let mut changed: Vec<&'static str> = Vec::new();
        for ((spec, alias), (_, value)) in specs.iter().zip(pairs) {
            let value = String::from_utf8_lossy(value);
            // CONFIG SET splits multi-arg values on single spaces (sdssplitlen).
            let argv: Vec<String> = if spec.has(MULTI_ARG) {
                if value.is_empty() {
                    Vec::new()
                } else {
                    value.split(' ').map(str::to_owned).collect()
                }
            } else {
                vec![value.into_owned()]
            };
            match table::set_spec(self, spec, &argv) {
                Ok(true) => {
                    if !changed.contains(&spec.name) {
                        changed.push(spec.name);
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    self.restore(backup);
                    // Redis names the directive as registered: the alias if one was used.
                    let shown = if *alias {
                        spec.alias.unwrap_or(spec.name)
                    } else {
                        spec.name
                    };
                    return Err(set_failed_error(shown, &e));
                }
            }
        }
        // updateHZ cannot fail: out-of-range values are clamped, not refused.
        if changed.contains(&"hz") {
            self.hz = self.hz.clamp(CONFIG_MIN_HZ, CONFIG_MAX_HZ);
        }
        Ok(changed)
    }

    /// Puts back a copy taken before `set` (for a failed apply step). Also
    /// moves the process back to the snapshot's `dir` if it changed.
    pub fn restore(&mut self, snapshot: Config) {
        if snapshot.dir != self.dir && !snapshot.dir.is_empty() {
            // Best effort, like Redis' restore: the old directory existed a moment ago.
            let _ = std::env::set_current_dir(&snapshot.dir);
        }
        *self = snapshot;
    }

    /// Expands `proc-title-template` variables (sdstemplate + Redis'
    /// variables) and trims spaces. `None` if the template is malformed or
    /// names an unknown variable. `config_file` is `{config-file}` ("-" if none).
    pub fn expand_proc_title(
        &self,
        template: &str,
        title: &str,
        config_file: Option<&str>,
    ) -> Option<String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            if after.is_empty() {
                return None;
            }
            if let Some(stripped) = after.strip_prefix('{') {
                out.push('{'); // "{{" is a literal brace
                rest = stripped;
                continue;
            }
            let close = after.find('}')?;
            out.push_str(&self.proc_title_variable(&after[..close], title, config_file)?);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        Some(out.trim_matches(' ').to_string())
    }

    fn proc_title_variable(&self, name: &str, title: &str, file: Option<&str>) -> Option<String> {
        Some(match name {
            "title" => title.to_string(),
            "listen-addr" => {
                if self.port != 0 || self.tls_port != 0 {
                    let addr = self.bind.first().map(String::as_str).unwrap_or("*");
                    let port = if self.port != 0 {
                        self.port
                    } else {
                        self.tls_port
                    };
                    format!("{addr}:{port}")
                } else {
                    format!("unixsocket:{}", self.unixsocket.as_deref().unwrap_or(""))
                }
            }
            "server-mode" => if self.cluster_enabled {
                "[cluster]"
            } else {
                ""
            }
            .to_string(),
            "config-file" => file.unwrap_or("-").to_string(),
            "port" => self.port.to_string(),
            "tls-port" => self.tls_port.to_string(),
            "unixsocket" => self.unixsocket.clone().unwrap_or_default(),
            _ => return None,
        })
    }
}

/// The first half of configSetCommand: find every directive and refuse the
/// whole command on an unknown, immutable, protected, loading-denied or
/// duplicate name. The first problem found decides the error, except that
/// a loading error is reported as -LOADING.
fn check_set_pairs(
    pairs: &[(&[u8], &[u8])],
    allow_protected: bool,
    loading: bool,
) -> Result<Vec<(&'static ConfigSpec, bool)>, String> {
    let mut specs: Vec<(&'static ConfigSpec, bool)> = Vec::with_capacity(pairs.len());
    for (name, _) in pairs {
        let shown = || String::from_utf8_lossy(name).into_owned();
        let Some((spec, alias)) = lookup(name) else {
            return Err(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                shown()
            ));
        };
        if spec.has(IMMUTABLE) || (spec.has(PROTECTED) && !allow_protected) {
            let why = if spec.has(IMMUTABLE) {
                "can't set immutable config"
            } else {
                "can't set protected config"
            };
            return Err(set_failed_error(&shown(), why));
        }
        if loading && spec.has(DENY_LOADING) {
            return Err(LOADING_ERROR.to_string());
        }
        if specs.iter().any(|(s, _)| std::ptr::eq(*s, spec)) {
            return Err(set_failed_error(&shown(), "duplicate parameter"));
        }
        specs.push((spec, alias));
    }
    Ok(specs)
}

/// Whether CONFIG SET of `name` must wait until no dataset is loading
/// (the directive's DENY_LOADING flag; Redis answers -LOADING).
/// A secret (masterauth, requirepass, masteruser): its CONFIG SET value
/// is redacted from SLOWLOG and MONITOR.
pub fn is_sensitive(name: &[u8]) -> bool {
    table::lookup(name).is_some_and(|(spec, _)| spec.flags & table::SENSITIVE != 0)
}

pub fn denied_while_loading(name: &[u8]) -> bool {
    table::lookup(name).is_some_and(|(spec, _)| spec.flags & table::DENY_LOADING != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(c: &Config, pats: &[&str]) -> Vec<(String, String)> {
        let pats: Vec<&[u8]> = pats.iter().map(|p| p.as_bytes()).collect();
        c.get(&pats)
    }

    fn get1(c: &Config, name: &str) -> String {
        c.get_one(name).unwrap()
    }

    fn set(c: &mut Config, pairs: &[(&str, &str)]) -> Result<Vec<&'static str>, String> {
        let pairs: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
            .collect();
        c.set(&pairs, false, false)
    }

    #[test]
    fn defaults_match_redis() {
        let c = Config::default();
        assert_eq!(c.hz, 10);
        assert_eq!(c.port, 6379);
        assert_eq!(c.proto_max_bulk_len, 512 << 20);
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::Noeviction);
        assert!(!c.appendonly);
        assert_eq!(get1(&c, "save"), "3600 1 300 100 60 10000");
        assert_eq!(
            get1(&c, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        assert_eq!(get1(&c, "oom-score-adj-values"), "0 200 800");
        assert_eq!(get1(&c, "bind"), "* -::*");
        assert_eq!(get1(&c, "latency-tracking-info-percentiles"), "50 99 99.9");
        assert_eq!(get1(&c, "unixsocketperm"), "0");
        assert_eq!(get1(&c, "notify-keyspace-events"), "");
        assert_eq!(get1(&c, "shutdown-on-sigint"), "default");
        assert_eq!(get1(&c, "acl-pubsub-default"), "resetchannels");
        assert_eq!(
            get1(&c, "proc-title-template"),
            "{title} {listen-addr} {server-mode}"
        );
        assert_eq!(get1(&c, "replicaof"), "");
        assert_eq!(get1(&c, "requirepass"), "");
    }

    #[test]
    fn get_star_lists_every_visible_name_once() {
        let c = Config::default();
        let all = get(&c, &["*"]);
        // Same count as `CONFIG GET *` on Debian's redis-server 7.0.15 (with TLS).
        assert_eq!(all.len(), 192);
        let mut names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 192);
        assert!(names.contains(&"slaveof") && names.contains(&"replicaof"));
        assert!(!names.contains(&"key-load-delay"));
    }

    #[test]
    fn get_exact_names_hidden_and_case() {
        let c = Config::default();
        assert_eq!(
            get(&c, &["key-load-delay"]),
            vec![("key-load-delay".into(), "0".into())]
        );
        assert_eq!(
            get(&c, &["PORT", "port"]),
            vec![("PORT".into(), "6379".into())]
        );
        assert_eq!(get(&c, &["nosuch"]), vec![]);
        let r = get(&c, &["slaveof", "replicaof", "replica*of"]);
        assert_eq!(r.len(), 2);
        let r = get(&c, &["maxmemory", "maxmemory*", "bind", "*of"]);
        let names: Vec<&str> = r.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.iter().filter(|n| **n == "maxmemory").count(), 1);
        assert!(names.contains(&"maxmemory-samples") && names.contains(&"maxmemory-clients"));
        assert!(names.contains(&"slaveof") && names.contains(&"replicaof"));
        let r = get(&c, &["SLAVE*"]);
        assert_eq!(r.len(), 8); // the seven slave-* aliases and slaveof
        assert!(r.iter().all(|(n, _)| n.starts_with("slave")));
    }

    #[test]
    fn get_formats_memory_percent_enum_and_flags() {
        let mut c = Config::default();
        set(
            &mut c,
            &[("maxmemory", "1gb"), ("maxmemory-clients", "10%")],
        )
        .unwrap();
        assert_eq!(get1(&c, "maxmemory"), "1073741824");
        assert_eq!(get1(&c, "maxmemory-clients"), "10%");
        set(&mut c, &[("oom-score-adj", "relative")]).unwrap();
        assert_eq!(get1(&c, "oom-score-adj"), "yes");
        set(&mut c, &[("notify-keyspace-events", "KEA")]).unwrap();
        assert_eq!(get1(&c, "notify-keyspace-events"), "AKE");
        set(&mut c, &[("shutdown-on-sigint", "nosave now")]).unwrap();
        assert_eq!(get1(&c, "shutdown-on-sigint"), "nosave now");
        set(
            &mut c,
            &[(
                "client-output-buffer-limit",
                "replica 1mb 2kb 3 normal 1 2 3",
            )],
        )
        .unwrap();
        assert_eq!(
            get1(&c, "client-output-buffer-limit"),
            "normal 1 2 3 slave 1048576 2048 3 pubsub 33554432 8388608 60"
        );
    }

    #[test]
    fn set_error_texts() {
        let mut c = Config::default();
        let e = |c: &mut Config, p: &[(&str, &str)]| set(c, p).unwrap_err();
        assert_eq!(
            e(&mut c, &[("foo", "bar")]),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        assert_eq!(
            e(&mut c, &[("maxmemory", "abc")]),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"
        );
        assert_eq!(
            e(&mut c, &[("daemonize", "yes")]),
            "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
        );
        assert_eq!(
            e(&mut c, &[("dir", "/tmp")]),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
        );
        assert_eq!(
            e(&mut c, &[("port", "1"), ("PORT", "2")]),
            "ERR CONFIG SET failed (possibly related to argument 'PORT') - duplicate parameter"
        );
        assert_eq!(
            e(&mut c, &[("SLAVE-PRIORITY", "x")]),
            "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument couldn't be parsed into an integer"
        );
        assert_eq!(
            e(&mut c, &[("hz", "+5")]),
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
        );
        assert_eq!(
            e(&mut c, &[("proto-max-bulk-len", "1000")]),
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"
        );
        assert_eq!(
            e(&mut c, &[("loglevel", "foo")]),
            "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning"
        );
        assert_eq!(
            e(&mut c, &[("appendonly", "maybe")]),
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'"
        );
        assert_eq!(
            e(&mut c, &[("shutdown-on-sigint", "save nosave")]),
            "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - shutdown options SAVE and NOSAVE can't be used simultaneously"
        );
        assert_eq!(
            e(&mut c, &[("activedefrag", "yes")]),
            "ERR CONFIG SET failed (possibly related to argument 'activedefrag') - Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
        );
        assert_eq!(
            e(&mut c, &[("save", "1 a")]),
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"
        );
        assert_eq!(
            e(&mut c, &[("proc-title-template", "{title}")]),
            "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"
        );
        assert_eq!(
            e(&mut c, &[("cluster-announce-hostname", "a_b")]),
            "ERR CONFIG SET failed (possibly related to argument 'cluster-announce-hostname') - Hostnames may only contain alphanumeric characters, hyphens or dots"
        );
        assert_eq!(
            e(&mut c, &[("client-output-buffer-limit", "master 1 1 1")]),
            "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration."
        );
        assert_eq!(
            e(&mut c, &[("oom-score-adj-values", "1 2")]),
            "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - wrong number of arguments"
        );
        assert_eq!(
            e(&mut c, &[("notify-keyspace-events", "Z")]),
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        );
        let pairs: [(&[u8], &[u8]); 1] = [(b"appendonly", b"yes")];
        assert_eq!(c.set(&pairs, false, true).unwrap_err(), LOADING_ERROR);
    }

    #[test]
    fn first_problem_wins_in_the_name_check() {
        let mut c = Config::default();
        assert_eq!(
            set(&mut c, &[("daemonize", "yes"), ("foo", "1")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
        );
        assert_eq!(
            set(&mut c, &[("foo", "1"), ("daemonize", "yes")]).unwrap_err(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
    }

    #[test]
    fn protected_directives_need_permission() {
        let mut c = Config::default();
        let pairs: [(&[u8], &[u8]); 1] = [(b"dbfilename", b"x.rdb")];
        assert!(c
            .set(&pairs, false, false)
            .unwrap_err()
            .ends_with("can't set protected config"));
        assert_eq!(c.set(&pairs, true, false).unwrap(), vec!["dbfilename"]);
        assert_eq!(c.dbfilename, "x.rdb");
        let pairs: [(&[u8], &[u8]); 1] = [(b"dbfilename", b"a/b")];
        assert_eq!(
            c.set(&pairs, true, false).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename"
        );
    }

    #[test]
    fn dir_is_set_with_chdir() {
        // Other tests in the crate may rely on the cwd, so only "move" to
        // the directory we are already in.
        let cwd = std::env::current_dir().unwrap().canonicalize().unwrap();
        let cwd_text = cwd.to_str().unwrap();
        let mut c = Config::default();
        let ok: [(&[u8], &[u8]); 1] = [(b"dir", cwd_text.as_bytes())];
        assert_eq!(c.set(&ok, true, false).unwrap(), vec!["dir"]);
        assert_eq!(c.get_one("dir").unwrap(), cwd_text);
        let missing: [(&[u8], &[u8]); 2] = [(b"hz", b"20"), (b"dir", b"/nonexistent-ferrodis-dir")];
        assert_eq!(
            c.set(&missing, true, false).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"
        );
        assert_eq!(c.hz, 10);
        assert_eq!(
            std::env::current_dir().unwrap().canonicalize().unwrap(),
            cwd
        );
        let loading: [(&[u8], &[u8]); 1] = [(b"dir", b"/")];
        assert_eq!(c.set(&loading, true, true).unwrap_err(), LOADING_ERROR);
    }

    #[test]
    fn set_rolls_back_everything_on_error() {
        let mut c = Config::default();
        set(&mut c, &[("maxmemory", "10000002")]).unwrap();
        let before = c.clone();
        let err = set(
            &mut c,
            &[
                ("maxmemory", "10000001"),
                ("maxmemory-clients", "200%"),
                ("client-query-buffer-limit", "invalid"),
            ],
        )
        .unwrap_err();
        assert_eq!(
            err,
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100"
        );
        assert_eq!(c, before);
        assert_eq!(c.maxmemory, 10000002);
    }

    #[test]
    fn set_reports_changed_names_once() {
        let mut c = Config::default();
        let changed = set(
            &mut c,
            &[("maxmemory", "0"), ("slave-priority", "5"), ("save", "")],
        )
        .unwrap();
        // maxmemory was already 0; save is special and always counts.
        assert_eq!(changed, vec!["replica-priority", "save"]);
        assert_eq!(c.replica_priority, 5);
        assert!(c.save.is_empty());
        let changed = set(&mut c, &[("hz", "1000")]).unwrap();
        assert_eq!(changed, vec!["hz"]);
        assert_eq!(c.hz, 500);
    }

    #[test]
    fn set_then_get_round_trips_for_every_modifiable_directive() {
        // The CONFIG sanity test of Redis' introspection.tcl.
        let mut c = Config::default();
        let before = get(&c, &["*"]);
        for (name, value) in &before {
            let (spec, _) = lookup(name.as_bytes()).unwrap();
            if spec.has(IMMUTABLE) || spec.has(PROTECTED) {
                continue;
            }
            let pairs: [(&[u8], &[u8]); 1] = [(name.as_bytes(), value.as_bytes())];
            c.set(&pairs, false, false)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert_eq!(get(&c, &["*"]), before);
    }

    #[test]
    fn multi_arg_values_split_on_single_spaces() {
        let mut c = Config::default();
        set(&mut c, &[("save", "100 10 20 5")]).unwrap();
        assert_eq!(c.save, vec![(100, 10), (20, 5)]);
        // Two spaces give an empty argument, which is not a number.
        assert!(set(&mut c, &[("save", "100  10")]).is_err());
        set(&mut c, &[("bind", "")]).unwrap();
        assert!(c.bind.is_empty());
        set(&mut c, &[("latency-tracking-info-percentiles", "")]).unwrap();
        assert_eq!(get1(&c, "latency-tracking-info-percentiles"), "");
        assert!(set(&mut c, &[("shutdown-on-sigterm", "")]).is_err());
    }

    #[test]
    fn restore_puts_back_a_snapshot() {
        let mut c = Config::default();
        let snapshot = c.clone();
        set(&mut c, &[("port", "7000"), ("hz", "50")]).unwrap();
        c.restore(snapshot.clone());
        assert_eq!(c, snapshot);
    }

    #[test]
    fn proc_title_expansion() {
        let c = Config::default();
        assert_eq!(
            c.expand_proc_title("{title} {listen-addr} {server-mode}", "redis-server", None)
                .unwrap(),
            "redis-server *:6379"
        );
        assert_eq!(
            c.expand_proc_title("{{x} {port}", "", None).unwrap(),
            "{x} 6379"
        );
        assert_eq!(c.expand_proc_title("{nope}", "", None), None);
        assert_eq!(c.expand_proc_title("{title", "", None), None);
        assert_eq!(c.expand_proc_title("{config-file}", "", None).unwrap(), "-");
    }

    #[test]
    fn fatal_error_text_matches_redis() {
        let e = ConfigError::fatal(
            Some((2, "port \"abc\"")),
            "argument couldn't be parsed into an integer",
        );
        assert_eq!(
            e.message(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port \"abc\"'\nargument couldn't be parsed into an integer\n"
        );
        let e = ConfigError::fatal(None, "replicaof directive not allowed in cluster mode");
        assert_eq!(
            e.message(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nreplicaof directive not allowed in cluster mode\n"
        );
    }
}
