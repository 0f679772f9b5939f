#!/usr/bin/env bash
# bench/cpu.sh: where the time goes at a given pipeline depth: CPU seconds
# each server spends per request, and how busy the server and the load
# generator are, ferrodis against Debian's redis-server in the same run.
#
#   bench/cpu.sh [options]          (or: make bench-cpu)
#
# For each round, test and server (the two alternate), the server starts
# fresh on SERVER_CPU with persistence off, redis-benchmark runs on
# BENCH_CPU (-c 50, -d 3, -P the pipeline), and the script reads the
# server's utime + stime from /proc/PID/stat before and after, and the
# client's from /usr/bin/time. Reported per test and server (medians over
# the rounds):
#   ops/s         what redis-benchmark saw
#   srv_us/req    server CPU microseconds per request (user + system)
#   srv_user      of which in user space (the rest is the kernel's socket,
#                 TCP and epoll work, the same system calls for both)
#   srv_busy      server CPU time / wall time of the run (1.00 = its core is
#                 saturated)
#   cli_busy      the same for redis-benchmark; cli_sys = its system share
# When cli_busy is ~1.00 and srv_busy is below it, the load generator is the
# bottleneck: both servers then show the same ops/s, and srv_us/req is the
# figure that tells them apart.
#
# Options (environment):
#   BENCH_CPU_TESTS   comma-separated redis-benchmark -t tests [get,set]; an
#                     entry with spaces is a command run as redis-benchmark
#                     -r 100000000 CMD ARGS (e.g. "PFADD pf e:__rand_int__")
#   BENCH_PIPELINE    -P [1]
#   BENCH_N           requests per run [500000]
#   BENCH_ROUNDS      rounds [3]
#   FERRODIS          server binary [target/release/ferrodis-server, built
#                     with cargo build --release when unset]
#   REDIS             reference server [redis-server on PATH]
#   SERVER_CPU / BENCH_CPU   CPUs for the server / redis-benchmark [0 / 1]
# Output: a table on stdout and bench/results/cpu-<timestamp>.{txt,csv}.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TESTS=${BENCH_CPU_TESTS:-get,set}
PIPE=${BENCH_PIPELINE:-1}
N=${BENCH_N:-500000}
ROUNDS=${BENCH_ROUNDS:-3}
SCPU=${SERVER_CPU:-0}
CCPU=${BENCH_CPU:-1}
REDIS=${REDIS:-$(command -v redis-server || true)}
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,30p' "$0"; exit 0; }

die() { echo "cpu: $*" >&2; exit 1; }
for tool in redis-benchmark redis-cli taskset /usr/bin/time; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install redis-tools time)"
done
[[ -x $REDIS ]] || die "redis-server not found (apt-get install redis-server)"
if [[ -z ${FERRODIS:-} ]]; then
    (cd "$ROOT" && cargo build --release -q) || die "cargo build failed"
    FERRODIS=$ROOT/target/release/ferrodis-server
fi
[[ -x $FERRODIS ]] || die "not executable: $FERRODIS"
declare -A BIN=([ferrodis]=$FERRODIS [redis]=$REDIS)

TICK=$(getconf CLK_TCK)
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

# Below the kernel's ephemeral range (32768 up), which the benchmark's own
# connections use.
free_port() {
    local p
    for p in $(shuf -i 10000-32000 -n 50); do
        if ! (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null; then echo "$p"; return; fi
    done
    die "no free port"
}

# "user system" ticks of process $1
ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }

# One measurement: server $1, test $2; appends a CSV line.
measure() {
    local name=$1 test=$2 port pid out u0 s0 u1 s1 ops cu cs ce try
    for try in 1 2 3; do
        port=$(free_port)
        taskset -c "$SCPU" "${BIN[$name]}" --port "$port" --save '' --appendonly no \
            >"$WORK/server.log" 2>&1 &
        pid=$!
        for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
        ((try < 3)) || die "$name did not start: $(tail -n 3 "$WORK/server.log")"
    done
    read -r u0 s0 < <(ticks "$pid")
    local what=(-t "$test") words
    if [[ $test == *" "* ]]; then
        read -r -a words <<<"$test"
        what=(-r 100000000 "${words[@]}")
    fi
    out=$(/usr/bin/time -f "%U %S %e" -o "$WORK/time" taskset -c "$CCPU" \
        redis-benchmark -p "$port" -n "$N" -c 50 -P "$PIPE" -d 3 -q "${what[@]}" 2>/dev/null |
        tr '\r' '\n' | grep -E 'requests per second' | tail -n 1)
    read -r u1 s1 < <(ticks "$pid")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    ops=$(sed -E 's/.*: ([0-9.]+) requests per second.*/\1/' <<<"$out")
    [[ $ops =~ ^[0-9.]+$ ]] || die "$name $test: no result from redis-benchmark ($out)"
    read -r cu cs ce <"$WORK/time"
    awk -v n="$name" -v t="${test%% *}" -v ops="$ops" -v su=$((u1 - u0)) -v ss=$((s1 - s0)) \
        -v tick="$TICK" -v req="$N" -v cu="$cu" -v cs="$cs" -v ce="$ce" 'BEGIN {
            wall = req / ops; srv = (su + ss) / tick
            printf "%s,%s,%.0f,%.2f,%.2f,%.2f,%.2f,%.2f\n", n, t, ops, srv * 1e6 / req,
                su / tick * 1e6 / req, srv / wall, (cu + cs) / ce, cs / ce }' >>"$WORK/raw.csv"
}

echo "name,test,ops,srv_us_per_req,srv_user_us_per_req,srv_busy,cli_busy,cli_sys" >"$WORK/raw.csv"
IFS=, read -r -a TLIST <<<"$TESTS"
for r in $(seq "$ROUNDS"); do
    for t in "${TLIST[@]}"; do
        # Alternate which server goes first, round by round.
        if ((r % 2)); then order="ferrodis redis"; else order="redis ferrodis"; fi
        for s in $order; do measure "$s" "$t"; done
    done
    echo "cpu: round $r of $ROUNDS done" >&2
done

STAMP=$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$ROOT/bench/results"
report=$ROOT/bench/results/cpu-$STAMP.txt
{
    echo "# bench/cpu.sh $(date -u '+%F %T') UTC, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "# -P $PIPE -c 50 -d 3 -n $N, $ROUNDS rounds; server on CPU $SCPU, redis-benchmark on CPU $CCPU; medians"
    echo "# $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    printf "%-10s %-9s %10s %11s %9s %9s %9s %8s\n" test server ops/s srv_us/req srv_user srv_busy cli_busy cli_sys
    for t in "${TLIST[@]}"; do
        t=${t%% *}
        for s in ferrodis redis; do
            awk -F, -v s="$s" -v t="$t" '
                function median(a, k,    i, j, x) {
                    for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
                    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
                $1 == s && $2 == t { k++; o[k] = $3; u[k] = $4; v[k] = $5; b[k] = $6; c[k] = $7; y[k] = $8 }
                END { printf "%-10s %-9s %10.0f %11.2f %9.2f %9.2f %9.2f %8.2f\n", t, s, median(o, k),
                      median(u, k), median(v, k), median(b, k), median(c, k), median(y, k) }' "$WORK/raw.csv"
        done
    done
} | tee "$report"
cp "$WORK/raw.csv" "$ROOT/bench/results/cpu-$STAMP.csv"
echo "cpu: results: bench/results/cpu-$STAMP.{txt,csv}" >&2
