//! `make bench --quick` end to end: bench/compare.sh starts the built
//! ferrodis-server and Debian's redis-server side by side, runs the real
//! redis-benchmark against both, and writes its report files. Performance
//! itself is not asserted (machines are noisy); the test checks that the
//! tool works and that what it writes holds real measurements.

use std::path::Path;
use std::process::Command;

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn quick_bench_writes_its_report_files() {
    if !have("redis-benchmark") || !have("redis-server") {
        eprintln!("skipped: redis-benchmark / redis-server missing (make test installs them)");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("bash")
        .arg(format!("{root}/bench/compare.sh"))
        .args(["--quick", "-t", "get,set", "-P", "1 16", "-d", "3"])
        .env("FERRODIS", env!("CARGO_BIN_EXE_ferrodis-server"))
        .output()
        .expect("run bench/compare.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "bench/compare.sh failed:\n{text}");

    // "results: bench/results/<stamp>.{csv,txt}, raw: <stamp>-raw.csv"
    let stamp = text
        .lines()
        .find_map(|l| l.split("results: bench/results/").nth(1))
        .and_then(|rest| rest.split(".{").next())
        .unwrap_or_else(|| panic!("no results line in:\n{text}"))
        .to_string();
    let results = Path::new(root).join("bench/results");
    for suffix in [".csv", "-raw.csv", ".txt", ".png"] {
        let f = results.join(format!("{stamp}{suffix}"));
        let len = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{} missing or empty\n{text}", f.display());
    }

    // One summary row per test and pipeline, each with two positive
    // medians, their ratio and both servers' p50/p99 latencies.
    let csv = std::fs::read_to_string(results.join(format!("{stamp}.csv"))).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
    };
    let (test, pipe, ratio) = (col("test"), col("pipeline"), col("ratio"));
    let latencies = [
        col("ferrodis_p50_ms"),
        col("redis_p50_ms"),
        col("ferrodis_p99_ms"),
        col("redis_p99_ms"),
    ];
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    for t in ["SET", "GET"] {
        for p in ["1", "16"] {
            let row = rows
                .iter()
                .find(|r| r[test].eq_ignore_ascii_case(t) && r[pipe] == p)
                .unwrap_or_else(|| panic!("no row for {t} -P {p} in:\n{csv}"));
            let r: f64 = row[ratio].parse().unwrap_or(0.0);
            assert!(r > 0.0, "no ratio for {t} -P {p}: {row:?}");
            for c in latencies {
                let ms: f64 = row[c].parse().unwrap_or(-1.0);
                assert!(ms >= 0.0, "no {} for {t} -P {p}: {row:?}", header[c]);
            }
        }
    }
}
