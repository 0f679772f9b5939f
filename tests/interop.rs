//! Redis' own tools against the server: `redis-cli` (plain commands, RESP3,
//! `--pipe` mass insertion) and a short `redis-benchmark` run. These are the
//! clients users point at a drop-in replacement first. The tools come from
//! PATH; when one is missing the test prints a note and passes, since there is
//! nothing to compare against.

mod common;

use common::{Resp, Server};
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Whether `tool` can be run at all; prints why a test is skipped if not.
fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        eprintln!("note: `{tool}` is not on PATH, skipping this test");
    }
    ok
}

/// Runs `tool args`, feeding `stdin` from a thread; kills it after `timeout`.
fn run(tool: &str, args: &[&str], stdin: Option<Vec<u8>>, timeout: Duration) -> Output {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {tool}: {e}"));
    let feeder = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        thread::spawn(move || {
            let _ = pipe.write_all(&bytes); // dropping the pipe sends EOF
        })
    });
    let pid = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watchdog = {
        let done = done.clone();
        thread::spawn(move || {
            let deadline = Instant::now() + timeout;
            while Instant::now() < deadline {
                if done.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                thread::sleep(Duration::from_millis(50));
            }
            eprintln!("{pid} ran past its timeout, killing it");
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        })
    };
    let out = child.wait_with_output().expect("wait for tool");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = watchdog.join();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn redis_cli_runs_plain_commands() {
    if !have("redis-cli") {
        return;
    }
    let srv = Server::start(&[]);
    let port = srv.port().to_string();
    let cli = |args: &[&str]| {
        let mut full = vec!["-p", port.as_str()];
        full.extend(args);
        let out = run("redis-cli", &full, None, Duration::from_secs(30));
        assert!(
            out.status.success(),
            "redis-cli {args:?}: {}",
            text(&out.stderr)
        );
        text(&out.stdout)
    };
    assert_eq!(cli(&["ping"]), "PONG\n");
    assert_eq!(cli(&["set", "k", "hello world"]), "OK\n");
    assert_eq!(cli(&["get", "k"]), "hello world\n");
    assert_eq!(cli(&["--no-raw", "get", "k"]), "\"hello world\"\n");
    assert_eq!(cli(&["--no-raw", "get", "missing"]), "(nil)\n");
    assert_eq!(cli(&["--no-raw", "incr", "n"]), "(integer) 1\n");
    assert_eq!(
        cli(&["--no-raw", "nosuchcmd"]),
        "(error) ERR unknown command 'nosuchcmd', with args beginning with: \n"
    );
    assert_eq!(cli(&["-3", "--no-raw", "get", "missing"]), "(nil)\n");
    assert_eq!(cli(&["-n", "2", "set", "in2", "x"]), "OK\n");
    assert!(cli(&["info", "server"]).contains("redis_version:7.0.15"));
    assert_eq!(srv.client().cmd(&["GET", "k"]), Resp::bulk("hello world"));
}

#[test]
fn redis_cli_pipe_mass_inserts_100k_keys() {
    if !have("redis-cli") {
        return;
    }
    let srv = Server::start(&[]);
    const N: usize = 100_000;
    let mut input = Vec::with_capacity(N * 48);
    for i in 0..N {
        input.extend(common::encode_strs(&[
            "SET",
            &format!("key:{i}"),
            &format!("value:{i}"),
        ]));
    }
    let out = run(
        "redis-cli",
        &["-p", &srv.port().to_string(), "--pipe"],
        Some(input),
        Duration::from_secs(120),
    );
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "redis-cli --pipe failed: {stdout}{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("All data transferred."), "{stdout}");
    assert!(stdout.contains("errors: 0, replies: 100000"), "{stdout}");
    let mut c = srv.client();
    assert_eq!(c.cmd(&["DBSIZE"]), Resp::Int(N as i64));
    assert_eq!(c.cmd(&["GET", "key:99999"]), Resp::bulk("value:99999"));
}

#[test]
fn redis_benchmark_runs_without_errors() {
    if !have("redis-benchmark") {
        return;
    }
    let srv = Server::start(&[]);
    let port = srv.port().to_string();
    let out = run(
        "redis-benchmark",
        &["-p", &port, "-t", "set,get,incr,ping", "-n", "20000", "-q"],
        None,
        Duration::from_secs(300),
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        out.status.success(),
        "redis-benchmark failed:\n{stdout}\n{stderr}"
    );
    // -q prints one summary per test after \r-separated progress updates
    let finals: Vec<&str> = stdout
        .split(['\r', '\n'])
        .filter(|l| l.contains("requests per second"))
        .collect();
    for name in ["PING_INLINE: ", "PING_MBULK: ", "SET: ", "GET: ", "INCR: "] {
        assert!(
            finals.iter().any(|l| l.starts_with(name)),
            "no result for {name}\n{stdout}"
        );
    }
    let all = format!("{stdout}{stderr}");
    for bad in ["ERR", "Error", "WARNING", "error"] {
        assert!(
            !all.contains(bad),
            "redis-benchmark reported {bad:?}:\n{all}"
        );
    }
    // every INCR of the run landed on the one counter
    let mut c = srv.client();
    assert_eq!(c.cmd(&["GET", "counter:__rand_int__"]), Resp::bulk("20000"));
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
}
