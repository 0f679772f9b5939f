//! The directives that fit no generic type (config.c's "special configs"):
//! `dir`, `save`, `client-output-buffer-limit`, `oom-score-adj-values`,
//! `notify-keyspace-events`, `bind`, `replicaof` and
//! `latency-tracking-info-percentiles`. Each is a [`SpecialOps`] of its own
//! init/set/get/rewrite functions, with Redis' parsing and error texts.
//!
//! Invariant: a failing `set` leaves the `Config` untouched (every argument
//! is checked before anything is stored), except `save ""` which clears
//! first, as Redis does. `Config::set` rolls back on error either way.
//!
//! All of these count as changed whenever they are set (Redis' special
//! setters return 1), except `oom-score-adj-values`, so the server re-runs
//! e.g. the rebinding of `bind` even for an identical address list.

use super::enums::{keyspace_events_from_str, keyspace_events_to_string};
use super::parse::{c_strtoll, memtoull, string2d};
use super::rewrite;
use super::table::{SetResult, SpecialOps};
use super::{ClientBufferLimit, Config};

/// `dir`: changes the process' working directory right away, as Redis does
/// (later relative `include`s and files are resolved against it).
pub(super) static DIR_OPS: SpecialOps = SpecialOps {
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
        // Store the resolved absolute path: CONFIG GET and REWRITE print
        // getcwd() in Redis, never the relative argument.
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

pub(super) static SAVE_OPS: SpecialOps = SpecialOps {
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

pub(super) static COBL_OPS: SpecialOps = SpecialOps {
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
    // Validate every group first so a bad last group changes nothing.
    let mut updates = Vec::with_capacity(argv.len() / 4);
    for group in argv.chunks(4) {
        // `master` is a client type too, but its limits are not configurable.
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

/// oom_score_adj for master, replica and background child processes. With
/// `oom-score-adj relative` they are added to the score the server started
/// with; `absolute` writes them as they are.
pub const DEFAULT_OOM_SCORE_ADJ_VALUES: [i32; 3] = [0, 200, 800];

pub(super) static OOM_VALUES_OPS: SpecialOps = SpecialOps {
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
        // Values that do not increase master -> replica -> child are kept
        // (a privileged process can use them), with Redis' warning.
        if values[1] < values[0] || values[2] < values[1] {
            log::warn!(
                "The oom-score-adj-values configuration may not work for non-privileged \
                 processes! Please consult the documentation."
            );
        }
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

pub(super) static NOTIFY_OPS: SpecialOps = SpecialOps {
    init: |c| c.notify_keyspace_events = 0,
    set: |c, argv| {
        if argv.len() != 1 {
            return Err("wrong number of arguments".into());
        }
        // The whole string is replaced, never merged with the old classes.
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

pub(super) static BIND_OPS: SpecialOps = SpecialOps {
    init: |c| c.bind = DEFAULT_BIND.iter().map(|s| s.to_string()).collect(),
    set: |c, argv| {
        if argv.len() > BINDADDR_MAX {
            return Err("Too many bind addresses specified.".into());
        }
        // `bind ""` (or CONFIG SET bind "") means no TCP listener at all.
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

pub(super) static REPLICAOF_OPS: SpecialOps = SpecialOps {
    init: |c| c.replicaof = None,
    set: |c, argv| {
        if argv.len() != 2 {
            return Err("wrong number of arguments".into());
        }
        // `replicaof no one` in a file means "master", like the command.
        if argv[0].eq_ignore_ascii_case("no") && argv[1].eq_ignore_ascii_case("one") {
            c.replicaof = None;
            return Ok(true);
        }
        // strtol: "" parses as port 0, as in Redis.
        let (port, consumed, _) = c_strtoll(argv[1].as_bytes(), 10);
        if !consumed || !(0..=65535).contains(&port) {
            return Err("Invalid master port".into());
        }
        // The host is not resolved or checked here; the replication code
        // connects to it later and reports failures in its log.
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

pub(super) static PERCENTILES_OPS: SpecialOps = SpecialOps {
    init: |c| c.latency_tracking_info_percentiles = DEFAULT_LATENCY_PERCENTILES.to_vec(),
    set: |c, argv| {
        // A single "" clears the list: INFO latencystats then shows none.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_print_like_percent_f_trimmed() {
        assert_eq!(format_percentile(50.0), "50");
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(99.99999), "99.99999");
        assert_eq!(format_percentile(0.0000001), "0");
    }
}
