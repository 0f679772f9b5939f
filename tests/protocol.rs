//! The wire protocol, end to end: inline and multibulk requests, pipelining,
//! requests split over many writes, every protocol error Redis 7.0 sends (the
//! exact text, then the connection is closed), hostile clients (garbage,
//! half-sent commands, thousands of idle sockets, clients that never read),
//! `maxclients`, and the error texts of unknown commands and wrong arity.
//!
//! Mirrors Redis' networking.c (processInlineBuffer, processMultibulkBuffer,
//! output buffer limits) and tests/unit/protocol.tcl. Every expected byte
//! string here is what redis-server 7.0.15 answers (see tests/common).

#[macro_use]
mod common;

use common::{encode_strs, parse_reply, wait_for, Client, Resp, Server};
use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

/// Sends `input` on a fresh connection and checks that the server answers
/// exactly `expected`, closes that connection, and still serves others.
fn assert_protocol_error(srv: &Server, input: &[u8], expected: &str) {
    let mut c = srv.client();
    let got = c.raw(input);
    let shown = &input[..input.len().min(60)];
    assert_bytes!(
        got,
        expected.as_bytes(),
        "reply to {}...",
        shown.escape_ascii()
    );
    assert!(c.is_closed(), "connection still open after {expected:?}");
    // still serving (a server with requirepass answers NOAUTH instead of PONG)
    match srv.client().cmd(&["PING"]) {
        Resp::Simple(s) => assert_eq!(s, "PONG"),
        Resp::Error(e) => assert!(e.starts_with("NOAUTH"), "{e}"),
        other => panic!("unexpected PING reply {other:?}"),
    }
}

/// Polls CLIENT LIST until it shows `n` connections (the asking one included).
/// INFO's `connected_clients` is checked on its own in tests/server.rs.
fn wait_client_count(c: &mut Client, n: usize) -> bool {
    wait_for(Duration::from_secs(20), || {
        c.cmd(&["CLIENT", "LIST"]).text().lines().count() == n
    })
}

/// A small deterministic PRNG (xorshift64*) so the garbage tests replay exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

// ---------------------------------------------------------------------------
// Well-formed requests
// ---------------------------------------------------------------------------

#[test]
fn harness_parses_replies_split_anywhere() {
    let full = b"*2\r\n$3\r\nfoo\r\n%1\r\n+a\r\n,1.5\r\n";
    for cut in 0..full.len() {
        assert_eq!(parse_reply(&full[..cut]), Ok(None), "cut at {cut}");
    }
    let (r, used) = parse_reply(full).unwrap().unwrap();
    assert_eq!(used, full.len());
    let map = Resp::Map(vec![(Resp::simple("a"), Resp::Double("1.5".into()))]);
    assert_eq!(r, Resp::arr(vec![Resp::bulk("foo"), map]));
    assert_eq!(r.encode(), full.to_vec());
}

#[test]
fn inline_commands_are_answered_with_crlf_or_bare_lf() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_bytes!(c.raw(b"PING\r\n"), b"+PONG\r\n");
    assert_bytes!(c.raw(b"ping\n"), b"+PONG\r\n");
    assert_bytes!(c.raw(b"SET k v\r\n"), b"+OK\r\n");
    assert_bytes!(c.raw(b"GET   k  \r\n"), b"$1\r\nv\r\n");
    // empty lines are skipped without a reply
    assert_bytes!(c.raw(b"\r\n\n\r\nPING\r\n"), b"+PONG\r\n");
}

#[test]
fn inline_quotes_and_escapes_build_the_arguments() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_bytes!(c.raw(b"SET k \"a\\x41\\n\\t\\\\\\\"b\"\r\n"), b"+OK\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), Resp::bulk("aA\n\t\\\"b"));
    assert_bytes!(c.raw(b"SET k 'it\\'s'\r\n"), b"+OK\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), Resp::bulk("it's"));
    // inside single quotes only \' is an escape
    assert_bytes!(c.raw(b"SET k 'a\\nb'\r\n"), b"+OK\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), Resp::bulk("a\\nb"));
    assert_bytes!(c.raw(b"SET k \"\"\r\n"), b"+OK\r\n");
    assert_eq!(c.cmd(&["STRLEN", "k"]), Resp::Int(0));
    assert_bytes!(c.raw(b"ECHO \"two words\"\r\n"), b"$9\r\ntwo words\r\n");
}

#[test]
fn multibulk_with_zero_or_negative_count_is_skipped() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_bytes!(c.raw(b"*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n"), b"+PONG\r\n");
}

#[test]
fn pipelined_commands_in_one_write_are_all_answered_in_order() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut req = Vec::new();
    let mut expected = Vec::new();
    for i in 1..=2000 {
        req.extend(encode_strs(&["INCR", "counter"]));
        expected.extend(format!(":{i}\r\n").bytes());
        if i % 500 == 0 {
            req.extend(b"GET counter\r\n"); // inline and multibulk mixed in one stream
            expected.extend(format!("${}\r\n{i}\r\n", i.to_string().len()).bytes());
        }
    }
    c.send_raw(&req);
    assert_eq!(
        String::from_utf8_lossy(&c.read_bytes(expected.len())),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
}

#[test]
fn a_command_sent_one_byte_per_write_is_parsed() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let mut req = encode_strs(&["SET", "key", "hello world"]);
    req.extend(b"GET key\r\n");
    for b in &req {
        c.send_raw(&[*b]);
        thread::sleep(Duration::from_millis(1)); // give the server a chance to read each byte alone
    }
    assert_eq!(c.read_bytes(5 + 18), b"+OK\r\n$11\r\nhello world\r\n");
}

#[test]
fn a_large_argument_split_over_many_writes_arrives_intact() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let value: Vec<u8> = (0..3_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let req = common::encode_cmd(&[b"SET", b"big", &value]);
    for chunk in req.chunks(65_537) {
        c.send_raw(chunk);
    }
    assert_eq!(c.read_reply(), Resp::ok());
    assert_eq!(c.cmd(&["STRLEN", "big"]), Resp::Int(3_000_000));
    assert_eq!(
        c.cmd(&["GETRANGE", "big", "2999998", "-1"]),
        Resp::bulk("op")
    );
    assert_eq!(c.cmd_bytes(&[b"GET", b"big"]), Resp::Bulk(Some(value)));
}

#[test]
fn quit_replies_ok_then_closes() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_bytes!(c.raw(b"QUIT\r\n"), b"+OK\r\n");
    assert!(c.is_closed());
}

// ---------------------------------------------------------------------------
// Protocol errors: exact text, then the connection is closed
// ---------------------------------------------------------------------------

#[test]
fn non_numeric_multibulk_count_is_invalid_multibulk_length() {
    let srv = Server::start(&[]);
    assert_protocol_error(
        &srv,
        b"*abc\r\n",
        "-ERR Protocol error: invalid multibulk length\r\n",
    );
    assert_protocol_error(
        &srv,
        b"*\r\n",
        "-ERR Protocol error: invalid multibulk length\r\n",
    );
}

#[test]
fn huge_multibulk_count_is_invalid_multibulk_length() {
    let srv = Server::start(&[]);
    assert_protocol_error(
        &srv,
        b"*3000000000\r\n",
        "-ERR Protocol error: invalid multibulk length\r\n",
    );
    assert_protocol_error(
        &srv,
        b"*2147483648\r\n",
        "-ERR Protocol error: invalid multibulk length\r\n",
    );
}

#[test]
fn negative_bulk_length_is_invalid_bulk_length() {
    let srv = Server::start(&[]);
    assert_protocol_error(
        &srv,
        b"*1\r\n$-10\r\n",
        "-ERR Protocol error: invalid bulk length\r\n",
    );
    assert_protocol_error(
        &srv,
        b"*1\r\n$x\r\n",
        "-ERR Protocol error: invalid bulk length\r\n",
    );
}

#[test]
fn bulk_length_over_proto_max_bulk_len_is_invalid_bulk_length() {
    let srv = Server::start(&[]);
    // default proto-max-bulk-len is 512mb
    assert_protocol_error(
        &srv,
        b"*1\r\n$536870913\r\n",
        "-ERR Protocol error: invalid bulk length\r\n",
    );
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]),
        Resp::ok()
    );
    assert_protocol_error(
        &srv,
        b"*2\r\n$4\r\nECHO\r\n$1048577\r\n",
        "-ERR Protocol error: invalid bulk length\r\n",
    );
    // exactly the limit is still fine
    let value = vec![b'x'; 1_048_576];
    assert_eq!(c.cmd_bytes(&[b"ECHO", &value]), Resp::Bulk(Some(value)));
}

#[test]
fn missing_dollar_in_multibulk_names_the_byte_found() {
    let srv = Server::start(&[]);
    assert_protocol_error(
        &srv,
        b"*1\r\nx\r\n",
        "-ERR Protocol error: expected '$', got 'x'\r\n",
    );
    assert_protocol_error(
        &srv,
        b"*2\r\n$4\r\nECHO\r\n:5\r\n",
        "-ERR Protocol error: expected '$', got ':'\r\n",
    );
}

#[test]
fn unbalanced_inline_quotes_are_a_protocol_error() {
    let srv = Server::start(&[]);
    let err = "-ERR Protocol error: unbalanced quotes in request\r\n";
    assert_protocol_error(&srv, b"SET k \"abc\r\n", err);
    assert_protocol_error(&srv, b"SET k 'abc\r\n", err);
    // a closing quote must be followed by a space or the end of the line
    assert_protocol_error(&srv, b"ECHO \"a\"b\r\n", err);
}

#[test]
fn inline_request_over_64k_without_newline_is_too_big() {
    let srv = Server::start(&[]);
    let req = vec![b'a'; 70_000];
    assert_protocol_error(
        &srv,
        &req,
        "-ERR Protocol error: too big inline request\r\n",
    );
}

#[test]
fn a_nul_byte_hides_the_end_of_an_inline_request() {
    // Redis finds the end of an inline request with strchr(), which stops at
    // the first NUL: nothing after it is ever seen, so the request grows
    // until it is too big.
    let srv = Server::start(&[]);
    let mut req = b"PING\0\r\nPING\r\n".to_vec();
    req.extend(vec![b'x'; 70_000]);
    assert_protocol_error(
        &srv,
        &req,
        "-ERR Protocol error: too big inline request\r\n",
    );
    let mut c = srv.client();
    c.timeout = Duration::from_millis(500); // nothing is expected back
    assert_bytes!(c.raw(b"\0\n"), b"", "a lone NUL line got an answer");
    assert_eq!(srv.client().cmd(&["PING"]), Resp::simple("PONG"));
}

#[test]
fn multibulk_count_or_bulk_length_over_64k_without_newline_is_too_big() {
    let srv = Server::start(&[]);
    let mut req = b"*".to_vec();
    req.extend(vec![b'1'; 70_000]);
    assert_protocol_error(
        &srv,
        &req,
        "-ERR Protocol error: too big mbulk count string\r\n",
    );
    let mut req = b"*1\r\n$".to_vec();
    req.extend(vec![b'1'; 70_000]);
    assert_protocol_error(
        &srv,
        &req,
        "-ERR Protocol error: too big bulk count string\r\n",
    );
}

#[test]
fn unauthenticated_clients_cannot_send_big_multibulk_requests() {
    let srv = Server::start(&["--requirepass", "secret"]);
    assert_protocol_error(
        &srv,
        b"*11\r\n",
        "-ERR Protocol error: unauthenticated multibulk length\r\n",
    );
    assert_protocol_error(
        &srv,
        b"*1\r\n$16385\r\n",
        "-ERR Protocol error: unauthenticated bulk length\r\n",
    );
    // up to the limits the request is parsed and refused normally
    let mut c = srv.client();
    let mut req = b"*10\r\n".to_vec();
    for _ in 0..10 {
        req.extend(b"$4\r\nPING\r\n");
    }
    assert_bytes!(c.raw(&req), b"-NOAUTH Authentication required.\r\n");
    // once authenticated, the same sizes are fine
    assert_eq!(c.cmd(&["AUTH", "secret"]), Resp::ok());
    let big = "v".repeat(20_000);
    let mut args = vec!["MSET"];
    for _ in 0..6 {
        args.extend(["k", big.as_str()]);
    }
    assert_eq!(c.cmd(&args), Resp::ok());
}

// ---------------------------------------------------------------------------
// Hostile clients
// ---------------------------------------------------------------------------

#[test]
fn random_binary_garbage_never_takes_the_server_down() {
    let mut srv = Server::start(&[]);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..200 {
        let mut s = TcpStream::connect(("127.0.0.1", srv.port())).unwrap();
        let len = 1 + (rng.next() % 8192) as usize;
        let mut garbage = rng.bytes(len);
        if round % 2 == 0 {
            // start like a real multibulk request so the bulk parser sees garbage too
            let mut prefix =
                format!("*{}\r\n${}\r\n", rng.next() % 5, rng.next() % 20).into_bytes();
            prefix.append(&mut garbage);
            garbage = prefix;
        }
        if round % 3 == 0 {
            garbage.extend(b"\0\0\0\r\n");
        }
        let _ = s.write_all(&garbage); // the server may already have hung up
    }
    let mut c = srv.client();
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
    assert!(srv.is_running());
    assert!(
        wait_client_count(&mut c, 1),
        "garbage connections were not all released"
    );
}

#[test]
fn commands_cut_off_by_a_disconnect_are_dropped() {
    let srv = Server::start(&[]);
    let partials: [&[u8]; 6] = [
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc",
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n",
        b"*3\r\n$3\r\nSE",
        b"*3\r",
        b"SET k v",
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n",
    ];
    for p in partials {
        for _ in 0..20 {
            let mut s = TcpStream::connect(("127.0.0.1", srv.port())).unwrap();
            s.write_all(p).unwrap();
            if p.len() > 30 {
                let _ = s.write_all(&vec![b'z'; 50_000]); // half of a big bulk
            }
        }
    }
    let mut c = srv.client();
    assert!(
        wait_client_count(&mut c, 1),
        "half-open clients were not released"
    );
    assert_eq!(c.cmd(&["EXISTS", "k"]), Resp::Int(0));
    assert_eq!(c.cmd(&["DBSIZE"]), Resp::Int(0));
}

/// The most idle sockets this machine lets both processes hold, up to 9000
/// (the default maxclients is 10000).
fn idle_connection_count() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(1024);
    soft.saturating_sub(500).clamp(100, 9000)
}

#[test]
fn thousands_of_idle_connections_do_not_stop_the_server() {
    let srv = Server::start(&[]);
    let n = idle_connection_count();
    let idle: Vec<TcpStream> = (0..n)
        .map(|i| {
            TcpStream::connect(("127.0.0.1", srv.port()))
                .unwrap_or_else(|e| panic!("connection {i}: {e}"))
        })
        .collect();
    let mut c = srv.client();
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
    assert!(
        wait_client_count(&mut c, n + 1),
        "server did not accept all {n} connections"
    );
    assert_eq!(c.cmd(&["SET", "k", "v"]), Resp::ok());
    drop(idle);
    assert!(wait_client_count(&mut c, 1));
    assert_eq!(c.cmd(&["GET", "k"]), Resp::bulk("v"));
}

#[test]
fn a_client_that_never_reads_is_closed_at_the_output_buffer_limit() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1mb 0 0"
        ]),
        Resp::ok()
    );
    assert_eq!(c.cmd(&["SET", "big", &"x".repeat(100_000)]), Resp::ok());
    assert!(wait_client_count(&mut c, 1));

    // 2000 GETs of 100 KB is 200 MB of replies: far more than the socket
    // buffers hold, so the rest piles up in the server's output buffer.
    // INFO's count is compared with itself, so the check holds whatever the
    // baseline (tests/server.rs checks the absolute number).
    let connected = |c: &mut Client| c.info_field("clients", "connected_clients");
    let before = connected(&mut c);
    let mut greedy = srv.client();
    assert_eq!(greedy.cmd(&["PING"]), Resp::simple("PONG"));
    let during = connected(&mut c);
    assert_ne!(during, before, "INFO did not count the new client");
    let gets = encode_strs(&["GET", "big"]).repeat(100);
    let mut sent = 0;
    while sent < 2000 {
        if greedy.try_send_raw(&gets).is_err() {
            break; // the server closed us: the expected outcome
        }
        sent += 100;
    }
    assert!(
        greedy.is_closed(),
        "server kept a client over its output buffer limit"
    );
    assert!(wait_client_count(&mut c, 1));
    assert_eq!(
        connected(&mut c),
        before,
        "connected_clients did not drop back"
    );
    assert_eq!(c.cmd(&["STRLEN", "big"]), Resp::Int(100_000));
    assert!(
        srv.wait_log(
            "scheduled to be closed ASAP for overcoming of output buffer limits.",
            Duration::from_secs(10)
        ),
        "no log line about the closed client:\n{}",
        srv.log()
    );
}

#[test]
fn maxclients_refuses_the_extra_connection_with_an_error() {
    let srv = Server::start(&["--maxclients", "2"]);
    let mut c1 = srv.client();
    assert!(wait_client_count(&mut c1, 1));
    let mut c2 = srv.client();
    assert_eq!(c2.cmd(&["PING"]), Resp::simple("PONG"));
    let mut c3 = srv.client();
    assert_eq!(c3.read_raw(), b"-ERR max number of clients reached\r\n");
    assert!(c3.is_closed());
    assert_eq!(
        c1.info_field("stats", "rejected_connections").as_deref(),
        Some("1")
    );
    drop(c2);
    assert!(wait_client_count(&mut c1, 1));
    assert_eq!(srv.client().cmd(&["PING"]), Resp::simple("PONG"));
}

// ---------------------------------------------------------------------------
// Command-level errors and CLIENT REPLY
// ---------------------------------------------------------------------------

#[test]
fn unknown_command_error_quotes_the_first_arguments() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_bytes!(
        c.raw(b"foo\r\n"),
        b"-ERR unknown command 'foo', with args beginning with: \r\n"
    );
    assert_bytes!(
        c.raw(b"foo a b\r\n"),
        b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
    );
    // newlines in the arguments become spaces so the error stays one line
    assert_bytes!(
        c.raw(&encode_strs(&["foo", "a\r\nb"])),
        b"-ERR unknown command 'foo', with args beginning with: 'a  b' \r\n"
    );
    // the name is cut at 128 bytes, the quoted arguments stop after 128 bytes
    let long = "n".repeat(200);
    let arg = "a".repeat(100);
    let reply = c.raw(&encode_strs(&[&long, &arg, &arg, &arg]));
    let expected = format!(
        "-ERR unknown command '{}', with args beginning with: '{}' '{}' \r\n",
        "n".repeat(128),
        arg,
        "a".repeat(128 - 103)
    );
    assert_eq!(String::from_utf8_lossy(&reply), expected);
    // the connection stays usable
    assert_eq!(c.cmd(&["PING"]), Resp::simple("PONG"));
}

#[test]
fn unknown_command_error_echoes_non_utf8_bytes_unchanged() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_bytes!(
        c.raw(b"\xfe\x8c a\r\n"),
        b"-ERR unknown command '\xfe\x8c', with args beginning with: 'a' \r\n"
    );
}

#[test]
fn wrong_arity_and_unknown_subcommand_texts_match_redis() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_bytes!(
        c.raw(b"GET\r\n"),
        b"-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_bytes!(
        c.raw(b"get a b\r\n"),
        b"-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_bytes!(
        c.raw(b"MSET a\r\n"),
        b"-ERR wrong number of arguments for 'mset' command\r\n"
    );
    assert_bytes!(
        c.raw(b"CLIENT\r\n"),
        b"-ERR wrong number of arguments for 'client' command\r\n"
    );
    assert_bytes!(
        c.raw(b"CONFIG GET\r\n"),
        b"-ERR wrong number of arguments for 'config|get' command\r\n"
    );
    assert_bytes!(
        c.raw(b"CONFIG foo\r\n"),
        b"-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n"
    );
    assert_bytes!(
        c.raw(b"object nope k\r\n"),
        b"-ERR unknown subcommand 'nope'. Try OBJECT HELP.\r\n"
    );
}

#[test]
fn client_reply_off_skip_and_on_control_what_comes_back() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    // OFF silences everything, including its own OK, until ON (which says OK)
    let got =
        c.raw(b"CLIENT REPLY OFF\r\nSET a 1\r\nGET a\r\nNOSUCHCMD\r\nCLIENT REPLY ON\r\nGET a\r\n");
    assert_eq!(got, b"+OK\r\n$1\r\n1\r\n");
    // SKIP silences only the next command
    assert_bytes!(
        c.raw(b"CLIENT REPLY SKIP\r\nPING\r\nECHO x\r\n"),
        b"$1\r\nx\r\n"
    );
    assert_bytes!(c.raw(b"CLIENT REPLY foo\r\n"), b"-ERR syntax error\r\n");
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "ON"]), Resp::ok());
}
