//! SORT and SORT_RO over the wire: numeric and ALPHA order, BY and GET
//! patterns (with `#` and `->field`), "nosort" BY constants, LIMIT clamping,
//! STORE, and the errors. Expected replies are Redis 7.0.15's.

#[macro_use]
mod common;

use common::{Resp, Server};

fn int(n: i64) -> Resp {
    Resp::Int(n)
}

#[test]
fn numeric_and_alpha_sorting() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "l", "3", "10", "1", "2.5"]);
    assert_eq!(c.cmd(&["SORT", "l"]), Resp::bulks(&["1", "2.5", "3", "10"]));
    assert_eq!(
        c.cmd(&["SORT", "l", "DESC"]),
        Resp::bulks(&["10", "3", "2.5", "1"])
    );
    assert_eq!(
        c.cmd(&["SORT", "l", "ALPHA"]),
        Resp::bulks(&["1", "10", "2.5", "3"])
    );
    c.cmd(&["RPUSH", "bad", "1", "x"]);
    assert_eq!(
        c.cmd(&["SORT", "bad"]),
        Resp::err("ERR One or more scores can't be converted into double")
    );
    assert_eq!(c.cmd(&["SORT", "nokey"]), Resp::arr(vec![]));
}

#[test]
fn by_and_get_patterns() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "ids", "1", "2", "3"]);
    c.cmd(&["MSET", "w_1", "30", "w_2", "10", "w_3", "20"]);
    c.cmd(&["HSET", "h_1", "name", "one"]);
    c.cmd(&["HSET", "h_2", "name", "two"]);
    assert_eq!(
        c.cmd(&["SORT", "ids", "BY", "w_*"]),
        Resp::bulks(&["2", "3", "1"])
    );
    assert_eq!(
        c.cmd(&["SORT", "ids", "BY", "w_*", "GET", "#", "GET", "h_*->name"]),
        Resp::arr(vec![
            Resp::bulk("2"),
            Resp::bulk("two"),
            Resp::bulk("3"),
            Resp::nil(),
            Resp::bulk("1"),
            Resp::bulk("one"),
        ])
    );
    // A BY constant keeps the list's order; LIMIT cuts it.
    assert_eq!(
        c.cmd(&["SORT", "ids", "BY", "nosort", "DESC", "LIMIT", "1", "5"]),
        Resp::bulks(&["2", "1"])
    );
    // GET without '*' is always null.
    assert_eq!(
        c.cmd(&["SORT", "ids", "GET", "fixed", "LIMIT", "0", "1"]),
        Resp::arr(vec![Resp::nil()])
    );
}

#[test]
fn limit_is_clamped() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["RPUSH", "l", "3", "1", "2"]);
    assert_eq!(
        c.cmd(&["SORT", "l", "LIMIT", "-10", "2"]),
        Resp::bulks(&["1", "2"])
    );
    assert_eq!(c.cmd(&["SORT", "l", "LIMIT", "5", "2"]), Resp::arr(vec![]));
    assert_eq!(
        c.cmd(&["SORT", "l", "LIMIT", "1", "-1"]),
        Resp::bulks(&["2", "3"])
    );
    assert_eq!(
        c.cmd(&["SORT", "l", "LIMIT", "0", "9223372036854775807"]),
        Resp::bulks(&["1", "2", "3"])
    );
    assert_eq!(
        c.cmd(&["SORT", "l", "LIMIT", "x", "1"]),
        Resp::err("ERR value is not an integer or out of range")
    );
}

#[test]
fn store_writes_a_list_and_empty_results_delete() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SADD", "s", "b", "a", "c"]);
    assert_eq!(c.cmd(&["SORT", "s", "ALPHA", "STORE", "dst"]), int(3));
    assert_eq!(
        c.cmd(&["LRANGE", "dst", "0", "-1"]),
        Resp::bulks(&["a", "b", "c"])
    );
    assert_eq!(c.cmd(&["TYPE", "dst"]), Resp::simple("list"));
    // BY constant on a set with STORE is still sorted.
    assert_eq!(c.cmd(&["SORT", "s", "BY", "x", "STORE", "dst2"]), int(3));
    assert_eq!(
        c.cmd(&["LRANGE", "dst2", "0", "-1"]),
        Resp::bulks(&["a", "b", "c"])
    );
    assert_eq!(c.cmd(&["SORT", "nokey", "STORE", "dst"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "dst"]), int(0));
    assert_eq!(
        c.cmd(&["SORT_RO", "s", "STORE", "x"]),
        Resp::err("ERR syntax error")
    );
    c.cmd(&["SET", "str", "v"]);
    assert_eq!(
        c.cmd(&["SORT", "str"]),
        Resp::err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}

#[test]
fn sorted_sets_sort_by_member_value_or_keep_score_order() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["ZADD", "z", "1", "30", "2", "10", "3", "20"]);
    assert_eq!(c.cmd(&["SORT", "z"]), Resp::bulks(&["10", "20", "30"]));
    assert_eq!(
        c.cmd(&["SORT", "z", "BY", "nosort"]),
        Resp::bulks(&["30", "10", "20"])
    );
    assert_eq!(
        c.cmd(&["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "0", "2"]),
        Resp::bulks(&["20", "10"])
    );
}
