//! Logging in Redis' line format (server.c serverLogRaw):
//! `pid:role dd Mon yyyy HH:MM:SS.mmm <level> text`, where role is M
//! (master), S (replica) or C (fork child) and level is `.` debug, `-`
//! verbose, `*` notice, `#` warning. Backed by `log` + `env_logger` so any
//! module logs with `info!`/`warn!`, and `loglevel` maps onto log's levels.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU8, Ordering};

use log::LevelFilter;

/// The role letter for the next lines ('M', 'S' or 'C').
static ROLE: AtomicU8 = AtomicU8::new(b'M');

/// The role letter of log lines (M, S, C).
pub fn role() -> char {
    ROLE.load(Ordering::Relaxed) as char
}

pub fn set_role(role: u8) {
    ROLE.store(role, Ordering::Relaxed);
}

/// Map a `loglevel` directive value to a filter (warning/notice/verbose/debug).
pub fn level_filter(loglevel: &str) -> LevelFilter {
    match loglevel {
        "debug" => LevelFilter::Trace,
        "verbose" => LevelFilter::Debug,
        "notice" => LevelFilter::Info,
        "warning" => LevelFilter::Warn,
        _ => LevelFilter::Off,
    }
}

pub fn set_level(loglevel: &str) {
    log::set_max_level(level_filter(loglevel));
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + (m <= 2) as i64, m, d)
}

/// `26 Nov 2026 11:22:24.123` for a Unix time in ms (UTC).
pub fn format_time(ms: i64) -> String {
    let mut s = String::with_capacity(24);
    let _ = write_time(&mut s, ms);
    s
}

/// format_time into any writer, without allocating (crash reports are
/// written from signal handlers).
pub fn write_time(w: &mut impl std::fmt::Write, ms: i64) -> std::fmt::Result {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    write!(
        w,
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        d,
        MONTHS[(m - 1) as usize],
        y,
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        ms.rem_euclid(1000)
    )
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Install the logger. `logfile` empty = stdout. The file is opened in
/// append mode: the test suite writes its own marker lines into it too.
pub fn init(logfile: &str, loglevel: &str) -> io::Result<()> {
    let target: Box<dyn Write + Send> = if logfile.is_empty() {
        Box::new(io::stdout())
    } else {
        Box::new(OpenOptions::new().create(true).append(true).open(logfile)?)
    };
    let mut b = env_logger::Builder::new();
    b.target(env_logger::Target::Pipe(target))
        .filter_level(LevelFilter::Trace)
        .format(move |buf, rec| {
            let level = match rec.level() {
                log::Level::Error | log::Level::Warn => '#',
                log::Level::Info => '*',
                log::Level::Debug => '-',
                log::Level::Trace => '.',
            };
            writeln!(
                buf,
                "{}:{} {} {} {}",
                // Read per line: daemonize and fork children change it.
                std::process::id(),
                ROLE.load(Ordering::Relaxed) as char,
                format_time(now_ms()),
                level,
                rec.args()
            )
        });
    // A second init (tests) is harmless: keep the first logger.
    let _ = b.try_init();
    set_level(loglevel);
    Ok(())
}

/// A warning line on stdout before the logger exists (Redis logs to stdout
/// while it is still reading its configuration).
pub fn early_warning(text: &str) {
    let line = format!(
        "{}:{} {} # {}\n",
        std::process::id(),
        ROLE.load(Ordering::Relaxed) as char,
        format_time(now_ms()),
        text
    );
    raw("", &line);
}

/// Write raw text (the start-up banner) straight to the log target.
pub fn raw(logfile: &str, text: &str) {
    if logfile.is_empty() {
        let mut o = io::stdout().lock();
        let _ = o.write_all(text.as_bytes());
        let _ = o.flush();
    } else if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(logfile) {
        let _ = f.write_all(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_is_formatted_like_redis() {
        assert_eq!(format_time(0), "01 Jan 1970 00:00:00.000");
        assert_eq!(format_time(1_795_692_144_123), "26 Nov 2026 11:22:24.123");
    }
}
