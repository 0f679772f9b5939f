#!/usr/bin/env bash
# bench/replication.sh: replication, ferrodis against Debian's redis-server
# on the same machine, in the same run (the replication issue's benchmark).
#
#   bench/replication.sh [options]          (or: make bench-replication)
#
# Two measurements, each for both implementations. A setup is always all of
# one kind: a ferrodis master with ferrodis replicas, or a redis-server
# master with redis-server replicas.
#
# 1. Master throughput with 0, 1 and 2 replicas attached. A master and R
#    replicas (--replicaof) are started; once every replica reports
#    master_link_status:up, redis-benchmark -t set -P 16 -c 50 -n N -d 3
#    --csv runs against the master. Afterwards the script waits until every
#    replica has caught up (master_repl_offset the same on master and
#    replicas) and checks that DEBUG DIGEST is the same on all of them; it
#    stops (exit 1) if not. Then the setup is torn down.
# 2. Full sync time. A master is filled with K keys (--sync-keys): 10%
#    small hashes and 10% small zsets fed by redis-cli --pipe (the same bytes
#    for both), the rest strings by DEBUG POPULATE. An empty replica is
#    started; the clock runs from the REPLICAOF (sent with redis-cli) until
#    the replica reports master_link_status:up and the master's DBSIZE
#    (polled every 10 ms), and DEBUG DIGEST must then match the master's.
#    Done once with disk sync (repl-diskless-sync no) and once diskless
#    (repl-diskless-sync yes, repl-diskless-sync-delay 0), set by CONFIG SET
#    on the master; the master keeps its data between the two.
#
# There are only 2 CPUs: the master is pinned to CPU $SERVER_CPU and
# redis-benchmark and redis-cli to CPU $BENCH_CPU; the replicas may run on
# either ($REPLICA_CPUS), so they compete with master and client, the same
# for both implementations, and the fork child of a disk sync shares the
# master's CPU. Every server gets the same arguments (--save ''
# --appendonly no --enable-debug-command yes, plus --replicaof for a
# replica of the throughput runs, and its own --dir and --port). Before
# measuring, the script starts one master of each kind and refuses to go on
# (exit 3) unless arguments, CPU affinity and the replication settings they
# report through CONFIG GET match. Order flips every round.
#
# Options (each has an environment variable; an option wins over it):
#   -n, --requests N    BENCH_N            SET requests per throughput run
#                                          [1000000]
#   -k, --sync-keys K   BENCH_SYNC_KEYS    keys for the full sync [2000000]
#   -r, --rounds N      BENCH_ROUNDS       rounds [3]
#   --replicas "0 1 2"  BENCH_REPLICAS     replica counts to measure
#   --quick             defaults become -n 100000, -k 100000 and 1 round
#   -h, --help          this text
# More environment (defaults in brackets):
#   BENCH_REPL_TIMEOUT  seconds a load, sync or catch-up may take [600]
#   FERRODIS   server binary to test [target/release/ferrodis-server, built
#              with cargo build --release]; when set, nothing is built
#   REDIS      reference server [redis-server on PATH]
#   SERVER_CPU / BENCH_CPU   CPUs for masters / clients [0 / 1]
#   REPLICA_CPUS             CPUs the replicas may use [SERVER_CPU,BENCH_CPU]
#
# Output: a table on stdout with, per metric, the median over the rounds for
# each implementation, the ratio ferrodis / redis of those medians and
# whether the issue's target is met (throughput ratio >= 1, sync time ratio
# <= 1); in bench/results/: replication-<timestamp>.csv (that table),
# -raw.csv (every run) and .txt (the report).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT SELF=replication

die() { echo "$SELF: error: $*" >&2; exit 1; }
note() { echo "$SELF: $*" >&2; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

# ------------------------------------------------------------ settings
QUICK=0
while (($#)); do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --quick) QUICK=1 ;;
        -n | --requests | -k | --sync-keys | -r | --rounds | --replicas)
            (($# >= 2)) || { echo "$SELF: $1 needs a value" >&2; exit 2; }
            case $1 in
                -n | --requests) BENCH_N=$2 ;;
                -k | --sync-keys) BENCH_SYNC_KEYS=$2 ;;
                -r | --rounds) BENCH_ROUNDS=$2 ;;
                --replicas) BENCH_REPLICAS=$2 ;;
            esac
            shift ;;
        *) echo "usage: $0 [options]   ($0 --help for the options)" >&2; exit 2 ;;
    esac
    shift
done

if ((QUICK)); then q_n=100000 q_keys=100000 q_rounds=1; else q_n=1000000 q_keys=2000000 q_rounds=3; fi
N=${BENCH_N:-$q_n}
SYNC_KEYS=${BENCH_SYNC_KEYS:-$q_keys}
ROUNDS=${BENCH_ROUNDS:-$q_rounds}
REPLICAS=${BENCH_REPLICAS:-0 1 2}
TMO=${BENCH_REPL_TIMEOUT:-600}
SERVER_CPU=${SERVER_CPU:-0}
BENCH_CPU=${BENCH_CPU:-1}
REPLICA_CPUS=${REPLICA_CPUS:-$SERVER_CPU,$BENCH_CPU}

posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "$SELF: $1 must be a positive integer (got '$2')" >&2; exit 2; }; }
posint BENCH_N "$N"; posint BENCH_SYNC_KEYS "$SYNC_KEYS"; posint BENCH_ROUNDS "$ROUNDS"
posint BENCH_REPL_TIMEOUT "$TMO"
for r in $REPLICAS; do
    [[ $r =~ ^[0-9]$ ]] || { echo "$SELF: BENCH_REPLICAS takes counts 0-9 (got '$r')" >&2; exit 2; }
done
[[ -n ${REPLICAS// /} ]] || { echo "$SELF: BENCH_REPLICAS is empty" >&2; exit 2; }
((SYNC_KEYS >= 100)) || { echo "$SELF: BENCH_SYNC_KEYS must be at least 100 (got $SYNC_KEYS)" >&2; exit 2; }

for t in redis-cli redis-benchmark; do
    command -v "$t" >/dev/null || die "$t missing: run tests/install-deps.sh"
done

# ------------------------------------------------------------ binaries
REDIS=${REDIS:-$(command -v redis-server || true)}
[[ -n $REDIS && -x $REDIS ]] || die "no redis-server (run tests/install-deps.sh or set REDIS)"
if [[ -z ${FERRODIS:-} ]]; then
    note "building: cargo build --release"
    (cd "$ROOT" && cargo build --release --quiet) || die "cargo build failed"
    FERRODIS=$ROOT/target/release/ferrodis-server
fi
[[ -x $FERRODIS ]] || die "not executable: $FERRODIS"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferrodis-repl.XXXXXX")

# The same arguments for every server of both kinds; each also gets its own
# --dir and --port, and a throughput replica --replicaof. DEBUG DIGEST and
# DEBUG POPULATE need the DEBUG command, which 7.0 refuses by default.
COMMON_ARGS=(--save '' --appendonly no --enable-debug-command yes)

# Pin only where there are two CPUs to keep master and client apart.
PIN_MASTER=() PIN_REPLICA=() PIN_BENCH=()
if command -v taskset >/dev/null && (($(nproc) >= 2)); then
    PIN_MASTER=(taskset -c "$SERVER_CPU") PIN_REPLICA=(taskset -c "$REPLICA_CPUS") PIN_BENCH=(taskset -c "$BENCH_CPU")
else
    note "fewer than 2 CPUs or no taskset: running unpinned (numbers are noisier)"
fi

# Instances are named <kind>-<role>: ferrodis-m, redis-r1, ...
declare -A PID=() PORT=() LAUNCH=()
NAMES=(ferrodis redis)
declare -A BIN=([ferrodis]=$FERRODIS [redis]=$REDIS)

# ------------------------------------------------------------ servers
cleanup() {
    local n
    for n in "${!PID[@]}"; do kill -TERM "${PID[$n]}" 2>/dev/null || true; done
    sleep 0.2
    for n in "${!PID[@]}"; do kill -KILL "${PID[$n]}" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nothing listens on (a refused connect means free).
free_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((12000 + RANDOM % 8000))   # clear of the suite (21111+) and ephemeral ports
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    die "no free port found"
}

cli() { "${PIN_BENCH[@]}" redis-cli -h 127.0.0.1 -p "${PORT[$1]}" "${@:2}"; }
one_line() { tr -d '\r"' | tr '\n,' '; ' | sed -e 's/; *$//' | cut -c1-160; }

# Field $2 of INFO replication of instance $1 ("" if it does not answer).
repl_field() { cli "$1" info replication 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }

# Start instance $1 (kind-role) on an empty directory, as a replica of
# instance $2 if given, and wait until it answers PING.
start_server() {
    local inst=$1 master=${2:-} kind=${1%%-*} i pin extra=()
    if [[ $inst == *-m ]]; then pin=("${PIN_MASTER[@]}"); else pin=("${PIN_REPLICA[@]}"); fi
    [[ -z $master ]] || extra=(--replicaof 127.0.0.1 "${PORT[$master]}")
    rm -rf "${WORK:?}/$inst"
    mkdir -p "$WORK/$inst"
    PORT[$inst]=$(free_port)
    # taskset execs the server, so $! is the server's own pid.
    (cd "$WORK/$inst" && exec "${pin[@]}" "${BIN[$kind]}" "${COMMON_ARGS[@]}" "${extra[@]}" \
        --dir "$WORK/$inst" --port "${PORT[$inst]}") >>"$WORK/$inst.log" 2>&1 </dev/null &
    PID[$inst]=$!
    # What it was given, dir and ports aside. (/proc/PID/cmdline is no
    # witness: Redis overwrites it with its process title.)
    LAUNCH[$inst]="pin:${pin[*]:-none} args:$(printf ' %q' "${COMMON_ARGS[@]}")${master:+ --replicaof <master>} --dir <own> --port <port>"
    for ((i = 0; i < 100; i++)); do
        [[ $(cli "$inst" ping 2>/dev/null) == PONG ]] && return 0
        kill -0 "${PID[$inst]}" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$WORK/$inst.log" >&2 || true
    die "$inst (${BIN[$kind]}) did not start on port ${PORT[$inst]}"
}

# SIGTERM: with --save '' no server saves on the way out.
stop_server() {
    local inst=$1 i
    kill -TERM "${PID[$inst]}" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do kill -0 "${PID[$inst]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${PID[$inst]}" 2>/dev/null || true
    wait "${PID[$inst]}" 2>/dev/null || true
    unset "PID[$inst]"
}

stop_all() {
    local inst
    for inst in "${!PID[@]}"; do stop_server "$inst"; done
}

affinity() { awk '/^Cpus_allowed_list/ { print $2 }' "/proc/${PID[$1]}/status"; }

# Settings that change how a master feeds its replicas or how a replica
# loads; compared where both servers answer CONFIG GET.
CHECK_CONFIGS=(save appendonly repl-diskless-sync repl-diskless-sync-delay
    repl-diskless-sync-max-replicas repl-diskless-load repl-backlog-size repl-backlog-ttl
    repl-ping-replica-period repl-timeout repl-disable-tcp-nodelay client-output-buffer-limit
    rdbcompression rdbchecksum hz dynamic-hz maxmemory databases min-replicas-to-write
    replica-serve-stale-data replica-read-only replica-lazy-flush io-threads)

# Refuse (exit 3) unless instances $1 and $2 run with the same arguments,
# CPU affinity and settings.
verify_same_conditions() {
    local a=$1 b=$2 k va vb bad=0 unverified=()
    if [[ ${LAUNCH[$a]} != "${LAUNCH[$b]}" ]]; then
        note "REFUSED: started differently: $a: ${LAUNCH[$a]}; $b: ${LAUNCH[$b]}"
        bad=1
    fi
    if [[ $(affinity "$a") != "$(affinity "$b")" ]]; then
        note "REFUSED: CPU affinity differs: $a $(affinity "$a"), $b $(affinity "$b")"
        bad=1
    fi
    for k in "${CHECK_CONFIGS[@]}"; do
        va=$(cli "$a" config get "$k" 2>/dev/null | sed -n 2p) || va=""
        vb=$(cli "$b" config get "$k" 2>/dev/null | sed -n 2p) || vb=""
        if [[ -z $va || -z $vb ]]; then
            # An empty answer is a legal value for "save"; otherwise unknown.
            [[ $k == save && -z $va && -z $vb ]] || unverified+=("$k")
        elif [[ $va != "$vb" ]]; then
            note "REFUSED: $k is '$va' on $a but '$vb' on $b"
            bad=1
        fi
    done
    ((${#unverified[@]} == 0)) || note "could not compare (no CONFIG GET answer): ${unverified[*]}"
    ((bad == 0)) || exit 3
}

# Stop (exit 1) unless instance $1 runs on the CPUs its role is pinned to.
check_affinity() {
    local want
    if [[ $1 == *-m ]]; then want=$AFF_MASTER; else want=$AFF_REPLICA; fi
    [[ $(affinity "$1") == "$want" ]] || die "$1: CPU affinity $(affinity "$1"), expected $want"
}

# Wait until replica $1 reports master_link_status:up; $2 names the step.
wait_link_up() {
    local inst=$1 deadline=$((SECONDS + TMO))
    until [[ $(repl_field "$inst" master_link_status) == up ]]; do
        ((SECONDS < deadline)) || die "$inst: master link not up after ${TMO}s ($2)"
        kill -0 "${PID[$inst]}" 2>/dev/null || die "$inst exited ($2); see its log"
        sleep 0.02
    done
}

# Wait until every replica in $2.. has master $1's master_repl_offset, then
# check DEBUG DIGEST; stop (exit 1) on a timeout or a different digest.
check_caught_up() {
    local m=$1 r mo ro want got deadline=$((SECONDS + TMO))
    shift
    for r in "$@"; do
        while :; do
            mo=$(repl_field "$m" master_repl_offset)
            ro=$(repl_field "$r" master_repl_offset)
            [[ -n $mo && $mo == "$ro" ]] && break
            ((SECONDS < deadline)) || die "$r did not catch up with $m in ${TMO}s (offsets $ro / $mo)"
            sleep 0.02
        done
    done
    want=$(cli "$m" debug digest 2>&1)
    [[ $want =~ ^[0-9a-f]{40}$ ]] || die "$m: DEBUG DIGEST answered '$(one_line <<<"$want")'"
    for r in "$@"; do
        got=$(cli "$r" debug digest 2>&1)
        [[ $got == "$want" ]] || die "$r: DEBUG DIGEST '$(one_line <<<"$got")' differs from $m's '$want'"
    done
}

versions() {
    local n
    for n in "${NAMES[@]}"; do
        printf '#   %-8s %s (%s)\n' "$n" "${BIN[$n]}" "$("${BIN[$n]}" --version 2>/dev/null | head -n 1 || echo '?')"
    done
}

header() {
    echo "# ferrodis vs redis, replication, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "# commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
    versions
    echo "#   server args:$(printf ' %q' "${COMMON_ARGS[@]}") [--replicaof <master>] --dir <own> --port <free port>"
    echo "#   pinned: master ${PIN_MASTER[*]:-no}, replicas ${PIN_REPLICA[*]:-no}, redis-benchmark/redis-cli ${PIN_BENCH[*]:-no}"
    echo "#   (only $(nproc) CPUs: replicas share them with the master and the client, the same for both)"
    echo "#   $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

RESULTS=$ROOT/bench/results
STAMP=$(date '+%Y%m%d-%H%M%S')

# ------------------------------------------------------------ throughput
# One throughput run: kind $1, $2 replicas, round $3; appends to raw CSV $4.
throughput_one() {
    local kind=$1 nrep=$2 round=$3 raw=$4 m=$1-m reps=() i out rc=0 rps complaint
    local limit=$((60 + N / 1000)) err=$WORK/bench.err
    start_server "$m"
    check_affinity "$m"
    for ((i = 1; i <= nrep; i++)); do
        start_server "$kind-r$i" "$m"
        check_affinity "$kind-r$i"
        reps+=("$kind-r$i")
    done
    for i in "${reps[@]}"; do wait_link_up "$i" "initial sync"; done
    out=$(timeout "$limit" "${PIN_BENCH[@]}" redis-benchmark -h 127.0.0.1 -p "${PORT[$m]}" \
        -q --csv -t set -P 16 -c 50 -n "$N" -d 3 2>"$err" </dev/null) || rc=$?
    complaint=$(grep -v -e '^WARNING: Could not fetch server CONFIG' -e '^$' "$err" | head -n 3 | one_line) || true
    ((rc != 124)) || die "$kind, $nrep replicas: redis-benchmark timed out after ${limit}s"
    ((rc == 0)) || die "$kind, $nrep replicas: redis-benchmark exit $rc${complaint:+: $complaint}"
    [[ -z $complaint ]] || die "$kind, $nrep replicas: redis-benchmark: $complaint"
    rps=$(awk -F'","' 'END { if (NR > 1 && $2 ~ /^[0-9.]+$/) print $2; else print "n/a" }' <<<"$out")
    [[ $rps != n/a ]] || die "$kind, $nrep replicas: no result in redis-benchmark output: $(one_line <<<"$out")"
    ((nrep == 0)) || check_caught_up "$m" "${reps[@]}"
    [[ $(cli "$m" dbsize) == 1 ]] || die "$m: DBSIZE after SET -n $N is not 1"
    note "  $kind, $nrep replica(s): $rps SET/s$( ((nrep == 0)) || echo ", replicas caught up, digests equal")"
    echo "$round,throughput_r$nrep,$kind,$rps" >>"$raw"
    stop_all
}

# ------------------------------------------------------------ full sync
# The RESP for the non-populated tenth of hashes and tenth of zsets, in $1.
EXTRA=$((SYNC_KEYS / 10))
POP=$((SYNC_KEYS - 2 * EXTRA))
gen_dataset() {
    awk -v n="$EXTRA" '
        function emit(m,    i) {
            printf "*%d\r\n", m
            for (i = 1; i <= m; i++) printf "$%d\r\n%s\r\n", length(a[i]), a[i]
        }
        BEGIN {
            for (k = 0; k < n; k++) {
                a[1] = "HSET"; a[2] = "hash:" k; m = 2
                for (i = 0; i < 5; i++) { a[++m] = "field:" i; a[++m] = "value:" (k * 5 + i) }
                emit(m)
                a[1] = "ZADD"; a[2] = "zset:" k; m = 2
                for (i = 0; i < 5; i++) { a[++m] = i * 1.5; a[++m] = "member:" (k * 5 + i) }
                emit(m)
            }
        }' >"$1"
}

# Fill master $1 with the dataset.
load_master() {
    local m=$1 out rc=0 errs replies
    out=$(cli "$m" debug populate "$POP" 2>&1) || rc=$?
    [[ $rc == 0 && $out == OK ]] || die "$m: DEBUG POPULATE $POP: $(one_line <<<"$out") (exit $rc)"
    if ((EXTRA > 0)); then
        out=$(timeout "$TMO" "${PIN_BENCH[@]}" redis-cli -h 127.0.0.1 -p "${PORT[$m]}" --pipe <"$DATAFILE" 2>"$WORK/pipe.err") || rc=$?
        errs=$(sed -n 's/^errors: \([0-9]*\), replies: .*/\1/p' <<<"$out")
        replies=$(sed -n 's/^errors: .*, replies: \([0-9]*\)$/\1/p' <<<"$out")
        [[ $rc == 0 && $errs == 0 && $replies == $((2 * EXTRA)) ]] ||
            die "$m: redis-cli --pipe (exit $rc): errors ${errs:-?}, replies ${replies:-?} of $((2 * EXTRA)); $(head -n 2 "$WORK/pipe.err" | one_line)"
    fi
    [[ $(cli "$m" dbsize) == "$SYNC_KEYS" ]] || die "$m: DBSIZE $(cli "$m" dbsize) after loading, expected $SYNC_KEYS"
}

# Time one full sync of kind $1 in mode $2 (disk|diskless), round $3; the
# loaded master $1-m is running; appends to raw CSV $4.
sync_one() {
    local kind=$1 mode=$2 round=$3 raw=$4 m=$1-m r=$1-r1 out t0 t1 ms deadline want
    out=$(cli "$m" config set repl-diskless-sync "$([[ $mode == diskless ]] && echo yes || echo no)" 2>&1)
    [[ $out == OK ]] || die "$m: CONFIG SET repl-diskless-sync: $(one_line <<<"$out")"
    out=$(cli "$m" config set repl-diskless-sync-delay 0 2>&1)
    [[ $out == OK ]] || die "$m: CONFIG SET repl-diskless-sync-delay: $(one_line <<<"$out")"
    start_server "$r"
    check_affinity "$r"
    deadline=$((SECONDS + TMO))
    t0=$EPOCHREALTIME
    out=$(cli "$r" replicaof 127.0.0.1 "${PORT[$m]}" 2>&1)
    [[ $out == OK* ]] || die "$r: REPLICAOF answered '$(one_line <<<"$out")'"
    # One redis-cli call a poll: INFO answers even while the replica loads.
    until [[ $(printf 'info replication\ndbsize\n' | cli "$r" 2>/dev/null | tr -d '\r' |
        awk -v want="$SYNC_KEYS" '/^master_link_status:/ { up = ($0 == "master_link_status:up") }
                                  /^[0-9]+$/ { n = $0 } END { print (up && n == want) ? "synced" : "" }') == synced ]]; do
        ((SECONDS < deadline)) || die "$r: full sync ($mode) not done after ${TMO}s"
        kill -0 "${PID[$r]}" 2>/dev/null || die "$r exited during the full sync ($mode); see its log"
        sleep 0.01
    done
    t1=$EPOCHREALTIME
    ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
    want=$(cli "$m" debug digest 2>&1)
    [[ $(cli "$r" debug digest 2>&1) == "$want" ]] || die "$r: DEBUG DIGEST differs from the master's after the $mode sync"
    note "  $kind, $mode full sync of $SYNC_KEYS keys: $ms ms, digests equal"
    echo "$round,sync_${mode}_ms,$kind,$ms" >>"$raw"
    stop_server "$r"
}

sync_kind() {
    local kind=$1 round=$2 raw=$3 mode
    start_server "$kind-m"
    check_affinity "$kind-m"
    load_master "$kind-m"
    for mode in disk diskless; do sync_one "$kind" "$mode" "$round" "$raw"; done
    stop_all
}

# ------------------------------------------------------------ report
# Median of the values of metric $2 for kind $3 in raw CSV $1.
median() {
    awk -F, -v m="$2" -v s="$3" 'NR > 1 && $2 == m && $3 == s && $4 ~ /^[0-9.]+$/ { print $4 }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { if (!NR) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

report() {
    local raw=$1 sum=$2 metric r f higher
    echo "metric,redis,ferrodis,ratio,target,met" >"$sum"
    for metric in $(for x in $REPLICAS; do echo "throughput_r$x"; done) sync_disk_ms sync_diskless_ms; do
        r=$(median "$raw" "$metric" redis)
        f=$(median "$raw" "$metric" ferrodis)
        if [[ $metric == throughput* ]]; then higher=1; else higher=0; fi
        awk -v m="$metric" -v r="$r" -v f="$f" -v hi="$higher" 'BEGIN {
            num = (r ~ /^[0-9.]+$/ && f ~ /^[0-9.]+$/)
            ratio = (num && r > 0) ? sprintf("%.3f", f / r) : "n/a"
            met = !num ? "n/a" : hi ? (f >= r ? "yes" : "NO") : (f <= r ? "yes" : "NO")
            printf "%s,%s,%s,%s,%s,%s\n", m, r, f, ratio, hi ? "ratio >= 1" : "ratio <= 1", met
        }' >>"$sum"
    done
    {
        header
        echo "#   throughput: redis-benchmark -t set -P 16 -c 50 -n $N -d 3 against the master, SET/s,"
        echo "#   with 0..2 replicas attached (throughput_rN = N replicas); higher is better"
        echo "#   full sync: $SYNC_KEYS keys ($POP DEBUG POPULATE strings, $EXTRA small hashes, $EXTRA small zsets),"
        echo "#   ms from REPLICAOF until link up with the same DBSIZE (10 ms polls); lower is better"
        echo "#   $ROUNDS round(s), order flipped every round; medians over the rounds; ratio = ferrodis / redis"
        echo
        printf '%-18s %12s %12s %7s  %-11s %s\n' metric redis ferrodis ratio target met
        tail -n +2 "$sum" | awk -F, '{ printf "%-18s %12s %12s %7s  %-11s %s\n", $1, $2, $3, $4, $5, $6 }'
        echo
        echo "runs:"
        printf '  %-5s %-18s %-8s %12s\n' round metric server value
        tail -n +2 "$raw" | while IFS=, read -r rd mt sv v; do
            printf '  %-5s %-18s %-8s %12s\n' "$rd" "$mt" "$sv" "$v"
        done
    } >"$WORK/report.txt"
    cat "$WORK/report.txt"
    mkdir -p "$RESULTS"
    cp "$sum" "$RESULTS/replication-$STAMP.csv"
    cp "$raw" "$RESULTS/replication-$STAMP-raw.csv"
    cp "$WORK/report.txt" "$RESULTS/replication-$STAMP.txt"
    note "results: bench/results/replication-$STAMP.{csv,txt}, raw: replication-$STAMP-raw.csv"
}

# ------------------------------------------------------------ main
main() {
    local round kind nrep raw=$WORK/raw.csv order
    # One master and one replica of each kind run at once, empty, only long
    # enough to compare their conditions.
    for kind in "${NAMES[@]}"; do
        start_server "$kind-m"
        start_server "$kind-r1" "$kind-m"
    done
    verify_same_conditions ferrodis-m redis-m
    verify_same_conditions ferrodis-r1 redis-r1
    AFF_MASTER=$(affinity ferrodis-m)
    AFF_REPLICA=$(affinity ferrodis-r1)
    stop_all

    DATAFILE=$WORK/dataset.resp
    gen_dataset "$DATAFILE"
    echo "round,metric,server,value" >"$raw"
    for ((round = 1; round <= ROUNDS; round++)); do
        if ((round % 2)); then order=(ferrodis redis); else order=(redis ferrodis); fi
        note "round $round of $ROUNDS: ${order[*]}"
        for nrep in $REPLICAS; do
            for kind in "${order[@]}"; do throughput_one "$kind" "$nrep" "$round" "$raw"; done
        done
        for kind in "${order[@]}"; do sync_kind "$kind" "$round" "$raw"; done
    done
    report "$raw" "$WORK/summary.csv"
}

main
