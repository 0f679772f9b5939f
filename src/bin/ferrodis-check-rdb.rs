//! `ferrodis-check-rdb <rdb-file>`: reports whether an RDB file is sane,
//! as redis-check-rdb does. The logic lives in `persistence::check_rdb`.

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    std::process::exit(ferrodis::persistence::check_rdb::main(&args));
}
