//! CONFIG GET|SET|RESETSTAT|REWRITE|HELP (config.c configCommand). The
//! table and its parsing live in `crate::config`; here we apply the side
//! effects a change needs at run time (re-binding, log level, hz).

use super::{help::reply_help, Ctx};
use crate::errors::{CmdError, CmdResult};

pub fn get(cx: &mut Ctx) -> CmdResult {
    let pats: Vec<&[u8]> = (2..cx.argc()).map(|i| cx.arg(i)).collect();
    let pairs = cx.srv.cfg.get(&pats);
    let mut r = cx.reply();
    r.map_len(pairs.len());
    for (k, v) in pairs {
        r.bulk(k.as_bytes());
        r.bulk(v.as_bytes());
    }
    Ok(())
}

pub fn set(cx: &mut Ctx) -> CmdResult {
    if cx.argc() < 4 || !cx.argc().is_multiple_of(2) {
        return Err(cx.wrong_arity());
    }
    let argv = cx.c.argv.clone();
    let pairs: Vec<(&[u8], &[u8])> = (2..argv.len())
        .step_by(2)
        .map(|i| (&argv[i][..], &argv[i + 1][..]))
        .collect();
    // Secrets stay out of SLOWLOG and MONITOR, whatever happens next.
    for i in (2..argv.len()).step_by(2) {
        if crate::config::is_sensitive(&argv[i]) {
            cx.redact(i + 1);
        }
    }
    // DENY_LOADING directives cannot change while a dataset loads; Redis
    // answers -LOADING for them rather than a plain error.
    if cx.srv.loading
        && pairs
            .iter()
            .any(|(n, _)| crate::config::denied_while_loading(n))
    {
        return Err(CmdError::msg(
            "LOADING Redis is loading the dataset in memory",
        ));
    }
    let before = cx.srv.cfg.clone();
    let (old_bind, old_port) = (before.bind.clone(), before.port);
    let allow_protected = cx.srv.cfg.enable_protected_configs.allows(
        cx.c.addr.starts_with("127.0.0.1:")
            || cx.c.flags & crate::net::client::flags::UNIX_SOCKET != 0,
    );
    let changed = cx
        .srv
        .cfg
        .set(&pairs, allow_protected, false)
        .map_err(CmdError::owned)?;
    if let Err((name, e)) = apply(cx, &changed, &old_bind, old_port) {
        // Roll back every directive of this call (the listeners were
        // already restored by rebind_tcp), as Redis' restore_backup does.
        cx.srv.cfg.restore(before);
        if changed.iter().any(|n| n.starts_with("oom-score-adj")) {
            cx.srv.apply_oom_score(); // logged; the rollback stands
        }
        return Err(CmdError::owned(crate::config::set_failed_error(name, &e)));
    }
    cx.reply().ok();
    Ok(())
}

/// Side effects of changed directives; Err names the directive and gives
/// the reason, in Redis' words.
fn apply(
    cx: &mut Ctx,
    changed: &[&'static str],
    old_bind: &[String],
    old_port: i32,
) -> Result<(), (&'static str, String)> {
    for &name in changed {
        match name {
            "port" => cx
                .srv
                .rebind_tcp(old_bind, old_port)
                .map_err(|_| (name, "Unable to listen on this port".to_string()))?,
            "bind" => cx
                .srv
                .rebind_tcp(old_bind, old_port)
                .map_err(|_| (name, "Failed to bind to specified addresses.".to_string()))?,
            "loglevel" => crate::logging::set_level(cx.srv.cfg.loglevel.name()),
            "hz" => cx.srv.hz = cx.srv.cfg.hz,
            "min-replicas-to-write" | "min-replicas-max-lag" => {
                crate::replication::master::refresh_good_replicas(cx.srv)
            }
            "oom-score-adj" | "oom-score-adj-values" if !cx.srv.apply_oom_score() => {
                return Err((
                    name,
                    "Failed to set current oom_score_adj. Check server logs.".to_string(),
                ));
            }
            "proc-title-template" => cx.srv.update_proc_title(),
            "crash-log-enabled" => crate::crash::set_enabled(cx.srv.cfg.crash_log_enabled),
            "watchdog-period" => {
                crate::crash::schedule_watchdog(cx.srv.cfg.watchdog_period, cx.srv.hz)
            }
            "maxmemory" => crate::evict::update_maxmemory(cx.srv),
            "appendonly" => update_appendonly(cx).map_err(|e| (name, e))?,
            "aof-disable-auto-gc" if !cx.srv.cfg.aof_disable_auto_gc => {
                crate::persistence::aof::del_history_files(cx.srv);
            }
            _ => {}
        }
    }
    if changed
        .iter()
        .any(|n| matches!(*n, "port" | "bind" | "unixsocket" | "tls-port"))
    {
        cx.srv.update_proc_title();
    }
    Ok(())
}

/// updateAppendonly: turning the AOF on starts the rewrite that creates
/// its base; turning it off closes the file.
fn update_appendonly(cx: &mut Ctx) -> Result<(), String> {
    use crate::persistence::aof::{self, AofState};
    let on = cx.srv.cfg.appendonly;
    if !on && cx.srv.aof.state != AofState::Off {
        aof::stop_append_only(cx.srv);
    } else if on && cx.srv.aof.state == AofState::Off && !aof::start_append_only(cx.srv) {
        return Err("Unable to turn on AOF. Check server logs.".into());
    }
    Ok(())
}

pub fn resetstat(cx: &mut Ctx) -> CmdResult {
    cx.srv.stats.reset();
    cx.srv.client_mem.evicted_clients = 0;
    crate::evict::reset_stats();
    crate::lazyfree::reset_stats();
    crate::persistence::load::reset_sanitizations();
    for c in cx.srv.commands.iter_mut() {
        c.stats = Default::default();
        for s in c.subcommands.iter_mut() {
            s.stats = Default::default();
        }
    }
    cx.reply().ok();
    Ok(())
}

pub fn rewrite(cx: &mut Ctx) -> CmdResult {
    let Some(path) = cx.srv.config_file.clone() else {
        return Err(CmdError::msg(
            "ERR The server is running without a config file",
        ));
    };
    let extras = rewrite_extras(cx);
    match cx.srv.cfg.rewrite_with(&path, &extras, false) {
        Ok(()) => {
            log::info!("CONFIG REWRITE executed with success.");
            cx.reply().ok();
            Ok(())
        }
        Err(e) => {
            log::warn!("CONFIG REWRITE failed: {e}");
            Err(CmdError::owned(format!("ERR Rewriting config file: {e}")))
        }
    }
}

/// The `user` lines a rewrite writes. Until ACLs land the only user is the
/// default one; Redis describes it this way when it has no password (with
/// requirepass set, that directive stands for it instead).
pub fn rewrite_extras(cx: &Ctx) -> crate::config::RewriteExtras {
    let mut extras = crate::config::RewriteExtras::from_config(&cx.srv.cfg);
    if cx.srv.cfg.requirepass.as_deref().unwrap_or("").is_empty() {
        extras.users = vec!["user default on nopass ~* &* +@all".to_string()];
    } else {
        extras.users.clear();
    }
    extras
}

pub fn help(cx: &mut Ctx) -> CmdResult {
    reply_help(
        cx,
        "CONFIG",
        &[
            "GET <pattern> [<pattern> ...]",
            "    The configuration parameters matching any of the glob-style patterns, with their values.",
            "SET <directive> <value> [<directive> <value> ...]",
            "    Change parameters at run time; all of them change or none does.",
            "RESETSTAT",
            "    Reset the statistics INFO reports.",
            "REWRITE",
            "    Write the running configuration back to the config file.",
        ],
    );
    Ok(())
}
