//! bench/loadgen.rs: the workloads of `make bench` and `make bench-types`
//! that redis-benchmark cannot generate, run the same way against any RESP
//! server (ferrodis or redis-server):
//!
//!   loadgen pubsub PORT SUBSCRIBERS MESSAGES PIPELINE DATASIZE
//!       SUBSCRIBERS connections SUBSCRIBE to one channel; one publisher
//!       sends MESSAGES PUBLISH commands of DATASIZE-byte payloads, PIPELINE
//!       at a time. Prints messages delivered per second (MESSAGES x
//!       SUBSCRIBERS over the time from the first PUBLISH until the last
//!       subscriber has received its last message).
//!   loadgen multi PORT CLIENTS TRANSACTIONS PIPELINE DATASIZE
//!       CLIENTS connections each run TRANSACTIONS / CLIENTS transactions
//!       of MULTI, 10 x SET (DATASIZE-byte values), EXEC, PIPELINE
//!       transactions per write. Prints transactions per second.
//!   loadgen xgroup PORT CLIENTS ENTRIES PIPELINE GROUP
//!       The stream bench:xgroup must hold exactly ENTRIES entries of one
//!       field `f` with an 8-byte value, and GROUP must be a fresh consumer
//!       group on it (XGROUP CREATE bench:xgroup GROUP 0). CLIENTS
//!       connections each send PIPELINE x XREADGROUP GROUP GROUP c<i> COUNT
//!       10 STREAMS bench:xgroup > at a time, then one XACK per non-empty
//!       reply with the IDs it carried, until the group is drained. Prints
//!       entries consumed and acknowledged per second; fails unless every
//!       XACK acknowledged all its IDs and the clients together consumed
//!       exactly ENTRIES entries.
//!   loadgen geoadd PORT CLIENTS COUNT PIPELINE SEED
//!       CLIENTS connections run COUNT GEOADD bench:geoadd LON LAT m:<i>:<n>
//!       in all, PIPELINE at a time, with pseudo-random coordinates over
//!       Sicily (lon 12.4..15.6, lat 36.6..38.3, six decimals) drawn from
//!       SEED, so every server gets the same commands. Every member is new,
//!       so every reply must be :1. Prints GEOADDs per second.
//!   loadgen setbit PORT CLIENTS COUNT PIPELINE SEED
//!       The same shape: SETBIT bench:bitmap OFFSET 1 with pseudo-random
//!       offsets below 8M (a 1 MB bitmap); every reply must be :0 or :1.
//!       (redis-benchmark's __rand_int__ is zero-padded to 12 digits,
//!       which SETBIT refuses as an offset.)
//!
//! Every byte the server sends back is compared with the exact reply
//! expected (PUBLISH must report every subscriber, every SET must answer
//! +QUEUED then +OK), so a server that drops or reorders messages fails
//! the run (exit 1, reason on stderr) instead of looking fast. MULTI uses
//! a thread per connection; Pub/Sub reads its subscribers from one mio
//! poll loop. The benchmark script pins the whole process to the load
//! generator's CPU.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// How long any single read may wait: a stalled server fails the run.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

type Res<T> = Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = match args.first().map(String::as_str) {
        Some("pubsub") => pubsub(&args[1..]),
        Some("multi") => multi(&args[1..]),
        Some("xgroup") => xgroup(&args[1..]),
        Some("geoadd") => geoadd(&args[1..]),
        Some("setbit") => setbit(&args[1..]),
        _ => Err(
            "usage: loadgen pubsub|multi|geoadd|setbit PORT CONNS COUNT PIPELINE DATASIZE|SEED, \
                  or loadgen xgroup PORT CLIENTS ENTRIES PIPELINE GROUP"
                .into(),
        ),
    };
    match run {
        Ok(rate) => {
            println!("{rate:.0}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// PORT CONNS COUNT PIPELINE DATASIZE, all positive.
fn numbers(args: &[String]) -> Res<[usize; 5]> {
    if args.len() != 5 {
        return Err(format!("want 5 numbers, got {}", args.len()));
    }
    let mut out = [0; 5];
    for (slot, a) in out.iter_mut().zip(args) {
        *slot = a
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .ok_or(format!("not a positive number: {a}"))?;
    }
    Ok(out)
}

fn connect(port: usize) -> Res<TcpStream> {
    let s = TcpStream::connect(("127.0.0.1", port as u16)).map_err(|e| format!("connect: {e}"))?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    Ok(s)
}

/// A command as a RESP array of bulk strings.
fn command(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", parts.len()).into_bytes();
    for p in parts {
        out.extend_from_slice(format!("${}\r\n", p.len()).as_bytes());
        out.extend_from_slice(p);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Read exactly `want.len()` bytes and insist they are `want`, reading
/// through a scratch buffer so huge expectations need no second copy.
fn expect(s: &mut TcpStream, want: &[u8], scratch: &mut [u8]) -> Res<()> {
    let mut done = 0;
    while done < want.len() {
        let room = scratch.len().min(want.len() - done);
        let n = s
            .read(&mut scratch[..room])
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("server closed the connection".into());
        }
        if scratch[..n] != want[done..done + n] {
            let got = String::from_utf8_lossy(&scratch[..n.min(80)]).into_owned();
            return Err(format!("unexpected reply at byte {done}: {got:?}"));
        }
        done += n;
    }
    Ok(())
}

/// Checks a stream that must be `count` copies of `frame`, fed in pieces.
struct Repeated {
    /// The frame repeated to cover any read plus one frame of offset, so
    /// a piece is checked with one slice comparison.
    pattern: Arc<Vec<u8>>,
    frame_len: usize,
    pos: usize,
    total: usize,
}

impl Repeated {
    fn new(pattern: Arc<Vec<u8>>, frame_len: usize, count: usize) -> Self {
        Repeated {
            pattern,
            frame_len,
            pos: 0,
            total: frame_len * count,
        }
    }

    fn done(&self) -> bool {
        self.pos >= self.total
    }

    fn feed(&mut self, piece: &[u8]) -> Res<()> {
        if self.pos + piece.len() > self.total {
            return Err("more bytes than the messages published".into());
        }
        let off = self.pos % self.frame_len;
        if self.pattern[off..off + piece.len()] != *piece {
            return Err(format!("message stream differs near byte {}", self.pos));
        }
        self.pos += piece.len();
        Ok(())
    }
}

/// Largest read of a subscriber socket (and so the pattern's length).
const READ_CHUNK: usize = 64 * 1024;

fn pubsub(args: &[String]) -> Res<f64> {
    use mio::{Events, Interest, Poll, Token};
    let [port, subs, messages, pipeline, size] = numbers(args)?;
    let channel: &[u8] = b"bench:fanout";
    let payload = vec![b'x'; size];
    let mut frame = format!("*3\r\n$7\r\nmessage\r\n${}\r\n", channel.len()).into_bytes();
    frame.extend_from_slice(channel);
    frame.extend_from_slice(format!("\r\n${size}\r\n").as_bytes());
    frame.extend_from_slice(&payload);
    frame.extend_from_slice(b"\r\n");
    let copies = (READ_CHUNK + frame.len()) / frame.len() + 1;
    let pattern = Arc::new(frame.repeat(copies));

    // Subscribe everyone with blocking sockets, then read them all from
    // one poll loop: a thread per subscriber would spend the load
    // generator's CPU on context switches and hide the server's speed.
    let mut ack = format!("*3\r\n$9\r\nsubscribe\r\n${}\r\n", channel.len()).into_bytes();
    ack.extend_from_slice(channel);
    ack.extend_from_slice(b"\r\n:1\r\n");
    let mut poll = Poll::new().map_err(|e| e.to_string())?;
    let mut readers = Vec::with_capacity(subs);
    for i in 0..subs {
        let mut s = connect(port)?;
        s.write_all(&command(&[b"SUBSCRIBE", channel]))
            .map_err(|e| e.to_string())?;
        expect(&mut s, &ack, &mut [0u8; 256]).map_err(|e| format!("SUBSCRIBE: {e}"))?;
        s.set_nonblocking(true).map_err(|e| e.to_string())?;
        let mut s = mio::net::TcpStream::from_std(s);
        poll.registry()
            .register(&mut s, Token(i), Interest::READABLE)
            .map_err(|e| e.to_string())?;
        readers.push((s, Repeated::new(pattern.clone(), frame.len(), messages)));
    }

    let mut p = connect(port)?;
    let start = Instant::now();
    let publisher = thread::spawn(move || -> Res<()> {
        let one = command(&[b"PUBLISH", channel, &payload]);
        let reply = format!(":{subs}\r\n").into_bytes();
        let mut scratch = vec![0u8; 64 * 1024];
        let mut sent = 0;
        while sent < messages {
            let batch = pipeline.min(messages - sent);
            p.write_all(&one.repeat(batch)).map_err(|e| e.to_string())?;
            expect(&mut p, &reply.repeat(batch), &mut scratch)
                .map_err(|e| format!("PUBLISH: {e}"))?;
            sent += batch;
        }
        Ok(())
    });

    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut pending = subs;
    while pending > 0 {
        poll.poll(&mut events, Some(IO_TIMEOUT))
            .map_err(|e| e.to_string())?;
        if events.is_empty() {
            return Err(format!(
                "no message for {IO_TIMEOUT:?}: {pending} subscribers short"
            ));
        }
        for ev in events.iter() {
            let Some((s, stream)) = readers.get_mut(ev.token().0) else {
                continue;
            };
            while !stream.done() {
                match s.read(&mut buf) {
                    Ok(0) => return Err("server closed a subscriber".into()),
                    Ok(n) => {
                        stream.feed(&buf[..n])?;
                        if stream.done() {
                            pending -= 1;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(format!("read: {e}")),
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    publisher
        .join()
        .map_err(|_| "publisher thread panicked")??;
    Ok((messages * subs) as f64 / secs)
}

fn multi(args: &[String]) -> Res<f64> {
    let [port, clients, transactions, pipeline, size] = numbers(args)?;
    let value = vec![b'x'; size];
    let mut tx = command(&[b"MULTI"]);
    for k in 0..10 {
        let key = format!("bench:tx:{k}");
        tx.extend_from_slice(&command(&[b"SET", key.as_bytes(), &value]));
    }
    tx.extend_from_slice(&command(&[b"EXEC"]));
    let mut reply = b"+OK\r\n".to_vec();
    reply.extend_from_slice(&b"+QUEUED\r\n".repeat(10));
    reply.extend_from_slice(b"*10\r\n");
    reply.extend_from_slice(&b"+OK\r\n".repeat(10));
    let (tx, reply) = (Arc::new(tx), Arc::new(reply));

    let ready = Arc::new(Barrier::new(clients + 1));
    let mut handles = Vec::with_capacity(clients);
    for i in 0..clients {
        // The first clients take the remainder so the total is exact.
        let mine = transactions / clients + usize::from(i < transactions % clients);
        let (ready, tx, reply) = (ready.clone(), tx.clone(), reply.clone());
        let mut s = connect(port)?;
        handles.push(thread::spawn(move || -> Res<()> {
            ready.wait();
            let mut scratch = vec![0u8; 64 * 1024];
            let mut done = 0;
            while done < mine {
                let batch = pipeline.min(mine - done);
                s.write_all(&tx.repeat(batch)).map_err(|e| e.to_string())?;
                expect(&mut s, &reply.repeat(batch), &mut scratch)
                    .map_err(|e| format!("MULTI/EXEC: {e}"))?;
                done += batch;
            }
            Ok(())
        }));
    }
    ready.wait();
    let start = Instant::now();
    for h in handles {
        h.join().map_err(|_| "client thread panicked")??;
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    Ok(transactions as f64 / secs)
}

/// One parsed RESP2 reply; only the shapes XREADGROUP and XACK send.
#[derive(Debug)]
enum Reply {
    Nil,
    Int(i64),
    Bulk(Vec<u8>),
    Array(Vec<Reply>),
}

/// Read one line (without its CRLF) from a buffered connection.
fn read_line(r: &mut BufReader<TcpStream>, line: &mut Vec<u8>) -> Res<()> {
    line.clear();
    let n = r
        .read_until(b'\n', line)
        .map_err(|e| format!("read: {e}"))?;
    if n == 0 {
        return Err("server closed the connection".into());
    }
    if !line.ends_with(b"\r\n") {
        return Err("reply line without CRLF".into());
    }
    line.truncate(line.len() - 2);
    Ok(())
}

/// Parse one reply; an error reply or an unknown type fails the run.
fn read_reply(r: &mut BufReader<TcpStream>) -> Res<Reply> {
    let mut line = Vec::with_capacity(64);
    read_line(r, &mut line)?;
    let (kind, rest) = line.split_first().ok_or("empty reply line")?;
    let text = String::from_utf8_lossy(rest).into_owned();
    let num = || -> Res<i64> { text.parse().map_err(|_| format!("bad length {text:?}")) };
    match kind {
        b'-' => Err(format!("error reply: {text}")),
        b':' => Ok(Reply::Int(num()?)),
        b'$' | b'*' if num()? < 0 => Ok(Reply::Nil),
        b'$' => {
            let mut body = vec![0u8; num()? as usize + 2];
            r.read_exact(&mut body).map_err(|e| format!("read: {e}"))?;
            body.truncate(body.len() - 2);
            Ok(Reply::Bulk(body))
        }
        b'*' => (0..num()?)
            .map(|_| read_reply(r))
            .collect::<Res<_>>()
            .map(Reply::Array),
        _ => Err(format!(
            "unexpected reply {:?}",
            String::from_utf8_lossy(&line)
        )),
    }
}

/// Entries per XREADGROUP of the xgroup workload.
const XGROUP_COUNT: usize = 10;

/// The IDs of one XREADGROUP reply on bench:xgroup, checking its shape:
/// [[key, [[id, [f, 8-byte value]], ...]]] with IDs above `last`. None
/// when the group is drained (a nil reply).
fn xgroup_ids(reply: Reply, last: &mut (u64, u64)) -> Res<Option<Vec<Vec<u8>>>> {
    let bad = |what: &str| Err(format!("XREADGROUP reply: {what}"));
    let Reply::Array(mut streams) = reply else {
        return match reply {
            Reply::Nil => Ok(None),
            _ => bad("not an array"),
        };
    };
    let Some(Reply::Array(mut pair)) = streams.pop().filter(|_| streams.is_empty()) else {
        return bad("not one stream");
    };
    let (Some(Reply::Array(entries)), Some(Reply::Bulk(key))) = (pair.pop(), pair.pop()) else {
        return bad("not [key, entries]");
    };
    if key != b"bench:xgroup" || entries.is_empty() || entries.len() > XGROUP_COUNT {
        return bad("wrong key or entry count");
    }
    let mut ids = Vec::with_capacity(entries.len());
    for e in entries {
        let Reply::Array(mut e) = e else {
            return bad("entry not an array");
        };
        let (Some(Reply::Array(fields)), Some(Reply::Bulk(id))) = (e.pop(), e.pop()) else {
            return bad("entry not [id, fields]");
        };
        match fields.as_slice() {
            [Reply::Bulk(f), Reply::Bulk(v)] if f == b"f" && v.len() == 8 => {}
            _ => return bad("fields are not [f, 8-byte value]"),
        }
        // Within one consumer the IDs a group hands out only grow.
        let parsed = std::str::from_utf8(&id)
            .ok()
            .and_then(|s| s.split_once('-'))
            .and_then(|(ms, seq)| Some((ms.parse().ok()?, seq.parse().ok()?)));
        match parsed {
            Some(p) if p > *last => *last = p,
            _ => return bad("ID malformed or not increasing"),
        }
        ids.push(id);
    }
    Ok(Some(ids))
}

fn xgroup(args: &[String]) -> Res<f64> {
    let [nums @ .., group] = args else {
        return Err("usage: loadgen xgroup PORT CLIENTS ENTRIES PIPELINE GROUP".into());
    };
    // numbers() wants five; a 1 stands in for the group name.
    let [port, clients, entries, pipeline, _] = numbers(&[nums, &["1".into()]].concat())
        .map_err(|e| format!("{e} (usage: loadgen xgroup PORT CLIENTS ENTRIES PIPELINE GROUP)"))?;
    let group = group.clone();
    let ready = Arc::new(Barrier::new(clients + 1));
    let mut handles = Vec::with_capacity(clients);
    for i in 0..clients {
        let consumer = format!("c{i}");
        let read = command(&[
            b"XREADGROUP",
            b"GROUP",
            group.as_bytes(),
            consumer.as_bytes(),
            b"COUNT",
            XGROUP_COUNT.to_string().as_bytes(),
            b"STREAMS",
            b"bench:xgroup",
            b">",
        ])
        .repeat(pipeline);
        let (ready, group) = (ready.clone(), group.clone());
        let mut r = BufReader::with_capacity(64 * 1024, connect(port)?);
        handles.push(thread::spawn(move || -> Res<usize> {
            ready.wait();
            let (mut consumed, mut last, mut drained) = (0, (0, 0), false);
            while !drained {
                r.get_mut().write_all(&read).map_err(|e| e.to_string())?;
                let mut acks = Vec::new();
                let mut counts = Vec::with_capacity(pipeline);
                for _ in 0..pipeline {
                    match xgroup_ids(read_reply(&mut r)?, &mut last)? {
                        None => drained = true,
                        Some(ids) => {
                            let mut parts: Vec<&[u8]> =
                                vec![b"XACK", b"bench:xgroup", group.as_bytes()];
                            parts.extend(ids.iter().map(Vec::as_slice));
                            acks.extend_from_slice(&command(&parts));
                            counts.push(ids.len());
                        }
                    }
                }
                if acks.is_empty() {
                    continue;
                }
                r.get_mut().write_all(&acks).map_err(|e| e.to_string())?;
                for want in counts {
                    match read_reply(&mut r)? {
                        Reply::Int(n) if n == want as i64 => consumed += want,
                        other => return Err(format!("XACK of {want} IDs answered {other:?}")),
                    }
                }
            }
            Ok(consumed)
        }));
    }
    ready.wait();
    let start = Instant::now();
    let mut total = 0;
    for h in handles {
        total += h.join().map_err(|_| "client thread panicked")??;
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    if total != entries {
        return Err(format!(
            "consumed and acked {total} entries, the stream holds {entries}"
        ));
    }
    Ok(entries as f64 / secs)
}

/// xorshift64*: the same coordinates for every server from one seed.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// A uniform float in [lo, lo + span) with six decimals, as GEOADD gets it.
fn coordinate(state: &mut u64, lo: f64, span: f64) -> String {
    let unit = (next_random(state) >> 11) as f64 / (1u64 << 53) as f64;
    format!("{:.6}", lo + span * unit)
}

fn geoadd(args: &[String]) -> Res<f64> {
    generated(
        args,
        "GEOADD",
        |b| b == b":1\r\n",
        |client, n, state| {
            let (lon, lat) = (coordinate(state, 12.4, 3.2), coordinate(state, 36.6, 1.7));
            let member = format!("m:{client}:{n}");
            command(&[
                b"GEOADD",
                b"bench:geoadd",
                lon.as_bytes(),
                lat.as_bytes(),
                member.as_bytes(),
            ])
        },
    )
}

/// Bits of the 1 MB bitmap the setbit workload writes to.
const SETBIT_BITS: u64 = 8 * 1024 * 1024;

fn setbit(args: &[String]) -> Res<f64> {
    generated(
        args,
        "SETBIT",
        |b| b == b":0\r\n" || b == b":1\r\n",
        |_, _, state| {
            let offset = (next_random(state) % SETBIT_BITS).to_string();
            command(&[b"SETBIT", b"bench:bitmap", offset.as_bytes(), b"1"])
        },
    )
}

/// The shared body of geoadd and setbit: PORT CLIENTS COUNT PIPELINE SEED;
/// `make(client, n, rng)` builds client's n-th command, and every reply
/// must be a 4-byte frame that `ok` accepts. Commands are built before the
/// clock starts, from per-client generators seeded by SEED, so every
/// server gets the same commands. Returns commands per second.
fn generated(
    args: &[String],
    what: &'static str,
    ok: fn(&[u8]) -> bool,
    make: impl Fn(usize, usize, &mut u64) -> Vec<u8>,
) -> Res<f64> {
    const FRAME: usize = 4;
    let [port, clients, count, pipeline, seed] = numbers(args)?;
    let ready = Arc::new(Barrier::new(clients + 1));
    let mut handles = Vec::with_capacity(clients);
    for i in 0..clients {
        let mine = count / clients + usize::from(i < count % clients);
        let mut state = ((seed as u64) << 20) ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        // Warm the generator up: its first outputs follow the seed closely.
        for _ in 0..16 {
            next_random(&mut state);
        }
        let mut batches = Vec::new();
        let mut batch = Vec::new();
        for n in 0..mine {
            batch.extend_from_slice(&make(i, n, &mut state));
            if (n + 1) % pipeline == 0 || n + 1 == mine {
                batches.push((std::mem::take(&mut batch), (n % pipeline + 1) * FRAME));
            }
        }
        let ready = ready.clone();
        let mut s = connect(port)?;
        handles.push(thread::spawn(move || -> Res<()> {
            ready.wait();
            let mut replies = vec![0u8; pipeline * FRAME];
            for (cmds, len) in &batches {
                s.write_all(cmds).map_err(|e| e.to_string())?;
                let got = &mut replies[..*len];
                s.read_exact(got)
                    .map_err(|e| format!("{what}: read: {e}"))?;
                if let Some(bad) = got.chunks(FRAME).find(|f| !ok(f)) {
                    let text = String::from_utf8_lossy(bad);
                    return Err(format!("{what}: unexpected reply {text:?}"));
                }
            }
            Ok(())
        }));
    }
    ready.wait();
    let start = Instant::now();
    for h in handles {
        h.join().map_err(|_| "client thread panicked")??;
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    Ok(count as f64 / secs)
}
