//! MULTI/EXEC/DISCARD/WATCH and MONITOR over real connections: queue-time
//! and run-time errors, the misuse errors (EXEC or DISCARD without MULTI,
//! nested MULTI, WATCH inside MULTI), WATCH against other clients' writes,
//! blocking commands inside a transaction, the effects written to the AOF
//! as one MULTI/EXEC block, a huge queued transaction (memory shown in
//! CLIENT LIST and given back), and MONITOR's line format with secrets
//! redacted. The expected bytes were taken from Debian's redis-server
//! 7.0.15 (run with FERRODIS_TEST_SERVER=/usr/bin/redis-server).

mod common;

use common::{wait_for, Client, Resp, Server};
use std::time::Duration;

fn queued() -> Resp {
    Resp::simple("QUEUED")
}

#[test]
fn exec_runs_the_queue_and_reports_each_reply_including_runtime_errors() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["SET", "s", "text"]), Resp::ok());
    assert_eq!(c.cmd(&["MULTI"]), Resp::ok());
    assert_eq!(c.cmd(&["INCR", "n"]), queued());
    assert_eq!(c.cmd(&["INCR", "s"]), queued());
    assert_eq!(c.cmd(&["INCRBY", "n", "10"]), queued());
    assert_eq!(c.cmd(&["GET", "n"]), queued());
    // A run-time error does not stop the commands after it.
    assert_eq!(
        c.cmd(&["EXEC"]),
        Resp::arr(vec![
            Resp::Int(1),
            Resp::err("ERR value is not an integer or out of range"),
            Resp::Int(11),
            Resp::bulk("11"),
        ])
    );
    // The client is out of MULTI again.
    assert_eq!(c.cmd(&["GET", "n"]), Resp::bulk("11"));
}

#[test]
fn a_queue_time_error_aborts_the_whole_transaction() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["MULTI"]), Resp::ok());
    assert_eq!(c.cmd(&["SET", "a", "1"]), queued());
    assert_eq!(
        c.cmd(&["GET"]),
        Resp::err("ERR wrong number of arguments for 'get' command")
    );
    assert!(c.cmd(&["NOSUCHCOMMAND", "x"]).is_error());
    assert_eq!(c.cmd(&["SET", "b", "2"]), queued());
    assert_eq!(
        c.cmd(&["EXEC"]),
        Resp::err("EXECABORT Transaction discarded because of previous errors.")
    );
    assert_eq!(c.cmd(&["EXISTS", "a", "b"]), Resp::Int(0));
    assert_eq!(c.cmd(&["EXEC"]), Resp::err("ERR EXEC without MULTI"));
}

#[test]
fn misuse_gets_redis_errors_and_keeps_the_connection_usable() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    // Exactly what redis-server 7.0.15 answers to this pipeline.
    let input =
        b"MULTI\r\nMULTI\r\nSET a 1\r\nEXEC\r\nEXEC\r\nDISCARD\r\nMULTI\r\nBLPOP nolist 0\r\n\
INCR a\r\nSET s x\r\nINCR s\r\nEXEC\r\nWATCH x\r\nMULTI\r\nWATCH y\r\nEXEC\r\n";
    let want = "+OK\r\n-ERR MULTI calls can not be nested\r\n+QUEUED\r\n*1\r\n+OK\r\n\
-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n\
+QUEUED\r\n+QUEUED\r\n*4\r\n*-1\r\n:2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n\
+OK\r\n+OK\r\n-ERR WATCH inside MULTI is not allowed\r\n*0\r\n";
    let mut got = c.raw(input);
    // `raw` may return before the last reply on a slow machine.
    while got.len() < want.len() {
        let more = c.read_raw();
        assert!(
            !more.is_empty(),
            "short reply: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend(more);
    }
    assert_eq!(String::from_utf8_lossy(&got), want);
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
}

#[test]
fn watch_aborts_exec_when_another_client_writes_the_key() {
    let srv = Server::start(&[]);
    let mut a = srv.client();
    let mut b = srv.client();
    assert_eq!(a.cmd(&["SET", "k", "1"]), Resp::ok());
    assert_eq!(a.cmd(&["WATCH", "k"]), Resp::ok());
    assert_eq!(b.cmd(&["INCR", "k"]), Resp::Int(2));
    assert_eq!(a.cmd(&["MULTI"]), Resp::ok());
    assert_eq!(a.cmd(&["SET", "k", "from-a"]), queued());
    assert_eq!(a.cmd(&["EXEC"]), Resp::Array(None));
    assert_eq!(a.cmd(&["GET", "k"]), Resp::bulk("2"));

    // UNWATCH forgets the key; a write by someone else no longer matters.
    assert_eq!(a.cmd(&["WATCH", "k"]), Resp::ok());
    assert_eq!(a.cmd(&["UNWATCH"]), Resp::ok());
    assert_eq!(b.cmd(&["SET", "k", "b"]), Resp::ok());
    assert_eq!(a.cmd(&["MULTI"]), Resp::ok());
    assert_eq!(a.cmd(&["SET", "k", "a"]), queued());
    assert_eq!(a.cmd(&["EXEC"]), Resp::arr(vec![Resp::ok()]));

    // FLUSHALL touches every watched key that existed.
    assert_eq!(a.cmd(&["WATCH", "k"]), Resp::ok());
    assert_eq!(b.cmd(&["FLUSHALL"]), Resp::ok());
    assert_eq!(a.cmd(&["MULTI"]), Resp::ok());
    assert_eq!(a.cmd(&["PING"]), queued());
    assert_eq!(a.cmd(&["EXEC"]), Resp::Array(None));
}

#[test]
fn a_watched_key_that_expires_before_exec_aborts_it() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["SET", "k", "v", "PX", "50"]), Resp::ok());
    assert_eq!(c.cmd(&["WATCH", "k"]), Resp::ok());
    std::thread::sleep(Duration::from_millis(120));
    assert_eq!(c.cmd(&["MULTI"]), Resp::ok());
    assert_eq!(c.cmd(&["PING"]), queued());
    assert_eq!(c.cmd(&["EXEC"]), Resp::Array(None));
}

#[test]
fn blocking_commands_inside_multi_answer_at_once() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["MULTI"]), Resp::ok());
    assert_eq!(c.cmd(&["BLPOP", "empty", "0"]), queued());
    assert_eq!(c.cmd(&["BRPOPLPUSH", "empty", "dst", "0"]), queued());
    assert_eq!(c.cmd(&["BZPOPMIN", "empty", "0"]), queued());
    assert_eq!(
        c.cmd(&["EXEC"]),
        Resp::arr(vec![Resp::Array(None), Resp::Bulk(None), Resp::Array(None)])
    );
}

#[test]
fn the_aof_gets_the_transaction_as_one_multi_exec_block() {
    let srv = Server::start(&["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = srv.client();
    assert_eq!(c.cmd(&["MULTI"]), Resp::ok());
    assert_eq!(c.cmd(&["SET", "a", "1"]), queued());
    assert_eq!(c.cmd(&["GET", "a"]), queued());
    assert_eq!(c.cmd(&["INCR", "a"]), queued());
    assert_eq!(
        c.cmd(&["EXEC"]),
        Resp::arr(vec![Resp::ok(), Resp::bulk("1"), Resp::Int(2)])
    );
    // The incremental file of the multi-part AOF holds what was written.
    let dir = srv.dir().join("appendonlydir");
    let mut incr = String::new();
    let found = wait_for(Duration::from_secs(5), || {
        incr = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".incr.aof"))
            .map(|e| {
                String::from_utf8_lossy(&std::fs::read(e.path()).unwrap_or_default()).into_owned()
            })
            .collect();
        incr.contains("EXEC")
    });
    assert!(found, "no EXEC in the AOF: {incr:?}");
    let body = "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*1\r\n$4\r\nEXEC\r\n";
    assert!(incr.contains(body), "AOF: {incr:?}");
    assert!(
        !incr.contains("GET"),
        "a read was written to the AOF: {incr:?}"
    );
}

/// `multi-mem` of this connection in CLIENT LIST.
fn multi_mem(c: &mut Client) -> u64 {
    let line = c.cmd(&["CLIENT", "INFO"]).text();
    line.split(' ')
        .find_map(|f| f.strip_prefix("multi-mem="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no multi-mem in {line:?}"))
}

#[test]
fn a_huge_transaction_is_accounted_and_released() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let n = 100_000;
    assert_eq!(c.cmd(&["MULTI"]), Resp::ok());
    let mut batch = Vec::new();
    for i in 0..n {
        batch.extend(common::encode_strs(&["SET", &format!("key:{i}"), "value"]));
    }
    c.send_raw(&batch);
    for _ in 0..n {
        assert_eq!(c.read_reply(), queued());
    }
    // CLIENT INFO itself is queued inside MULTI: ask from a second client.
    let mut other = srv.client();
    let list = other.cmd(&["CLIENT", "LIST"]).text();
    let line = list
        .lines()
        .find(|l| l.contains("cmd=set"))
        .unwrap_or_default()
        .to_string();
    let mem: u64 = line
        .split(' ')
        .find_map(|f| f.strip_prefix("multi-mem="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(mem > 1_000_000, "multi-mem of {n} queued SETs: {line:?}");
    assert!(line.contains(&format!("multi={n}")), "{line:?}");
    assert_eq!(c.cmd(&["DISCARD"]), Resp::ok());
    assert_eq!(multi_mem(&mut c), 0);
    assert_eq!(c.cmd(&["DBSIZE"]), Resp::Int(0));

    // The same queue executed: one reply array of n +OK.
    assert_eq!(c.cmd(&["MULTI"]), Resp::ok());
    c.send_raw(&batch);
    for _ in 0..n {
        assert_eq!(c.read_reply(), queued());
    }
    let exec = c.cmd(&["EXEC"]).items();
    assert_eq!(exec.len(), n);
    assert!(exec.iter().all(|r| *r == Resp::ok()));
    assert_eq!(c.cmd(&["DBSIZE"]), Resp::Int(n as i64));
}

/// MONITOR lines without the timestamp and client address, which vary.
fn monitor_lines(m: &mut Client, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| {
            let line = m.read_reply().text();
            // +<secs>.<usecs> [<db> <addr>] "cmd" "args"...
            let (head, rest) = line.split_once("] ").unwrap_or(("", &line));
            let db = head.split_once('[').map(|(_, r)| r).unwrap_or("");
            let db = db.split(' ').next().unwrap_or("");
            format!("[{db}] {rest}")
        })
        .collect()
}

#[test]
fn monitor_shows_commands_in_redis_format_with_secrets_redacted() {
    let srv = Server::start(&[]);
    let mut m = srv.client();
    assert_eq!(m.cmd(&["MONITOR"]), Resp::ok());
    let mut c = srv.client();
    c.cmd(&["MULTI"]);
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["GET", "k"]);
    c.cmd(&["EXEC"]);
    c.cmd(&["AUTH", "user", "secret"]);
    c.cmd(&["HELLO", "2", "AUTH", "user", "secret"]);
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "a b", "c\"d\n"]);
    c.cmd(&["PING"]);
    let want = [
        "[0] \"MULTI\"",
        "[0] \"SET\" \"k\" \"v\"",
        "[0] \"GET\" \"k\"",
        "[0] \"EXEC\"",
        "[0] \"AUTH\" \"(redacted)\" \"(redacted)\"",
        "[0] \"HELLO\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\"",
        "[3] \"SELECT\" \"3\"",
        "[3] \"SET\" \"a b\" \"c\\\"d\\n\"",
        "[3] \"PING\"",
    ];
    assert_eq!(monitor_lines(&mut m, want.len()), want);
}
