//! Crash reports and the watchdog against a spawned server: a fatal signal
//! (DEBUG SEGFAULT, SIGABRT from outside) writes Redis' bug-report frame
//! with a stack trace and the process dies of that signal; without
//! crash-log-enabled it just dies; a panic (DEBUG PANIC) writes the "Guru
//! Meditation" report; the watchdog logs the stack of a stuck loop and the
//! server carries on. Also DEBUG MALLCTL / MALLCTL-STR.

mod common;

use common::{Resp, Server};
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

const START: &str = "=== REDIS BUG REPORT START: Cut & paste starting from here ===";
const END: &str = "=== REDIS BUG REPORT END. Make sure to include from START to END. ===";

fn report_of(s: &Server) -> String {
    let log = s.log();
    let from = log.find(START).unwrap_or(log.len());
    log[from..].to_string()
}

#[test]
fn a_segfault_writes_the_report_and_dies_of_the_signal() {
    let mut s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.client();
    c.send(&["DEBUG", "SEGFAULT"]);
    let status = s.wait_exit(Duration::from_secs(10)).expect("server exited");
    assert_eq!(status.signal(), Some(11), "{status:?}");
    let report = report_of(&s);
    assert!(report.contains("# Redis 7.0.15 crashed by signal: 11, si_code: "));
    assert!(report.contains("# Accessing address: 0x"));
    assert!(report.contains("------ STACK TRACE ------\nEIP:\n"));
    assert!(report.contains("\nBacktrace:\n"));
    // Frames name our binary.
    assert!(report.contains("ferrodis-server"));
    assert!(report.contains(END), "{report}");
}

#[test]
fn a_signal_from_outside_names_the_sender() {
    let mut s = Server::start(&[]);
    s.signal("ABRT");
    let status = s.wait_exit(Duration::from_secs(10)).expect("server exited");
    assert_eq!(status.signal(), Some(6), "{status:?}");
    let report = report_of(&s);
    assert!(
        report.contains("crashed by signal: 6, si_code: 0"),
        "{report}"
    );
    assert!(report.contains("# Killed by PID: "));
    assert!(report.contains("STACK TRACE"));
    assert!(report.contains(END));
}

#[test]
fn without_crash_log_enabled_the_signal_just_kills() {
    let mut s = Server::start(&["--crash-log-enabled", "no", "--enable-debug-command", "yes"]);
    s.client().send(&["DEBUG", "SEGFAULT"]);
    let status = s.wait_exit(Duration::from_secs(10)).expect("server exited");
    assert_eq!(status.signal(), Some(11));
    assert!(!s.log().contains("BUG REPORT"));
    // Turned on at run time, the report is back.
    let mut s = Server::start(&["--crash-log-enabled", "no"]);
    let mut c = s.client();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "crash-log-enabled", "yes"]),
        Resp::ok()
    );
    s.signal("BUS");
    assert!(s.wait_exit(Duration::from_secs(10)).is_some());
    assert!(s.log().contains("crashed by signal: 7"));
}

#[test]
fn a_panic_writes_the_guru_meditation_report() {
    let mut s = Server::start(&["--enable-debug-command", "yes"]);
    s.client().send(&["DEBUG", "PANIC"]);
    assert!(s.wait_exit(Duration::from_secs(10)).is_some());
    let report = report_of(&s);
    assert!(report.contains("# !!! Software Failure. Press left mouse button to continue"));
    assert!(
        report.contains("# Guru Meditation: DEBUG PANIC called at Unix time "),
        "{report}"
    );
    assert!(report.contains("src/commands/debug.rs:"));
    assert!(report.contains("STACK TRACE"));
    assert!(report.contains(END));
}

#[test]
fn the_watchdog_logs_a_stuck_loop_and_the_server_goes_on() {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.client();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "watchdog-period", "500"]),
        Resp::ok()
    );
    // A loop that keeps ticking never trips it.
    std::thread::sleep(Duration::from_millis(1200));
    assert!(!s.log().contains("WATCHDOG"));
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "1.5"]), Resp::ok());
    let log = s.log();
    assert!(log.contains(":signal-handler ("), "{log}");
    assert!(log.contains("--- WATCHDOG TIMER EXPIRED ---"));
    assert!(log.contains("Backtrace:"));
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
    // Off again: a stuck loop goes unreported.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "watchdog-period", "0"]),
        Resp::ok()
    );
    let before = s.log().matches("WATCHDOG").count();
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "1"]), Resp::ok());
    assert_eq!(s.log().matches("WATCHDOG").count(), before);
}

#[test]
fn debug_mallctl_reads_jemalloc_controls() {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["DEBUG", "MALLCTL", "arenas.page"]).int(), 4096);
    assert_eq!(
        c.cmd(&["DEBUG", "MALLCTL", "no.such.control"]),
        Resp::err("ERR No such file or directory")
    );
    assert_eq!(
        c.cmd(&["DEBUG", "MALLCTL", "arenas.page", "1"]),
        Resp::err("ERR Operation not permitted")
    );
    assert!(c
        .cmd(&["DEBUG", "MALLCTL-STR", "version"])
        .text()
        .starts_with("5."));
    assert_eq!(
        c.cmd(&["DEBUG", "MALLCTL-STR", "thread.tcache.flush", "VOID"]),
        Resp::ok()
    );
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
}
