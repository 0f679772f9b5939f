//! Keyspace-notification helpers shared by the event tests: a client
//! pattern-subscribed to every channel, and the messages it received up to
//! a sentinel PUBLISH. Messages leave the server in order, so what arrives
//! before the sentinel is exactly what the commands before it produced.

use super::{Client, Resp, Server};

/// One published message as (pattern, channel, payload).
pub type Msg = (String, String, String);

/// The channel the sentinel is published on.
const SENTINEL: &str = "__end_of_scenario__";

/// `CONFIG SET notify-keyspace-events flags` through `c`, then a second
/// client pattern-subscribed to every channel.
pub fn subscriber(srv: &Server, c: &mut Client, flags: &str) -> Client {
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", flags]),
        Resp::ok()
    );
    let mut sub = srv.client();
    assert_eq!(
        sub.cmd(&["PSUBSCRIBE", "*"]),
        Resp::arr(vec![
            Resp::bulk("psubscribe"),
            Resp::bulk("*"),
            Resp::Int(1)
        ])
    );
    sub
}

/// Everything `sub` received up to the sentinel that `c` publishes now.
pub fn received(sub: &mut Client, c: &mut Client) -> Vec<Msg> {
    c.cmd(&["PUBLISH", SENTINEL, "."]);
    let mut out = Vec::new();
    loop {
        let m = sub.read_reply().strings();
        assert_eq!(m.len(), 4, "not a pmessage: {m:?}");
        assert_eq!(m[0], "pmessage");
        if m[2] == SENTINEL {
            return out;
        }
        out.push((m[1].clone(), m[2].clone(), m[3].clone()));
    }
}

/// What K and E publish for each (event, key) in database `db`: the
/// keyspace message, then the keyevent one, event after event.
pub fn both(db: usize, events: &[(&str, &str)]) -> Vec<Msg> {
    let mut out = Vec::new();
    for (event, key) in events {
        out.push((
            "*".into(),
            format!("__keyspace@{db}__:{key}"),
            event.to_string(),
        ));
        out.push((
            "*".into(),
            format!("__keyevent@{db}__:{event}"),
            key.to_string(),
        ));
    }
    out
}
