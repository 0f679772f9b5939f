//! `ferrodis-server`: command line, configuration, logging, start-up
//! (server.c main()), then the event loop until shutdown.

use std::process::exit;

use ferrodis::config::{parse_command_line, Config, ConfigError, LoadHooks};
use ferrodis::server::Server;
use ferrodis::{commands, logging, shutdown, BUILD_ID, REDIS_VERSION};
use log::{info, warn};

// jemalloc, as Redis: its size classes make small keys cheap and its stats
// feed used_memory and the allocator_* fields.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn usage() -> ! {
    eprintln!(
        "Usage: ./ferrodis-server [/path/to/redis.conf] [options] [-]
       ./ferrodis-server - (read config from stdin)
       ./ferrodis-server -v or --version
       ./ferrodis-server -h or --help

Examples:
       ./ferrodis-server (start with the built-in defaults)
       echo 'maxmemory 128mb' | ./ferrodis-server -
       ./ferrodis-server /etc/redis/6379.conf
       ./ferrodis-server --port 7777
       ./ferrodis-server /etc/myredis.conf --loglevel verbose -
       ./ferrodis-server /etc/myredis.conf --loglevel verbose

Any directive of redis.conf can be given as --name value."
    );
    exit(1);
}

/// Checks `rename-command` lines against the command table while loading.
struct Hooks;

impl LoadHooks for Hooks {
    fn rename_command(&mut self, from: &str, _to: &str) -> Result<(), String> {
        match commands::spec::find(from.as_bytes()) {
            Some(_) => Ok(()),
            None => Err("No such command in rename-command".into()),
        }
    }
}

/// Our start-up banner (Redis prints ASCII art here); the suite waits for
/// the ` PID: <pid>` line.
fn banner(cfg: &Config) -> String {
    let mode = if cfg.cluster_enabled {
        "cluster"
    } else {
        "standalone"
    };
    format!(
        "\n    ferrodis {REDIS_VERSION} (Redis-compatible, {BUILD_ID}) 64 bit\n    Running in {mode} mode\n    Port: {}\n    PID: {}\n\n",
        cfg.port,
        std::process::id()
    )
}

/// Started through a name ending in `check-rdb` or `check-aof` (a link
/// such as `redis-check-rdb -> ferrodis-server`), the server is the file
/// checker instead, as redis-server is for redis-check-rdb/aof.
fn run_as_checker_if_named_so() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let Some(name) = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
    else {
        return;
    };
    let name = name.to_string_lossy();
    if name.ends_with("check-rdb") {
        exit(ferrodis::persistence::check_rdb::main(&args));
    }
    if name.ends_with("check-aof") {
        exit(ferrodis::persistence::check_aof::main(&args));
    }
}

fn main() {
    run_as_checker_if_named_so();
    let args: Vec<String> = std::env::args().collect();
    ferrodis::proctitle::init();
    // Until the server is initialised Redis tags its log lines 'C'.
    logging::set_role(b'C');
    let exe = std::fs::canonicalize(&args[0])
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| args[0].clone());
    if args.len() >= 2 {
        match args[1].as_str() {
            "-v" | "--version" => {
                println!("Redis server v={REDIS_VERSION} sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build={BUILD_ID}");
                exit(0);
            }
            "-h" | "--help" => usage(),
            _ => {}
        }
    }
    let cl = parse_command_line(&args[1..]);
    let mut cfg = Config::default();
    let config_file = cl
        .config_file
        .as_ref()
        .map(|f| std::fs::canonicalize(f).unwrap_or_else(|_| std::path::PathBuf::from(f)));
    let options = (!cl.options.is_empty()).then_some(cl.options.as_str());
    let file_str = cl.config_file.as_deref();
    if cl.config_from_stdin {
        logging::early_warning("Reading config from stdin");
    }
    if let Err(e) = cfg.load_server_config(file_str, cl.config_from_stdin, options, &mut Hooks) {
        match e {
            ConfigError::Fatal(text) => eprint!("{text}"),
            ConfigError::Log(text) => eprintln!("{text}"),
        }
        exit(1);
    }
    if let Err(e) = logging::init(&cfg.logfile, cfg.loglevel.name()) {
        eprintln!("Can't open the log file: {e}");
        exit(1);
    }
    if cfg.daemonize {
        daemonize();
    }
    shutdown::install_signal_handlers();
    // A daemon's pid file goes with it when it crashes (Redis' default
    // path when none is set).
    let pidfile = cfg.daemonize.then(|| {
        cfg.pidfile
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/var/run/redis.pid".to_string())
    });
    ferrodis::crash::install(&cfg.logfile, pidfile.as_deref(), cfg.crash_log_enabled);
    warn!("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    warn!(
        "Redis version={REDIS_VERSION}, bits=64, commit=00000000, modified=0, pid={}, just started",
        std::process::id()
    );
    if config_file.is_none() && !cl.config_from_stdin && args.len() == 1 {
        warn!("Warning: no config file specified, using the default config. In order to specify a config file use {} /path/to/redis.conf", args[0]);
    } else {
        warn!("Configuration loaded");
    }
    adjust_open_files_limit(&mut cfg);
    let mut srv = match Server::new(cfg, exe, config_file) {
        Ok(s) => s,
        Err(e) => {
            warn!("Failed creating the server: {e}");
            exit(1);
        }
    };
    logging::set_role(b'M');
    if let Err(e) = srv.open_listeners() {
        warn!("{e}");
        exit(1);
    }
    if srv.cfg.always_show_logo {
        logging::raw(&srv.cfg.logfile, &banner(&srv.cfg));
    } else {
        info!(
            "Running mode={}, port={}.",
            if srv.cfg.cluster_enabled {
                "cluster"
            } else {
                "standalone"
            },
            srv.cfg.port
        );
    }
    warn!("Server initialized");
    ferrodis::linux_tuning::memory_warnings(&srv.cfg);
    ferrodis::persistence::load_data_from_disk(&mut srv);
    ferrodis::replication::replica::start_from_config(&mut srv);
    srv.update_proc_title();
    srv.write_pidfile();
    srv.used_memory_startup = ferrodis::memory::used_memory();
    info!("Ready to accept connections");
    srv.notify_systemd_ready();
    // A failure is logged; the server runs with the score it has.
    srv.apply_oom_score();
    if let Err(e) = srv.run() {
        warn!("Event loop failed: {e}");
        exit(1);
    }
    exit(0);
}

/// File descriptors kept for purposes other than clients (listeners, log,
/// persistence files), as Redis' CONFIG_MIN_RESERVED_FDS.
const MIN_RESERVED_FDS: u64 = 32;

/// Raise RLIMIT_NOFILE to fit `maxclients` (adjustOpenFilesLimit); when the
/// system refuses, lower maxclients to what fits and say so.
fn adjust_open_files_limit(cfg: &mut Config) {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let wanted = cfg.maxclients as u64 + MIN_RESERVED_FDS;
    let Ok((cur, _max)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        warn!("Unable to obtain the current NOFILE limit, assuming 1024 and setting the max clients configuration accordingly.");
        cfg.maxclients = (1024 - MIN_RESERVED_FDS) as u32;
        return;
    };
    if cur >= wanted {
        return;
    }
    let mut best = wanted;
    let mut last_err = None;
    while best > cur {
        match setrlimit(Resource::RLIMIT_NOFILE, best, best) {
            Ok(()) => break,
            Err(e) => last_err = Some(e),
        }
        best = if best < 16 { cur } else { best - 16 };
    }
    let best = best.max(cur);
    if best < wanted {
        let old = cfg.maxclients;
        if best <= MIN_RESERVED_FDS {
            warn!("Your current 'ulimit -n' of {cur} is not enough for the server to start. Please increase your open file limit to at least {wanted}. Exiting.");
            exit(1);
        }
        cfg.maxclients = (best - MIN_RESERVED_FDS) as u32;
        warn!(
            "You requested maxclients of {old} requiring at least {wanted} max file descriptors."
        );
        if let Some(e) = last_err {
            warn!(
                "Server can't set maximum open files to {wanted} because of OS error: {}.",
                e.desc()
            );
        }
        warn!("Current maximum open files is {best}. maxclients has been reduced to {} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.", cfg.maxclients);
    } else {
        info!(
            "Increased maximum number of open files to {wanted} (it was originally set to {cur})."
        );
    }
}

/// Detach like Redis' daemonize(): fork, the parent exits, the child
/// starts a new session and points stdio at /dev/null.
fn daemonize() {
    use nix::unistd::{fork, setsid, ForkResult};
    // SAFETY: called before any other thread exists; the child continues
    // single-threaded and the parent exits immediately.
    match unsafe { fork() } {
        Ok(ForkResult::Parent { .. }) => exit(0),
        Ok(ForkResult::Child) => {}
        Err(e) => {
            eprintln!("fork failed: {e}");
            exit(1);
        }
    }
    let _ = setsid();
    if let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        use std::os::fd::AsRawFd;
        for fd in 0..3 {
            let _ = nix::unistd::dup2(f.as_raw_fd(), fd);
        }
    }
}
