//! INFO (server.c genRedisInfoString): every 7.0 section and field name, in
//! Redis' order. Fields of features that have not landed yet report the
//! values an idle Redis reports (zeros, "ok", -1).

use std::fmt::Write as _;

use super::Ctx;
use crate::errors::CmdResult;
use crate::server::Server;

const DEFAULT: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Which sections a list of INFO arguments selects.
fn selected(args: &[Vec<u8>]) -> (Vec<String>, bool) {
    let mut out: Vec<String> = Vec::new();
    let mut everything = false;
    if args.is_empty() {
        return (DEFAULT.iter().map(|s| s.to_string()).collect(), false);
    }
    for a in args {
        let s = String::from_utf8_lossy(a).to_lowercase();
        match s.as_str() {
            "default" => out.extend(DEFAULT.iter().map(|s| s.to_string())),
            "all" => {
                out.extend(DEFAULT.iter().map(|s| s.to_string()));
                out.push("commandstats".into());
                out.push("latencystats".into());
            }
            "everything" => {
                everything = true;
                out.extend(DEFAULT.iter().map(|s| s.to_string()));
                out.push("commandstats".into());
                out.push("latencystats".into());
                out.push("modules".into());
            }
            _ => out.push(s),
        }
    }
    (out, everything)
}

pub fn info(cx: &mut Ctx) -> CmdResult {
    let args: Vec<Vec<u8>> = (1..cx.argc()).map(|i| cx.arg(i).to_vec()).collect();
    let (sections, _) = selected(&args);
    let text = gen_info(cx.srv, &sections, cx.c.id);
    cx.reply().verbatim(text.as_bytes(), "txt");
    Ok(())
}

pub fn human_bytes(n: u64) -> String {
    let d = n as f64;
    if n < 1024 {
        format!("{n}B")
    } else if n < 1024 * 1024 {
        format!("{:.2}K", d / 1024.0)
    } else if n < 1024 * 1024 * 1024 {
        format!("{:.2}M", d / (1024.0 * 1024.0))
    } else if n < 1024u64.pow(4) {
        format!("{:.2}G", d / 1024f64.powi(3))
    } else if n < 1024u64.pow(5) {
        format!("{:.2}T", d / 1024f64.powi(4))
    } else {
        format!("{:.2}P", d / 1024f64.powi(5))
    }
}

pub fn gen_info(srv: &mut Server, sections: &[String], _caller: u64) -> String {
    let has = |s: &str| sections.iter().any(|x| x == s);
    let mut o = String::new();
    let sep = |o: &mut String| {
        if !o.is_empty() {
            o.push_str("\r\n");
        }
    };
    if has("server") {
        sep(&mut o);
        server_section(srv, &mut o);
    }
    if has("clients") {
        sep(&mut o);
        let _ = write!(
            o,
            "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:{}\r\nclient_recent_max_output_buffer:0\r\nblocked_clients:{}\r\ntracking_clients:{}\r\nclients_in_timeout_table:0\r\n",
            // Replicas are not counted as clients (Redis subtracts them).
            srv.num_clients - srv.repl.replicas.len(),
            srv.cfg.maxclients,
            srv.clients.iter().flatten().map(|c| c.qbuf_peak).max().unwrap_or(0),
            srv.postponed_count() + srv.blocked_clients,
            srv.tracking.clients(),
        );
    }
    if has("memory") {
        sep(&mut o);
        memory_section(srv, &mut o);
    }
    if has("persistence") {
        sep(&mut o);
        let _ = write!(
            o,
            "# Persistence\r\nloading:{}\r\nasync_loading:{}\r\ncurrent_cow_peak:{}\r\ncurrent_cow_size:{}\r\ncurrent_cow_size_age:{}\r\ncurrent_fork_perc:{:.2}\r\ncurrent_save_keys_processed:{}\r\ncurrent_save_keys_total:{}\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\nrdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{}\r\nrdb_saves:{}\r\nrdb_last_cow_size:{}\r\nrdb_last_load_keys_expired:{}\r\nrdb_last_load_keys_loaded:{}\r\n",
            (srv.loading && !srv.async_loading) as i32,
            srv.async_loading as i32,
            srv.current_cow_peak,
            srv.current_cow_size,
            if srv.current_cow_size_age > 0 {
                (crate::logging::now_ms() - srv.current_cow_size_age) / 1000
            } else {
                0
            },
            if srv.current_save_keys_total > 0 {
                srv.current_save_keys_processed as f64 * 100.0 / srv.current_save_keys_total as f64
            } else {
                0.0
            },
            srv.current_save_keys_processed,
            srv.current_save_keys_total,
            srv.dirty,
            srv.rdb_child.is_some() as i32,
            srv.last_save,
            if srv.lastbgsave_ok { "ok" } else { "err" },
            srv.rdb_save_time_last,
            srv.rdb_child
                .as_ref()
                .map_or(-1, |ch| crate::logging::now_ms() / 1000 - ch.start),
            srv.rdb_saves,
            srv.rdb_last_cow_size,
            srv.rdb_last_load_keys_expired,
            srv.rdb_last_load_keys_loaded,
        );
        crate::persistence::aof::info_fields(srv, &mut o);
        if srv.loading {
            loading_fields(srv, &mut o);
        }
    }
    if has("stats") {
        sep(&mut o);
        stats_section(srv, &mut o);
    }
    if has("replication") {
        sep(&mut o);
        crate::replication::replica::info_section(srv, &mut o);
    }
    if has("cpu") {
        sep(&mut o);
        cpu_section(&mut o);
    }
    if has("modules") || has("module_list") {
        sep(&mut o);
        o.push_str("# Modules\r\n");
    }
    if has("commandstats") {
        sep(&mut o);
        o.push_str("# Commandstats\r\n");
        for c in srv.commands.iter() {
            cmdstat_line(&mut o, c);
            for s in &c.subcommands {
                cmdstat_line(&mut o, s);
            }
        }
    }
    if has("errorstats") {
        sep(&mut o);
        o.push_str("# Errorstats\r\n");
        for (k, v) in &srv.stats.errors {
            let _ = write!(o, "errorstat_{k}:count={v}\r\n");
        }
    }
    if has("latencystats") {
        sep(&mut o);
        o.push_str("# Latencystats\r\n");
        if srv.cfg.latency_tracking {
            for c in srv.commands.iter() {
                latency_line(&mut o, c, &srv.cfg.latency_tracking_info_percentiles);
                for s in &c.subcommands {
                    latency_line(&mut o, s, &srv.cfg.latency_tracking_info_percentiles);
                }
            }
        }
    }
    if has("cluster") {
        sep(&mut o);
        let _ = write!(
            o,
            "# Cluster\r\ncluster_enabled:{}\r\n",
            srv.cfg.cluster_enabled as i32
        );
    }
    if has("keyspace") {
        sep(&mut o);
        o.push_str("# Keyspace\r\n");
        for db in &srv.dbs {
            if !db.keys.is_empty() {
                let _ = write!(
                    o,
                    "db{}:keys={},expires={},avg_ttl={}\r\n",
                    db.id,
                    db.keys.len(),
                    db.expires.len(),
                    db.avg_ttl
                );
            }
        }
    }
    o
}

fn cmd_name_for_info(fullname: &str) -> String {
    fullname.to_string()
}

fn cmdstat_line(o: &mut String, c: &super::Command) {
    let s = &c.stats;
    if s.calls == 0 && s.failed_calls == 0 && s.rejected_calls == 0 {
        return;
    }
    let per = if s.calls > 0 {
        s.usec as f64 / s.calls as f64
    } else {
        0.0
    };
    let _ = write!(
        o,
        "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
        cmd_name_for_info(c.fullname),
        s.calls,
        s.usec,
        per,
        s.rejected_calls,
        s.failed_calls
    );
}

fn latency_line(o: &mut String, c: &super::Command, percentiles: &[f64]) {
    let Some(h) = &c.stats.latency else { return };
    if h.total == 0 {
        return;
    }
    let _ = write!(o, "latency_percentiles_usec_{}:", c.fullname);
    for (i, p) in percentiles.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        let _ = write!(
            o,
            "p{}={:.3}",
            trim_double(&format!("{p:.6}")),
            h.percentile(*p) as f64
        );
    }
    o.push_str("\r\n");
}

/// Redis' "%f" then trimDoubleString: "99.900000" -> "99.9", "50.000000" -> "50".
fn trim_double(s: &str) -> &str {
    if !s.contains('.') {
        return s;
    }
    s.trim_end_matches('0').trim_end_matches('.')
}

fn server_section(srv: &Server, o: &mut String) {
    let uptime = srv.unixtime - srv.start_unix;
    let uname = nix::sys::utsname::uname().ok();
    let os = uname
        .map(|u| {
            format!(
                "{} {} {}",
                u.sysname().to_string_lossy(),
                u.release().to_string_lossy(),
                u.machine().to_string_lossy()
            )
        })
        .unwrap_or_default();
    let _ = write!(
        o,
        "# Server\r\nredis_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:{}\r\nredis_mode:{}\r\nos:{}\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\n{}",
        crate::REDIS_VERSION,
        crate::BUILD_ID,
        if srv.cfg.cluster_enabled { "cluster" } else { "standalone" },
        os,
        std::process::id(),
        srv.run_id,
        srv.cfg.port,
        srv.now_ms * 1000,
        uptime,
        uptime / 86400,
        srv.hz,
        srv.cfg.hz,
        srv.lruclock,
        srv.executable,
        srv.config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        if srv.shutdown_mstime != 0 {
            format!(
                "shutdown_in_milliseconds:{}\r\n",
                srv.shutdown_mstime - crate::logging::now_ms()
            )
        } else {
            String::new()
        },
    );
}

fn memory_section(srv: &Server, o: &mut String) {
    let m = crate::memory::sample();
    // What the server holds (allocator caches excluded), the same figure
    // the maxmemory check uses; allocator_allocated below is jemalloc's.
    let used = crate::memory::used_memory();
    let not_counted = crate::evict::not_counted_memory(srv);
    let peak = crate::memory::peak(used);
    let startup = srv.used_memory_startup;
    let dataset = used.saturating_sub(startup);
    let rss = m.rss;
    let total_system = crate::memory::total_system_memory();
    let frag = if used > 0 {
        rss as f64 / used as f64
    } else {
        0.0
    };
    let alloc_frag = if m.allocated > 0 {
        m.active as f64 / m.allocated as f64
    } else {
        0.0
    };
    let alloc_rss = if m.active > 0 {
        m.resident as f64 / m.active as f64
    } else {
        0.0
    };
    // The backlog and the replicas share one buffer: past the backlog's
    // size, the rest is counted as the replicas' (as Redis reports it).
    let repl_buf = crate::replication::master::buffer_mem(srv) as u64;
    let backlog_size = srv.cfg.repl_backlog_size.max(0) as u64;
    let (repl_backlog, repl_clients) = if !srv.repl.replicas.is_empty() && repl_buf > backlog_size {
        (backlog_size, repl_buf - backlog_size)
    } else {
        (repl_buf, 0)
    };
    let rss_over = if m.resident > 0 {
        rss as f64 / m.resident as f64
    } else {
        0.0
    };
    let _ = write!(
        o,
        "# Memory\r\nused_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{peak}\r\nused_memory_peak_human:{}\r\nused_memory_peak_perc:{:.2}%\r\nused_memory_overhead:{startup}\r\nused_memory_startup:{startup}\r\nused_memory_dataset:{dataset}\r\nused_memory_dataset_perc:{:.2}%\r\nallocator_allocated:{}\r\nallocator_active:{}\r\nallocator_resident:{}\r\ntotal_system_memory:{total_system}\r\ntotal_system_memory_human:{}\r\nused_memory_lua:32768\r\nused_memory_vm_eval:32768\r\nused_memory_lua_human:32.00K\r\nused_memory_scripts_eval:0\r\nnumber_of_cached_scripts:0\r\nnumber_of_functions:0\r\nnumber_of_libraries:0\r\nused_memory_vm_functions:32768\r\nused_memory_vm_total:65536\r\nused_memory_vm_total_human:64.00K\r\nused_memory_functions:0\r\nused_memory_scripts:0\r\nused_memory_scripts_human:0B\r\nmaxmemory:{}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\nallocator_frag_ratio:{alloc_frag:.2}\r\nallocator_frag_bytes:{}\r\nallocator_rss_ratio:{alloc_rss:.2}\r\nallocator_rss_bytes:{}\r\nrss_overhead_ratio:{rss_over:.2}\r\nrss_overhead_bytes:{}\r\nmem_fragmentation_ratio:{frag:.2}\r\nmem_fragmentation_bytes:{}\r\nmem_not_counted_for_evict:{not_counted}\r\nmem_replication_backlog:{repl_backlog}\r\nmem_total_replication_buffers:{repl_buf}\r\nmem_clients_slaves:{repl_clients}\r\nmem_clients_normal:{}\r\nmem_cluster_links:0\r\nmem_aof_buffer:{}\r\nmem_allocator:jemalloc-5.3.0\r\nactive_defrag_running:0\r\nlazyfree_pending_objects:{}\r\nlazyfreed_objects:{}\r\n",
        human_bytes(used),
        human_bytes(rss),
        human_bytes(peak),
        if peak > 0 { used as f64 * 100.0 / peak as f64 } else { 0.0 },
        if used > startup { dataset as f64 * 100.0 / (used - startup) as f64 } else { 0.0 },
        m.allocated,
        m.active,
        m.resident,
        human_bytes(total_system),
        srv.cfg.maxmemory,
        human_bytes(srv.cfg.maxmemory),
        srv.cfg.maxmemory_policy.name(),
        m.active as i64 - m.allocated as i64,
        m.resident as i64 - m.active as i64,
        rss as i64 - m.resident as i64,
        rss as i64 - used as i64,
        srv.client_mem.normal_clients_memory(),
        srv.aof.buf.capacity(),
        crate::lazyfree::pending(),
        crate::lazyfree::freed(),
    );
}

/// The loading_* fields INFO shows while a snapshot loads, with Redis'
/// progress and ETA arithmetic.
fn loading_fields(srv: &Server, o: &mut String) {
    let (total, loaded) = (srv.loading_total_bytes, srv.loading_loaded_bytes);
    let (perc, remaining) = if total > 0 {
        (
            loaded as f64 / total as f64 * 100.0,
            total.saturating_sub(loaded),
        )
    } else {
        (0.0, 1)
    };
    let elapsed = (crate::logging::now_ms() / 1000 - srv.loading_start_time).max(0) as u64;
    let eta = if elapsed == 0 {
        1
    } else {
        elapsed * remaining / (loaded + 1)
    };
    let _ = write!(
        o,
        "loading_start_time:{}\r\nloading_total_bytes:{total}\r\nloading_rdb_used_mem:0\r\nloading_loaded_bytes:{loaded}\r\nloading_loaded_perc:{perc:.2}\r\nloading_eta_seconds:{eta}\r\n",
        srv.loading_start_time
    );
}

fn stats_section(srv: &Server, o: &mut String) {
    let s = &srv.stats;
    let (ops, ikbps, okbps) = s.instantaneous();
    let migrate_sockets = srv.migrate_sockets.len();
    let (fork_us, forks) = (srv.stat_fork_time_us, srv.stat_total_forks);
    let (repl_in, repl_out) = (s.net_repl_input_bytes, s.net_repl_output_bytes);
    let (sync_full, sync_pok, sync_perr) = (s.sync_full, s.sync_partial_ok, s.sync_partial_err);
    let (evict_total_ms, evict_current_ms) = crate::evict::exceeded_time_ms();
    let _ = write!(
        o,
        "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{ops}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\ntotal_net_repl_input_bytes:{repl_in}\r\ntotal_net_repl_output_bytes:{repl_out}\r\ninstantaneous_input_kbps:{ikbps:.2}\r\ninstantaneous_output_kbps:{okbps:.2}\r\ninstantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\nrejected_connections:{}\r\nsync_full:{sync_full}\r\nsync_partial_ok:{sync_pok}\r\nsync_partial_err:{sync_perr}\r\nexpired_keys:{}\r\nexpired_stale_perc:{:.2}\r\nexpired_time_cap_reached_count:{}\r\nexpire_cycle_cpu_milliseconds:{}\r\nevicted_keys:{}\r\nevicted_clients:{}\r\ntotal_eviction_exceeded_time:{evict_total_ms}\r\ncurrent_eviction_exceeded_time:{evict_current_ms}\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:{}\r\nlatest_fork_usec:{fork_us}\r\ntotal_forks:{forks}\r\nmigrate_cached_sockets:{migrate_sockets}\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\ntracking_total_keys:{}\r\ntracking_total_items:{}\r\ntracking_total_prefixes:{}\r\nunexpected_error_replies:{}\r\ntotal_error_replies:{}\r\ndump_payload_sanitizations:{}\r\ntotal_reads_processed:{}\r\ntotal_writes_processed:{}\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\nreply_buffer_shrinks:{}\r\nreply_buffer_expands:{}\r\n",
        s.total_connections_received,
        s.total_commands_processed,
        s.net_input_bytes,
        s.net_output_bytes,
        s.rejected_connections,
        s.expired_keys,
        s.expired_stale_perc * 100.0,
        s.expired_time_cap_reached_count,
        s.expire_cycle_time_used_us / 1000,
        s.evicted_keys,
        srv.client_mem.evicted_clients,
        s.keyspace_hits,
        s.keyspace_misses,
        srv.pubsub.channels.len(),
        srv.pubsub.patterns.len(),
        srv.pubsub.shard.len(),
        srv.tracking.total_keys(),
        srv.tracking.total_items(),
        srv.tracking.total_prefixes(),
        s.unexpected_error_replies,
        s.total_error_replies,
        crate::persistence::load::sanitizations(),
        s.reads_processed,
        s.writes_processed,
        s.reply_buffer_shrinks,
        s.reply_buffer_expands,
    );
}

fn cpu_section(o: &mut String) {
    let (su, ss) = rusage(nix::sys::resource::UsageWho::RUSAGE_SELF);
    let (cu, cs) = rusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN);
    let (tu, ts) = rusage(nix::sys::resource::UsageWho::RUSAGE_THREAD);
    let _ = write!(
        o,
        "# CPU\r\nused_cpu_sys:{ss:.6}\r\nused_cpu_user:{su:.6}\r\nused_cpu_sys_children:{cs:.6}\r\nused_cpu_user_children:{cu:.6}\r\nused_cpu_sys_main_thread:{ts:.6}\r\nused_cpu_user_main_thread:{tu:.6}\r\n"
    );
}

fn rusage(who: nix::sys::resource::UsageWho) -> (f64, f64) {
    match nix::sys::resource::getrusage(who) {
        Ok(u) => {
            let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
            (t(u.user_time()), t(u.system_time()))
        }
        Err(_) => (0.0, 0.0),
    }
}
