//! The server as an operator sees it: CONFIG GET/SET/REWRITE, the command
//! line (odd forms included), `-v`, fatal config errors, INFO's sections and
//! field names, COMMAND COUNT/INFO/DOCS/GETKEYS, CLIENT LIST/KILL/SETNAME,
//! AUTH, DEBUG gating, SHUTDOWN and SIGTERM, and the start-up log lines.
//! Mirrors Redis' config.c, server.c (main, INFO, shutdown), networking.c
//! (CLIENT) and tests/unit/introspection*.tcl, tests/unit/auth.tcl; every
//! expected text is what Redis 7.0.15 prints.

#[macro_use]
mod common;

use common::{free_port, info_value, wait_for, Client, Resp, Server};
use std::collections::BTreeMap;
use std::fs;
use std::net::TcpStream;
use std::time::Duration;

fn int(n: i64) -> Resp {
    Resp::Int(n)
}

/// CONFIG GET as a name -> value map (Redis does not promise an order).
fn config_get(c: &mut Client, patterns: &[&str]) -> BTreeMap<String, String> {
    let mut args = vec!["CONFIG", "GET"];
    args.extend(patterns);
    let items = c.cmd(&args).strings();
    items
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect()
}

fn config_one(c: &mut Client, name: &str) -> String {
    config_get(c, &[name])
        .remove(name)
        .unwrap_or_else(|| panic!("CONFIG GET {name} returned nothing"))
}

// ---------------------------------------------------------------------------
// CONFIG
// ---------------------------------------------------------------------------

#[test]
fn config_set_several_pairs_at_once_and_get_them_back() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "maxmemory",
            "10mb",
            "maxmemory-policy",
            "allkeys-lru",
            "hz",
            "20"
        ]),
        Resp::ok()
    );
    let got = config_get(
        &mut c,
        &["maxmemory", "maxmemory-policy", "hz", "nosuchparam"],
    );
    let want: BTreeMap<String, String> = [
        ("maxmemory", "10485760"),
        ("maxmemory-policy", "allkeys-lru"),
        ("hz", "20"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(got, want);
    // glob patterns, aliases included
    let entries = config_get(&mut c, &["*max-*-entries*"]);
    let names: Vec<&str> = entries.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "hash-max-listpack-entries",
            "hash-max-ziplist-entries",
            "set-max-intset-entries",
            "zset-max-listpack-entries",
            "zset-max-ziplist-entries"
        ]
    );
    // values are normalised: hz is clamped to 1..500, memory is in bytes
    c.cmd(&["CONFIG", "SET", "hz", "1000"]);
    assert_eq!(config_one(&mut c, "hz"), "500");
    c.cmd(&["CONFIG", "SET", "hz", "0"]);
    assert_eq!(config_one(&mut c, "hz"), "1");
    c.cmd(&["CONFIG", "SET", "maxmemory", "1gb"]);
    assert_eq!(config_one(&mut c, "maxmemory"), "1073741824");
    c.cmd(&["CONFIG", "SET", "save", "100 10 20 30"]);
    assert_eq!(config_one(&mut c, "save"), "100 10 20 30");
    c.cmd(&["CONFIG", "SET", "save", ""]);
    assert_eq!(config_one(&mut c, "save"), "");
}

#[test]
fn config_set_errors_roll_back_every_pair() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["CONFIG", "SET", "maxmemory", "10mb", "hz", "20"]);
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", "20mb", "hz", "30", "maxmemory-policy", "bogus"]),
        Resp::err("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction")
    );
    assert_eq!(
        config_one(&mut c, "maxmemory"),
        "10485760",
        "maxmemory was not rolled back"
    );
    assert_eq!(config_one(&mut c, "hz"), "20", "hz was not rolled back");
    assert_eq!(config_one(&mut c, "maxmemory-policy"), "noeviction");
    let cases: [(&[&str], &str); 9] = [
        (&["maxmemory", "1", "maxmemory", "2"], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter"),
        (&["foo", "bar"], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
        (&["daemonize", "yes"], "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"),
        (&["maxmemory", "abc"], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"),
        (&["maxmemory", "-1"], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"),
        (&["save", "100 x"], "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"),
        (&["hz", "abc"], "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"),
        (&["appendonly", "maybe"], "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'"),
        (&["maxclients", "0"], "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"),
    ];
    for (args, err) in cases {
        let mut full = vec!["CONFIG", "SET"];
        full.extend(args);
        assert_eq!(c.cmd(&full), Resp::err(err), "CONFIG SET {args:?}");
    }
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory"]),
        Resp::err("ERR wrong number of arguments for 'config|set' command")
    );
    assert_eq!(config_one(&mut c, "maxmemory"), "10485760");
}

#[test]
fn config_set_port_rebinds_the_listener() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let old = srv.port();
    let mut new = free_port();
    let mut tries = 0;
    loop {
        match c.cmd(&["CONFIG", "SET", "port", &new.to_string()]) {
            Resp::Simple(s) if s == "OK" => break,
            other if tries < 5 => {
                // someone took the port between free_port() and the bind
                tries += 1;
                eprintln!("CONFIG SET port {new} failed: {other:?}, retrying");
                new = free_port();
            }
            other => panic!("CONFIG SET port: {other:?}"),
        }
    }
    assert_eq!(Client::connect(new).cmd(&["PING"]), Resp::simple("PONG"));
    assert_eq!(config_one(&mut c, "port"), new.to_string());
    assert_eq!(
        c.cmd(&["PING"]),
        Resp::simple("PONG"),
        "existing clients survive the rebind"
    );
    // The old port is closed. Another test's server may have taken it since:
    // then it must be a different process.
    if TcpStream::connect(("127.0.0.1", old)).is_ok() {
        let pid = Client::connect(old).info_field("server", "process_id");
        assert_ne!(
            pid,
            Some(srv.pid().to_string()),
            "the old port still accepts connections"
        );
    }
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "port", "abc"]),
        Resp::err("ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer")
    );
}

#[test]
fn config_rewrite_updates_lines_in_place_and_keeps_comments() {
    let dir = common::TempDir::new("rewrite");
    let conf = dir.path().join("redis.conf");
    fs::write(
        &conf,
        "# Top comment: keep me\nport 6379\n\n# memory section\nmaxmemory 10mb   \n# trailing comment\nsave \"\"\nhz 15\nappendonly no\n",
    )
    .unwrap();
    let conf_s = conf.to_string_lossy().into_owned();
    let srv = Server::start(&[&conf_s]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "config_file"]),
        Resp::arr(vec![]),
        "not a config parameter"
    );
    c.cmd(&["CONFIG", "SET", "maxmemory", "100mb"]);
    c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]);
    c.cmd(&["CONFIG", "SET", "hz", "10"]);
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), Resp::ok());
    let text = fs::read_to_string(&conf).unwrap();
    let dir_s = srv.dir().to_string_lossy().into_owned();
    // Existing lines are updated where they stand; new ones go after a marker,
    // in an order Redis does not fix (it walks a hash table), so that part is
    // compared as a set.
    let (kept, added) = text
        .split_once("\n# Generated by CONFIG REWRITE\n")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        kept,
        format!(
            "# Top comment: keep me\nport {}\n\n# memory section\nmaxmemory 100mb\n# trailing comment\nsave \"\"\nhz 10\nappendonly no\n",
            srv.port()
        )
    );
    let mut added: Vec<&str> = added.lines().collect();
    added.sort();
    let logfile_line = format!("logfile \"{dir_s}/log.txt\"");
    let dir_line = format!("dir \"{dir_s}\"");
    let mut want = vec![
        dir_line.as_str(),
        "maxmemory-policy allkeys-lru",
        "latency-tracking-info-percentiles 50 99 99.9",
        logfile_line.as_str(),
        "user default on nopass ~* &* +@all",
    ];
    want.sort();
    assert_eq!(added, want, "lines added by CONFIG REWRITE");
    assert!(
        srv.log().contains("CONFIG REWRITE executed with success."),
        "{}",
        srv.log()
    );
    // the rewritten file starts a server with the same settings
    let srv2 = Server::start(&[&conf_s]);
    let mut c2 = srv2.client();
    assert_eq!(config_one(&mut c2, "maxmemory"), "104857600");
    assert_eq!(config_one(&mut c2, "maxmemory-policy"), "allkeys-lru");
}

#[test]
fn config_rewrite_without_a_config_file_is_an_error() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["CONFIG", "REWRITE"]),
        Resp::err("ERR The server is running without a config file")
    );
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

#[test]
fn command_line_accepts_empty_save_and_an_option_in_one_argument() {
    let srv = Server::start(&["--save", "", "--maxmemory 700mb", "--hz", "33"]);
    let mut c = srv.client();
    assert_eq!(config_one(&mut c, "save"), "");
    assert_eq!(config_one(&mut c, "maxmemory"), "734003200");
    assert_eq!(config_one(&mut c, "hz"), "33");
    // "--save" followed directly by another option means an empty save too
    let srv = Server::start(&["--save", "--hz", "12"]);
    let mut c = srv.client();
    assert_eq!(config_one(&mut c, "save"), "");
    assert_eq!(config_one(&mut c, "hz"), "12");
    // and so does "--save" as the very last argument
    let srv = Server::start(&["--hz", "13", "--save"]);
    let mut c = srv.client();
    assert_eq!(config_one(&mut c, "save"), "");
}

#[test]
fn config_can_come_from_stdin() {
    let srv = Server::start_with_stdin(
        &["-", "--hz", "17"],
        Some(b"maxmemory 100mb\nmaxmemory-policy allkeys-lfu\nhz 5\n"),
    );
    let mut c = srv.client();
    assert_eq!(config_one(&mut c, "maxmemory"), "104857600");
    assert_eq!(config_one(&mut c, "maxmemory-policy"), "allkeys-lfu");
    assert_eq!(
        config_one(&mut c, "hz"),
        "17",
        "command line options come after stdin"
    );
    // logged before the config (and so the logfile) is known: it goes to stdout
    assert!(
        srv.stdout().contains("# Reading config from stdin"),
        "{}",
        srv.stdout()
    );
}

#[test]
fn a_busy_port_stops_startup_with_exit_status_1() {
    let taken = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Server::run_to_exit(
        &["--port", &port, "--save", ""],
        None,
        Duration::from_secs(20),
    );
    assert_eq!(
        out.status.map(|s| s.code()),
        Some(Some(1)),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("# Warning: Could not create server TCP listening socket *:{port}: bind: Address already in use\n")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(
            "# Failed listening on port {port} (TCP), aborting.\n"
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn version_flag_prints_one_line_and_exits_0() {
    for flag in ["-v", "--version"] {
        let out = Server::run_to_exit(&[flag], None, Duration::from_secs(20));
        assert_eq!(out.status.map(|s| s.code()), Some(Some(0)), "{flag}");
        let line = out
            .stdout
            .strip_suffix('\n')
            .unwrap_or_else(|| panic!("no newline: {:?}", out.stdout));
        assert!(!line.contains('\n'), "{line:?}");
        let rest = line
            .strip_prefix("Redis server v=7.0.15 sha=")
            .unwrap_or_else(|| panic!("{line:?}"));
        let fields: Vec<&str> = rest.split(' ').collect();
        assert_eq!(fields.len(), 4, "{line:?}");
        assert!(fields[1].starts_with("malloc="), "{line:?}");
        assert_eq!(fields[2], "bits=64");
        assert!(
            fields[3].starts_with("build=") && fields[3].len() > 6,
            "{line:?}"
        );
    }
}

#[test]
fn a_bad_directive_is_a_fatal_config_error_with_exit_status_1() {
    let dir = common::TempDir::new("badconf");
    let conf = dir.path().join("bad.conf");
    fs::write(&conf, "# my comment\nport 0\nfoo bar\n").unwrap();
    let out = Server::run_to_exit(&[&conf.to_string_lossy()], None, Duration::from_secs(20));
    assert_eq!(out.status.map(|s| s.code()), Some(Some(1)));
    assert_eq!(
        out.stderr,
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'foo bar'\nBad directive or wrong number of arguments\n"
    );

    // options from the command line are quoted as Redis re-reads them
    let out = Server::run_to_exit(
        &["--port", "0", "--maxmemory", "abc"],
        None,
        Duration::from_secs(20),
    );
    assert_eq!(out.status.map(|s| s.code()), Some(Some(1)));
    assert_eq!(
        out.stderr,
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'maxmemory \"abc\"'\nargument must be a memory value\n"
    );
    let out = Server::run_to_exit(&["--port"], None, Duration::from_secs(20));
    assert_eq!(out.status.map(|s| s.code()), Some(Some(1)));
    assert_eq!(
        out.stderr,
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port'\nwrong number of arguments\n"
    );
    let out = Server::run_to_exit(
        &["-", "--port", "0"],
        Some(b"maxmemory 1\nmaxmemory-policy bogus\n"),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.map(|s| s.code()), Some(Some(1)));
    assert!(
        out.stderr.ends_with(
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'maxmemory-policy bogus'\nargument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction\n"
        ),
        "{:?}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------
// INFO
// ---------------------------------------------------------------------------

fn section_headers(info: &str) -> Vec<String> {
    info.lines()
        .filter(|l| l.starts_with("# "))
        .map(|l| l[2..].to_string())
        .collect()
}

fn field_names(info: &str) -> Vec<String> {
    info.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(':').next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn info_section_headers_match_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let default = [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Errorstats",
        "Cluster",
        "Keyspace",
    ];
    let all = [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Commandstats",
        "Errorstats",
        "Latencystats",
        "Cluster",
        "Keyspace",
    ];
    assert_eq!(section_headers(&c.cmd(&["INFO"]).text()), default);
    assert_eq!(
        section_headers(&c.cmd(&["INFO", "default"]).text()),
        default
    );
    assert_eq!(section_headers(&c.cmd(&["INFO", "all"]).text()), all);
    assert_eq!(section_headers(&c.cmd(&["INFO", "everything"]).text()), all);
    assert_eq!(
        section_headers(&c.cmd(&["INFO", "server", "clients"]).text()),
        ["Server", "Clients"]
    );
    assert_eq!(section_headers(&c.cmd(&["INFO", "CPU"]).text()), ["CPU"]);
    assert_eq!(c.cmd(&["INFO", "nosuchsection"]), Resp::bulk(""));
    // sections are separated by one empty line, and the text ends with CRLF
    let text = c.cmd(&["INFO"]).text();
    assert!(text.contains("\r\n\r\n# Clients\r\n"), "{text}");
    assert!(
        text.ends_with("\r\n") && !text.ends_with("\r\n\r\n"),
        "{text:?}"
    );
}

#[test]
fn info_field_names_match_redis_section_by_section() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let expected: [(&str, &str); 8] = [
        ("server", "redis_version redis_git_sha1 redis_git_dirty redis_build_id redis_mode os arch_bits monotonic_clock multiplexing_api atomicvar_api gcc_version process_id process_supervised run_id tcp_port server_time_usec uptime_in_seconds uptime_in_days hz configured_hz lru_clock executable config_file io_threads_active"),
        ("clients", "connected_clients cluster_connections maxclients client_recent_max_input_buffer client_recent_max_output_buffer blocked_clients tracking_clients clients_in_timeout_table"),
        ("memory", "used_memory used_memory_human used_memory_rss used_memory_rss_human used_memory_peak used_memory_peak_human used_memory_peak_perc used_memory_overhead used_memory_startup used_memory_dataset used_memory_dataset_perc allocator_allocated allocator_active allocator_resident total_system_memory total_system_memory_human used_memory_lua used_memory_vm_eval used_memory_lua_human used_memory_scripts_eval number_of_cached_scripts number_of_functions number_of_libraries used_memory_vm_functions used_memory_vm_total used_memory_vm_total_human used_memory_functions used_memory_scripts used_memory_scripts_human maxmemory maxmemory_human maxmemory_policy allocator_frag_ratio allocator_frag_bytes allocator_rss_ratio allocator_rss_bytes rss_overhead_ratio rss_overhead_bytes mem_fragmentation_ratio mem_fragmentation_bytes mem_not_counted_for_evict mem_replication_backlog mem_total_replication_buffers mem_clients_slaves mem_clients_normal mem_cluster_links mem_aof_buffer mem_allocator active_defrag_running lazyfree_pending_objects lazyfreed_objects"),
        ("persistence", "loading async_loading current_cow_peak current_cow_size current_cow_size_age current_fork_perc current_save_keys_processed current_save_keys_total rdb_changes_since_last_save rdb_bgsave_in_progress rdb_last_save_time rdb_last_bgsave_status rdb_last_bgsave_time_sec rdb_current_bgsave_time_sec rdb_saves rdb_last_cow_size rdb_last_load_keys_expired rdb_last_load_keys_loaded aof_enabled aof_rewrite_in_progress aof_rewrite_scheduled aof_last_rewrite_time_sec aof_current_rewrite_time_sec aof_last_bgrewrite_status aof_rewrites aof_rewrites_consecutive_failures aof_last_write_status aof_last_cow_size module_fork_in_progress module_fork_last_cow_size"),
        ("stats", "total_connections_received total_commands_processed instantaneous_ops_per_sec total_net_input_bytes total_net_output_bytes total_net_repl_input_bytes total_net_repl_output_bytes instantaneous_input_kbps instantaneous_output_kbps instantaneous_input_repl_kbps instantaneous_output_repl_kbps rejected_connections sync_full sync_partial_ok sync_partial_err expired_keys expired_stale_perc expired_time_cap_reached_count expire_cycle_cpu_milliseconds evicted_keys evicted_clients total_eviction_exceeded_time current_eviction_exceeded_time keyspace_hits keyspace_misses pubsub_channels pubsub_patterns pubsubshard_channels latest_fork_usec total_forks migrate_cached_sockets slave_expires_tracked_keys active_defrag_hits active_defrag_misses active_defrag_key_hits active_defrag_key_misses total_active_defrag_time current_active_defrag_time tracking_total_keys tracking_total_items tracking_total_prefixes unexpected_error_replies total_error_replies dump_payload_sanitizations total_reads_processed total_writes_processed io_threaded_reads_processed io_threaded_writes_processed reply_buffer_shrinks reply_buffer_expands"),
        ("replication", "role connected_slaves master_failover_state master_replid master_replid2 master_repl_offset second_repl_offset repl_backlog_active repl_backlog_size repl_backlog_first_byte_offset repl_backlog_histlen"),
        ("cpu", "used_cpu_sys used_cpu_user used_cpu_sys_children used_cpu_user_children used_cpu_sys_main_thread used_cpu_user_main_thread"),
        ("cluster", "cluster_enabled"),
    ];
    let mut report = String::new();
    for (section, names) in expected {
        let got = field_names(&c.cmd(&["INFO", section]).text());
        let want: Vec<String> = names.split(' ').map(String::from).collect();
        if got != want {
            let missing: Vec<&String> = want.iter().filter(|w| !got.contains(w)).collect();
            let extra: Vec<&String> = got.iter().filter(|g| !want.contains(g)).collect();
            report += &format!(
                "[{section}] missing {missing:?}, extra {extra:?}, order differs: {}\n",
                missing.is_empty() && extra.is_empty()
            );
        }
    }
    assert!(
        report.is_empty(),
        "INFO fields differ from Redis 7.0.15:\n{report}"
    );
}

#[test]
fn info_values_describe_this_server() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let server = c.cmd(&["INFO", "server"]).text();
    let get = |f: &str| info_value(&server, f).unwrap_or_else(|| panic!("no {f}"));
    assert_eq!(get("redis_version"), "7.0.15");
    assert_eq!(get("redis_mode"), "standalone");
    assert_eq!(get("process_id"), srv.pid().to_string());
    assert_eq!(get("tcp_port"), srv.port().to_string());
    assert_eq!(get("arch_bits"), "64");
    assert_eq!(get("run_id").len(), 40);
    assert_eq!(get("config_file"), "");
    assert_eq!(
        info_value(&c.cmd(&["INFO", "replication"]).text(), "role").as_deref(),
        Some("master")
    );
    assert_eq!(
        info_value(&c.cmd(&["INFO", "cluster"]).text(), "cluster_enabled").as_deref(),
        Some("0")
    );
    // keyspace lines appear once a db has keys
    assert_eq!(c.cmd(&["INFO", "keyspace"]).text(), "# Keyspace\r\n");
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "1", "EX", "1000"]);
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "c", "1"]);
    let ks = c.cmd(&["INFO", "keyspace"]).text();
    let lines: Vec<&str> = ks.lines().collect();
    assert_eq!(lines[0], "# Keyspace");
    assert!(
        lines[1].starts_with("db0:keys=2,expires=1,avg_ttl="),
        "{ks}"
    );
    assert_eq!(lines[2], "db3:keys=1,expires=0,avg_ttl=0");
    // an error shows up in errorstats, a call in commandstats
    c.cmd(&["NOSUCHCOMMAND"]);
    let errs = c.cmd(&["INFO", "errorstats"]).text();
    assert_eq!(errs, "# Errorstats\r\nerrorstat_ERR:count=1\r\n");
    let stats = c.cmd(&["INFO", "commandstats"]).text();
    let set_line = stats
        .lines()
        .find(|l| l.starts_with("cmdstat_set:"))
        .unwrap_or_else(|| panic!("{stats}"));
    assert!(
        set_line.starts_with("cmdstat_set:calls=3,usec="),
        "{set_line}"
    );
    assert!(
        set_line.ends_with(",rejected_calls=0,failed_calls=0"),
        "{set_line}"
    );
}

#[test]
fn info_connected_clients_counts_open_connections() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let count = |c: &mut Client| {
        c.info_field("clients", "connected_clients")
            .unwrap_or_default()
    };
    assert!(
        wait_for(Duration::from_secs(10), || count(&mut c) == "1"),
        "alone: connected_clients = {}",
        count(&mut c)
    );
    let others: Vec<Client> = (0..4).map(|_| srv.client()).collect();
    assert!(
        wait_for(Duration::from_secs(10), || count(&mut c) == "5"),
        "with 4 more: connected_clients = {}",
        count(&mut c)
    );
    drop(others);
    assert!(
        wait_for(Duration::from_secs(10), || count(&mut c) == "1"),
        "after they left: connected_clients = {}",
        count(&mut c)
    );
    let total = c.info_field("stats", "total_connections_received").unwrap();
    assert!(
        total.parse::<u64>().unwrap() >= 5,
        "total_connections_received = {total}"
    );
}

// ---------------------------------------------------------------------------
// COMMAND
// ---------------------------------------------------------------------------

/// `reply` with the value after every "summary" key replaced by "-".
fn without_summaries(reply: Resp) -> Resp {
    match reply {
        Resp::Array(Some(items)) => {
            let mut out: Vec<Resp> = items.into_iter().map(without_summaries).collect();
            for i in 0..out.len().saturating_sub(1) {
                if i % 2 == 0 && out[i] == Resp::bulk("summary") {
                    out[i + 1] = Resp::bulk("-");
                }
            }
            Resp::Array(Some(out))
        }
        other => other,
    }
}

/// COMMAND describes exactly the commands the server serves (Redis 7.0
/// has 240; ferrodis lists a command once it implements it), so COUNT,
/// COMMAND and LIST agree, and a command not served yet is absent.
#[test]
fn command_count_and_list_describe_the_served_commands() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let count = c.cmd(&["COMMAND", "COUNT"]).int();
    assert!(count > 50 && count <= 240, "{count}");
    assert_eq!(c.cmd(&["COMMAND"]).items().len() as i64, count);
    let list = c.cmd(&["COMMAND", "LIST"]).strings();
    for name in ["get", "set", "config|get", "client|list", "scan", "lcs"] {
        assert!(
            list.iter().any(|n| n == name),
            "{name} missing from COMMAND LIST"
        );
    }
    let top_level = list.iter().filter(|n| !n.contains('|')).count() as i64;
    assert_eq!(top_level, count);
    // Served commands answer; a listed name is never an unknown command.
    for name in list.iter().filter(|n| !n.contains('|')) {
        let r = c.cmd(&["COMMAND", "INFO", name]);
        assert_ne!(r, Resp::arr(vec![Resp::nil()]), "{name}");
    }
    let mut xa = c
        .cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "incr*"])
        .strings();
    xa.sort();
    assert_eq!(xa, ["incr", "incrby", "incrbyfloat"]);
}

#[test]
fn command_info_docs_and_getkeys_match_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    // The summary is prose, which ferrodis words its own way (HELPERS.md);
    // everything else must be Redis' bytes.
    let docs = without_summaries(c.cmd(&["COMMAND", "DOCS", "ping"])).encode();
    assert_bytes!(
        docs,
        b"*2\r\n$4\r\nping\r\n*10\r\n$7\r\nsummary\r\n$1\r\n-\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$7\r\nmessage\r\n$4\r\ntype\r\n$6\r\nstring\r\n$5\r\nflags\r\n*1\r\n+optional\r\n"
    );
    assert_eq!(c.cmd(&["COMMAND", "DOCS", "nosuch"]), Resp::arr(vec![]));
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "set", "a", "b"]),
        Resp::bulks(&["a"])
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"]),
        Resp::bulks(&["a", "b"])
    );
    assert_bytes!(
        c.raw(b"COMMAND GETKEYSANDFLAGS set a b\r\n"),
        b"*1\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n"
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "nosuch", "a"]),
        Resp::err("ERR Invalid command specified")
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "get", "a", "b"]),
        Resp::err("ERR Invalid number of arguments specified for command")
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "ping", "x"]),
        Resp::err("ERR The command has no key arguments")
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "get"]),
        Resp::err("ERR wrong number of arguments for 'command|getkeys' command")
    );
    let info = c.cmd(&["COMMAND", "INFO", "get", "nosuch"]).items();
    assert_eq!(info.len(), 2);
    assert_eq!(info[1], Resp::nil());
    assert_eq!(info[0].items()[0], Resp::bulk("get"));
}

// ---------------------------------------------------------------------------
// CLIENT, AUTH, DEBUG
// ---------------------------------------------------------------------------

#[test]
fn client_list_shows_redis_fields_in_order() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["CLIENT", "SETNAME", "me"]);
    let list = c.cmd(&["CLIENT", "LIST"]).text();
    assert!(list.ends_with('\n'));
    let line = list.lines().next().unwrap();
    let names: Vec<&str> = line
        .split(' ')
        .map(|f| f.split('=').next().unwrap())
        .collect();
    assert_eq!(
        names.join(" "),
        "id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp"
    );
    assert!(line.contains(" name=me "), "{line}");
    assert!(line.contains(" cmd=client|list "), "{line}");
    assert!(
        line.contains(&format!(" laddr=127.0.0.1:{} ", srv.port())),
        "{line}"
    );
    let id = c.cmd(&["CLIENT", "ID"]).int();
    assert!(line.starts_with(&format!("id={id} ")), "{line}");
    assert_eq!(
        c.cmd(&["CLIENT", "LIST", "ID", &id.to_string()])
            .text()
            .lines()
            .count(),
        1
    );
    assert_eq!(
        c.cmd(&["CLIENT", "LIST", "ID", "abc"]),
        Resp::err("ERR Invalid client ID")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "LIST", "TYPE", "foo"]),
        Resp::err("ERR Unknown client type 'foo'")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "FOO"]),
        Resp::err("ERR unknown subcommand 'FOO'. Try CLIENT HELP.")
    );
}

#[test]
fn client_setname_validates_and_getname_reads_back() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), Resp::nil());
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "worker-1"]), Resp::ok());
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), Resp::bulk("worker-1"));
    let bad = Resp::err("ERR Client names cannot contain spaces, newlines or special characters.");
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "a b"]), bad);
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "a\nb"]), bad);
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "a\u{1}b"]), bad);
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), Resp::bulk("worker-1"));
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", ""]), Resp::ok());
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), Resp::nil());
}

#[test]
fn client_kill_by_id_addr_and_old_form() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut v1 = srv.client();
    let mut v2 = srv.client();
    let mut v3 = srv.client();
    let id1 = v1.cmd(&["CLIENT", "ID"]).int();
    let addr2 = v2.stream().local_addr().unwrap().to_string();
    let addr3 = v3.stream().local_addr().unwrap().to_string();
    assert_eq!(c.cmd(&["CLIENT", "KILL", "ID", &id1.to_string()]), int(1));
    assert!(v1.is_closed());
    assert_eq!(c.cmd(&["CLIENT", "KILL", "ADDR", &addr2]), int(1));
    assert!(v2.is_closed());
    assert_eq!(c.cmd(&["CLIENT", "KILL", &addr3]), Resp::ok());
    assert!(v3.is_closed());
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "1.2.3.4:5"]),
        Resp::err("ERR No such client")
    );
    assert_eq!(c.cmd(&["CLIENT", "KILL", "ID", "99999"]), int(0));
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "ID", "abc"]),
        Resp::err("ERR client-id should be greater than 0")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "ID", "0"]),
        Resp::err("ERR client-id should be greater than 0")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "foo", "bar"]),
        Resp::err("ERR syntax error")
    );
    // SKIPME yes is the default: a client does not kill itself by id
    let me = c.cmd(&["CLIENT", "ID"]).int();
    assert_eq!(c.cmd(&["CLIENT", "KILL", "ID", &me.to_string()]), int(0));
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
}

#[test]
fn auth_with_requirepass_gates_every_command() {
    let srv = Server::start(&["--requirepass", "secret"]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["GET", "k"]),
        Resp::err("NOAUTH Authentication required.")
    );
    assert_eq!(
        c.cmd(&["AUTH", "wrong"]),
        Resp::err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(
        c.cmd(&["AUTH", "a", "b", "c"]),
        Resp::err("ERR syntax error")
    );
    assert_eq!(c.cmd(&["AUTH", "secret"]), Resp::ok());
    assert_eq!(c.cmd(&["GET", "k"]), Resp::nil());
    let mut c2 = srv.client();
    assert_eq!(c2.cmd(&["AUTH", "default", "secret"]), Resp::ok());
    // the password can change at runtime; logged-in clients stay logged in
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "requirepass", "other"]),
        Resp::ok()
    );
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
    let mut c3 = srv.client();
    assert_eq!(
        c3.cmd(&["AUTH", "secret"]),
        Resp::err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(c3.cmd(&["AUTH", "other"]), Resp::ok());
}

#[test]
fn auth_without_a_password_configured_is_an_error() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["AUTH", "foo"]),
        Resp::err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
    );
}

#[test]
fn debug_is_refused_unless_enabled() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["DEBUG", "SLEEP", "0"]),
        Resp::err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
    );
    let srv = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "0"]), Resp::ok());
    assert_eq!(
        c.cmd(&["DEBUG", "foo"]),
        Resp::err("ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.")
    );
}

// ---------------------------------------------------------------------------
// Start-up and shutdown
// ---------------------------------------------------------------------------

#[test]
fn startup_log_shows_the_pid_and_ready_line() {
    let srv = Server::start(&["--always-show-logo", "yes"]);
    assert!(
        srv.wait_log("Ready to accept connections", Duration::from_secs(10)),
        "{}",
        srv.log()
    );
    let log = srv.log();
    assert!(log.contains(&format!(" PID: {}", srv.pid())), "{log}");
    assert!(log.contains(&format!(" Port: {}", srv.port())), "{log}");
    assert!(log.contains("Redis version=7.0.15, bits=64,"), "{log}");
    assert!(
        log.contains(&format!("pid={}, just started", srv.pid())),
        "{log}"
    );
    // without the logo: one line naming the mode and port
    let srv = Server::start(&[]);
    let log = srv.log();
    assert!(
        log.contains(&format!("* Running mode=standalone, port={}.", srv.port())),
        "{log}"
    );
    assert!(!log.contains(" PID: "), "{log}");
}

#[test]
fn shutdown_nosave_exits_0_and_says_bye_bye() {
    let mut srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["SHUTDOWN", "FOO"]), Resp::err("ERR syntax error"));
    c.send(&["SHUTDOWN", "NOSAVE"]);
    assert!(c.is_closed(), "SHUTDOWN left the connection open");
    let status = srv
        .wait_exit(Duration::from_secs(20))
        .expect("server still running after SHUTDOWN");
    assert_eq!(status.code(), Some(0));
    let log = srv.log();
    assert!(log.contains("User requested shutdown..."), "{log}");
    assert!(
        log.contains("Redis is now ready to exit, bye bye..."),
        "{log}"
    );
}

/// A final save that fails (its directory is gone) keeps the server
/// running, as Redis does; FORCE exits anyway.
#[test]
fn shutdown_save_failure_is_refused_and_force_exits() {
    let mut srv = Server::start(&["--enable-protected-configs", "yes"]);
    let mut c = srv.client();
    let gone = srv.dir().join("gone");
    std::fs::create_dir(&gone).unwrap();
    let gone_s = gone.to_string_lossy().into_owned();
    assert_eq!(c.cmd(&["CONFIG", "SET", "dir", &gone_s]), Resp::ok());
    std::fs::remove_dir(&gone).unwrap();
    assert_eq!(
        c.cmd(&["SHUTDOWN", "SAVE"]),
        Resp::err("ERR Errors trying to SHUTDOWN. Check logs.")
    );
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
    let log = srv.log();
    assert!(log.contains("Failed opening the temp RDB file"), "{log}");
    assert!(log.contains("Error trying to save the DB, can't exit."));
    c.send(&["SHUTDOWN", "SAVE", "FORCE"]);
    let status = srv
        .wait_exit(Duration::from_secs(20))
        .expect("server still running after SHUTDOWN SAVE FORCE");
    assert_eq!(status.code(), Some(0));
    assert!(srv
        .log()
        .contains("Error trying to save the DB. Exit anyway."));
}

/// (role, level, message) of each log line in Redis' format
/// `pid:role dd Mon yyyy hh:mm:ss.mmm level message`; other lines (the ASCII
/// logo) are skipped. Panics on a line that starts like one but is malformed.
fn log_entries(log: &str, pid: u32) -> Vec<(String, String, String)> {
    let prefix = format!("{pid}:");
    let mut out = Vec::new();
    for line in log.lines() {
        let Some(rest) = line.strip_prefix(&prefix) else {
            continue;
        };
        if rest.starts_with("signal-handler") {
            continue; // "pid:signal-handler (unixtime) msg" has its own shape
        }
        let parts: Vec<&str> = rest.splitn(6, ' ').collect();
        assert_eq!(parts.len(), 6, "malformed log line {line:?}");
        let time = parts[4].as_bytes();
        let time_ok = time.len() == 12 && time[2] == b':' && time[5] == b':' && time[8] == b'.';
        assert!(
            time_ok && parts[1].len() == 2 && parts[2].len() == 3 && parts[3].len() == 4,
            "bad date in {line:?}"
        );
        let (level, msg) = parts[5].split_once(' ').unwrap_or((parts[5], ""));
        out.push((parts[0].to_string(), level.to_string(), msg.to_string()));
    }
    out
}

#[test]
fn startup_and_shutdown_log_lines_match_redis() {
    let mut srv = Server::start(&[]);
    srv.client().send(&["SHUTDOWN", "NOSAVE"]);
    srv.wait_exit(Duration::from_secs(20))
        .expect("server still running after SHUTDOWN");
    let (pid, port) = (srv.pid(), srv.port());
    let expected = [
        ("C", "#", "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo".to_string()),
        ("C", "#", format!("Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid={pid}, just started")),
        ("C", "#", "Configuration loaded".to_string()),
        ("M", "*", format!("Running mode=standalone, port={port}.")),
        ("M", "#", "Server initialized".to_string()),
        ("M", "*", "Ready to accept connections".to_string()),
        ("M", "#", "User requested shutdown...".to_string()),
        ("M", "#", "Redis is now ready to exit, bye bye...".to_string()),
    ];
    let entries = log_entries(&srv.log(), pid);
    // each expected line, in this order, possibly with others in between
    let mut pos = 0;
    let mut missing = Vec::new();
    for (role, level, msg) in &expected {
        let found = entries[pos..]
            .iter()
            .position(|(r, l, m)| r == role && l == level && m == msg);
        match found {
            Some(i) => pos += i + 1,
            None => missing.push(format!("{role} {level} {msg}")),
        }
    }
    assert!(
        missing.is_empty(),
        "log lacks, in this order:\n{}\nlog:\n{}",
        missing.join("\n"),
        srv.log()
    );
}

#[test]
fn sigterm_shuts_down_gracefully() {
    let mut srv = Server::start(&[]);
    srv.signal("TERM");
    let status = srv
        .wait_exit(Duration::from_secs(20))
        .expect("server ignored SIGTERM");
    assert_eq!(status.code(), Some(0));
    let log = srv.log();
    assert!(
        log.contains("Received SIGTERM scheduling shutdown..."),
        "{log}"
    );
    assert!(
        log.contains("Redis is now ready to exit, bye bye..."),
        "{log}"
    );
}
