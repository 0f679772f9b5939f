//! RESP3 over the wire: HELLO (its map reply, protocol switching, its errors
//! and AUTH/SETNAME options), the RESP3-only reply types (null `_`, double
//! `,`, boolean `#`, big number `(`, verbatim `=`, set `~`, map `%`, push
//! `>`, attribute `|`) as DEBUG PROTOCOL and ordinary commands emit them, and
//! how each one degrades in RESP2. Mirrors Redis' networking.c (addReply*),
//! the HELLO handler and tests/unit/protocol.tcl; expected bytes are what
//! Redis 7.0.15 sends.

#[macro_use]
mod common;

use common::{Client, Resp, Server};

/// The exact HELLO reply for client `id` in protocol `proto`.
fn hello_bytes(proto: u8, id: i64) -> Vec<u8> {
    let head = if proto == 3 {
        "%7".to_string()
    } else {
        "*14".to_string()
    };
    format!(
        "{head}\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:{proto}\r\n\
         $2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n\
         $7\r\nmodules\r\n*0\r\n"
    )
    .into_bytes()
}

fn client_id(c: &mut Client) -> i64 {
    c.cmd(&["CLIENT", "ID"]).int()
}

/// A RESP3 connection (HELLO 3 already sent and its reply consumed).
fn resp3_client(srv: &Server) -> Client {
    let mut c = srv.client();
    assert!(matches!(c.cmd(&["HELLO", "3"]), Resp::Map(_)));
    c
}

#[test]
fn hello_3_answers_with_a_map_of_server_facts() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let id = client_id(&mut c);
    assert_eq!(
        String::from_utf8_lossy(&c.raw(b"HELLO 3\r\n")),
        String::from_utf8_lossy(&hello_bytes(3, id))
    );
    // HELLO without a version reports the current protocol and keeps it
    assert_bytes!(c.raw(b"HELLO\r\n"), hello_bytes(3, id));
    assert_bytes!(c.raw(b"GET nokey\r\n"), b"_\r\n");
}

#[test]
fn hello_2_and_bare_hello_answer_with_a_flat_array() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    let id = client_id(&mut c);
    assert_bytes!(c.raw(b"HELLO\r\n"), hello_bytes(2, id));
    assert_bytes!(c.raw(b"HELLO 3\r\n"), hello_bytes(3, id));
    assert_bytes!(c.raw(b"HELLO 2\r\n"), hello_bytes(2, id));
    assert_bytes!(c.raw(b"GET nokey\r\n"), b"$-1\r\n", "back to RESP2 nulls");
}

#[test]
fn nulls_are_underscore_in_resp3_and_minus_one_in_resp2() {
    let srv = Server::start(&[]);
    let mut c2 = srv.client();
    let mut c3 = resp3_client(&srv);
    c2.cmd(&["SET", "a", "1"]);
    assert_bytes!(c3.raw(b"GET nokey\r\n"), b"_\r\n");
    assert_bytes!(c2.raw(b"GET nokey\r\n"), b"$-1\r\n");
    assert_bytes!(c3.raw(b"MGET a b\r\n"), b"*2\r\n$1\r\n1\r\n_\r\n");
    assert_bytes!(c2.raw(b"MGET a b\r\n"), b"*2\r\n$1\r\n1\r\n$-1\r\n");
    assert_bytes!(c3.raw(b"OBJECT ENCODING nokey\r\n"), b"_\r\n");
    assert_bytes!(c3.raw(b"SET a 2 XX GET\r\n"), b"$1\r\n1\r\n");
    assert_bytes!(c3.raw(b"SET b 2 XX\r\n"), b"_\r\n");
    assert_bytes!(c2.raw(b"SET b 2 XX\r\n"), b"$-1\r\n");
    assert_bytes!(c3.raw(b"COMMAND INFO nosuchcommand\r\n"), b"*1\r\n_\r\n");
    assert_bytes!(c2.raw(b"COMMAND INFO nosuchcommand\r\n"), b"*1\r\n$-1\r\n");
    // INCRBYFLOAT stays a bulk string in RESP3
    assert_bytes!(c3.raw(b"INCRBYFLOAT f 1.5\r\n"), b"$3\r\n1.5\r\n");
}

#[test]
fn config_get_is_a_map_in_resp3_and_pairs_in_resp2() {
    let srv = Server::start(&[]);
    let mut c2 = srv.client();
    let mut c3 = resp3_client(&srv);
    assert_bytes!(
        c3.raw(b"CONFIG GET maxmemory\r\n"),
        b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    );
    assert_bytes!(
        c2.raw(b"CONFIG GET maxmemory\r\n"),
        b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    );
    assert_bytes!(c3.raw(b"CONFIG GET nosuchparam\r\n"), b"%0\r\n");
    assert_bytes!(c2.raw(b"CONFIG GET nosuchparam\r\n"), b"*0\r\n");
}

#[test]
fn debug_protocol_emits_each_type_in_resp2_and_resp3() {
    let srv = Server::start(&["--enable-debug-command", "yes"]);
    let mut c2 = srv.client();
    let mut c3 = resp3_client(&srv);
    // (type, RESP2 bytes, RESP3 bytes) recorded from redis-server 7.0.15
    let cases: [(&str, &[u8], &[u8]); 13] = [
        ("string", b"$11\r\nHello World\r\n", b"$11\r\nHello World\r\n"),
        ("integer", b":12345\r\n", b":12345\r\n"),
        ("double", b"$5\r\n3.141\r\n", b",3.141\r\n"),
        (
            "bignum",
            b"$37\r\n1234567999999999999999999999999999999\r\n",
            b"(1234567999999999999999999999999999999\r\n",
        ),
        ("null", b"$-1\r\n", b"_\r\n"),
        ("array", b"*3\r\n:0\r\n:1\r\n:2\r\n", b"*3\r\n:0\r\n:1\r\n:2\r\n"),
        ("set", b"*3\r\n:0\r\n:1\r\n:2\r\n", b"~3\r\n:0\r\n:1\r\n:2\r\n"),
        ("map", b"*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n", b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"),
        (
            "attrib",
            b"$39\r\nSome real reply following the attribute\r\n",
            b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n",
        ),
        (
            "push",
            b"-ERR RESP2 is not supported by this command\r\n",
            b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n",
        ),
        ("verbatim", b"$25\r\nThis is a verbatim\nstring\r\n", b"=29\r\ntxt:This is a verbatim\nstring\r\n"),
        ("true", b":1\r\n", b"#t\r\n"),
        ("false", b":0\r\n", b"#f\r\n"),
    ];
    for (ty, resp2, resp3) in cases {
        let got2 = c2.raw(format!("DEBUG PROTOCOL {ty}\r\n").as_bytes());
        assert_bytes!(got2, resp2, "RESP2 {ty}");
        let got3 = c3.raw(format!("DEBUG PROTOCOL {ty}\r\n").as_bytes());
        assert_bytes!(got3, resp3, "RESP3 {ty}");
    }
    let err = b"-ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false\r\n";
    assert_bytes!(c2.raw(b"DEBUG PROTOCOL foo\r\n"), err);
}

#[test]
fn info_and_client_info_are_verbatim_strings_in_resp3() {
    let srv = Server::start(&[]);
    let mut c2 = srv.client();
    let mut c3 = resp3_client(&srv);
    match c3.cmd(&["INFO", "server"]) {
        Resp::Verbatim(fmt, body) => {
            assert_eq!(fmt, "txt");
            assert!(
                body.starts_with(b"# Server\r\nredis_version:7.0.15\r\n"),
                "{}",
                String::from_utf8_lossy(&body)
            );
        }
        other => panic!("INFO in RESP3 is not verbatim: {other:?}"),
    }
    match c3.cmd(&["CLIENT", "INFO"]) {
        Resp::Verbatim(fmt, body) => {
            assert_eq!(fmt, "txt");
            let line = String::from_utf8_lossy(&body).into_owned();
            assert!(
                line.starts_with("id=") && line.ends_with(" resp=3\n"),
                "{line:?}"
            );
        }
        other => panic!("CLIENT INFO in RESP3 is not verbatim: {other:?}"),
    }
    // the same commands are plain bulk strings in RESP2
    assert!(matches!(c2.cmd(&["INFO", "server"]), Resp::Bulk(Some(_))));
    let line = c2.cmd(&["CLIENT", "INFO"]).text();
    assert!(line.ends_with(" resp=2\n"), "{line:?}");
    // the verbatim length counts the "txt:" prefix
    let raw = c3.raw(b"CLIENT INFO\r\n");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (len, rest) = text[1..].split_once("\r\n").unwrap();
    assert_eq!(len.parse::<usize>().unwrap(), rest.len() - 2);
    assert!(rest.starts_with("txt:id="));
}

#[test]
fn command_info_uses_sets_and_maps_in_resp3() {
    let srv = Server::start(&[]);
    let mut c2 = srv.client();
    let mut c3 = resp3_client(&srv);
    let resp2: &[u8] = b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";
    let resp3: &[u8] = b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n";
    assert_eq!(
        String::from_utf8_lossy(&c2.raw(b"COMMAND INFO get\r\n")),
        String::from_utf8_lossy(resp2)
    );
    assert_eq!(
        String::from_utf8_lossy(&c3.raw(b"COMMAND INFO get\r\n")),
        String::from_utf8_lossy(resp3)
    );
}

#[test]
fn latency_histogram_is_a_nested_map_in_resp3() {
    let srv = Server::start(&[]);
    let mut c3 = resp3_client(&srv);
    c3.cmd(&["SET", "k", "v"]);
    let Resp::Map(top) = c3.cmd(&["LATENCY", "HISTOGRAM", "set"]) else {
        panic!("not a map");
    };
    assert_eq!(top.len(), 1);
    assert_eq!(top[0].0, Resp::bulk("set"));
    let Resp::Map(inner) = &top[0].1 else {
        panic!("inner is not a map: {:?}", top[0].1);
    };
    assert_eq!(inner[0], (Resp::bulk("calls"), Resp::Int(1)));
    assert_eq!(inner[1].0, Resp::bulk("histogram_usec"));
    assert!(matches!(&inner[1].1, Resp::Map(buckets) if !buckets.is_empty()));
    assert_bytes!(c3.raw(b"LATENCY HISTOGRAM nosuchcmd\r\n"), b"%0\r\n");
}

#[test]
fn hello_rejects_bad_versions_and_options() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    assert_bytes!(
        c.raw(b"HELLO 4\r\n"),
        b"-NOPROTO unsupported protocol version\r\n"
    );
    assert_bytes!(
        c.raw(b"HELLO 1\r\n"),
        b"-NOPROTO unsupported protocol version\r\n"
    );
    assert_bytes!(
        c.raw(b"HELLO abc\r\n"),
        b"-ERR Protocol version is not an integer or out of range\r\n"
    );
    assert_bytes!(
        c.raw(b"HELLO 3 AUTH default\r\n"),
        b"-ERR Syntax error in HELLO option 'AUTH'\r\n"
    );
    assert_bytes!(
        c.raw(b"HELLO 3 SETNAME\r\n"),
        b"-ERR Syntax error in HELLO option 'SETNAME'\r\n"
    );
    assert_bytes!(
        c.raw(b"HELLO 3 FOO\r\n"),
        b"-ERR Syntax error in HELLO option 'FOO'\r\n"
    );
    assert_bytes!(
        c.raw(b"HELLO 3 SETNAME \"a b\"\r\n"),
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    // none of the failures switched the protocol
    assert_bytes!(c.raw(b"GET nokey\r\n"), b"$-1\r\n");
    let id = client_id(&mut c);
    assert_bytes!(c.raw(b"HELLO 3 SETNAME foo\r\n"), hello_bytes(3, id));
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), Resp::bulk("foo"));
}

#[test]
fn hello_needs_auth_when_a_password_is_set() {
    let srv = Server::start(&["--requirepass", "secret"]);
    let mut c = srv.client();
    assert_eq!(
        String::from_utf8_lossy(&c.raw(b"HELLO 3\r\n")),
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"
    );
    let wrongpass = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n";
    assert_bytes!(c.raw(b"HELLO 3 AUTH default wrong\r\n"), wrongpass);
    assert_bytes!(c.raw(b"HELLO 3 auth nouser secret\r\n"), wrongpass);
    assert_bytes!(
        c.raw(b"HELLO 4 AUTH default secret\r\n"),
        b"-NOPROTO unsupported protocol version\r\n"
    );
    assert_bytes!(c.raw(b"PING\r\n"), b"-NOAUTH Authentication required.\r\n");
    let Resp::Map(_) = c.cmd(&["HELLO", "3", "AUTH", "default", "secret"]) else {
        panic!("HELLO AUTH did not answer with a map");
    };
    assert_bytes!(c.raw(b"PING\r\n"), b"+PONG\r\n");
    assert_bytes!(c.raw(b"GET nokey\r\n"), b"_\r\n");
    // AUTH and SETNAME together, staying in RESP2
    let mut c2 = srv.client();
    let Resp::Array(Some(items)) =
        c2.cmd(&["HELLO", "2", "AUTH", "default", "secret", "SETNAME", "x"])
    else {
        panic!("HELLO 2 did not answer with an array");
    };
    assert_eq!(items.len(), 14);
    assert_eq!(c2.cmd(&["CLIENT", "GETNAME"]), Resp::bulk("x"));
}
