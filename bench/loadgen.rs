//! bench/loadgen.rs: the two workloads of `make bench` that
//! redis-benchmark cannot generate, run the same way against any RESP
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
//!
//! Every byte the server sends back is compared with the exact reply
//! expected (PUBLISH must report every subscriber, every SET must answer
//! +QUEUED then +OK), so a server that drops or reorders messages fails
//! the run (exit 1, reason on stderr) instead of looking fast. MULTI uses
//! a thread per connection; Pub/Sub reads its subscribers from one mio
//! poll loop. The benchmark script pins the whole process to the load
//! generator's CPU.

use std::io::{Read, Write};
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
        _ => Err("usage: loadgen pubsub|multi PORT CONNS COUNT PIPELINE DATASIZE".into()),
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
