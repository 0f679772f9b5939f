//! Linux process tuning that Redis does for itself (server.c
//! setOOMScoreAdj, linuxMemoryWarnings; syscheck.c): the OOM killer score
//! of the server and its fork children (`oom-score-adj`,
//! `oom-score-adj-values`), turning transparent huge pages off for the
//! process (`disable-thp`), and the start-up warnings about memory
//! overcommit and THP, with Redis' log lines.
//!
//! Invariant: once we have written `/proc/self/oom_score_adj`, `OomScore`
//! remembers the score the process had before, so switching
//! `oom-score-adj` back to `no` restores it exactly.

use crate::config::{Config, OomScoreAdj};

/// Which of the three `oom-score-adj-values` applies to a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OomClass {
    Master = 0,
    Replica = 1,
    BackgroundChild = 2,
}

const OOM_SCORE_ADJ: &str = "/proc/self/oom_score_adj";

/// What we changed of the process' OOM score.
#[derive(Debug, Default)]
pub struct OomScore {
    /// The score the process had before we first wrote one; Some while our
    /// value is in place.
    base: Option<i32>,
}

impl OomScore {
    /// Writes the score `cfg` asks for `class`, or puts back the original
    /// score when `oom-score-adj` is `no` and we had changed it. False when
    /// the file could not be read or written (logged with Redis' "Unable to
    /// ... oom_score_adj" line).
    pub fn apply(&mut self, cfg: &Config, class: OomClass) -> bool {
        let val = if cfg.oom_score_adj != OomScoreAdj::No {
            let base = match self.base {
                Some(b) => b,
                None => match read_score() {
                    Ok(b) => {
                        self.base = Some(b);
                        b
                    }
                    Err(e) => {
                        log::warn!("Unable to read oom_score_adj: {e}");
                        return false;
                    }
                },
            };
            let own = cfg.oom_score_adj_values[class as usize];
            let v = if cfg.oom_score_adj == OomScoreAdj::Absolute {
                own
            } else {
                own + base
            };
            v.clamp(-1000, 1000)
        } else if let Some(b) = self.base.take() {
            b
        } else {
            return true;
        };
        match std::fs::write(OOM_SCORE_ADJ, format!("{val}\n")) {
            Ok(()) => true,
            Err(e) => {
                log::warn!(
                    "Unable to write oom_score_adj: {}",
                    crate::config::errno_text(&e)
                );
                false
            }
        }
    }
}

fn read_score() -> Result<i32, String> {
    let text = std::fs::read_to_string(OOM_SCORE_ADJ).map_err(|e| crate::config::errno_text(&e))?;
    // atoi semantics: a malformed file counts as 0, as in Redis.
    Ok(text.trim().parse().unwrap_or(0))
}

/// The warnings Redis logs right after "Server initialized" on Linux, and
/// `disable-thp`: when THP is `[always]`, try to opt this process out
/// (PR_SET_THP_DISABLE) and warn only if that is not possible.
pub fn memory_warnings(cfg: &Config) {
    if first_line("/proc/sys/vm/overcommit_memory").is_some_and(|l| l.trim() != "1") {
        log::warn!(
            "WARNING Memory overcommit must be enabled! Without it, a background save or \
             replication may fail under low memory condition. Being disabled, it can can also \
             cause failures without low memory condition, see \
             https://github.com/jemalloc/jemalloc/issues/1328. To fix this issue add \
             'vm.overcommit_memory = 1' to /etc/sysctl.conf and then reboot or run the command \
             'sysctl vm.overcommit_memory=1' for this to take effect."
        );
    }
    let thp_always = first_line("/sys/kernel/mm/transparent_hugepage/enabled")
        .is_some_and(|l| l.contains("[always]"));
    if thp_always && !(cfg.disable_thp && disable_thp_for_process()) {
        log::warn!(
            "WARNING You have Transparent Huge Pages (THP) support enabled in your kernel. This \
             will create latency and memory usage issues with Redis. To fix this issue run the \
             command 'echo madvise > /sys/kernel/mm/transparent_hugepage/enabled' as root, and \
             add it to your /etc/rc.local in order to retain the setting after a reboot. Redis \
             must be restarted after THP is disabled (set to 'madvise' or 'never')."
        );
    }
}

fn first_line(path: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(text.lines().next().unwrap_or("").to_string())
}

/// PR_SET_THP_DISABLE (Linux >= 3.5): this process and its fork children
/// get no huge pages, so a child's copy-on-write copies 4 KiB, not 2 MiB.
fn disable_thp_for_process() -> bool {
    nix::sys::prctl::set_thp_disable(true).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_means_untouched_until_enabled() {
        // With oom-score-adj no and nothing changed before, apply is a
        // no-op that cannot fail (it must not even read the file).
        let cfg = Config::default();
        let mut s = OomScore::default();
        assert!(s.apply(&cfg, OomClass::Master));
        assert!(s.base.is_none());
    }
}
