//! `ferrodis-check-aof [--fix|--truncate-to-timestamp $timestamp] <file>`:
//! checks and repairs an AOF (a manifest, an RDB-preamble AOF or a plain
//! one), as redis-check-aof does. The logic lives in `persistence::check_aof`.

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    std::process::exit(ferrodis::persistence::check_aof::main(&args));
}
