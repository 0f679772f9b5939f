#!/usr/bin/env bash
# bench/compare.sh: ferrodis against Debian's redis-server on the same
# machine, in the same run, reported as ratios (ferrodis / redis).
#
#   bench/compare.sh [speed] [options]   throughput with redis-benchmark (default)
#   bench/compare.sh memory [options]    RSS and used_memory per key / element
#
# Both servers get the same arguments (--save '' --appendonly no, a free
# port each) and the same CPU: every server is pinned to CPU $SERVER_CPU and
# redis-benchmark to CPU $BENCH_CPU with taskset, so the client never steals
# the server's core. Speed mode runs each test on both servers back to back,
# flipping which goes first every round, for ROUNDS rounds; it reports per
# test, data size and pipeline depth the median ops/s of each server, the
# median of the per-round ratios, and geometric means of those ratios.
# Before it reports, it checks that the two servers really ran with the same
# arguments, CPU affinity and (where both answer CONFIG GET) settings, and
# refuses to report otherwise.
#
# Speed mode runs every test at every pipeline depth with the first data
# size; the further data sizes (-d 1024 by default) run only the tests that
# are also in BENCH_BIG_TESTS (by default the list, set, hash and zset ones).
# Each LRANGE_* run starts with redis-benchmark's own LPUSH fill of -n
# elements; the script deletes that list before every LRANGE_* run, so each
# reads a list of exactly -n elements. An LRANGE_600 reply carries 600 x
# datasize bytes, which redis-benchmark itself parses slowly, so above
# -d 64 the LRANGE_* runs use N x 64 / datasize requests (at least 1000);
# the report and raw CSV show the requests of every run. Each (data size, pipeline) block starts
# from FLUSHALL; within a block the tests run in the -t order, so LPOP/RPOP,
# SPOP and ZPOPMIN pop what LPUSH/RPUSH, SADD and ZADD left.
#
# Two tests are not redis-benchmark's and run with bench/loadgen.rs
# (built as the cargo example "loadgen"), which checks every reply byte:
#   pubsub_fanout  $BENCH_SUBSCRIBERS (100) connections SUBSCRIBE to one
#                  channel; one publisher sends -n PUBLISH of -d bytes, -P at
#                  a time; ops/s = messages delivered per second (-n x 100
#                  over the time until the last subscriber has them all)
#   multi_exec     -c connections run -n transactions in all, each MULTI,
#                  10 x SET of -d bytes, EXEC, -P transactions per write;
#                  ops/s = transactions per second
#
# Memory mode loads each dataset into a fresh server, one server at a time,
# and reports (after - before) / count for used_memory (INFO memory) and for
# RSS (/proc/PID/status), per key for the many-key datasets and per element
# for the one-key ones, with the ferrodis/redis ratios. Datasets (counts at
# scale 1):
#   strings      1M keys by DEBUG POPULATE (key:N = value:N)
#   strings_ttl  1M x SET key:N value:N EX 86400
#   hashes       100k x HSET hash:N with 10 small fields (field:I value:...)
#   sets         100k x SADD set:N with 10 integers
#   zsets        100k x ZADD zset:N with 10 members (scores 0..9)
#   biglist      one list of 1M elements (RPUSH, 1000 elements a command)
#   bigzset      one zset of 1M members (ZADD, 1000 members a command)
# All but "strings" are written once as RESP to a file and fed to each
# server with redis-cli --pipe: both servers get the same bytes.
#
# Options (each has an environment variable; an option wins over it):
#   -t, --tests LIST         BENCH_TESTS      redis-benchmark -t names, comma
#       separated [set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,
#       zpopmin,lrange_100,lrange_300,lrange_500,lrange_600,mset,ping_inline,
#       ping_mbulk,pubsub_fanout,multi_exec]; "ping" and "lrange" expand to
#       all their variants
#   -n, --requests N         BENCH_N          requests per run [100000]
#   -r, --rounds N           BENCH_ROUNDS     rounds [3]
#   -P, --pipelines "1 16"   BENCH_PIPELINES  -P values ["1 16"]
#   -d, --datasizes "3 1024" BENCH_DATASIZES  -d values ["3 1024"]
#   --datasets LIST          BENCH_MEM_SETS   memory datasets [all of the above]
#   --scale F                BENCH_MEM_SCALE  multiplies every memory dataset
#                            size [1]; e.g. 0.01 for a smoke run
#   --quick                  defaults become -n 10000 -r 1 and --scale 0.1
#   -h, --help               this text
# More environment (defaults in brackets):
#   BENCH_BIG_TESTS  tests also run at the 2nd and later data sizes, or "all"
#                    [lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,
#                    lrange_100,lrange_300,lrange_500,lrange_600]
#   BENCH_CLIENTS    connections (-c) [50]
#   BENCH_PIPE_SCALE at -P above 1, redis-benchmark tests other than LRANGE
#                    run N x min(P, this) requests, so a run lasts long
#                    enough to time [8]
#   BENCH_SUBSCRIBERS  subscribers of pubsub_fanout [100]
#   LOADGEN    load generator for pubsub_fanout and multi_exec
#              [target/release/examples/loadgen, built when missing]
#   BENCH_KEYSPACE   redis-benchmark -r: random keys / members out of this
#                    many [unset: redis-benchmark's fixed key per test]
#   BENCH_KEYS       keys of the "strings" dataset [1000000 x scale]
#   BENCH_TIMEOUT    seconds one redis-benchmark run may take
#                    [60 + requests/1000 x (1 + datasize/256)]
#   FERRODIS   server binary to test [target/release/ferrodis-server, built
#              with cargo build --release]; when set, nothing is built
#   REDIS      reference server [redis-server on PATH]
#   SERVER_CPU / BENCH_CPU   CPUs for servers / benchmark [0 / 1]
# The unprefixed names of earlier versions (TESTS, N, ROUNDS, CLIENTS,
# PIPELINES, DATASIZE, KEYS) are still read when the BENCH_ one is unset.
#
# Examples:
#   bench/compare.sh                                  the full speed run
#   bench/compare.sh --quick -t lpush,lrange_100 -d 3 -P 16
#   BENCH_TESTS=hset,zadd BENCH_N=20000 BENCH_ROUNDS=1 make bench
#   bench/compare.sh memory                           the full memory run
#   BENCH_MEM_SCALE=0.01 bench/compare.sh memory --datasets hashes,biglist
#
# Speed mode also reports, per test and server, the medians over the rounds
# of redis-benchmark's p50 and p99 latency (its --csv columns; n/a for the
# loadgen tests, which measure rates only), and per test the lowest and
# highest per-round ratio (columns ratio_min/ratio_max): on a shared or
# client-bound machine the spread says how far one median can be trusted.
#
# Output: a table on stdout, and in bench/results/: <timestamp>.csv
# (summary), <timestamp>-raw.csv (every measurement), <timestamp>.txt (the
# report), <timestamp>-failures.csv (failed runs, if any) and <timestamp>.png
# (bar chart of the ratios); memory mode writes <timestamp>-memory.{csv,txt}.
# The chart needs python3 with matplotlib (`pip install matplotlib`) or
# gnuplot (`apt-get install gnuplot-nox`); without either it is skipped.
#
# A test that fails on a server (unknown command, error reply, timeout,
# crash) is reported as FAILED with the reason, in the table and in a list
# after it; a dataset that does not load likewise. Neither stops the run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT SELF=compare

die() { echo "$SELF: error: $*" >&2; exit 2; }
note() { echo "$SELF: $*" >&2; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

# ------------------------------------------------------------ settings
MODE=speed QUICK=0
while (($#)); do
    case $1 in
        speed | memory) MODE=$1 ;;
        -h | --help) usage; exit 0 ;;
        --quick) QUICK=1 ;;
        -t | --tests | -n | --requests | -r | --rounds | -P | --pipelines | -d | --datasizes | --datasets | --scale)
            (($# >= 2)) || die "$1 needs a value"
            case $1 in
                -t | --tests) BENCH_TESTS=$2 ;;
                -n | --requests) BENCH_N=$2 ;;
                -r | --rounds) BENCH_ROUNDS=$2 ;;
                -P | --pipelines) BENCH_PIPELINES=$2 ;;
                -d | --datasizes) BENCH_DATASIZES=$2 ;;
                --datasets) BENCH_MEM_SETS=$2 ;;
                --scale) BENCH_MEM_SCALE=$2 ;;
            esac
            shift ;;
        *) echo "usage: $0 [speed|memory] [options]   ($0 --help for the options)" >&2; exit 2 ;;
    esac
    shift
done

ALL_TESTS=ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_500,lrange_600,mset,pubsub_fanout,multi_exec
# Run by bench/loadgen.rs instead of redis-benchmark (see the header).
LOADGEN_TESTS=pubsub_fanout,multi_exec
COLLECTION_TESTS=lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_500,lrange_600
ALL_DATASETS=strings,strings_ttl,hashes,sets,zsets,biglist,bigzset

if ((QUICK)); then q_n=10000 q_rounds=1 q_scale=0.1; else q_n=100000 q_rounds=3 q_scale=1; fi
TESTS=${BENCH_TESTS:-${TESTS:-set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_500,lrange_600,mset,ping_inline,ping_mbulk,pubsub_fanout,multi_exec}}
SUBSCRIBERS=${BENCH_SUBSCRIBERS:-100}
BIG_TESTS=${BENCH_BIG_TESTS:-$COLLECTION_TESTS}
N=${BENCH_N:-${N:-$q_n}}
ROUNDS=${BENCH_ROUNDS:-${ROUNDS:-$q_rounds}}
CLIENTS=${BENCH_CLIENTS:-${CLIENTS:-50}}
PIPE_SCALE=${BENCH_PIPE_SCALE:-8}
PIPELINES=${BENCH_PIPELINES:-${PIPELINES:-1 16}}
DATASIZES=${BENCH_DATASIZES:-${DATASIZE:-3 1024}}
KEYSPACE=${BENCH_KEYSPACE:-}
MEM_SETS=${BENCH_MEM_SETS:-$ALL_DATASETS}
MEM_SCALE=${BENCH_MEM_SCALE:-$q_scale}
SERVER_CPU=${SERVER_CPU:-0}
BENCH_CPU=${BENCH_CPU:-1}
# A hung server must not hang the benchmark: a generous per-run limit,
# computed per data size in bench_one unless BENCH_TIMEOUT fixes it.
BENCH_TIMEOUT=${BENCH_TIMEOUT:-}

posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer (got '$2')"; }
posint N "$N"; posint ROUNDS "$ROUNDS"; posint CLIENTS "$CLIENTS"; posint BENCH_SUBSCRIBERS "$SUBSCRIBERS"; posint BENCH_PIPE_SCALE "$PIPE_SCALE"
[[ -z $BENCH_TIMEOUT ]] || posint BENCH_TIMEOUT "$BENCH_TIMEOUT"
[[ -z $KEYSPACE ]] || posint BENCH_KEYSPACE "$KEYSPACE"
read -ra PLIST <<<"$PIPELINES"
read -ra DLIST <<<"$DATASIZES"
((${#PLIST[@]} && ${#DLIST[@]})) || die "no pipeline depths or data sizes given"
for v in "${PLIST[@]}"; do posint "pipeline depth" "$v"; done
for v in "${DLIST[@]}"; do posint "data size" "$v"; done
if ! [[ $MEM_SCALE =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]] || ! awk -v s="$MEM_SCALE" 'BEGIN { exit !(s > 0) }'; then
    die "BENCH_MEM_SCALE must be a positive number (got '$MEM_SCALE')"
fi
# Round a dataset size at scale 1 to the scale in use (at least 1).
scaled() { awk -v n="$1" -v s="$MEM_SCALE" 'BEGIN { v = int(n * s + 0.5); print v < 1 ? 1 : v }'; }
KEYS=${BENCH_KEYS:-${KEYS:-$(scaled 1000000)}}
posint KEYS "$KEYS"

# "a,b,c" -> array EXPANDED: aliases expanded, duplicates dropped, unknown
# names refused.
expand_tests() {
    local t x names
    EXPANDED=()
    IFS=, read -ra names <<<"$1"
    for t in "${names[@]}"; do
        t=${t,,}; t=${t// /}
        case $t in
            '') continue ;;
            ping) set -- ping_inline ping_mbulk ;;
            lrange) set -- lrange_100 lrange_300 lrange_500 lrange_600 ;;
            *) [[ ,$ALL_TESTS, == *,"$t",* ]] || die "unknown test '$t' (known: $ALL_TESTS, ping, lrange)"
               set -- "$t" ;;
        esac
        for x; do [[ " ${EXPANDED[*]} " == *" $x "* ]] || EXPANDED+=("$x"); done
    done
}
expand_tests "$TESTS"
TLIST=("${EXPANDED[@]}")
((${#TLIST[@]})) || die "no tests selected"
if [[ $BIG_TESTS == all ]]; then BIG_TESTS=$ALL_TESTS; fi
expand_tests "$BIG_TESTS"
BIGLIST=("${EXPANDED[@]}")
IFS=, read -ra DATASETS <<<"$MEM_SETS"
for v in "${DATASETS[@]}"; do
    [[ ,$ALL_DATASETS, == *,"$v",* ]] || die "unknown dataset '$v' (known: $ALL_DATASETS)"
done

for t in redis-benchmark redis-cli; do
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
LOADGEN=${LOADGEN:-$ROOT/target/release/examples/loadgen}
if [[ $MODE == speed && ! -x $LOADGEN ]]; then
    note "building: cargo build --release --example loadgen"
    (cd "$ROOT" && cargo build --release --quiet --example loadgen) || die "cargo build of bench/loadgen.rs failed"
fi

# The same arguments for both servers; each also gets its own --port.
COMMON_ARGS=(--save '' --appendonly no)
# DEBUG POPULATE needs the DEBUG command, which 7.0 refuses by default.
[[ $MODE == memory ]] && COMMON_ARGS+=(--enable-debug-command local)

# Pin only where there are two CPUs to keep server and client apart.
PIN_SERVER=() PIN_BENCH=()
if command -v taskset >/dev/null && (($(nproc) >= 2)); then
    PIN_SERVER=(taskset -c "$SERVER_CPU") PIN_BENCH=(taskset -c "$BENCH_CPU")
else
    note "fewer than 2 CPUs or no taskset: running unpinned (numbers are noisier)"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferrodis-bench.XXXXXX")
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

cli() { redis-cli -h 127.0.0.1 -p "${PORT[$1]}" "${@:2}"; }

# Start server $1 (ferrodis|redis) and wait until it answers PING.
start_server() {
    local name=$1 i
    PORT[$name]=$(free_port)
    mkdir -p "$WORK/$name"
    # The server runs in its own directory so nothing lands in the repo;
    # taskset execs the server, so $! is the server's own pid.
    (cd "$WORK/$name" && exec "${PIN_SERVER[@]}" "${BIN[$name]}" "${COMMON_ARGS[@]}" --port "${PORT[$name]}") \
        >>"$WORK/$name/log" 2>&1 </dev/null &
    PID[$name]=$!
    # Record what it was given, the port aside. (/proc/PID/cmdline is no
    # witness: Redis overwrites it with its process title.)
    LAUNCH[$name]="pin:${PIN_SERVER[*]:-none} args:$(printf ' %q' "${COMMON_ARGS[@]}") --port <port>"
    for ((i = 0; i < 100; i++)); do
        [[ $(cli "$name" ping 2>/dev/null) == PONG ]] && return 0
        kill -0 "${PID[$name]}" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$WORK/$name/log" >&2 || true
    die "$name (${BIN[$name]}) did not start on port ${PORT[$name]}"
}

stop_server() {
    local name=$1 i
    kill -TERM "${PID[$name]}" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "${PID[$name]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${PID[$name]}" 2>/dev/null || true
    wait "${PID[$name]}" 2>/dev/null || true
    unset "PID[$name]"
}

alive() { kill -0 "${PID[$1]}" 2>/dev/null && [[ $(cli "$1" ping 2>/dev/null) == PONG ]]; }

affinity() { awk '/^Cpus_allowed_list/ { print $2 }' "/proc/${PID[$1]}/status"; }

# Settings that change performance or memory use; compared where both
# servers answer CONFIG GET (a server that does not is noted, not refused).
CHECK_CONFIGS=(save appendonly appendfsync maxmemory maxmemory-policy hz dynamic-hz io-threads
    activerehashing activedefrag lazyfree-lazy-user-del databases hash-max-listpack-entries
    hash-max-listpack-value zset-max-listpack-entries zset-max-listpack-value
    set-max-intset-entries list-max-listpack-size list-compress-depth)

# Refuse (exit 3) unless servers $1 and $2 run with the same arguments,
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

versions() {
    local n
    for n in "${NAMES[@]}"; do
        printf '#   %-8s %s (%s)\n' "$n" "${BIN[$n]}" "$("${BIN[$n]}" --version 2>/dev/null | head -n 1 || echo '?')"
    done
}

header() {
    echo "# ferrodis vs redis, $MODE mode, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "# commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
    versions
    echo "#   server args:$(printf ' %q' "${COMMON_ARGS[@]}") --port <free port>; pinned: ${PIN_SERVER[*]:-no} / bench ${PIN_BENCH[*]:-no}"
    echo "#   $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

RESULTS=$ROOT/bench/results
STAMP=$(date '+%Y%m%d-%H%M%S')

# One line of text fit for a CSV field and a report line (without the
# random payload Redis quotes after an unknown-command error).
one_line() { tr -d '\r"' | tr '\n,' '; ' | sed -e 's/ *with args beginning with:.*//' -e 's/; *$//' | cut -c1-160; }

# Requests for one run of test $1 at data size $2 (see the header on LRANGE).
requests() {
    local n=$N
    if [[ $1 == lrange_* ]] && (($2 > 64)); then
        n=$((N * 64 / $2))
        ((n >= 1000)) || n=$((N < 1000 ? N : 1000))
    elif [[ $1 != lrange_* && ,$LOADGEN_TESTS, != *,"$1",* ]] && (($3 > 1)); then
        # A deep pipeline finishes N cheap requests in tens of milliseconds,
        # where redis-benchmark's millisecond clock and a shared machine
        # decide the rate: run up to PIPE_SCALE times more.
        n=$((N * ($3 < PIPE_SCALE ? $3 : PIPE_SCALE)))
    fi
    echo "$n"
}

# ------------------------------------------------------------ speed
# One redis-benchmark run: prints "ops/s,p50 ms,p99 ms" (latencies n/a for
# the loadgen tests), or n/a for all three after appending the reason to
# $WORK/failures.csv (and saying so on stderr).
bench_one() {
    local name=$1 test=$2 p=$3 d=$4 r=$5 n=$6 out rc=0 why="" rps=n/a lat=n/a,n/a err=$WORK/bench.err
    local limit=${BENCH_TIMEOUT:-$((60 + n * (256 + d) / 256 / 1000))}
    local rand=()
    [[ -z $KEYSPACE ]] || rand=(-r "$KEYSPACE")
    if [[ ,$LOADGEN_TESTS, == *,"$test",* ]]; then
        # Our load generator prints one rate; shape it like a CSV line.
        local mode=${test%%_*} conns=$CLIENTS
        [[ $mode == pubsub ]] && conns=$SUBSCRIBERS
        [[ $mode == multi ]] || limit=$((limit * 10))
        out=$(timeout "$limit" "${PIN_BENCH[@]}" "$LOADGEN" "$mode" "${PORT[$name]}" "$conns" "$n" "$p" "$d" \
                  2>"$err" </dev/null) || rc=$?
        [[ $rc != 0 ]] || out=$(printf '"test","rps",""\n"%s","%s",""\n' "$test" "$out")
    else
        out=$(timeout "$limit" "${PIN_BENCH[@]}" redis-benchmark -h 127.0.0.1 -p "${PORT[$name]}" \
                  -q --csv -t "$test" -n "$n" -c "$CLIENTS" -P "$p" -d "$d" "${rand[@]}" 2>"$err" </dev/null) || rc=$?
    fi
    # Any complaint other than the CONFIG fetch warning means the run went
    # wrong (redis-benchmark exits at the first error reply).
    local complaint
    complaint=$(grep -v -e '^WARNING: Could not fetch server CONFIG' -e '^$' "$err" | head -n 3 | one_line) || true
    if ((rc == 124)); then
        why="timed out after ${limit}s"
    elif ((rc != 0)); then
        why="redis-benchmark exit $rc${complaint:+: $complaint}"
    elif [[ -n $complaint ]]; then
        why=$complaint
    else
        # The last CSV line is the test itself (lrange_* first prints the LPUSH fill).
        rps=$(awk -F'","' 'END { if (NR > 1 && $2 ~ /^[0-9.]+$/) print $2; else print "n/a" }' <<<"$out")
        # --csv columns: test, rps, avg, min, p50, p95, p99, max (ms).
        lat=$(awk -F'","' 'END { p50 = $5; p99 = $7
                 print (p50 ~ /^[0-9.]+$/ ? p50 : "n/a") "," (p99 ~ /^[0-9.]+$/ ? p99 : "n/a") }' <<<"$out")
        if [[ $rps == n/a ]]; then
            # With a tiny -n a fast run ends within the timer's resolution.
            if grep -q '","inf"' <<<"$out"; then why="too fast to time (redis-benchmark says inf ops/s): use a larger -n"
            else why="no result in redis-benchmark output: $(one_line <<<"$out")"; fi
        fi
    fi
    if [[ -n $why ]]; then
        echo "$r,$name,$test,$d,$p,\"$why\"" >>"$WORK/failures.csv"
        [[ ! -t 2 ]] || echo >&2
        note "FAILED $test -d $d -P $p on $name (round $r): $why"
        echo n/a,n/a,n/a
    else
        echo "$rps,$lat"
    fi
}

speed() {
    local r p d t first second name rps n block=()
    local raw=$WORK/raw.csv
    echo "round,server,test,datasize,pipeline,requests,ops_per_sec,p50_ms,p99_ms" >"$raw"
    echo "round,server,test,datasize,pipeline,reason" >"$WORK/failures.csv"
    # The tests of each data size: all at the first, the "big" ones after.
    declare -A DTESTS=()
    local total=0 nt
    for d in "${DLIST[@]}"; do
        if [[ $d == "${DLIST[0]}" ]]; then
            DTESTS[$d]="${TLIST[*]}"
        else
            DTESTS[$d]=$(for t in "${TLIST[@]}"; do [[ " ${BIGLIST[*]} " != *" $t "* ]] || echo "$t"; done | xargs)
        fi
        read -ra block <<<"${DTESTS[$d]}"
        nt=${#block[@]}
        total=$((total + ROUNDS * ${#PLIST[@]} * nt * 2))
    done
    for name in "${NAMES[@]}"; do start_server "$name"; done
    verify_same_conditions ferrodis redis
    local done_=0
    note "$total runs of $N requests (-c $CLIENTS${KEYSPACE:+ -r $KEYSPACE}), $ROUNDS rounds, pipelines: ${PLIST[*]}, data sizes: ${DLIST[*]}"
    for d in "${DLIST[@]}"; do note "  -d $d: ${DTESTS[$d]:-(no tests)}"; done
    for ((r = 1; r <= ROUNDS; r++)); do
        # Alternate which server goes first, so drift on a shared machine
        # does not always favour the same one.
        if ((r % 2)); then first=ferrodis second=redis; else first=redis second=ferrodis; fi
        for d in "${DLIST[@]}"; do
            read -ra block <<<"${DTESTS[$d]}"
            for p in "${PLIST[@]}"; do
                for name in "$first" "$second"; do cli "$name" flushall >/dev/null 2>&1 || true; done
                for t in "${block[@]}"; do
                    for name in "$first" "$second"; do
                        if ! alive "$name"; then
                            note "$name is not answering (crashed?) before $t -d $d -P $p: restarting it"
                            stop_server "$name"; start_server "$name"
                            echo "# $name restarted in round $r before $t -d $d -P $p" >>"$WORK/events"
                        fi
                        # Every LRANGE run reads the N elements of its own fill.
                        [[ $t != lrange_* ]] || cli "$name" del mylist >/dev/null 2>&1 || true
                        n=$(requests "$t" "$d" "$p")
                        rps=$(bench_one "$name" "$t" "$p" "$d" "$r" "$n")
                        echo "$r,$name,$t,$d,$p,$n,$rps" >>"$raw"
                        done_=$((done_ + 1))
                        # Progress on a terminal only; CI logs get the table.
                        [[ ! -t 2 ]] || printf '\r%s: %d/%d %-13s -d %-5s -P %-3s %-9s %s ops/s        ' \
                            "$SELF" "$done_" "$total" "$t" "$d" "$p" "$name" "${rps%%,*}" >&2
                    done
                done
            done
        done
    done
    [[ ! -t 2 ]] || echo >&2
    verify_same_conditions ferrodis redis   # still the same servers and settings at the end
    report_speed "$raw"
}

# Medians and per-round ratio medians from the raw measurements.
summarize() {
    awk -F, -v rounds="$ROUNDS" '
        function median(s,    n, a, i, j, t) {
            n = split(s, a, " ")
            for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return n == 0 ? "" : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
        }
        NR == 1 { next }
        {
            key = $3 SUBSEP $4 SUBSEP $5
            if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
            v[$1, $2, key] = $7; req[key] = $6; l50[$1, $2, key] = $8; l99[$1, $2, key] = $9
        }
        # Median over the rounds of one latency column of server s.
        function lat(arr, s, key,    r, x, acc) {
            acc = ""
            for (r = 1; r <= rounds; r++) { x = arr[r, s, key]; if (x ~ /^[0-9.]+$/) acc = acc " " x }
            x = median(acc)
            return x == "" ? "n/a" : sprintf("%.3f", x)
        }
        END {
            print "test,datasize,pipeline,ferrodis_ops_per_sec,redis_ops_per_sec,ratio,valid_rounds,requests," \
                  "ferrodis_p50_ms,redis_p50_ms,ferrodis_p99_ms,redis_p99_ms,ratio_min,ratio_max"
            for (k = 1; k <= nk; k++) {
                key = order[k]; split(key, tdp, SUBSEP); fs = rs = qs = ""; nv = 0; qlo = qhi = ""
                for (r = 1; r <= rounds; r++) {
                    f = v[r, "ferrodis", key]; g = v[r, "redis", key]
                    if (f ~ /^[0-9.]+$/) fs = fs " " f
                    if (g ~ /^[0-9.]+$/) rs = rs " " g
                    if (f ~ /^[0-9.]+$/ && g ~ /^[0-9.]+$/ && g > 0) {
                        q = f / g; qs = qs " " q; nv++
                        if (qlo == "" || q < qlo) qlo = q
                        if (qhi == "" || q > qhi) qhi = q
                    }
                }
                fm = median(fs); rm = median(rs); qm = median(qs)
                printf "%s,%s,%s,%s,%s,%s,%d,%s,%s,%s,%s,%s,%s,%s\n", tdp[1], tdp[2], tdp[3], fm == "" ? "n/a" : sprintf("%.0f", fm),
                    rm == "" ? "n/a" : sprintf("%.0f", rm), qm == "" ? "n/a" : sprintf("%.3f", qm), nv, req[key],
                    lat(l50, "ferrodis", key), lat(l50, "redis", key), lat(l99, "ferrodis", key), lat(l99, "redis", key),
                    qlo == "" ? "n/a" : sprintf("%.3f", qlo), qhi == "" ? "n/a" : sprintf("%.3f", qhi)
            }
        }' "$1"
}

report_speed() {
    local raw=$1 sum=$WORK/summary.csv report=$WORK/report.txt fails=$WORK/failures.csv
    summarize "$raw" >"$sum"
    {
        header
        [[ ! -f $WORK/events ]] || cat "$WORK/events"
        echo "#   -n $N (column n: requests per run) -c $CLIENTS${KEYSPACE:+ -r $KEYSPACE}, $ROUNDS rounds; ratio = median over rounds of ferrodis/redis (min-max: the lowest and highest round);"
        echo "#   FAILED = no round of that test worked on that server (reasons below)"
        echo
        printf '%-13s %4s %3s %7s %15s %15s %7s %13s %17s %17s\n' test d P n "ferrodis ops/s" "redis ops/s" ratio \
            "rounds min-max" "p50 ms (f / r)" "p99 ms (f / r)"
        tail -n +2 "$sum" | while IFS=, read -r t d p f r q _ n f50 r50 f99 r99 qlo qhi; do
            [[ $f != n/a ]] || f=FAILED
            [[ $r != n/a ]] || r=FAILED
            printf '%-13s %4s %3s %7s %15s %15s %7s %13s %17s %17s\n' "$t" "$d" "$p" "$n" "$f" "$r" "$q" \
                "$qlo-$qhi" "$f50 / $r50" "$f99 / $r99"
        done
        echo
        # Geometric mean of the ratios per data size and pipeline depth, per
        # family (collections = list/hash/set/zset tests, messaging = the
        # loadgen tests) and overall.
        tail -n +2 "$sum" | awk -F, -v coll=",$COLLECTION_TESTS," -v msg=",$LOADGEN_TESTS," '
            $6 !~ /^[0-9.]+$/ || $6 <= 0 { na++; next }
            {
                k = "-d " $2 " -P " $3
                if (!(k in n)) order[++nk] = k
                s[k] += log($6); n[k]++; S += log($6); N++
                fam = index(coll, "," $1 ",") ? "collections" : index(msg, "," $1 ",") ? "messaging (Pub/Sub, MULTI)" : "strings and others"
                fs[fam] += log($6); fn[fam]++
            }
            END {
                for (i = 1; i <= nk; i++)
                    printf "geomean ratio %-16s %.3f (%d tests)\n", order[i] ":", exp(s[order[i]] / n[order[i]]), n[order[i]]
                for (f in fn) printf "geomean ratio, %s: %.3f (%d)\n", f, exp(fs[f] / fn[f]), fn[f]
                if (N) printf "geomean ratio, all: %.3f (%d test/size/pipeline triples%s)\n", exp(S / N), N, na ? "; " na " without a ratio" : ""
                else print "geomean ratio: n/a (no test ran on both servers)"
            }'
        if (($(wc -l <"$fails") > 1)); then
            echo
            echo "failed runs (server test -d -P: rounds failed / rounds: first reason):"
            tail -n +2 "$fails" | awk -F, -v rounds="$ROUNDS" '
                {
                    key = sprintf("  %-8s %-13s -d %-5s -P %-3s", $2, $3, $4, $5)
                    if (!(key in cnt)) { order[++nk] = key; why[key] = substr($0, index($0, "\"") + 1); sub(/"$/, "", why[key]) }
                    cnt[key]++
                }
                END { for (i = 1; i <= nk; i++) printf "%s %d/%d: %s\n", order[i], cnt[order[i]], rounds, why[order[i]] }'
        fi
    } >"$report"
    cat "$report"
    mkdir -p "$RESULTS"
    cp "$sum" "$RESULTS/$STAMP.csv"
    cp "$raw" "$RESULTS/$STAMP-raw.csv"
    cp "$report" "$RESULTS/$STAMP.txt"
    (($(wc -l <"$fails") <= 1)) || cp "$fails" "$RESULTS/$STAMP-failures.csv"
    chart "$sum" "$RESULTS/$STAMP.png"
    note "results: bench/results/$STAMP.{csv,txt}, raw: $STAMP-raw.csv"
}

# Bar chart of the ratios, one group per test (and data size), one bar per
# pipeline depth; a failed test shows as a missing bar.
chart() {
    local sum=$1 png=$2
    # The python3 on PATH may be a private one (pyenv) without Debian's
    # python3-matplotlib: fall back to the system interpreter.
    local py=""
    for cand in python3 /usr/bin/python3; do
        if command -v "$cand" >/dev/null && "$cand" -c 'import matplotlib' 2>/dev/null; then
            py=$cand
            break
        fi
    done
    if [ -n "$py" ]; then
        "$py" - "$sum" "$png" <<'PY'
import csv, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

rows = list(csv.DictReader(open(sys.argv[1])))
sizes = list(dict.fromkeys(r["datasize"] for r in rows))
label = lambda r: r["test"] if len(sizes) == 1 else "%s -d %s" % (r["test"], r["datasize"])
groups = list(dict.fromkeys(label(r) for r in rows))
pipes = list(dict.fromkeys(r["pipeline"] for r in rows))
width = 0.8 / max(len(pipes), 1)
fig, ax = plt.subplots(figsize=(max(8, len(groups) * 0.55), 4.8))
for i, p in enumerate(pipes):
    ratio = {label(r): r["ratio"] for r in rows if r["pipeline"] == p}
    ys = [float(ratio[g]) if ratio.get(g, "n/a") != "n/a" else 0.0 for g in groups]
    ax.bar([x + i * width for x in range(len(groups))], ys, width, label="-P " + p)
    for x, g in enumerate(groups):
        if ratio.get(g, "n/a") == "n/a":
            ax.text(x + i * width, 0.02, "failed", rotation=90, ha="center", va="bottom", fontsize=7)
ax.axhline(1.0, color="black", linewidth=0.8)
ax.set_xticks([x + width * (len(pipes) - 1) / 2 for x in range(len(groups))])
ax.set_xticklabels(groups, rotation=60, ha="right", fontsize=8)
ax.set_ylabel("ferrodis / redis (ops/s)")
ax.set_title("ferrodis vs redis-server throughput (median of rounds; missing = failed)")
ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=100)
PY
        note "chart: $png (matplotlib)"
    elif command -v gnuplot >/dev/null; then
        local dat=$WORK/chart.dat
        # One row per test and size, one column per pipeline depth; "?" marks n/a.
        awk -F, 'NR > 1 { g = $1 "/d" $2
                         if (!(g in seen)) { seen[g] = 1; t[++nt] = g }
                         if (!($3 in ps)) { ps[$3] = 1; p[++np] = $3 }
                         q[g, $3] = ($6 == "n/a") ? "?" : $6 }
                 END { printf "test"; for (j = 1; j <= np; j++) printf " P%s", p[j]; print ""
                       for (i = 1; i <= nt; i++) { printf "%s", t[i]; for (j = 1; j <= np; j++) printf " %s", q[t[i], p[j]]; print "" } }' "$sum" >"$dat"
        local ncol
        ncol=$(head -n 1 "$dat" | wc -w)
        gnuplot <<EOF
set terminal pngcairo size 1200,500 noenhanced
set output "$png"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8
set datafile missing "?"
set key autotitle columnhead
set ylabel "ferrodis / redis (ops/s)"
set title "ferrodis vs redis-server throughput (median of rounds)"
set xtics rotate by -60
set yrange [0:*]
plot for [c=2:$ncol] "$dat" using c:xtic(1), 1 with lines lc rgb "black" notitle
EOF
        note "chart: $png (gnuplot)"
    else
        note "no chart: needs python3 with matplotlib (pip install matplotlib) or gnuplot"
    fi
}

# ------------------------------------------------------------ memory
# used_memory and RSS of server $1, in bytes: "used rss".
mem_now() {
    local used rss
    used=$(cli "$1" info memory 2>/dev/null | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }')
    rss=$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/${PID[$1]}/status")
    echo "${used:-n/a} ${rss:-n/a}"
}

# What dataset $1 is at the current scale, as shell assignments:
# DS_COUNT (keys or elements it makes), DS_KEYS (keys expected in the db),
# DS_UNIT (key|element: what the per-unit figures divide by), DS_DESC,
# DS_CHECK (a command) and DS_EXPECT (a regex its answer must match).
dataset_info() {
    DS_UNIT=key DS_CHECK="" DS_EXPECT=""
    case $1 in
        strings)
            DS_COUNT=$KEYS DS_KEYS=$KEYS DS_DESC="DEBUG POPULATE $KEYS (key:N = value:N)"
            DS_CHECK="get key:0" DS_EXPECT='^value:0$' ;;
        strings_ttl)
            DS_COUNT=$(scaled 1000000); DS_KEYS=$DS_COUNT DS_DESC="$DS_COUNT x SET key:N value:N EX 86400"
            DS_CHECK="ttl key:0" DS_EXPECT='^[1-9][0-9]*$' ;;
        hashes)
            DS_COUNT=$(scaled 100000); DS_KEYS=$DS_COUNT DS_DESC="$DS_COUNT hashes x 10 fields (field:I value:NNN)"
            DS_CHECK="hlen hash:0" DS_EXPECT='^10$' ;;
        sets)
            DS_COUNT=$(scaled 100000); DS_KEYS=$DS_COUNT DS_DESC="$DS_COUNT sets x 10 integers"
            DS_CHECK="scard set:0" DS_EXPECT='^10$' ;;
        zsets)
            DS_COUNT=$(scaled 100000); DS_KEYS=$DS_COUNT DS_DESC="$DS_COUNT zsets x 10 members (member:NNN, scores 0..9)"
            DS_CHECK="zcard zset:0" DS_EXPECT='^10$' ;;
        biglist)
            DS_COUNT=$(scaled 1000000); DS_KEYS=1 DS_UNIT=element DS_DESC="1 list x $DS_COUNT elements (element:N)"
            DS_CHECK="llen list" DS_EXPECT="^$DS_COUNT\$" ;;
        bigzset)
            DS_COUNT=$(scaled 1000000); DS_KEYS=1 DS_UNIT=element DS_DESC="1 zset x $DS_COUNT members (member:N, score N)"
            DS_CHECK="zcard bigzset" DS_EXPECT="^$DS_COUNT\$" ;;
    esac
}

# Write dataset $1 (DS_COUNT from dataset_info) as RESP commands to file $2;
# print the number of commands.
gen_resp() {
    local ds=$1 file=$2
    awk -v ds="$ds" -v n="$DS_COUNT" -v batch=1000 -v cmds="$file.cmds" '
        # One command of m arguments a[1..m], in RESP.
        function emit(m,    i) {
            printf "*%d\r\n", m
            for (i = 1; i <= m; i++) printf "$%d\r\n%s\r\n", length(a[i]), a[i]
            ncmd++
        }
        BEGIN {
            if (ds == "strings_ttl")
                for (k = 0; k < n; k++) { a[1] = "SET"; a[2] = "key:" k; a[3] = "value:" k; a[4] = "EX"; a[5] = "86400"; emit(5) }
            else if (ds == "hashes")
                for (k = 0; k < n; k++) {
                    a[1] = "HSET"; a[2] = "hash:" k; m = 2
                    for (i = 0; i < 10; i++) { a[++m] = "field:" i; a[++m] = "value:" (k * 10 + i) }
                    emit(m)
                }
            else if (ds == "sets")
                for (k = 0; k < n; k++) {
                    a[1] = "SADD"; a[2] = "set:" k; m = 2
                    for (i = 0; i < 10; i++) a[++m] = k * 10 + i
                    emit(m)
                }
            else if (ds == "zsets")
                for (k = 0; k < n; k++) {
                    a[1] = "ZADD"; a[2] = "zset:" k; m = 2
                    for (i = 0; i < 10; i++) { a[++m] = i; a[++m] = "member:" (k * 10 + i) }
                    emit(m)
                }
            else if (ds == "biglist")
                for (k = 0; k < n; k += batch) {
                    a[1] = "RPUSH"; a[2] = "list"; m = 2
                    for (e = k; e < n && e < k + batch; e++) a[++m] = "element:" e
                    emit(m)
                }
            else if (ds == "bigzset")
                for (k = 0; k < n; k += batch) {
                    a[1] = "ZADD"; a[2] = "bigzset"; m = 2
                    for (e = k; e < n && e < k + batch; e++) { a[++m] = e; a[++m] = "member:" e }
                    emit(m)
                }
            print ncmd > cmds
        }' >"$file"
    cat "$file.cmds"
}

# Load dataset $2 into server $1 (RESP file $3 with $4 commands, or DEBUG
# POPULATE). Prints nothing; sets LOAD_ERR to "" on success or the reason.
load_dataset() {
    local name=$1 ds=$2 file=$3 ncmd=$4 out rc=0 errs replies got
    LOAD_ERR=""
    if [[ $ds == strings ]]; then
        out=$(timeout 600 redis-cli -h 127.0.0.1 -p "${PORT[$name]}" debug populate "$DS_COUNT" 2>&1) || rc=$?
        if ((rc == 124)); then LOAD_ERR="DEBUG POPULATE timed out after 600s"
        elif [[ $rc != 0 || $out != OK ]]; then LOAD_ERR="DEBUG POPULATE: $(one_line <<<"$out") (exit $rc)"; fi
    else
        out=$(timeout 600 redis-cli -h 127.0.0.1 -p "${PORT[$name]}" --pipe <"$file" 2>"$WORK/pipe.err") || rc=$?
        errs=$(sed -n 's/^errors: \([0-9]*\), replies: .*/\1/p' <<<"$out")
        replies=$(sed -n 's/^errors: .*, replies: \([0-9]*\)$/\1/p' <<<"$out")
        if ((rc == 124)); then
            LOAD_ERR="redis-cli --pipe timed out after 600s"
        elif [[ $rc != 0 || $errs != 0 || $replies != "$ncmd" ]]; then
            LOAD_ERR="redis-cli --pipe: errors ${errs:-?}, replies ${replies:-?} of $ncmd; $(head -n 2 "$WORK/pipe.err" | one_line)"
        fi
    fi
    [[ -z $LOAD_ERR ]] || return 0
    # The right number of keys, and a spot check of one value's shape.
    got=$(cli "$name" dbsize 2>&1 | one_line)
    if [[ $got != "$DS_KEYS" ]]; then LOAD_ERR="dbsize $got after load, expected $DS_KEYS"; return 0; fi
    # shellcheck disable=SC2086 # DS_CHECK is a command and its arguments
    got=$(cli "$name" $DS_CHECK 2>&1 | one_line)
    [[ $got =~ $DS_EXPECT ]] || LOAD_ERR="'$DS_CHECK' answered '$got', expected /$DS_EXPECT/"
}

memory() {
    local name ds u r file ncmd t0 t1 secs status report=$WORK/report.txt csv=$WORK/memory.csv
    local per_u per_r ua ra
    echo "dataset,server,count,keys,unit,used_before,used_after,used_per_unit,rss_before,rss_after,rss_per_unit,load_seconds,status" >"$csv"
    # Both run at once only long enough to compare their conditions; the
    # measurements are taken one server at a time, each dataset in a fresh
    # server, so they neither compete for memory nor inherit fragmentation.
    for name in "${NAMES[@]}"; do start_server "$name"; done
    verify_same_conditions ferrodis redis
    for name in "${NAMES[@]}"; do stop_server "$name"; done
    declare -A DESC=()
    for ds in "${DATASETS[@]}"; do
        dataset_info "$ds"
        DESC[$ds]=$DS_DESC
        file="" ncmd=1
        if [[ $ds != strings ]]; then
            file=$WORK/$ds.resp
            ncmd=$(gen_resp "$ds" "$file")
            note "$ds: $DS_DESC ($ncmd commands, $(($(stat -c %s "$file") / 1024)) KiB of RESP)"
        else
            note "$ds: $DS_DESC"
        fi
        for name in "${NAMES[@]}"; do
            start_server "$name"
            read -r u r < <(mem_now "$name")
            t0=$EPOCHREALTIME
            load_dataset "$name" "$ds" "$file" "$ncmd"
            t1=$EPOCHREALTIME
            secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
            sleep 1   # let lazy work (rehashing steps, allocator purges) settle
            read -r ua ra < <(mem_now "$name")
            if [[ -n $LOAD_ERR ]]; then
                status="FAILED: $(one_line <<<"$LOAD_ERR")"
                note "FAILED $ds on $name: $LOAD_ERR"
                per_u=n/a per_r=n/a
            else
                status=ok
                per_u=$(awk -v a="$ua" -v b="$u" -v k="$DS_COUNT" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/) printf "%.1f", (a - b) / k; else print "n/a" }')
                per_r=$(awk -v a="$ra" -v b="$r" -v k="$DS_COUNT" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/) printf "%.1f", (a - b) / k; else print "n/a" }')
                note "  $name: ${secs}s, used/$DS_UNIT $per_u, rss/$DS_UNIT $per_r"
            fi
            echo "$ds,$name,$DS_COUNT,$DS_KEYS,$DS_UNIT,$u,$ua,$per_u,$r,$ra,$per_r,$secs,\"$status\"" >>"$csv"
            stop_server "$name"
        done
        [[ -z $file ]] || rm -f "$file" "$file.cmds"
    done
    {
        header
        echo "#   each dataset loaded into a fresh server; per unit = (after - before) / count, unit = key or element;"
        echo "#   scale $MEM_SCALE; ratio = ferrodis / redis (below 1: ferrodis uses less)"
        for ds in "${DATASETS[@]}"; do printf '#   %-12s %s\n' "$ds" "${DESC[$ds]}"; done
        echo
        printf '%-12s %-8s %10s %10s %7s %10s %10s %7s %8s %8s\n' dataset per "f used" "r used" ratio "f rss" "r rss" ratio "f load_s" "r load_s"
        tail -n +2 "$csv" | awk -F, '
            function ratio(a, b) { return (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) ? sprintf("%.3f", a / b) : "n/a" }
            { if (!($1 in unit)) order[++nd] = $1; unit[$1] = $5; u[$1, $2] = $8; r[$1, $2] = $11; s[$1, $2] = $12
              if ($13 != "\"ok\"") { u[$1, $2] = r[$1, $2] = "FAILED"; fail[++nf] = sprintf("  %-8s %-12s %s", $2, $1, substr($0, index($0, "\"") + 1)); sub(/"$/, "", fail[nf]); sub(/FAILED: /, "", fail[nf]) } }
            END {
                for (i = 1; i <= nd; i++) {
                    d = order[i]; qu = ratio(u[d, "ferrodis"], u[d, "redis"]); qr = ratio(r[d, "ferrodis"], r[d, "redis"])
                    printf "%-12s %-8s %10s %10s %7s %10s %10s %7s %8s %8s\n", d, unit[d], u[d, "ferrodis"], u[d, "redis"], qu,
                        r[d, "ferrodis"], r[d, "redis"], qr, s[d, "ferrodis"], s[d, "redis"]
                    if (qu != "n/a") { su += log(qu); nu++ }
                    if (qr != "n/a") { sr += log(qr); nr++ }
                }
                print ""
                printf "geomean ratio: used_memory %s (%d datasets), RSS %s (%d datasets)\n",
                    nu ? sprintf("%.3f", exp(su / nu)) : "n/a", nu, nr ? sprintf("%.3f", exp(sr / nr)) : "n/a", nr
                if (nf) { print ""; print "failed loads (nothing measured):"; for (i = 1; i <= nf; i++) print fail[i] }
            }'
        echo
        echo "raw bytes (before -> after):"
        tail -n +2 "$csv" | while IFS=, read -r ds name _ _ _ ub ua _ rb ra _; do
            printf '  %-12s %-8s used %12s -> %12s   rss %12s -> %12s\n' "$ds" "$name" "$ub" "$ua" "$rb" "$ra"
        done
    } >"$report"
    cat "$report"
    mkdir -p "$RESULTS"
    cp "$csv" "$RESULTS/$STAMP-memory.csv"
    cp "$report" "$RESULTS/$STAMP-memory.txt"
    note "results: bench/results/$STAMP-memory.{csv,txt}"
}

"$MODE"
