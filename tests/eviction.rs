//! maxmemory key eviction (src/evict.rs, Redis' evict.c) seen from a
//! client: every policy keeps memory under the limit by deleting the keys
//! it may delete (all keys, or only those with a TTL), noeviction refuses
//! writes with -OOM instead, and each evicted key is announced like an
//! expired one: the `evicted` keyspace event, a tracking invalidation that
//! reaches the running client before its reply, a DEL in the AOF, and the
//! `evicted_keys` counter. Also the dict resize guard (no rehash that
//! would go over the limit) and the over-the-limit time in INFO.
//!
//! Limits are set relative to the server's own `used_memory` so the tests
//! do not depend on the allocator's start-up footprint.

#[macro_use]
mod common;

use common::{wait_for, Client, Resp, Server};
use std::time::Duration;

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

fn info_u64(c: &mut Client, section: &str, field: &str) -> u64 {
    c.info_field(section, field)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric {field} in INFO {section}"))
}

fn used(c: &mut Client) -> u64 {
    info_u64(c, "memory", "used_memory")
}

fn evicted(c: &mut Client) -> u64 {
    info_u64(c, "stats", "evicted_keys")
}

fn config_set(c: &mut Client, name: &str, value: &str) {
    assert_eq!(c.cmd(&["CONFIG", "SET", name, value]), Resp::ok(), "{name}");
}

/// `n` keys `prefix:i` of `size` bytes each, pipelined; with `ttl` they
/// are volatile (SETEX). Returns the replies that were errors.
fn fill(c: &mut Client, prefix: &str, n: usize, size: usize, ttl: Option<u64>) -> usize {
    let value = "v".repeat(size);
    let mut errors = 0;
    for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
        for &i in chunk {
            let key = format!("{prefix}:{i}");
            match ttl {
                Some(t) => c.send(&["SETEX", &key, &t.to_string(), &value]),
                None => c.send(&["SET", &key, &value]),
            }
        }
        for _ in chunk {
            if c.read_reply().is_error() {
                errors += 1;
            }
        }
    }
    errors
}

fn exists(c: &mut Client, key: &str) -> bool {
    c.cmd(&["EXISTS", key]).int() == 1
}

fn count_existing(c: &mut Client, prefix: &str, n: usize) -> usize {
    (0..n)
        .filter(|i| exists(c, &format!("{prefix}:{i}")))
        .count()
}

#[test]
fn allkeys_policies_keep_memory_under_the_limit() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        let srv = Server::start(&[]);
        let mut c = srv.client();
        config_set(&mut c, "maxmemory-policy", policy);
        let limit = used(&mut c) + 200 * 1024;
        config_set(&mut c, "maxmemory", &limit.to_string());
        // About 1 MB of data into 200 KB of room: every write succeeds,
        // old keys make way.
        assert_eq!(fill(&mut c, "k", 1000, 1000, None), 0, "{policy}");
        let dbsize = c.cmd(&["DBSIZE"]).int();
        assert!(dbsize > 0 && dbsize < 1000, "{policy}: dbsize {dbsize}");
        // (INFO may evict a little more first.)
        assert!(evicted(&mut c) >= 1000 - dbsize as u64, "{policy}");
        assert!(used(&mut c) < limit + 4096, "{policy}");
    }
}

#[test]
fn volatile_policies_evict_only_keys_with_a_ttl() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let srv = Server::start(&[]);
        let mut c = srv.client();
        config_set(&mut c, "maxmemory-policy", policy);
        assert_eq!(fill(&mut c, "p", 100, 1000, None), 0);
        // TTLs grow with the index: volatile-ttl takes the soonest first.
        for i in 0..100 {
            let ttl = (10_000 + i).to_string();
            c.cmd(&["SETEX", &format!("v:{i}"), &ttl, &"v".repeat(1000)]);
        }
        let u = used(&mut c);
        config_set(&mut c, "maxmemory", &(u - 50 * 1024).to_string());
        // The timer evicts at once; any command also makes room first.
        assert!(wait_for(Duration::from_secs(5), || evicted(&mut c) > 0));
        assert_eq!(count_existing(&mut c, "p", 100), 100, "{policy}");
        let volatile_left = count_existing(&mut c, "v", 100);
        assert!(
            volatile_left < 100 && volatile_left > 0,
            "{policy}: {volatile_left}"
        );
        if policy == "volatile-ttl" {
            assert!(exists(&mut c, "v:99"), "the latest expiry goes last");
            let early = (0..50)
                .filter(|i| exists(&mut c, &format!("v:{i}")))
                .count();
            let late = (50..100)
                .filter(|i| exists(&mut c, &format!("v:{i}")))
                .count();
            assert!(
                late > early,
                "volatile-ttl kept {early} early vs {late} late"
            );
        }
        // With no volatile key left to free, writes are refused.
        config_set(&mut c, "maxmemory", &(u - 300 * 1024).to_string());
        assert_eq!(c.cmd(&["SET", "x", "y"]), Resp::err(OOM), "{policy}");
        assert_eq!(count_existing(&mut c, "v", 100), 0, "{policy}");
        assert_eq!(count_existing(&mut c, "p", 100), 100, "{policy}");
        // Reads and deletions still work.
        assert_eq!(c.cmd(&["GET", "p:1"]), Resp::bulk(&"v".repeat(1000)));
        assert_eq!(c.cmd(&["DEL", "p:1"]), Resp::Int(1));
    }
}

#[test]
fn lru_evicts_idle_keys_before_recently_used_ones() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    config_set(&mut c, "maxmemory-policy", "allkeys-lru");
    assert_eq!(fill(&mut c, "k", 200, 1000, None), 0);
    // The LRU clock has a one-second resolution.
    std::thread::sleep(Duration::from_millis(2200));
    for i in 0..20 {
        c.cmd(&["GET", &format!("k:{i}")]);
    }
    let u = used(&mut c);
    config_set(&mut c, "maxmemory", &(u - 60 * 1024).to_string());
    assert!(wait_for(Duration::from_secs(5), || evicted(&mut c) >= 30));
    assert_eq!(
        count_existing(&mut c, "k", 20),
        20,
        "recently read keys stay"
    );
}

#[test]
fn lfu_evicts_rarely_used_keys_first() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    config_set(&mut c, "maxmemory-policy", "allkeys-lfu");
    assert_eq!(fill(&mut c, "k", 200, 1000, None), 0);
    for _ in 0..100 {
        for i in 0..20 {
            c.send(&["GET", &format!("k:{i}")]);
        }
        for _ in 0..20 {
            c.read_reply();
        }
    }
    let u = used(&mut c);
    config_set(&mut c, "maxmemory", &(u - 60 * 1024).to_string());
    assert!(wait_for(Duration::from_secs(5), || evicted(&mut c) >= 30));
    assert_eq!(
        count_existing(&mut c, "k", 20),
        20,
        "frequently read keys stay"
    );
}

#[test]
fn noeviction_refuses_writes_and_keeps_every_key() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    c.cmd(&["SET", "a", "1"]);
    config_set(&mut c, "maxmemory", "1");
    assert_eq!(c.cmd(&["SET", "b", "2"]), Resp::err(OOM));
    assert_eq!(c.cmd(&["GET", "a"]), Resp::bulk("1"));
    // A transaction may not even queue while out of memory.
    assert_eq!(c.cmd(&["MULTI"]), Resp::ok());
    assert_eq!(c.cmd(&["GET", "a"]), Resp::err(OOM));
    assert!(c.cmd(&["EXEC"]).is_error());
    assert_eq!(c.cmd(&["DBSIZE"]), Resp::Int(1));
    assert_eq!(evicted(&mut c), 0);
    // The time spent over the limit is reported while it lasts.
    std::thread::sleep(Duration::from_millis(50));
    let current = info_u64(&mut c, "stats", "current_eviction_exceeded_time");
    assert!(current >= 40, "current_eviction_exceeded_time {current}");
    config_set(&mut c, "maxmemory", "1gb");
    c.cmd(&["PING"]);
    assert_eq!(
        info_u64(&mut c, "stats", "current_eviction_exceeded_time"),
        0
    );
    assert!(info_u64(&mut c, "stats", "total_eviction_exceeded_time") >= 40);
    assert_eq!(c.cmd(&["SET", "b", "2"]), Resp::ok());
}

#[test]
fn evicted_keys_are_published_as_keyspace_events() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    config_set(&mut c, "notify-keyspace-events", "KEe");
    config_set(&mut c, "maxmemory-policy", "allkeys-lru");
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "foo", "bar"]);
    let mut sub = srv.client();
    sub.cmd(&["PSUBSCRIBE", "*"]);
    // CONFIG SET maxmemory starts the eviction at once, no command needed.
    config_set(&mut c, "maxmemory", "1");
    let pmessage = |channel: &str, msg: &str| {
        Resp::arr(vec![
            Resp::bulk("pmessage"),
            Resp::bulk("*"),
            Resp::bulk(channel),
            Resp::bulk(msg),
        ])
    };
    assert_eq!(sub.read_reply(), pmessage("__keyspace@3__:foo", "evicted"));
    assert_eq!(sub.read_reply(), pmessage("__keyevent@3__:evicted", "foo"));
    config_set(&mut c, "maxmemory", "0");
    assert_eq!(evicted(&mut c), 1);
    assert_eq!(c.cmd(&["DBSIZE"]), Resp::Int(0));
}

#[test]
fn invalidation_of_an_evicted_key_comes_before_the_reply() {
    let srv = Server::start(&[]);
    let mut r = srv.client();
    r.cmd(&["HELLO", "3"]);
    r.cmd(&["CLIENT", "TRACKING", "on"]);
    let u = used(&mut r) - info_u64(&mut r, "memory", "mem_not_counted_for_evict");
    config_set(&mut r, "maxmemory", &(u + 100 * 1024).to_string());
    config_set(&mut r, "maxmemory-policy", "volatile-random");
    r.cmd(&["SETEX", "volatile-key", "10000", "x"]);
    r.cmd(&["GET", "volatile-key"]);
    // A small command that allocates 200 KB: the next one must evict.
    assert_eq!(
        r.cmd(&["SETRANGE", "big-key", "200000", "x"]),
        Resp::Int(200_001)
    );
    assert_bytes!(
        r.raw(b"*2\r\n$6\r\nSTRLEN\r\n$7\r\nbig-key\r\n"),
        b">2\r\n$10\r\ninvalidate\r\n*1\r\n$12\r\nvolatile-key\r\n:200001\r\n"
    );
    config_set(&mut r, "maxmemory", "0");
}

#[test]
fn evictions_reach_the_aof_as_separate_dels_or_unlinks() {
    let srv = Server::start(&["--appendonly", "yes"]);
    let mut c = srv.client();
    assert!(wait_for(Duration::from_secs(10), || {
        c.info_field("persistence", "aof_rewrite_in_progress")
            .as_deref()
            == Some("0")
    }));
    c.cmd(&["SET", "k1", "1"]);
    c.cmd(&["SET", "k2", "2"]);
    config_set(&mut c, "lazyfree-lazy-eviction", "yes");
    config_set(&mut c, "maxmemory-policy", "allkeys-random");
    c.cmd(&["SET", "k3", "3"]);
    config_set(&mut c, "maxmemory", "1");
    assert!(wait_for(Duration::from_secs(5), || {
        c.cmd(&["DBSIZE"]) == Resp::Int(0)
    }));
    config_set(&mut c, "maxmemory", "0");
    c.cmd(&["SET", "after", "1"]);
    let dir = srv.dir().join("appendonlydir");
    let aof = wait_for_aof(&dir, b"after");
    let text = String::from_utf8_lossy(&aof);
    for k in ["k1", "k2", "k3"] {
        assert!(
            text.contains(&format!("*2\r\n$6\r\nUNLINK\r\n$2\r\n{k}\r\n")),
            "no UNLINK {k} in {text:?}"
        );
    }
    assert!(!text.contains("MULTI"), "evictions are not a transaction");
}

/// The incr AOF file's bytes once they contain `needle`.
fn wait_for_aof(dir: &std::path::Path, needle: &[u8]) -> Vec<u8> {
    let mut last = Vec::new();
    let found = wait_for(Duration::from_secs(5), || {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return false;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".incr.aof") {
                last = std::fs::read(e.path()).unwrap_or_default();
                if last.windows(needle.len()).any(|w| w == needle) {
                    return true;
                }
            }
        }
        false
    });
    assert!(found, "AOF never got {:?}", String::from_utf8_lossy(needle));
    last
}

#[test]
fn keyspace_table_does_not_grow_past_the_limit() {
    let srv = Server::start(&[]);
    let mut c = srv.client();
    config_set(&mut c, "maxmemory-policy", "allkeys-random");
    // 4096 keys fill a 4096-bucket table; the next one would double it
    // (64 KB of buckets).
    for chunk in (0..4096).collect::<Vec<_>>().chunks(512) {
        for i in chunk {
            c.send(&["SET", &i.to_string(), "A"]);
        }
        for _ in chunk {
            c.read_reply();
        }
    }
    // The first call of each command allocates its latency histogram
    // (about 5 KB): call those used below once before measuring, so only
    // the table could eat the 10 KB of room.
    c.cmd(&["DBSIZE"]);
    evicted(&mut c);
    used(&mut c);
    let u = used(&mut c);
    config_set(&mut c, "maxmemory", &(u + 10 * 1024).to_string());
    assert_eq!(c.cmd(&["SET", "k1", "v1"]), Resp::ok());
    assert_eq!(c.cmd(&["SET", "k2", "v2"]), Resp::ok());
    assert_eq!(c.cmd(&["DBSIZE"]), Resp::Int(4098));
    assert_eq!(evicted(&mut c), 0);
}

#[test]
fn replica_ignore_maxmemory_leaves_eviction_to_the_master() {
    let master = Server::start(&[]);
    let replica = Server::start(&[]);
    let mut m = master.client();
    let mut r = replica.client();
    assert_eq!(fill(&mut m, "k", 100, 1000, None), 0);
    let port = master.port().to_string();
    assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", &port]), Resp::ok());
    assert!(wait_for(Duration::from_secs(10), || {
        r.info_field("replication", "master_link_status").as_deref() == Some("up")
            && r.cmd(&["DBSIZE"]) == Resp::Int(100)
    }));
    // The replica's own limit is ignored (replica-ignore-maxmemory yes)...
    config_set(&mut r, "maxmemory-policy", "allkeys-random");
    config_set(&mut r, "maxmemory", "1");
    assert_eq!(r.cmd(&["DBSIZE"]), Resp::Int(100));
    assert_eq!(evicted(&mut r), 0);
    // ...while the master's evictions reach it as DELs.
    config_set(&mut m, "maxmemory-policy", "allkeys-random");
    let u = used(&mut m);
    config_set(&mut m, "maxmemory", &(u - 30 * 1024).to_string());
    assert!(wait_for(Duration::from_secs(5), || evicted(&mut m) > 0));
    assert!(m.cmd(&["DBSIZE"]).int() < 100);
    assert!(wait_for(Duration::from_secs(5), || {
        r.cmd(&["DBSIZE"]) == m.cmd(&["DBSIZE"])
    }));
    assert_eq!(evicted(&mut r), 0);
    // Without the option the replica evicts on its own.
    config_set(&mut r, "replica-ignore-maxmemory", "no");
    assert!(wait_for(Duration::from_secs(5), || evicted(&mut r) > 0));
}

/// Invalidations pushed to tracking clients by evictions must not feed
/// more evictions: the eviction loop counts only what deleting freed, and
/// the room a written reply took is given back under a limit, so one
/// round evicts about the 40 KB asked for and the next commands evict
/// nothing more (Redis' "eviction feedback loop" test).
#[test]
fn tracking_invalidations_do_not_feed_evictions() {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.client();
    // Cron frees idle clients' query buffers and shrinks reply buffers: on
    // a slow machine that can land between the reading and the limit and
    // skew what gets evicted. Nothing here needs cron.
    assert_eq!(c.cmd(&["DEBUG", "PAUSE-CRON", "1"]), Resp::ok());
    config_set(&mut c, "maxmemory-policy", "allkeys-lru");
    config_set(&mut c, "maxmemory-eviction-tenacity", "100");
    let mut trackers: Vec<Client> = (0..10).map(|_| s.client()).collect();
    for t in trackers.iter_mut() {
        t.cmd(&["HELLO", "3"]);
        assert_eq!(t.cmd(&["CLIENT", "TRACKING", "on"]), Resp::ok());
    }
    for j in 0..300 {
        let key = format!("{j}{}", "x".repeat(1000));
        assert_eq!(c.cmd(&["SET", &key, "x"]), Resp::ok());
        for t in trackers.iter_mut() {
            t.cmd(&["GET", &key]);
        }
    }
    let limit = used(&mut c) - 40_000;
    config_set(&mut c, "maxmemory", &limit.to_string());
    let first = evicted(&mut c);
    assert!((10..=60).contains(&first), "evicted {first}");
    let keys = c.cmd(&["DBSIZE"]).int();
    assert!((240..=290).contains(&keys), "dbsize {keys}");
    assert_eq!(evicted(&mut c), first, "evictions went on");
}

/// The reply buffer (CLIENT LIST rbs/rbp): an idle client's shrinks to
/// 1 KiB once its peak is reset, a client fetching big values gets it
/// back up to 16 KiB, and INFO counts both moves.
#[test]
fn reply_buffers_shrink_when_idle_and_grow_for_big_replies() {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.client();
    assert_eq!(
        c.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"]),
        Resp::ok()
    );
    let mut t = s.client();
    assert_eq!(t.cmd(&["CLIENT", "SETNAME", "watched"]), Resp::ok());
    let rbs = |c: &mut Client| -> usize {
        let list = c.cmd(&["CLIENT", "LIST"]).text();
        let line = list
            .lines()
            .find(|l| l.contains("name=watched"))
            .unwrap_or("");
        line.split(' ')
            .find_map(|f| f.strip_prefix("rbs="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    assert_eq!(rbs(&mut c), 16384, "a new client starts with 16 KiB");
    assert!(wait_for(Duration::from_secs(3), || {
        let n = rbs(&mut c);
        (1024..2048).contains(&n)
    }));
    assert_eq!(c.cmd(&["SET", "big", &"x".repeat(32768)]), Resp::ok());
    assert_eq!(
        c.cmd(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never"]),
        Resp::ok()
    );
    assert!(wait_for(Duration::from_secs(5), || {
        t.cmd(&["GET", "big"]);
        rbs(&mut c) >= 16384
    }));
    assert!(info_u64(&mut c, "stats", "reply_buffer_shrinks") >= 1);
    assert!(info_u64(&mut c, "stats", "reply_buffer_expands") >= 1);
    assert_eq!(
        c.cmd(&["DEBUG", "REPLYBUFFER", "RESIZING", "0"]),
        Resp::ok()
    );
}
