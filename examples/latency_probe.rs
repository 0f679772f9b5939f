//! latency_probe: the steady client and the stopwatch of bench/persistence.sh.
//!
//! redis-benchmark 7.0 prints p50/p95/p99/max but no p99.9, and a shell loop
//! of `redis-cli info` calls cannot time a BGSAVE or a restart much closer
//! than the cost of starting redis-cli. This small std-only program does both
//! jobs for the benchmark, against ferrodis and redis-server alike:
//!
//! ```text
//! latency_probe bgsave --port P [--host H] [--keys N] [--warmup-ms 200]
//!                      [--poll-ms 10] [--timeout-s 900]
//! latency_probe wait-loaded --port P [--host H] [--pid PID] [--poll-ms 5]
//!                           [--timeout-s 900]
//! ```
//!
//! `bgsave`: one thread is the steady client. On its own connection it sends
//! `SET key:R value:R` and `GET key:R` in turn, R random below `--keys` (the
//! names and values DEBUG POPULATE makes, so the dataset keeps its content;
//! `--keys 0` sends PING), one request in flight, and records when each
//! request was sent and how long its reply took. The SETs matter: writes
//! during a snapshot are what make the parent copy pages on write. After
//! `--warmup-ms` the main thread sends BGSAVE on a second connection, then
//! polls `INFO persistence` every `--poll-ms` until `rdb_bgsave_in_progress:0`.
//! It prints, as `name=value` lines: `bgsave_ms` (from the BGSAVE reply to
//! the first INFO saying it is over), `fork_usec` (INFO stats
//! `latest_fork_usec`), and the steady client's `samples`, `p50_us`,
//! `p99_us`, `p999_us` and `max_us` over the requests sent between the
//! BGSAVE request and the end of the save (so the fork's stall is included).
//!
//! `wait-loaded`: polls `INFO persistence` until it answers `loading:0`,
//! reconnecting while the port is closed and waiting out `-LOADING` errors;
//! prints `waited_ms`. The caller times the restart around it. With `--pid`
//! it gives up as soon as that process is gone.
//!
//! Any failure (refused BGSAVE, `rdb_last_bgsave_status` not ok, an error
//! reply to the steady client, a timeout) is one line on stderr and exit
//! status 1; bad arguments exit 2. Not part of the server: nothing here is
//! reached by client input of ferrodis itself.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Options of both subcommands; each keeps its default unless given.
struct Opts {
    host: String,
    port: u16,
    keys: u64,
    warmup: Duration,
    poll: Duration,
    timeout: Duration,
    pid: Option<u32>,
}

/// The replies the probe needs to tell apart (arrays never come back to
/// the commands it sends).
#[derive(Debug, PartialEq)]
enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
}

/// One request of the steady client: when it was sent and how long its
/// reply took, both in nanoseconds (the first from the probe's start).
#[derive(Clone, Copy)]
struct Sample {
    sent_ns: u64,
    latency_ns: u64,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((mode, rest)) = args.split_first() else {
        eprintln!("usage: latency_probe bgsave|wait-loaded --port P [options]");
        return ExitCode::from(2);
    };
    let opts = match parse_opts(mode, rest) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("latency_probe: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match mode.as_str() {
        "bgsave" => bgsave(&opts),
        _ => wait_loaded(&opts),
    };
    match result {
        Ok(lines) => {
            println!("{lines}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("latency_probe: {mode}: {e}");
            ExitCode::from(1)
        }
    }
}

fn parse_opts(mode: &str, args: &[String]) -> Result<Opts, String> {
    if mode != "bgsave" && mode != "wait-loaded" {
        return Err(format!("unknown mode '{mode}' (bgsave or wait-loaded)"));
    }
    let mut o = Opts {
        host: "127.0.0.1".into(),
        port: 0,
        keys: 0,
        warmup: Duration::from_millis(200),
        poll: Duration::from_millis(if mode == "bgsave" { 10 } else { 5 }),
        timeout: Duration::from_secs(900),
        pid: None,
    };
    let mut it = args.iter();
    while let Some(name) = it.next() {
        let value = it.next().ok_or_else(|| format!("{name} needs a value"))?;
        let num = || -> Result<u64, String> {
            value
                .parse::<u64>()
                .map_err(|_| format!("{name}: not a number: '{value}'"))
        };
        match name.as_str() {
            "--host" => o.host = value.clone(),
            "--port" => o.port = u16::try_from(num()?).map_err(|_| "--port: too large")?,
            "--keys" => o.keys = num()?,
            "--warmup-ms" => o.warmup = Duration::from_millis(num()?),
            "--poll-ms" => o.poll = Duration::from_millis(num()?.max(1)),
            "--timeout-s" => o.timeout = Duration::from_secs(num()?),
            "--pid" => o.pid = Some(u32::try_from(num()?).map_err(|_| "--pid: too large")?),
            _ => return Err(format!("unknown option '{name}'")),
        }
    }
    if o.port == 0 {
        return Err("--port is required".into());
    }
    Ok(o)
}

// ------------------------------------------------------------ RESP

/// A connection with a buffered reader on one handle and writes on another.
struct Conn {
    rd: BufReader<TcpStream>,
    wr: TcpStream,
}

impl Conn {
    fn open(o: &Opts) -> io::Result<Conn> {
        let s = TcpStream::connect((o.host.as_str(), o.port))?;
        // One small request at a time: Nagle would add its delay to each.
        s.set_nodelay(true)?;
        Ok(Conn {
            wr: s.try_clone()?,
            rd: BufReader::new(s),
        })
    }

    fn call(&mut self, argv: &[&[u8]]) -> io::Result<Reply> {
        let mut buf = Vec::with_capacity(64);
        encode(&mut buf, argv);
        self.wr.write_all(&buf)?;
        read_reply(&mut self.rd)
    }
}

/// Appends `argv` as a RESP multibulk request.
fn encode(buf: &mut Vec<u8>, argv: &[&[u8]]) {
    buf.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for a in argv {
        buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        buf.extend_from_slice(a);
        buf.extend_from_slice(b"\r\n");
    }
}

fn bad_data(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// Reads one reply; an array or an unknown type byte is an error, since
/// none of the probe's commands answers with one.
fn read_reply<R: BufRead>(rd: &mut R) -> io::Result<Reply> {
    let mut line = String::new();
    if rd.read_line(&mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed by the server",
        ));
    }
    let body = line.trim_end_matches(['\r', '\n']);
    let mut chars = body.chars();
    let kind = chars.next();
    let rest = chars.as_str();
    match kind {
        Some('+') => Ok(Reply::Simple(rest.to_string())),
        Some('-') => Ok(Reply::Error(rest.to_string())),
        Some(':') => rest
            .parse()
            .map(Reply::Int)
            .map_err(|_| bad_data(format!("bad integer reply '{body}'"))),
        Some('$') => {
            let len: i64 = rest
                .parse()
                .map_err(|_| bad_data(format!("bad bulk length '{body}'")))?;
            if len < 0 {
                return Ok(Reply::Bulk(None));
            }
            // INFO is a few KB; a huge length is a broken stream, not data.
            if len > 1 << 26 {
                return Err(bad_data(format!("bulk of {len} bytes")));
            }
            // The payload and its CRLF.
            let mut data = vec![0; len as usize + 2];
            rd.read_exact(&mut data)?;
            data.truncate(len as usize);
            Ok(Reply::Bulk(Some(data)))
        }
        _ => Err(bad_data(format!("unexpected reply '{body}'"))),
    }
}

/// The value of `field` in an INFO text (`field:value` lines).
fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.lines().find_map(|l| {
        l.strip_prefix(field)
            .and_then(|r| r.strip_prefix(':'))
            .map(|v| v.trim_end_matches('\r'))
    })
}

/// `INFO <section>` as text, or the error reply as `Err`.
fn info(c: &mut Conn, section: &str) -> io::Result<Result<String, String>> {
    match c.call(&[b"INFO", section.as_bytes()])? {
        Reply::Bulk(Some(b)) => Ok(Ok(String::from_utf8_lossy(&b).into_owned())),
        Reply::Error(e) => Ok(Err(e)),
        r => Err(bad_data(format!("INFO answered {r:?}"))),
    }
}

// ------------------------------------------------------------ bgsave

/// The steady client: one request in flight until `stop`, alternating SET
/// and GET on random populated keys (PING when there are none).
fn steady_client(o: &Opts, epoch: Instant, stop: &AtomicBool) -> io::Result<Vec<Sample>> {
    let mut c = Conn::open(o)?;
    let mut samples = Vec::with_capacity(1 << 20);
    // xorshift64: any fixed seed will do, both servers see the same keys.
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut req = Vec::with_capacity(64);
    let mut set_next = true;
    while !stop.load(Ordering::Relaxed) {
        req.clear();
        if o.keys == 0 {
            encode(&mut req, &[b"PING"]);
        } else {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let r = rng % o.keys;
            let key = format!("key:{r}");
            if set_next {
                let value = format!("value:{r}");
                encode(&mut req, &[b"SET", key.as_bytes(), value.as_bytes()]);
            } else {
                encode(&mut req, &[b"GET", key.as_bytes()]);
            }
        }
        set_next = !set_next;
        let sent = Instant::now();
        c.wr.write_all(&req)?;
        if let Reply::Error(e) = read_reply(&mut c.rd)? {
            return Err(io::Error::other(format!("steady client got -{e}")));
        }
        samples.push(Sample {
            sent_ns: sent.duration_since(epoch).as_nanos() as u64,
            latency_ns: sent.elapsed().as_nanos() as u64,
        });
    }
    Ok(samples)
}

fn bgsave(o: &Opts) -> Result<String, String> {
    let epoch = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let client = {
        let (stop, o) = (stop.clone(), clone_opts(o));
        thread::spawn(move || steady_client(&o, epoch, &stop))
    };
    // Stop the steady client however the save goes, then report.
    let saved = run_bgsave(o, epoch);
    stop.store(true, Ordering::Relaxed);
    let samples = match client.join() {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(format!("steady client: {e}")),
        Err(_) => return Err("steady client thread panicked".into()),
    };
    let (window, bgsave_ms, fork_usec) = saved?;
    let mut lat: Vec<u64> = samples
        .iter()
        .filter(|s| window.0 <= s.sent_ns && s.sent_ns <= window.1)
        .map(|s| s.latency_ns)
        .collect();
    if lat.is_empty() {
        return Err("the steady client completed no request during the BGSAVE".into());
    }
    lat.sort_unstable();
    let us = |p: f64| percentile(&lat, p) as f64 / 1000.0;
    Ok(format!(
        "bgsave_ms={bgsave_ms:.1}\nfork_usec={fork_usec}\nsamples={}\n\
         p50_us={:.1}\np99_us={:.1}\np999_us={:.1}\nmax_us={:.1}",
        lat.len(),
        us(50.0),
        us(99.0),
        us(99.9),
        us(100.0)
    ))
}

fn clone_opts(o: &Opts) -> Opts {
    Opts {
        host: o.host.clone(),
        ..*o
    }
}

/// Warm up, BGSAVE, poll until it is over. Returns the latency window
/// (ns from `epoch`: BGSAVE sent .. save seen over), the save's duration in
/// ms (BGSAVE reply .. save seen over) and `latest_fork_usec`.
#[allow(clippy::type_complexity)]
fn run_bgsave(o: &Opts, epoch: Instant) -> Result<((u64, u64), f64, String), String> {
    let mut c = Conn::open(o).map_err(|e| format!("connect: {e}"))?;
    thread::sleep(o.warmup);
    let sent = Instant::now();
    let reply = c.call(&[b"BGSAVE"]).map_err(|e| format!("BGSAVE: {e}"))?;
    let replied = Instant::now();
    if reply != Reply::Simple("Background saving started".into()) {
        return Err(format!("BGSAVE answered {reply:?}"));
    }
    let done = loop {
        if replied.elapsed() > o.timeout {
            return Err(format!("BGSAVE still running after {:?}", o.timeout));
        }
        let text = info(&mut c, "persistence")
            .map_err(|e| format!("INFO: {e}"))?
            .map_err(|e| format!("INFO answered -{e}"))?;
        let now = Instant::now();
        if info_field(&text, "rdb_bgsave_in_progress") == Some("0") {
            let status = info_field(&text, "rdb_last_bgsave_status").unwrap_or("?");
            if status != "ok" {
                return Err(format!("rdb_last_bgsave_status:{status}"));
            }
            break now;
        }
        thread::sleep(o.poll);
    };
    let stats = info(&mut c, "stats")
        .map_err(|e| format!("INFO stats: {e}"))?
        .map_err(|e| format!("INFO stats answered -{e}"))?;
    let fork_usec = info_field(&stats, "latest_fork_usec").unwrap_or("n/a");
    let ns = |t: Instant| t.duration_since(epoch).as_nanos() as u64;
    Ok((
        (ns(sent), ns(done)),
        done.duration_since(replied).as_secs_f64() * 1000.0,
        fork_usec.to_string(),
    ))
}

/// Nearest-rank percentile of sorted, non-empty `v` (`p` in 0..=100, to
/// 0.1). The rank is computed in per-mille integers: with floats, 99.9 % of
/// 1000 comes out a hair above 999 and rounds up to the maximum.
fn percentile(v: &[u64], p: f64) -> u64 {
    let per_mille = (p * 10.0).round().clamp(0.0, 1000.0) as usize;
    let rank = (per_mille * v.len()).div_ceil(1000);
    v[rank.clamp(1, v.len()) - 1]
}

// ------------------------------------------------------------ wait-loaded

fn wait_loaded(o: &Opts) -> Result<String, String> {
    let start = Instant::now();
    let mut conn: Option<Conn> = None;
    let mut last = String::from("no connection yet");
    while start.elapsed() <= o.timeout {
        if let Some(pid) = o.pid {
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                return Err(format!("server process {pid} exited ({last})"));
            }
        }
        if conn.is_none() {
            conn = Conn::open(o).ok();
        }
        if let Some(c) = conn.as_mut() {
            match info(c, "persistence") {
                Ok(Ok(text)) => match info_field(&text, "loading") {
                    Some("0") => {
                        let ms = start.elapsed().as_secs_f64() * 1000.0;
                        return Ok(format!("waited_ms={ms:.1}"));
                    }
                    v => last = format!("loading:{}", v.unwrap_or("?")),
                },
                // -LOADING, should a server refuse INFO while loading.
                Ok(Err(e)) => last = format!("-{e}"),
                Err(e) => {
                    last = e.to_string();
                    conn = None;
                }
            }
        }
        thread::sleep(o.poll);
    }
    Err(format!("not loaded after {:?} (last: {last})", o.timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> io::Result<Reply> {
        read_reply(&mut BufReader::new(bytes))
    }

    #[test]
    fn replies_of_every_kind_the_probe_meets_are_parsed() {
        assert_eq!(parse(b"+OK\r\n").unwrap(), Reply::Simple("OK".into()));
        assert_eq!(
            parse(b"-LOADING Redis is loading\r\n").unwrap(),
            Reply::Error("LOADING Redis is loading".into())
        );
        assert_eq!(parse(b":42\r\n").unwrap(), Reply::Int(42));
        assert_eq!(parse(b"$-1\r\n").unwrap(), Reply::Bulk(None));
        assert_eq!(
            parse(b"$7\r\nvalue:1\r\n").unwrap(),
            Reply::Bulk(Some(b"value:1".to_vec()))
        );
    }

    #[test]
    fn truncated_or_unexpected_replies_are_errors_not_panics() {
        assert!(parse(b"").is_err());
        assert!(parse(b"$10\r\nshort\r\n").is_err());
        assert!(parse(b"$x\r\n").is_err());
        assert!(parse(b"*2\r\n").is_err());
        assert!(parse(b":nan\r\n").is_err());
    }

    #[test]
    fn requests_are_encoded_as_multibulk() {
        let mut buf = Vec::new();
        encode(&mut buf, &[b"GET", b"key:7"]);
        assert_eq!(buf, b"*2\r\n$3\r\nGET\r\n$5\r\nkey:7\r\n");
    }

    #[test]
    fn info_field_matches_whole_names_only() {
        let info =
            "# Persistence\r\nloading:0\r\nloading_loaded_perc:5\r\nrdb_bgsave_in_progress:1\r\n";
        assert_eq!(info_field(info, "loading"), Some("0"));
        assert_eq!(info_field(info, "rdb_bgsave_in_progress"), Some("1"));
        assert_eq!(info_field(info, "rdb_bgsave"), None);
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<u64> = (1..=1000).collect();
        assert_eq!(percentile(&v, 50.0), 500);
        assert_eq!(percentile(&v, 99.0), 990);
        assert_eq!(percentile(&v, 99.9), 999);
        assert_eq!(percentile(&v, 100.0), 1000);
        assert_eq!(percentile(&v, 0.0), 1);
        assert_eq!(percentile(&[7], 99.9), 7);
    }

    #[test]
    fn options_are_checked() {
        let args = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(parse_opts("bgsave", &args(&[])).is_err());
        assert!(parse_opts("bgsave", &args(&["--port"])).is_err());
        assert!(parse_opts("bgsave", &args(&["--port", "99999"])).is_err());
        assert!(parse_opts("nope", &args(&["--port", "1"])).is_err());
        let o = parse_opts("wait-loaded", &args(&["--port", "7000", "--pid", "12"])).unwrap();
        assert_eq!(
            (o.port, o.pid, o.poll),
            (7000, Some(12), Duration::from_millis(5))
        );
    }
}
