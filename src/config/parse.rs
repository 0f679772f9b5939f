//! Reading configuration text the way Redis does: the string primitives of
//! sds.c/util.c (sdssplitargs quoting, sdscatrepr, memtoull, string2ll,
//! strtoll, stringmatchlen), loadServerConfigFromString with `include`, and
//! the command line of server.c's main().
//!
//! The primitives copy Redis' edge cases on purpose (an empty memory value
//! is 0, `strtoll` overflow saturates, a closing quote must be followed by
//! a space) because configuration that loads in Redis must load here too.
//! Nothing here panics on input: every index is checked.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::table::{self, lookup, MULTI_ARG};
use super::{errno_text, Config, ConfigError, SourceLine, CONFIG_MAX_HZ, CONFIG_MIN_HZ};

/// `include` nesting beyond this is refused (Redis would recurse until it
/// crashes on an include loop).
const MAX_INCLUDE_DEPTH: usize = 32;

/// isspace() in the C locale.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// sdssplitargs: splits a line into arguments. Outside quotes, spaces,
/// tabs, CR and LF separate arguments. `"..."` understands `\n \r \t \b \a`,
/// `\xHH` and `\<any>`; `'...'` only `\'`. A closing quote must be followed
/// by whitespace or the end. Returns None on unbalanced quotes. A NUL byte
/// ends the line, as it does for the C string.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line = match line.iter().position(|&b| b == 0) {
        Some(n) => &line[..n],
        None => line,
    };
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Some(args);
        }
        let (mut in_dq, mut in_sq, mut done) = (false, false, false);
        let mut cur = Vec::new();
        while !done {
            let c = at(i);
            if in_dq {
                let hex = (at(i + 1) == b'x')
                    .then(|| Some(hex_value(at(i + 2))? * 16 + hex_value(at(i + 3))?))
                    .flatten();
                if c == b'\\' && hex.is_some() {
                    cur.extend(hex);
                    i += 3;
                } else if c == b'\\' && at(i + 1) != 0 {
                    i += 1;
                    cur.push(match at(i) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if at(i + 1) != 0 && !is_space(at(i + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    cur.push(c);
                }
            } else if in_sq {
                if c == b'\\' && at(i + 1) == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if at(i + 1) != 0 && !is_space(at(i + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    cur.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    _ => cur.push(c),
                }
            }
            if at(i) != 0 {
                i += 1;
            }
        }
        args.push(cur);
    }
}

/// sdscatrepr: a double-quoted form that `split_args` reads back to the
/// same bytes (`\"`, `\\`, `\n`..., `\xHH` for other non-printables).
/// Used for command-line values and for string values in CONFIG REWRITE.
pub fn repr(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &c in s {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
    out
}

/// memtoull: digits followed by an optional unit, case-insensitive:
/// `b`, `k`=1000, `kb`=1024, `m`, `mb`, `g`, `gb`. A leading `-` is refused.
/// Like Redis, no digits means 0 (`""`, `kb`), overflow saturates and the
/// multiplication wraps.
pub fn memtoull(p: &[u8]) -> Option<u64> {
    if p.first() == Some(&b'-') {
        return None;
    }
    // Digits first, then everything after them must be exactly one unit:
    // "1 kb", "1.5gb" and "1tb" are errors.
    let digits = p.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = p[digits..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits >= 128 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in &p[..digits] {
        match v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
        {
            Some(n) => v = n,
            None => {
                v = u64::MAX; // strtoull's ERANGE result, which Redis does not check
                break;
            }
        }
    }
    Some(v.wrapping_mul(mul))
}

/// string2ll: Redis' strict decimal `long long` (one implementation for
/// the whole server, in util::number).
pub use crate::util::number::parse_i64 as string2ll;

/// strtoll(s, &end, base) for base 8 or 10, as (value, whole string
/// consumed, overflowed). Leading whitespace and a sign are accepted; with
/// no digits nothing is consumed (so only "" counts as fully consumed);
/// overflow saturates at the `long long` limits.
pub fn c_strtoll(s: &[u8], base: u32) -> (i64, bool, bool) {
    let mut i = 0;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut v: u64 = 0;
    let mut overflow = false;
    while let Some(d) = s.get(i).and_then(|&c| (c as char).to_digit(base)) {
        match v
            .checked_mul(u64::from(base))
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(n) => v = n,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        // No digits: end pointer stays at the beginning of the string.
        return (0, s.is_empty(), false);
    }
    let limit = if negative {
        i64::MAX as u64 + 1
    } else {
        i64::MAX as u64
    };
    if overflow || v > limit {
        let sat = if negative { i64::MIN } else { i64::MAX };
        return (sat, i == s.len(), true);
    }
    let value = if negative {
        (v as i64).wrapping_neg()
    } else {
        v as i64
    };
    (value, i == s.len(), false)
}

/// string2d: a whole-string double with no leading space; NaN, overflow
/// and underflow to zero are refused (strtod's ERANGE cases).
pub fn string2d(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    if text.is_empty() || text.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let v: f64 = text.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    if v.is_infinite() && !lower.contains("inf") {
        return None; // overflow, not a spelled infinity
    }
    let mantissa = lower.split('e').next().unwrap_or("");
    if v == 0.0 && mantissa.bytes().any(|c| matches!(c, b'1'..=b'9')) {
        return None; // underflow
    }
    Some(v)
}

// Redis' glob (stringmatchlen) is shared with KEYS, SCAN and PSUBSCRIBE.
pub(crate) use crate::util::glob::glob_match;

// ---------------------------------------------------------------------------
// Loading configuration text
// ---------------------------------------------------------------------------

/// Callbacks for file-only directives that need other subsystems. The
/// defaults accept everything; `Config` records the lines either way
/// (`rename_commands`, `users`), so they can also be checked afterwards.
pub trait LoadHooks {
    /// `rename-command from to` (an empty `to` deletes the command). Err is
    /// Redis' text, e.g. "No such command in rename-command" or "Target
    /// command name already exists".
    fn rename_command(&mut self, _from: &str, _to: &str) -> Result<(), String> {
        Ok(())
    }
    /// `user name rules...`; `args[0]` is "user". Err is (index of the
    /// offending argument in `args`, ACL error text).
    fn user(&mut self, _args: &[String]) -> Result<(), (usize, String)> {
        Ok(())
    }
}

/// Hooks that accept everything.
pub struct NoHooks;
impl LoadHooks for NoHooks {}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Directives from older Redis versions that 7.0 still accepts and ignores
/// (name, min argc, max argc including the name).
const DEPRECATED: &[(&str, usize, usize)] = &[
    ("list-max-ziplist-entries", 2, 2),
    ("list-max-ziplist-value", 2, 2),
    ("lua-replicate-commands", 2, 2),
];

impl Config {
    /// Applies configuration text (redis.conf syntax) on top of the current
    /// values, stopping at the first error with Redis' report.
    pub fn load_from_str(&mut self, text: &str) -> Result<(), ConfigError> {
        self.load_from_str_with(text, &mut NoHooks)
    }

    /// `load_from_str` with callbacks for `rename-command` and `user`.
    pub fn load_from_str_with(
        &mut self,
        text: &str,
        hooks: &mut dyn LoadHooks,
    ) -> Result<(), ConfigError> {
        self.load_text(text.as_bytes(), hooks, 0)
    }

    /// loadServerConfig: reads `file` (glob patterns allowed), then stdin if
    /// asked, then appends "\n" and the command line `options`
    /// ([`CommandLine::options`]), and loads the result.
    pub fn load_server_config(
        &mut self,
        file: Option<&str>,
        from_stdin: bool,
        options: Option<&str>,
        hooks: &mut dyn LoadHooks,
    ) -> Result<(), ConfigError> {
        let mut text = Vec::new();
        if let Some(file) = file {
            read_config_files(file, &mut text)?;
        }
        if from_stdin {
            // An unreadable stdin is treated as empty, like fgets() failing.
            let _ = std::io::stdin().read_to_end(&mut text);
        }
        if let Some(options) = options {
            text.push(b'\n');
            text.extend_from_slice(options.as_bytes());
        }
        self.load_text(&text, hooks, 0)
    }

    /// loadServerConfigFromString. Lines are trimmed; `#` lines and blank
    /// lines are skipped; known directives go through the table; then the
    /// file-only directives. After the last line come the checks Redis does
    /// at the end of every file (log file, cluster vs replicaof, hz clamp).
    fn load_text(
        &mut self,
        text: &[u8],
        hooks: &mut dyn LoadHooks,
        depth: usize,
    ) -> Result<(), ConfigError> {
        self.reading_config_file = true;
        // sdssplitlen returns no lines at all for empty input.
        let lines: Vec<&[u8]> = if text.is_empty() {
            Vec::new()
        } else {
            text.split(|&c| c == b'\n').collect()
        };
        for (i, raw) in lines.iter().enumerate() {
            let line = trim(raw, b" \t\r\n");
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let text = lossy(line);
            if let Err(err) = self.load_line(line, i + 1, &text, hooks, depth) {
                self.reading_config_file = false;
                return Err(match err {
                    LineError::Text(msg) => ConfigError::fatal(Some((i + 1, &text)), &msg),
                    LineError::Done(e) => e,
                });
            }
        }
        // Redis clears this flag at the end of every file, included ones
        // too; a `save` after an `include` therefore replaces earlier points.
        self.reading_config_file = false;
        self.finish_load()
    }

    fn load_line(
        &mut self,
        line: &[u8],
        linenum: usize,
        text: &str,
        hooks: &mut dyn LoadHooks,
        depth: usize,
    ) -> Result<(), LineError> {
        let Some(argv) = split_args(line) else {
            return Err(LineError::Text(
                "Unbalanced quotes in configuration line".into(),
            ));
        };
        let argv: Vec<String> = argv.iter().map(|a| lossy(a)).collect();
        let Some(first) = argv.first() else {
            return Ok(());
        };
        let name = first.to_ascii_lowercase();

        // Table directives first, so a name there can never be mistaken for
        // a file-only directive or a module option.
        if let Some((spec, _)) = lookup(name.as_bytes()) {
            let multi = spec.has(MULTI_ARG);
            if !multi && argv.len() != 2 {
                return Err(LineError::Text("wrong number of arguments".into()));
            }
            let result = if multi && argv.len() == 2 && !argv[1].is_empty() {
                // One argument of a multi-arg directive is split again, so
                // `--save "900 1"` works; a bad split gives no arguments.
                let args: Vec<String> = split_args(argv[1].as_bytes())
                    .unwrap_or_default()
                    .iter()
                    .map(|a| lossy(a))
                    .collect();
                table::set_spec(self, spec, &args)
            } else {
                table::set_spec(self, spec, &argv[1..])
            };
            return result
                .map(|_| ())
                .map_err(|e| LineError::Text(e.into_owned()));
        }
        if DEPRECATED
            .iter()
            .any(|(n, lo, hi)| *n == name && (*lo..=*hi).contains(&argv.len()))
        {
            return Ok(());
        }
        // Kept with the recorded directive so checks done after loading can
        // still point at the right line.
        let source = || SourceLine {
            line: linenum,
            text: text.to_string(),
        };
        match name.as_str() {
            "include" if argv.len() == 2 => {
                if depth >= MAX_INCLUDE_DEPTH {
                    return Err(LineError::Text("include nesting too deep".into()));
                }
                let mut content = Vec::new();
                read_config_files(&argv[1], &mut content).map_err(LineError::Done)?;
                self.load_text(&content, hooks, depth + 1)
                    .map_err(LineError::Done)?;
            }
            "rename-command" if argv.len() == 3 => {
                hooks
                    .rename_command(&argv[1], &argv[2])
                    .map_err(LineError::Text)?;
                self.rename_commands
                    .push((argv[1].clone(), argv[2].clone()));
                self.rename_sources.push(source());
            }
            "user" if argv.len() >= 2 => {
                if let Err((idx, msg)) = hooks.user(&argv) {
                    let arg = argv.get(idx).map(String::as_str).unwrap_or("");
                    return Err(LineError::Text(format!(
                        "Error in user declaration '{arg}': {msg}"
                    )));
                }
                self.users.push(argv[1..].to_vec());
                self.user_sources.push(source());
            }
            "loadmodule" if argv.len() >= 2 => {
                self.loadmodules.push((argv[1].clone(), argv[2..].to_vec()));
            }
            _ if name.contains('.') => {
                if argv.len() < 2 {
                    return Err(LineError::Text(
                        "Module config specified without value".into(),
                    ));
                }
                let value = argv[1..].join(" ");
                match self.module_configs.iter_mut().find(|(n, _)| *n == name) {
                    Some(entry) => entry.1 = value,
                    None => self.module_configs.push((name, value)),
                }
            }
            "sentinel" => {
                // A lone `sentinel` only selects sentinel mode (main() does
                // that); ferrodis has no sentinel mode.
                if argv.len() != 1 {
                    return Err(LineError::Text(
                        "sentinel directive while not in sentinel mode".into(),
                    ));
                }
            }
            _ => {
                return Err(LineError::Text(
                    "Bad directive or wrong number of arguments".into(),
                ))
            }
        }
        Ok(())
    }

    /// The checks at the end of loadServerConfigFromString.
    fn finish_load(&mut self) -> Result<(), ConfigError> {
        if !self.logfile.is_empty() {
            // Fail now rather than after daemonizing, like Redis.
            if let Err(e) = fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&self.logfile)
            {
                let msg = format!("Can't open the log file: {}", errno_text(&e));
                return Err(ConfigError::fatal(None, &msg));
            }
        }
        if self.cluster_enabled && self.replicaof.is_some() {
            return Err(ConfigError::fatal(
                None,
                "replicaof directive not allowed in cluster mode",
            ));
        }
        self.hz = self.hz.clamp(CONFIG_MIN_HZ, CONFIG_MAX_HZ);
        Ok(())
    }

    /// Replays the recorded `rename-command` lines against the command
    /// table (for servers loading without hooks): `exists(name)` tells
    /// whether a command name exists before any rename. Reports the first
    /// bad line exactly as loading would have.
    pub fn validate_renames(&self, exists: &dyn Fn(&str) -> bool) -> Result<(), ConfigError> {
        let mut removed: Vec<String> = Vec::new();
        let mut added: Vec<String> = Vec::new();
        for (i, (from, to)) in self.rename_commands.iter().enumerate() {
            let from_l = from.to_ascii_lowercase();
            let to_l = to.to_ascii_lowercase();
            let present = |n: &str, removed: &Vec<String>, added: &Vec<String>| {
                added.iter().any(|a| a == n) || (exists(n) && !removed.iter().any(|r| r == n))
            };
            let src = self.rename_sources.get(i).cloned().unwrap_or_default();
            let at = Some((src.line, src.text.as_str()));
            if !present(&from_l, &removed, &added) {
                return Err(ConfigError::fatal(at, "No such command in rename-command"));
            }
            added.retain(|a| *a != from_l);
            removed.push(from_l);
            if !to_l.is_empty() {
                if present(&to_l, &removed, &added) {
                    return Err(ConfigError::fatal(at, "Target command name already exists"));
                }
                removed.retain(|r| *r != to_l);
                added.push(to_l);
            }
        }
        Ok(())
    }

    /// The error report for `users[index]` rejected by the ACL code after
    /// loading: `arg` is the offending argument, `msg` the ACL error.
    pub fn user_error(&self, index: usize, arg: &str, msg: &str) -> ConfigError {
        let src = self.user_sources.get(index).cloned().unwrap_or_default();
        ConfigError::fatal(
            Some((src.line, &src.text)),
            &format!("Error in user declaration '{arg}': {msg}"),
        )
    }
}

/// Why one line failed: a message still to be wrapped with the line, or a
/// finished error from an included file.
enum LineError {
    Text(String),
    Done(ConfigError),
}

fn trim<'a>(s: &'a [u8], chars: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|c| !chars.contains(c)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|c| !chars.contains(c))
        .map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

/// Appends the content of `pattern` to `out`. With `*`, `?` or `[` it is a
/// glob: every match in sorted order, and no match at all is fine (an empty
/// conf.d). Without, the file must open.
fn read_config_files(pattern: &str, out: &mut Vec<u8>) -> Result<(), ConfigError> {
    let cant_open = |path: &str, e: &std::io::Error| {
        ConfigError::Log(format!(
            "Fatal error, can't open config file '{path}': {}",
            errno_text(e)
        ))
    };
    if !pattern.contains(['*', '?', '[']) {
        let data = fs::read(pattern).map_err(|e| cant_open(pattern, &e))?;
        out.extend_from_slice(&data);
        return Ok(());
    }
    for path in glob_paths(pattern) {
        let shown = path.to_string_lossy().into_owned();
        let data = fs::read(&path).map_err(|e| cant_open(&shown, &e))?;
        out.extend_from_slice(&data);
    }
    Ok(())
}

/// A small glob(3): each path component may hold wildcards, which never
/// match `/` nor a leading `.` unless the pattern starts with one.
fn glob_paths(pattern: &str) -> Vec<PathBuf> {
    let absolute = pattern.starts_with('/');
    let mut current = vec![if absolute {
        PathBuf::from("/")
    } else {
        PathBuf::new()
    }];
    for comp in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for base in &current {
            if !comp.contains(['*', '?', '[']) {
                let p = base.join(comp);
                if p.symlink_metadata().is_ok() {
                    next.push(p);
                }
                continue;
            }
            let dir: &Path = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base
            };
            let Ok(entries) = fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.') || comp.starts_with('.'))
                .filter(|n| glob_match(comp.as_bytes(), n.as_bytes(), false))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| base.join(n)));
        }
        current = next;
    }
    current.retain(|p| !p.as_os_str().is_empty());
    current
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

/// What server.c's main() makes of its arguments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandLine {
    /// The first argument when it does not start with `-` (not yet made absolute).
    pub config_file: Option<String>,
    /// A lone `-` as first or last argument: read configuration from stdin.
    pub config_from_stdin: bool,
    /// Config text built from the `--name value` options, loaded after the
    /// file and stdin (later lines win).
    pub options: String,
}

/// Parses `args` (argv without the program name; `--help`, `--version`,
/// `--test-memory` and `--check-system` are main's business) the way
/// Redis' main() does:
/// * `--name` starts a line `name `; the following arguments not starting
///   with `--` become its quoted values (`sdscatrepr`), so spaces survive;
/// * a `--name` with nothing after it yet takes the next argument as value
///   even if it starts with `--` (`--port --loglevel verbose` gives the
///   line `port "--loglevel" "verbose"`);
/// * `"--maxmemory 700mb"` in one argument is a complete line;
/// * `--save` followed by another `--option`, or last, means `save ""`;
/// * arguments before any `--name` are appended as quoted words (Redis
///   accepts `loglevel verbose` that way).
pub fn parse_command_line(args: &[String]) -> CommandLine {
    let mut cl = CommandLine::default();
    let mut j = 0;
    if let Some(first) = args.first() {
        if !first.starts_with('-') {
            cl.config_file = Some(first.clone());
            j = 1;
        }
    }
    let argc = args.len();
    // Whether the previous `--name` already has a value. While it has none,
    // the next argument is its value even if it starts with `--`.
    let mut handled_last = true;
    let opts = &mut cl.options;
    while j < argc {
        let arg = &args[j];
        let next_is_option = args.get(j + 1).is_some_and(|n| n.starts_with("--"));
        if arg == "-" && (j == 0 || j == argc - 1) {
            cl.config_from_stdin = true;
        } else if handled_last && arg.starts_with("--") {
            if !opts.is_empty() {
                opts.push('\n');
            }
            opts.push_str(&arg[2..]);
            opts.push(' ');
            // "--maxmemory 700mb" as one argument splits into two words and
            // is a complete line by itself.
            let words = split_args(arg.as_bytes()).map_or(0, |v| v.len());
            if words == 1 {
                // Only a name: its value comes in the next argument(s).
                handled_last = false;
                let is_save = arg.eq_ignore_ascii_case("--save");
                let is_sentinel = arg.eq_ignore_ascii_case("--sentinel");
                if is_save && j + 1 < argc && next_is_option {
                    opts.push_str("\"\"");
                    handled_last = true;
                } else if is_save && j + 1 == argc {
                    opts.push_str("\"\"");
                } else if is_sentinel && j + 1 < argc && next_is_option {
                    handled_last = true;
                }
            } else {
                handled_last = true;
            }
        } else {
            // A value: quoted, so spaces and quotes survive the line parser.
            opts.push_str(&repr(arg.as_bytes()));
            opts.push(' ');
            handled_last = true;
        }
        j += 1;
    }
    cl
}

/// The config text the command line options add after the config file
/// (the `options` of [`parse_command_line`]). `args` excludes the program
/// name. Currently never fails; Err is kept for options main() refuses.
pub fn args_to_config_text(args: &[String]) -> Result<String, String> {
    Ok(parse_command_line(args).options)
}

#[cfg(test)]
mod tests {
    use super::super::{LogLevel, MaxmemoryPolicy, SHUTDOWN_NOSAVE, SHUTDOWN_NOW};
    use super::*;

    fn split(s: &str) -> Option<Vec<String>> {
        split_args(s.as_bytes()).map(|v| v.iter().map(|a| lossy(a)).collect())
    }

    #[test]
    fn split_args_quoting_rules() {
        assert_eq!(split("set a b").unwrap(), ["set", "a", "b"]);
        assert_eq!(split("  a\t\tb  ").unwrap(), ["a", "b"]);
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(split("\"a b\" c").unwrap(), ["a b", "c"]);
        assert_eq!(
            split(r#""\n\r\t\b\a\\\"\x41\q""#).unwrap(),
            ["\n\r\t\x08\x07\\\"Aq"]
        );
        assert_eq!(split(r"'it\'s' 'a\nb'").unwrap(), ["it's", "a\\nb"]);
        assert_eq!(split("a\"b c\"").unwrap(), ["ab c"]);
        assert_eq!(split("\"\"").unwrap(), [""]);
        assert_eq!(split("''").unwrap(), [""]);
        // \x with bad hex digits is a plain escaped 'x'.
        assert_eq!(split(r#""\xZZ""#).unwrap(), ["xZZ"]);
        assert_eq!(split_args(br#""\xff""#).unwrap(), vec![vec![0xff]]);
        assert_eq!(split("\"abc"), None);
        assert_eq!(split("'abc"), None);
        assert_eq!(split("\"a\"b"), None);
        assert_eq!(split("'a'b"), None);
        assert_eq!(split("\"a\\"), None);
    }

    #[test]
    fn repr_round_trips() {
        let s = b"a b\"c\\\n\t\x01\xff";
        assert_eq!(repr(s), r#""a b\"c\\\n\t\x01\xff""#);
        assert_eq!(split_args(repr(s).as_bytes()).unwrap(), vec![s.to_vec()]);
        assert_eq!(repr(b""), "\"\"");
    }

    #[test]
    fn memory_units() {
        assert_eq!(memtoull(b"100"), Some(100));
        assert_eq!(memtoull(b"1b"), Some(1));
        assert_eq!(memtoull(b"1k"), Some(1000));
        assert_eq!(memtoull(b"1kb"), Some(1024));
        assert_eq!(memtoull(b"1KB"), Some(1024));
        assert_eq!(memtoull(b"2m"), Some(2_000_000));
        assert_eq!(memtoull(b"2Mb"), Some(2 << 20));
        assert_eq!(memtoull(b"3g"), Some(3_000_000_000));
        assert_eq!(memtoull(b"3gB"), Some(3 << 30));
        assert_eq!(memtoull(b"700mb"), Some(734003200));
        assert_eq!(memtoull(b""), Some(0));
        assert_eq!(memtoull(b"kb"), Some(0));
        assert_eq!(memtoull(b"99999999999999999999"), Some(u64::MAX));
        assert_eq!(memtoull(b"-1"), None);
        assert_eq!(memtoull(b"1.5gb"), None);
        assert_eq!(memtoull(b"1 kb"), None);
        assert_eq!(memtoull(b"1tb"), None);
    }

    #[test]
    fn strict_integers() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-5"), Some(-5));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            "",
            "+5",
            " 5",
            "5 ",
            "05",
            "-0",
            "-",
            "9223372036854775808",
            "1e3",
        ] {
            assert_eq!(string2ll(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn c_strtoll_edge_cases() {
        assert_eq!(c_strtoll(b" 12", 10), (12, true, false));
        assert_eq!(c_strtoll(b"+7", 10), (7, true, false));
        assert_eq!(c_strtoll(b"", 10), (0, true, false));
        assert_eq!(c_strtoll(b" ", 10), (0, false, false));
        assert_eq!(c_strtoll(b"12x", 10), (12, false, false));
        assert_eq!(
            c_strtoll(b"99999999999999999999", 10),
            (i64::MAX, true, true)
        );
        assert_eq!(
            c_strtoll(b"-99999999999999999999", 10),
            (i64::MIN, true, true)
        );
        assert_eq!(c_strtoll(b"777", 8), (0o777, true, false));
        assert_eq!(c_strtoll(b"8", 8), (0, false, false));
    }

    #[test]
    fn doubles() {
        assert_eq!(string2d(b"99.9"), Some(99.9));
        assert_eq!(string2d(b"1e2"), Some(100.0));
        assert_eq!(string2d(b" 1"), None);
        assert_eq!(string2d(b"nan"), None);
        assert_eq!(string2d(b"1e-400"), None);
        assert_eq!(string2d(b"1e400"), None);
        assert_eq!(string2d(b""), None);
    }

    #[test]
    fn glob_semantics() {
        let m = |p: &str, s: &str| glob_match(p.as_bytes(), s.as_bytes(), false);
        assert!(m("*", "anything"));
        // Redis 7.0's matcher never matches an empty string, even with "*".
        assert!(!m("*", ""));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("h[\\]]llo", "h]llo"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        // Unterminated classes, as in Redis: "[" matches nothing, "[^" anything.
        assert!(!m("ab[", "ab["));
        assert!(m("a[^", "ax"));
        assert!(!m("abc", "ABC"));
        assert!(glob_match(b"ABC", b"abc", true));
        assert!(glob_match(b"[A-C]x", b"bx", true));
        assert!(glob_match(b"*-MAX-*", b"hash-max-listpack-entries", true));
        // Pathological patterns finish quickly thanks to skip_longer.
        let long = "a".repeat(60);
        assert!(!m("a*a*a*a*a*a*a*a*a*a*b", &long));
    }

    #[test]
    fn loads_directives_and_reports_errors_like_redis() {
        let mut c = Config::default();
        c.load_from_str("# comment\n\n  port 7000  \r\nMAXMEMORY 1gb\nslaveof 10.0.0.1 6380\nsave 900 1\nsave 300 10\n")
            .unwrap();
        assert_eq!(c.port, 7000);
        assert_eq!(c.maxmemory, 1 << 30);
        assert_eq!(c.replicaof, Some(("10.0.0.1".to_string(), 6380)));
        assert_eq!(c.save, vec![(900, 1), (300, 10)]);

        let err = |text: &str| {
            Config::default()
                .load_from_str(text)
                .unwrap_err()
                .message()
                .to_string()
        };
        assert_eq!(
            err("# c\nport \"abc\"\n"),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port \"abc\"'\nargument couldn't be parsed into an integer\n"
        );
        assert!(err("port 1 2").ends_with(">>> 'port 1 2'\nwrong number of arguments\n"));
        assert!(err("foo bar").ends_with("Bad directive or wrong number of arguments\n"));
        assert!(err("save \"1 2").ends_with("Unbalanced quotes in configuration line\n"));
        assert!(err("maxmemory-clients 200%")
            .ends_with("percentage argument must be less or equal to 100\n"));
        assert!(err("appendonly maybe").ends_with("argument must be 'yes' or 'no'\n"));
        assert!(err("hz 1\nsentinel monitor x").contains("at line 2\n"));
        assert!(
            err("sentinel monitor x").ends_with("sentinel directive while not in sentinel mode\n")
        );
        assert!(err("user").ends_with("Bad directive or wrong number of arguments\n"));
        assert!(err("mod.cfg").ends_with("Module config specified without value\n"));
        assert!(err("replicaof 1.2.3.4 abc").ends_with("Invalid master port\n"));
        assert_eq!(
            err("cluster-enabled yes\nreplicaof 1.1.1.1 6379"),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nreplicaof directive not allowed in cluster mode\n"
        );
        assert_eq!(
            err("logfile /nonexistent-dir/x.log"),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: No such file or directory\n"
        );
    }

    #[test]
    fn load_special_forms() {
        let mut c = Config::default();
        c.load_from_str(
            "list-max-ziplist-entries 5\nlua-replicate-commands yes\nhz 100000\n\
             bind \"127.0.0.1 ::1\"\nunixsocketperm 700\nrename-command FLUSHDB \"\"\n\
             user alice on >pw ~*\nloadmodule /x.so a b\nmy.opt 1 2\nsentinel\n\
             shutdown-on-sigint \"nosave now\"\nmaxmemory-clients 5%\nsave \"\"\n",
        )
        .unwrap();
        assert_eq!(c.hz, 500);
        assert_eq!(c.bind, ["127.0.0.1", "::1"]);
        assert_eq!(c.unixsocketperm, 0o700);
        assert_eq!(
            c.rename_commands,
            vec![("FLUSHDB".to_string(), String::new())]
        );
        assert_eq!(c.users, vec![vec!["alice", "on", ">pw", "~*"]]);
        assert_eq!(
            c.loadmodules,
            vec![("/x.so".to_string(), vec!["a".into(), "b".into()])]
        );
        assert_eq!(
            c.module_configs,
            vec![("my.opt".to_string(), "1 2".to_string())]
        );
        assert_eq!(c.shutdown_on_sigint, SHUTDOWN_NOSAVE | SHUTDOWN_NOW);
        assert_eq!(c.maxmemory_clients, -5);
        assert!(c.save.is_empty());
        // Only the first `save` line of a file drops the defaults.
        let mut c = Config::default();
        c.load_from_str("save 1 1\nsave \"\"\nsave 2 2").unwrap();
        assert_eq!(c.save, vec![(2, 2)]);
    }

    #[test]
    fn hooks_fail_at_their_line() {
        struct Deny;
        impl LoadHooks for Deny {
            fn rename_command(&mut self, _: &str, _: &str) -> Result<(), String> {
                Err("No such command in rename-command".into())
            }
            fn user(&mut self, _: &[String]) -> Result<(), (usize, String)> {
                Err((2, "Syntax error".into()))
            }
        }
        let mut c = Config::default();
        let e = c
            .load_from_str_with("hz 5\nrename-command FOOBAR x", &mut Deny)
            .unwrap_err();
        assert!(e.message().ends_with(
            "at line 2\n>>> 'rename-command FOOBAR x'\nNo such command in rename-command\n"
        ));
        let e = c.load_from_str_with("user bob bad", &mut Deny).unwrap_err();
        assert!(e
            .message()
            .ends_with("Error in user declaration 'bad': Syntax error\n"));
    }

    #[test]
    fn validate_renames_replays_the_table() {
        let mut c = Config::default();
        c.load_from_str(
            "rename-command flushdb badger\nrename-command badger \"\"\nrename-command get set",
        )
        .unwrap();
        let exists = |n: &str| matches!(n, "flushdb" | "get" | "set");
        let e = c.validate_renames(&exists).unwrap_err();
        assert!(e.message().contains("at line 3\n"));
        assert!(e
            .message()
            .ends_with("Target command name already exists\n"));
        let mut c = Config::default();
        c.load_from_str("rename-command nope x").unwrap();
        assert!(c
            .validate_renames(&exists)
            .unwrap_err()
            .message()
            .ends_with("No such command in rename-command\n"));
    }

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ferrodis-cfg-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn include_files_and_globs() {
        let d = tmpdir("include");
        fs::write(d.join("a.conf"), "hz 20\n").unwrap();
        fs::create_dir_all(d.join("conf.d")).unwrap();
        fs::write(d.join("conf.d/1.conf"), "port 1111\n").unwrap();
        fs::write(d.join("conf.d/2.conf"), "port 2222\nbad directive\n").unwrap();
        let mut c = Config::default();
        c.load_from_str(&format!(
            "include {}\ninclude {}/empty.d/*.conf",
            d.join("a.conf").display(),
            d.display()
        ))
        .unwrap();
        assert_eq!(c.hz, 20);
        // Errors inside an included file point at that file's line.
        let e = c
            .load_from_str(&format!("include {}/conf.d/*.conf", d.display()))
            .unwrap_err();
        assert!(
            e.message().contains("at line 3\n>>> 'bad directive'"),
            "{}",
            e.message()
        );
        let e = c
            .load_from_str(&format!("include {}/missing.conf", d.display()))
            .unwrap_err();
        assert_eq!(
            e,
            ConfigError::Log(format!(
                "Fatal error, can't open config file '{}/missing.conf': No such file or directory",
                d.display()
            ))
        );
        // An include loop stops instead of recursing forever.
        fs::write(
            d.join("loop.conf"),
            format!("include {}/loop.conf\n", d.display()),
        )
        .unwrap();
        let e = c
            .load_from_str(&format!("include {}/loop.conf", d.display()))
            .unwrap_err();
        assert!(e.message().ends_with("include nesting too deep\n"));
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn load_server_config_appends_options_after_a_newline() {
        let d = tmpdir("server-config");
        let file = d.join("r.conf");
        fs::write(&file, "port 7000").unwrap();
        let args: Vec<String> = ["--port", "7102", "--foo", "bar"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let cl = parse_command_line(&args);
        let e = Config::default()
            .load_server_config(
                Some(file.to_str().unwrap()),
                false,
                Some(&cl.options),
                &mut NoHooks,
            )
            .unwrap_err();
        // line 1 is the file, line 2 `port 7102`, line 3 the bad option.
        assert!(
            e.message().contains("at line 3\n>>> 'foo \"bar\"'\n"),
            "{}",
            e.message()
        );
        let mut c = Config::default();
        c.load_server_config(None, false, Some("port 7103 "), &mut NoHooks)
            .unwrap();
        assert_eq!(c.port, 7103);
        let _ = fs::remove_dir_all(&d);
    }

    fn cmdline(args: &[&str]) -> CommandLine {
        parse_command_line(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    /// Loads the options as main() would after a config file (Redis' tests
    /// start servers with `default.conf` first; its content does not matter here).
    fn load_args(args: &[&str]) -> Result<Config, String> {
        let mut c = Config::default();
        let mut full = vec!["default.conf"];
        full.extend_from_slice(args);
        let text = cmdline(&full).options;
        c.load_from_str(&format!("\n{text}"))
            .map_err(|e| e.message().to_string())?;
        Ok(c)
    }

    #[test]
    fn command_line_text() {
        let cl = cmdline(&[
            "/etc/redis.conf",
            "--port",
            "6380",
            "--save",
            "",
            "--bind",
            "a b",
        ]);
        assert_eq!(cl.config_file.as_deref(), Some("/etc/redis.conf"));
        assert!(!cl.config_from_stdin);
        assert_eq!(cl.options, "port \"6380\" \nsave \"\" \nbind \"a b\" ");
        assert_eq!(cmdline(&["--maxmemory 700mb"]).options, "maxmemory 700mb ");
        assert_eq!(
            cmdline(&["--save", "--loglevel", "verbose"]).options,
            "save \"\"\nloglevel \"verbose\" "
        );
        assert_eq!(
            cmdline(&["--loglevel", "verbose", "--save"]).options,
            "loglevel \"verbose\" \nsave \"\""
        );
        assert_eq!(
            cmdline(&["--port", "--loglevel", "verbose"]).options,
            "port \"--loglevel\" \"verbose\" "
        );
        assert!(cmdline(&["-"]).config_from_stdin);
        assert!(cmdline(&["r.conf", "--port", "1", "-"]).config_from_stdin);
        let mid = cmdline(&["r.conf", "-", "--port", "1"]);
        assert!(!mid.config_from_stdin);
        assert_eq!(mid.options, "\"-\" \nport \"1\" ");
        assert_eq!(
            args_to_config_text(&["--sentinel".to_string()]).unwrap(),
            "sentinel "
        );
    }

    #[test]
    fn command_line_cases_from_redis_tests() {
        let c = load_args(&["--maxmemory 700mb", "--maxmemory-policy volatile-lru"]).unwrap();
        assert_eq!(c.maxmemory, 734003200);
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::VolatileLru);
        let c = load_args(&[
            "loglevel",
            "verbose",
            "--maxmemory '700mb'",
            "--maxmemory-policy 'volatile-lru'",
        ])
        .unwrap();
        assert_eq!(c.loglevel, LogLevel::Verbose);
        assert_eq!(c.maxmemory, 734003200);
        let c = load_args(&[
            "--proc-title-template",
            "--my--title--template",
            "--loglevel",
            "verbose",
        ])
        .unwrap();
        assert_eq!(c.proc_title_template, "--my--title--template");
        assert_eq!(c.loglevel, LogLevel::Verbose);
        for args in [
            &["--save", "--loglevel", "verbose"][..],
            &["--loglevel", "verbose", "--save"],
            &["--save", "", "--loglevel", "verbose"],
            &["--loglevel", "verbose", "--save", ""],
        ] {
            let c = load_args(args).unwrap();
            assert!(c.save.is_empty(), "{args:?}");
            assert_eq!(c.loglevel, LogLevel::Verbose);
        }
        let c = load_args(&[
            "--proc-title-template",
            "--save",
            "--save",
            "",
            "--loglevel",
            "verbose",
        ])
        .unwrap();
        assert_eq!(c.proc_title_template, "--save");
        assert!(c.save.is_empty());
        let c = load_args(&[
            "--shutdown-on-sigint",
            "nosave",
            "force",
            "now",
            "--shutdown-on-sigterm",
            "nosave force",
        ])
        .unwrap();
        assert_eq!(c.get_one("shutdown-on-sigint").unwrap(), "nosave now force");
        assert_eq!(c.get_one("shutdown-on-sigterm").unwrap(), "nosave force");
        let c = load_args(&["--save", "900 1 300 10"]).unwrap();
        assert_eq!(c.save, vec![(900, 1), (300, 10)]);
    }

    #[test]
    fn command_line_errors_from_redis_tests() {
        let e = |args: &[&str]| load_args(args).unwrap_err();
        assert!(e(&["--port"]).contains(">>> 'port'\nwrong number of arguments"));
        assert!(e(&["--port", "6380", "--loglevel"])
            .contains(">>> 'loglevel'\nwrong number of arguments"));
        assert!(e(&["--port", "6379", "6380"])
            .contains(">>> 'port \"6379\" \"6380\"'\nwrong number of arguments"));
        assert!(e(&["--port", "--loglevel", "verbose"])
            .contains(">>> 'port \"--loglevel\" \"verbose\"'\nwrong number of arguments"));
        assert!(e(&["--port", "--bla", "--loglevel", "verbose"])
            .contains(">>> 'port \"--bla\"'\nargument couldn't be parsed into an integer"));
        assert!(e(&["--logfile", "--my--log--file", "--loglevel", "--bla"])
            .contains(">>> 'loglevel \"--bla\"'\nargument(s) must be one of the following"));
        assert!(e(&["--shutdown-on-sigint"])
            .contains(">>> 'shutdown-on-sigint'\nargument(s) must be one of the following"));
        assert!(
            e(&["--shutdown-on-sigint", "now force", "--shutdown-on-sigterm"])
                .contains(">>> 'shutdown-on-sigterm'\nargument(s) must be one of the following")
        );
        assert!(e(&["--replicaof", "127.0.0.1", "abc"])
            .contains(">>> 'replicaof \"127.0.0.1\" \"abc\"'\nInvalid master port"));
        assert!(e(&["--replicaof", "--127.0.0.1", "abc"])
            .contains(">>> 'replicaof \"--127.0.0.1\" \"abc\"'\nInvalid master port"));
        assert!(e(&["--replicaof", "--127.0.0.1", "--abc"])
            .contains(">>> 'replicaof \"--127.0.0.1\"'\nwrong number of arguments"));
    }
}
