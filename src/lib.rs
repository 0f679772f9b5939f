//! ferrodis: a Redis 7.0-compatible server. A tour of the modules, in the
//! order a request meets them:
//!
//! * `server`   — `Server` owns everything and runs the one event loop
//!   (accept, read, execute, `before_sleep` writes replies); `cron` is the
//!   periodic work; `shutdown` the signal and SHUTDOWN paths.
//! * `net`      — listeners, `Client`, the RESP request parser (`resp`) and
//!   the RESP2/RESP3 reply writer (`reply`).
//! * `commands` — the command table (metadata generated from Redis' JSON
//!   in `spec_data`), `process_command`/`call`, one module per family.
//! * `db`       — `Db` (keys + expires), our `Dict` with incremental
//!   rehashing, expiry (lazy and active), the dataset digest.
//! * `types`    — value representations (`Key`, `Value` and encodings).
//! * `persistence` — the RDB format, SAVE, loading, DUMP/RESTORE payloads,
//!   command propagation and the multi-part AOF.
//! * `config`   — every Redis 7.0 directive: parsing, CONFIG GET/SET/REWRITE.
//! * `util`     — Redis' glob matcher and number formatting rules.
//! * `client_evict` — client memory accounting and `maxmemory-clients`.
//! * `logging`, `stats`, `memory`, `slowlog`, `latency` — log format, counters,
//!   allocator figures, the slow log, the latency monitor.

pub mod blocking;
pub mod client_evict;
pub mod commands;
pub mod config;
pub mod crash;
pub mod cron;
pub mod db;
pub mod errors;
pub mod evict;
pub mod latency;
pub mod lazyfree;
pub mod linux_tuning;
pub mod logging;
pub mod mallctl;
pub mod memory;
pub mod multi;
pub mod net;
pub mod notify;
pub mod persistence;
pub mod proctitle;
pub mod pubsub;
pub mod replication;
pub mod server;
pub mod shutdown;
pub mod slowlog;
pub mod stats;
pub mod tracking;
pub mod types;
pub mod util;

/// The Redis version ferrodis implements (INFO, HELLO, -v).
pub const REDIS_VERSION: &str = "7.0.15";
/// Our build id for INFO's redis_build_id and `-v`.
pub const BUILD_ID: &str = concat!("ferrodis-", env!("CARGO_PKG_VERSION"));
