#!/usr/bin/env bash
# bench/types.sh: streams, bitmaps, HyperLogLog and geo, ferrodis against
# Debian's redis-server on the same machine, in the same run, as ratios
# (ferrodis / redis).
#
#   bench/types.sh [options]          (or: make bench-types)
#
# Throughput tests (ops/s; 50 clients; P = pipeline depths run):
#   xadd        XADD bench:xadd * f v                       P=1,16
#   xrange_100  XRANGE bench:xr - + COUNT 100 on a stream of
#               max(1000, 10000 x scale) entries            P=1,16
#   xreadgroup  bench/loadgen.rs "xgroup": each client runs XREADGROUP
#               GROUP g c<i> COUNT 10 STREAMS bench:xgroup > and XACKs the
#               IDs it got, until a fresh group has drained a stream of
#               BENCH_XGROUP_ENTRIES entries; ops/s = entries consumed and
#               acked per second (P = XREADGROUPs per write)    P=1,16
#   pfadd       PFADD bench:pfadd e:__rand_int__ (-r 100000000)  P=1,16
#   pfcount     PFCOUNT bench:hll, a HyperLogLog of 100k x scale elements
#               (the cached cardinality stays valid, in both servers) P=1,16
#   setbit      bench/loadgen.rs "setbit": SETBIT bench:bitmap OFFSET 1,
#               pseudo-random offsets below 8M (a 1 MB bitmap), the same
#               for both servers (redis-benchmark's __rand_int__ is
#               zero-padded, which SETBIT refuses)            P=1,16
#   bitcount    BITCOUNT bench:bits, a 1 MB string of 0x55 bytes   P=1
#   geoadd      bench/loadgen.rs "geoadd": GEOADD bench:geoadd LON LAT
#               m:<i>:<n>, pseudo-random coordinates over Sicily, the same
#               for both servers (redis-benchmark's __rand_int__ cannot make
#               spread-out coordinates)                      P=1,16
#   geosearch   GEOSEARCH bench:geo FROMLONLAT 13.36 38.11 BYRADIUS 5 km
#               COUNT 10 ASC over 1M x scale points spread over Sicily
#               (about 1,500 within 5 km at scale 1)        P=1
# Memory test:
#   stream_1m   one stream of 1M x scale entries (XADD bench:xmem <N>-1 f
#               <8-digit N>, explicit increasing IDs) loaded with redis-cli
#               --pipe into a fresh server, one server at a time; reports
#               (after - before) / entries of used_memory and of RSS.
#
# Every dataset is written once as RESP and fed to both servers with
# redis-cli --pipe, so both get the same bytes. Keys written by a timed test
# (bench:xadd, bench:pfadd, bench:geoadd) are deleted before each run; each
# xreadgroup run gets a new consumer group on the unchanged stream (and
# destroys it after). Before timing anything the script checks the datasets
# and one sample reply of every test's command, in the form the test sends
# it, on both servers (XADD answers an ID, XRANGE the first 100 entries,
# XREADGROUP 10 entries and XACK 10, PFCOUNT within 2% of the elements
# added, BITCOUNT 4194304, GEOSEARCH an array of members, ...) and stops
# (exit 1) if one is wrong, a dataset does not load or a server does not
# start.
# A timed run that fails (error reply, timeout, wrong reply byte in the load
# generator) is reported as FAILED; the run goes on, and the script then
# exits 1 after the report.
#
# Conditions, as in bench/compare.sh: both servers get the same arguments
# (--save '' --appendonly no, a free port each), run at the same time during
# the throughput tests, pinned to CPU $SERVER_CPU, with redis-benchmark,
# the load generator and redis-cli pinned to CPU $BENCH_CPU; the script
# refuses (exit 3) to report unless their arguments, CPU affinity and the
# settings both answer through CONFIG GET match, at the start and at the
# end. Each round runs every test on both servers back to back, flipping
# which goes first every round; the report gives per test and pipeline
# depth the median ops/s of each server, the median of the per-round ratios
# and their geometric mean.
#
# Options (each has an environment variable; an option wins over it):
#   -t, --tests LIST   BENCH_TYPES_TESTS  comma separated, from the list
#                      above (stream_1m is the memory test) [all]
#   -n, --requests N   BENCH_N            requests per run [100000]
#   -r, --rounds N     BENCH_ROUNDS       rounds [3]
#   --scale F          BENCH_TYPES_SCALE  multiplies the dataset sizes
#                      (geo points, HLL elements, memory stream; the XRANGE
#                      stream never goes below 1000 entries) [1]
#   --quick            defaults become -n 10000, 1 round, --scale 0.1
#   -h, --help         this text
# More environment (defaults in brackets):
#   BENCH_CLIENTS          connections (-c) [50]
#   BENCH_SLOW_N           requests of bitcount and geosearch, which do far
#                          more work per request [BENCH_N / 5]
#   BENCH_XGROUP_ENTRIES   entries each xreadgroup run drains [10 x BENCH_N]
#   BENCH_TIMEOUT          seconds one timed run may take [120 + requests/500]
#   LOADGEN    load generator [target/release/examples/loadgen, (re)built
#              with cargo build --release --example loadgen]; when set,
#              nothing is built
#   FERRODIS   server binary to test [target/release/ferrodis-server, built
#              with cargo build --release]; when set, nothing is built
#   REDIS      reference server [redis-server on PATH]
#   SERVER_CPU / BENCH_CPU   CPUs for servers / clients [0 / 1]
#
# Examples:
#   make bench-types
#   bench/types.sh --quick -t xadd,geosearch
#   FERRODIS=$PWD/target/release/ferrodis-server \
#       bench/types.sh -n 5000 -r 1 --scale 0.01           a smoke run
#
# Output: a table on stdout; in bench/results/: types-<timestamp>.csv
# (summary: test,pipeline,requests,unit,ferrodis,redis,ratio,valid_rounds),
# types-<timestamp>-raw.csv (every run), types-<timestamp>-memory.csv and
# types-<timestamp>.txt (the report), types-<timestamp>-failures.csv if any.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT SELF=types

die() { echo "$SELF: error: $*" >&2; exit 1; }
note() { echo "$SELF: $*" >&2; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

# ------------------------------------------------------------ settings
QUICK=0
while (($#)); do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --quick) QUICK=1 ;;
        -t | --tests | -n | --requests | -r | --rounds | --scale)
            (($# >= 2)) || { echo "$SELF: $1 needs a value" >&2; exit 2; }
            case $1 in
                -t | --tests) BENCH_TYPES_TESTS=$2 ;;
                -n | --requests) BENCH_N=$2 ;;
                -r | --rounds) BENCH_ROUNDS=$2 ;;
                --scale) BENCH_TYPES_SCALE=$2 ;;
            esac
            shift ;;
        *) echo "usage: $0 [options]   ($0 --help for the options)" >&2; exit 2 ;;
    esac
    shift
done

ALL_TESTS=xadd,xrange_100,xreadgroup,pfadd,pfcount,setbit,bitcount,geoadd,geosearch,stream_1m
if ((QUICK)); then q_n=10000 q_rounds=1 q_scale=0.1; else q_n=100000 q_rounds=3 q_scale=1; fi
TESTS=${BENCH_TYPES_TESTS:-$ALL_TESTS}
N=${BENCH_N:-$q_n}
ROUNDS=${BENCH_ROUNDS:-$q_rounds}
SCALE=${BENCH_TYPES_SCALE:-$q_scale}
CLIENTS=${BENCH_CLIENTS:-50}
SERVER_CPU=${SERVER_CPU:-0}
BENCH_CPU=${BENCH_CPU:-1}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-}

posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "$SELF: $1 must be a positive integer (got '$2')" >&2; exit 2; }; }
posint BENCH_N "$N"; posint BENCH_ROUNDS "$ROUNDS"; posint BENCH_CLIENTS "$CLIENTS"
[[ -z $BENCH_TIMEOUT ]] || posint BENCH_TIMEOUT "$BENCH_TIMEOUT"
if ! [[ $SCALE =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]] || ! awk -v s="$SCALE" 'BEGIN { exit !(s > 0) }'; then
    echo "$SELF: BENCH_TYPES_SCALE must be a positive number (got '$SCALE')" >&2; exit 2
fi
# A size at scale 1 rounded to the scale in use, at least $2 (default 1).
scaled() { awk -v n="$1" -v s="$SCALE" -v m="${2:-1}" 'BEGIN { v = int(n * s + 0.5); print v < m ? m : v }'; }
SLOW_N=${BENCH_SLOW_N:-$(((N + 4) / 5))}
XG_ENTRIES=${BENCH_XGROUP_ENTRIES:-$((10 * N))}
posint BENCH_SLOW_N "$SLOW_N"; posint BENCH_XGROUP_ENTRIES "$XG_ENTRIES"
XR_LEN=$(scaled 10000 1000)      # the XRANGE stream
HLL_N=$(scaled 100000 1000)      # elements of the PFCOUNT key
GEO_N=$(scaled 1000000 1000)     # points of the GEOSEARCH key
XMEM_N=$(scaled 1000000 1000)    # entries of the memory stream
BITMAP_BYTES=1048576             # both bitmaps: 1 MB (offsets < 8M)

TLIST=() MEMORY=0
IFS=, read -ra _names <<<"$TESTS"
for t in "${_names[@]}"; do
    t=${t,,}; t=${t// /}
    [[ -n $t ]] || continue
    [[ ,$ALL_TESTS, == *,"$t",* ]] || { echo "$SELF: unknown test '$t' (known: $ALL_TESTS)" >&2; exit 2; }
    if [[ $t == stream_1m ]]; then MEMORY=1
    elif [[ " ${TLIST[*]} " != *" $t "* ]]; then TLIST+=("$t"); fi
done
((${#TLIST[@]} || MEMORY)) || { echo "$SELF: no tests selected" >&2; exit 2; }

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
# Always rebuilt (a no-op when current) unless given: an older loadgen
# would lack the xgroup, geoadd and setbit modes.
if [[ -z ${LOADGEN:-} && " ${TLIST[*]} " =~ \ (xreadgroup|geoadd|setbit)\  ]]; then
    note "building: cargo build --release --example loadgen"
    (cd "$ROOT" && cargo build --release --quiet --example loadgen) || die "cargo build of bench/loadgen.rs failed"
fi
LOADGEN=${LOADGEN:-$ROOT/target/release/examples/loadgen}
[[ ! " ${TLIST[*]} " =~ \ (xreadgroup|geoadd|setbit)\  || -x $LOADGEN ]] || die "not executable: $LOADGEN"

COMMON_ARGS=(--save '' --appendonly no)

# Pin only where there are two CPUs to keep servers and clients apart.
PIN_SERVER=() PIN_BENCH=()
if command -v taskset >/dev/null && (($(nproc) >= 2)); then
    PIN_SERVER=(taskset -c "$SERVER_CPU") PIN_BENCH=(taskset -c "$BENCH_CPU")
else
    note "fewer than 2 CPUs or no taskset: running unpinned (numbers are noisier)"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferrodis-types.XXXXXX")
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

# Start server $1 (ferrodis|redis) and wait until it answers PING.
start_server() {
    local name=$1 i
    PORT[$name]=$(free_port)
    rm -rf "${WORK:?}/$name"
    mkdir -p "$WORK/$name"
    # Run in its own directory so nothing lands in the repo; taskset execs
    # the server, so $! is the server's own pid.
    (cd "$WORK/$name" && exec "${PIN_SERVER[@]}" "${BIN[$name]}" "${COMMON_ARGS[@]}" --port "${PORT[$name]}") \
        >>"$WORK/$name.log" 2>&1 </dev/null &
    PID[$name]=$!
    # What it was given, the port aside. (/proc/PID/cmdline is no witness:
    # Redis overwrites it with its process title.)
    LAUNCH[$name]="pin:${PIN_SERVER[*]:-none} args:$(printf ' %q' "${COMMON_ARGS[@]}") --port <port>"
    for ((i = 0; i < 100; i++)); do
        [[ $(cli "$name" ping 2>/dev/null) == PONG ]] && return 0
        kill -0 "${PID[$name]}" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$WORK/$name.log" >&2 || true
    die "$name (${BIN[$name]}) did not start on port ${PORT[$name]}"
}

stop_server() {
    local name=$1 i
    kill -TERM "${PID[$name]}" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "${PID[$name]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${PID[$name]}" 2>/dev/null || true
    wait "${PID[$name]}" 2>/dev/null || true
    unset "PID[$name]"
}

alive() { kill -0 "${PID[$1]}" 2>/dev/null && [[ $(cli "$1" ping 2>/dev/null) == PONG ]]; }

affinity() { awk '/^Cpus_allowed_list/ { print $2 }' "/proc/${PID[$1]}/status"; }

# Settings that change the speed or memory use of these types; compared
# where both servers answer CONFIG GET (a server that does not is noted).
CHECK_CONFIGS=(save appendonly maxmemory maxmemory-policy hz dynamic-hz io-threads activerehashing
    activedefrag lazyfree-lazy-user-del databases stream-node-max-bytes stream-node-max-entries
    hll-sparse-max-bytes zset-max-listpack-entries zset-max-listpack-value)

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
    echo "# ferrodis vs redis, streams / bitmaps / HyperLogLog / geo, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "# commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
    versions
    echo "#   server args:$(printf ' %q' "${COMMON_ARGS[@]}") --port <free port>; pinned: ${PIN_SERVER[*]:-no} / clients ${PIN_BENCH[*]:-no}"
    echo "#   $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

RESULTS=$ROOT/bench/results
STAMP=$(date '+%Y%m%d-%H%M%S')

one_line() { tr -d '\r"' | tr '\n,' '; ' | sed -e 's/ *with args beginning with:.*//' -e 's/; *$//' | cut -c1-160; }

# ------------------------------------------------------------ datasets
# The read-only keys of the throughput tests, as RESP on stdout; the number
# of commands goes to file $1.
gen_datasets() {
    awk -v xr="$XR_LEN" -v xg="$XG_ENTRIES" -v hll="$HLL_N" -v geo="$GEO_N" -v bits="$BITMAP_BYTES" -v cmds="$1" '
        # One command of m arguments a[1..m], in RESP.
        function emit(m,    i) {
            printf "*%d\r\n", m
            for (i = 1; i <= m; i++) printf "$%d\r\n%s\r\n", length(a[i]), a[i]
            ncmd++
        }
        BEGIN {
            # Streams: explicit IDs N-1, one field f with an 8-byte value.
            for (k = 1; k <= xr; k++) { a[1] = "XADD"; a[2] = "bench:xr"; a[3] = k "-1"; a[4] = "f"; a[5] = sprintf("%08d", k); emit(5) }
            for (k = 1; k <= xg; k++) { a[1] = "XADD"; a[2] = "bench:xgroup"; a[3] = k "-1"; a[4] = "f"; a[5] = sprintf("%08d", k); emit(5) }
            # HyperLogLog: 1000 elements a command.
            for (k = 0; k < hll; k += 1000) {
                a[1] = "PFADD"; a[2] = "bench:hll"; m = 2
                for (e = k; e < hll && e < k + 1000; e++) a[++m] = "element:" e
                emit(m)
            }
            # The SETBIT bitmap: setting the last bit to 0 allocates 1 MB of zeros.
            a[1] = "SETBIT"; a[2] = "bench:bitmap"; a[3] = bits * 8 - 1; a[4] = 0; emit(4)
            # The BITCOUNT string: 1 MB of "U" (0x55, four bits set a byte).
            s = "UUUUUUUUUUUUUUUU"; while (length(s) < bits) s = s s
            a[1] = "SET"; a[2] = "bench:bits"; a[3] = substr(s, 1, bits); emit(3)
            # Geo: points spread evenly over Sicily, 100 a command; srand
            # with a fixed seed, and both servers read this one file anyway.
            srand(42)
            for (k = 0; k < geo; k += 100) {
                a[1] = "GEOADD"; a[2] = "bench:geo"; m = 2
                for (e = k; e < geo && e < k + 100; e++) {
                    a[++m] = sprintf("%.6f", 12.4 + 3.2 * rand()); a[++m] = sprintf("%.6f", 36.6 + 1.7 * rand()); a[++m] = "m:" e
                }
                emit(m)
            }
            print ncmd > cmds
        }'
}

# The memory test's stream, as RESP on stdout; the command count to file $1.
gen_xmem() {
    awk -v n="$XMEM_N" -v cmds="$1" 'BEGIN {
        for (k = 1; k <= n; k++) { v = sprintf("%08d", k); printf "*5\r\n$4\r\nXADD\r\n$10\r\nbench:xmem\r\n$%d\r\n%s\r\n$1\r\nf\r\n$8\r\n%s\r\n", length(k "-1"), k "-1", v }
        print n > cmds
    }'
}

# Feed RESP file $2 ($3 commands) to server $1 with redis-cli --pipe; dies
# unless every command got a non-error reply.
pipe_load() {
    local name=$1 file=$2 ncmd=$3 out rc=0 errs replies
    out=$(timeout 900 "${PIN_BENCH[@]}" redis-cli -h 127.0.0.1 -p "${PORT[$name]}" --pipe <"$file" 2>"$WORK/pipe.err") || rc=$?
    errs=$(sed -n 's/^errors: \([0-9]*\), replies: .*/\1/p' <<<"$out")
    replies=$(sed -n 's/^errors: .*, replies: \([0-9]*\)$/\1/p' <<<"$out")
    ((rc != 124)) || die "$name: redis-cli --pipe timed out after 900s"
    [[ $rc == 0 && $errs == 0 && $replies == "$ncmd" ]] ||
        die "$name: redis-cli --pipe: errors ${errs:-?}, replies ${replies:-?} of $ncmd; $(head -n 2 "$WORK/pipe.err" | one_line)$(grep -m1 -i err <<<"$out" | one_line)"
}

# Die unless command "${@:3}" on server $1 answers something matching the
# regex $2 (redis-cli's raw output, lines joined by ";").
expect_reply() {
    local name=$1 want=$2 got
    got=$(cli "$name" "${@:3}" 2>&1 | tr -d '\r' | paste -sd ';') || true
    [[ $got =~ $want ]] || die "$name: '${*:3}' answered '$(one_line <<<"$got")', expected /$want/"
}

# Before any timing: the datasets on server $1, and one sample of every
# selected test's command on it, in the exact form the test sends (for
# redis-benchmark, __rand_int__ becomes 12 zero-padded digits, as there).
check_commands() {
    local name=$1 lo hi got t sample
    expect_reply "$name" "^$XR_LEN\$" xlen bench:xr
    expect_reply "$name" "^$XG_ENTRIES\$" xlen bench:xgroup
    # HyperLogLog's standard error is 0.81%: 2% is a safe bound.
    got=$(cli "$name" pfcount bench:hll | one_line)
    lo=$((HLL_N * 98 / 100)) hi=$((HLL_N * 102 / 100))
    if ! [[ $got =~ ^[0-9]+$ ]] || ((got < lo || got > hi)); then
        die "$name: PFCOUNT bench:hll answered '$got', expected $lo..$hi"
    fi
    expect_reply "$name" "^$BITMAP_BYTES\$" strlen bench:bitmap
    expect_reply "$name" "^$BITMAP_BYTES\$" strlen bench:bits
    expect_reply "$name" "^$GEO_N\$" zcard bench:geo
    for t in "${TLIST[@]}"; do
        test_info "$t"
        if [[ $t == xreadgroup ]]; then
            # What the load generator does, once, on a group of its own.
            expect_reply "$name" '^OK$' xgroup create bench:xgroup check 0
            expect_reply "$name" '^bench:xgroup;1-1;f;00000001;2-1;f;00000002;' \
                xreadgroup group check c0 count 10 streams bench:xgroup '>'
            expect_reply "$name" '^10$' xack bench:xgroup check 1-1 2-1 3-1 4-1 5-1 6-1 7-1 8-1 9-1 10-1
            expect_reply "$name" '^1$' xgroup destroy bench:xgroup check
            continue
        fi
        sample=("${T_SAMPLE[@]}")
        ((${#sample[@]})) || sample=("${T_CMD[@]//__rand_int__/000000012345}")
        expect_reply "$name" "$T_EXPECT" "${sample[@]}"
    done
    if [[ " ${TLIST[*]} " == *" xrange_100 "* ]]; then
        got=$(cli "$name" xrange bench:xr - + count 100 | wc -l)
        [[ $got == 300 ]] || die "$name: XRANGE bench:xr - + COUNT 100 gave $got lines, expected 300"
    fi
}

# ------------------------------------------------------------ tests
# Test $1, as settings: T_PIPES (depths it runs at), T_N (requests, or
# entries for xreadgroup), T_UNIT, T_RESET (a command run on each server
# before each run, or ""), either T_LOADGEN (its mode) or T_CMD
# (redis-benchmark's command) with T_RAND (its -r, or ""), and T_EXPECT, a
# regex the sample reply must match (of T_SAMPLE, or of T_CMD when empty).
test_info() {
    T_PIPES="1 16" T_N=$N T_UNIT=ops T_RESET="" T_LOADGEN="" T_CMD=() T_RAND="" T_SAMPLE=() T_EXPECT=""
    case $1 in
        xadd) T_CMD=(XADD bench:xadd '*' f v) T_RESET="del bench:xadd" T_EXPECT='^[0-9]+-[0-9]+$' ;;
        xrange_100) T_CMD=(XRANGE bench:xr - + COUNT 100) T_EXPECT='^1-1;f;00000001;2-1;f;00000002;.*;100-1;f;00000100$' ;;
        xreadgroup) T_LOADGEN=xgroup T_N=$XG_ENTRIES T_UNIT=entries ;;
        pfadd) T_CMD=(PFADD bench:pfadd e:__rand_int__) T_RAND=100000000 T_RESET="del bench:pfadd" T_EXPECT='^[01]$' ;;
        pfcount) T_CMD=(PFCOUNT bench:hll) T_EXPECT='^[0-9]+$' ;;
        # Not redis-benchmark: its __rand_int__ is zero-padded, and SETBIT
        # refuses an offset with leading zeros.
        setbit) T_LOADGEN=setbit T_SAMPLE=(SETBIT bench:bitmap 4242 1) T_EXPECT='^[01]$' ;;
        bitcount) T_CMD=(BITCOUNT bench:bits) T_PIPES=1 T_N=$SLOW_N T_EXPECT="^$((BITMAP_BYTES * 4))\$" ;;
        geoadd) T_LOADGEN=geoadd T_RESET="del bench:geoadd" T_SAMPLE=(GEOADD bench:geoadd 13.361389 38.115556 m:0:0) T_EXPECT='^1$' ;;
        geosearch)
            T_CMD=(GEOSEARCH bench:geo FROMLONLAT 13.36 38.11 BYRADIUS 5 km COUNT 10 ASC) T_PIPES=1 T_N=$SLOW_N
            # Ten members at scale 1 (about 1,500 points lie within 5 km);
            # a small --scale may leave fewer.
            T_EXPECT="^m:[0-9]+(;m:[0-9]+){$( ((GEO_N >= 100000)) && echo 9 || echo 0,9)}\$" ;;
    esac
}

# One timed run of test $2 at pipeline $3 on server $1 (round $4): prints
# ops/s, or n/a after appending the reason to $WORK/failures.csv.
run_one() {
    local name=$1 test=$2 p=$3 r=$4 out rc=0 why="" rps=n/a err=$WORK/run.err group complaint
    test_info "$test"
    local limit=${BENCH_TIMEOUT:-$((120 + T_N / 500))}
    # shellcheck disable=SC2086 # T_RESET is a command and its arguments
    [[ -z $T_RESET ]] || cli "$name" $T_RESET >/dev/null 2>&1 || true
    if [[ $T_LOADGEN == xgroup ]]; then
        group=g$r-$p
        out=$(cli "$name" xgroup create bench:xgroup "$group" 0 2>&1)
        [[ $out == OK ]] || die "$name: XGROUP CREATE bench:xgroup $group 0 answered '$(one_line <<<"$out")'"
        out=$(timeout "$limit" "${PIN_BENCH[@]}" "$LOADGEN" xgroup "${PORT[$name]}" "$CLIENTS" "$T_N" "$p" "$group" \
                  2>"$err" </dev/null) || rc=$?
        cli "$name" xgroup destroy bench:xgroup "$group" >/dev/null 2>&1 || true
    elif [[ -n $T_LOADGEN ]]; then
        # The same seed for both servers: the same commands.
        out=$(timeout "$limit" "${PIN_BENCH[@]}" "$LOADGEN" "$T_LOADGEN" "${PORT[$name]}" "$CLIENTS" "$T_N" "$p" 42 \
                  2>"$err" </dev/null) || rc=$?
    else
        local rand=()
        [[ -z $T_RAND ]] || rand=(-r "$T_RAND")
        out=$(timeout "$limit" "${PIN_BENCH[@]}" redis-benchmark -h 127.0.0.1 -p "${PORT[$name]}" \
                  -q --csv -n "$T_N" -c "$CLIENTS" -P "$p" "${rand[@]}" "${T_CMD[@]}" 2>"$err" </dev/null) || rc=$?
        [[ $rc != 0 ]] || out=$(awk -F'","' 'END { if (NR > 1 && $2 ~ /^[0-9.]+$/) print $2; else print "n/a" }' <<<"$out")
    fi
    # Anything on stderr but the CONFIG fetch warning means the run went
    # wrong (redis-benchmark exits at the first error reply).
    complaint=$(grep -v -e '^WARNING: Could not fetch server CONFIG' -e '^$' "$err" | head -n 3 | one_line) || true
    if ((rc == 124)); then why="timed out after ${limit}s"
    elif ((rc != 0)); then why="exit $rc${complaint:+: $complaint}"
    elif [[ -n $complaint ]]; then why=$complaint
    elif ! [[ $out =~ ^[0-9.]+$ ]]; then why="no rate in the output (too few requests to time?): $(one_line <<<"$out")"
    else rps=$out; fi
    if [[ -n $why ]]; then
        echo "$r,$name,$test,$p,\"$why\"" >>"$WORK/failures.csv"
        note "FAILED $test -P $p on $name (round $r): $why"
    fi
    echo "$rps"
}

speed() {
    local r t p name first second rps raw=$WORK/raw.csv ncmd runs=0 total=0
    echo "round,server,test,pipeline,requests,unit,ops_per_sec" >"$raw"
    echo "round,server,test,pipeline,reason" >"$WORK/failures.csv"
    for name in "${NAMES[@]}"; do start_server "$name"; done
    verify_same_conditions ferrodis redis
    gen_datasets "$WORK/data.cmds" >"$WORK/data.resp"
    ncmd=$(cat "$WORK/data.cmds")
    note "datasets: XRANGE stream $XR_LEN, XREADGROUP stream $XG_ENTRIES, HLL $HLL_N elements, 2 bitmaps of 1 MB," \
        "$GEO_N geo points ($ncmd commands, $(($(stat -c %s "$WORK/data.resp") / 1024)) KiB of RESP)"
    for name in "${NAMES[@]}"; do
        pipe_load "$name" "$WORK/data.resp" "$ncmd"
        check_commands "$name"
    done
    rm -f "$WORK/data.resp"
    note "sample replies of every command match on both servers"
    for t in "${TLIST[@]}"; do test_info "$t"; for p in $T_PIPES; do total=$((total + 2 * ROUNDS)); done; done
    note "$total timed runs: -n $N (bitcount, geosearch: $SLOW_N; xreadgroup: $XG_ENTRIES entries) -c $CLIENTS, $ROUNDS rounds"
    for ((r = 1; r <= ROUNDS; r++)); do
        # Alternate which server goes first, so drift on a shared machine
        # does not always favour the same one.
        if ((r % 2)); then first=ferrodis second=redis; else first=redis second=ferrodis; fi
        for t in "${TLIST[@]}"; do
            test_info "$t"
            for p in $T_PIPES; do
                for name in "$first" "$second"; do
                    alive "$name" || die "$name stopped answering before $t -P $p (round $r); log: $(tail -n 3 "$WORK/$name.log" | one_line)"
                    rps=$(run_one "$name" "$t" "$p" "$r")
                    echo "$r,$name,$t,$p,$T_N,$T_UNIT,$rps" >>"$raw"
                    runs=$((runs + 1))
                    [[ ! -t 2 ]] || printf '\r%s: %d/%d %-11s -P %-3s %-9s %s %s/s        ' \
                        "$SELF" "$runs" "$total" "$t" "$p" "$name" "$rps" "$T_UNIT" >&2
                done
            done
        done
    done
    [[ ! -t 2 ]] || echo >&2
    verify_same_conditions ferrodis redis   # still the same servers and settings at the end
    for name in "${NAMES[@]}"; do stop_server "$name"; done
}

# Medians and per-round ratio medians of raw CSV $1, as the summary CSV.
summarize() {
    awk -F, -v rounds="$ROUNDS" '
        function median(s,    n, a, i, j, t) {
            n = split(s, a, " ")
            for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return n == 0 ? "" : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
        }
        NR == 1 { next }
        {
            key = $3 SUBSEP $4
            if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
            v[$1, $2, key] = $7; req[key] = $5; unit[key] = $6
        }
        END {
            print "test,pipeline,requests,unit,ferrodis_per_sec,redis_per_sec,ratio,valid_rounds"
            for (k = 1; k <= nk; k++) {
                key = order[k]; split(key, tp, SUBSEP); fs = rs = qs = ""; nv = 0
                for (r = 1; r <= rounds; r++) {
                    f = v[r, "ferrodis", key]; g = v[r, "redis", key]
                    if (f ~ /^[0-9.]+$/) fs = fs " " f
                    if (g ~ /^[0-9.]+$/) rs = rs " " g
                    if (f ~ /^[0-9.]+$/ && g ~ /^[0-9.]+$/ && g > 0) { qs = qs " " f / g; nv++ }
                }
                fm = median(fs); rm = median(rs); qm = median(qs)
                printf "%s,%s,%s,%s,%s,%s,%s,%d\n", tp[1], tp[2], req[key], unit[key],
                    fm == "" ? "n/a" : sprintf("%.0f", fm), rm == "" ? "n/a" : sprintf("%.0f", rm),
                    qm == "" ? "n/a" : sprintf("%.3f", qm), nv
            }
        }' "$1"
}

# ------------------------------------------------------------ memory
# used_memory and RSS of server $1, in bytes: "used rss".
mem_now() {
    local used rss
    used=$(cli "$1" info memory 2>/dev/null | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }')
    rss=$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/${PID[$1]}/status")
    echo "${used:-n/a} ${rss:-n/a}"
}

# Load the memory stream into a fresh server of each kind, one at a time.
memory() {
    local name u r ua ra t0 t1 csv=$WORK/memory.csv
    echo "dataset,server,entries,used_before,used_after,used_per_entry,rss_before,rss_after,rss_per_entry,load_seconds" >"$csv"
    gen_xmem "$WORK/xmem.cmds" >"$WORK/xmem.resp"
    note "stream_1m: $XMEM_N x XADD bench:xmem <N>-1 f <8 digits> ($(($(stat -c %s "$WORK/xmem.resp") / 1024)) KiB of RESP)"
    if ((${#TLIST[@]} == 0)); then
        # No throughput run compared the conditions yet.
        for name in "${NAMES[@]}"; do start_server "$name"; done
        verify_same_conditions ferrodis redis
        for name in "${NAMES[@]}"; do stop_server "$name"; done
    fi
    for name in "${NAMES[@]}"; do
        start_server "$name"
        read -r u r < <(mem_now "$name")
        t0=$EPOCHREALTIME
        pipe_load "$name" "$WORK/xmem.resp" "$XMEM_N"
        t1=$EPOCHREALTIME
        expect_reply "$name" "^$XMEM_N\$" xlen bench:xmem
        expect_reply "$name" "^$XMEM_N-1;f;$(printf %08d "$XMEM_N")\$" xrevrange bench:xmem + - count 1
        sleep 1   # let lazy work (allocator purges) settle
        read -r ua ra < <(mem_now "$name")
        awk -v s="$name" -v n="$XMEM_N" -v u="$u" -v ua="$ua" -v r="$r" -v ra="$ra" -v t0="$t0" -v t1="$t1" 'BEGIN {
            printf "stream_1m,%s,%d,%s,%s,%.1f,%s,%s,%.1f,%.2f\n", s, n, u, ua, (ua - u) / n, r, ra, (ra - r) / n, t1 - t0 }' >>"$csv"
        note "  $name: $(tail -n 1 "$csv" | awk -F, '{ printf "used/entry %s B, rss/entry %s B, load %s s", $6, $9, $10 }')"
        stop_server "$name"
    done
    rm -f "$WORK/xmem.resp"
}

# ------------------------------------------------------------ report
report() {
    local sum=$WORK/summary.csv fails=$WORK/failures.csv out=$WORK/report.txt
    {
        header
        echo "#   ratio = ferrodis / redis (median over rounds of the per-round ratios); above 1: ferrodis faster"
        if ((${#TLIST[@]})); then
            summarize "$WORK/raw.csv" >"$sum"
            echo "#   -c $CLIENTS, $ROUNDS round(s), order flipped every round; n = requests per run (entries for xreadgroup)"
            echo "#   datasets: XRANGE stream $XR_LEN entries, HLL $HLL_N elements, bitmaps 1 MB, $GEO_N geo points"
            echo
            printf '%-11s %3s %8s %-7s %15s %15s %7s\n' test P n unit ferrodis/s redis/s ratio
            tail -n +2 "$sum" | while IFS=, read -r t p n u f r q _; do
                [[ $f != n/a ]] || f=FAILED
                [[ $r != n/a ]] || r=FAILED
                printf '%-11s %3s %8s %-7s %15s %15s %7s\n' "$t" "$p" "$n" "$u" "$f" "$r" "$q"
            done
            echo
            tail -n +2 "$sum" | awk -F, '
                $7 ~ /^[0-9.]+$/ && $7 > 0 { s[$2] += log($7); n[$2]++; S += log($7); N++ }
                END {
                    for (p in n) printf "geomean ratio -P %-3s %.3f (%d tests)\n", p, exp(s[p] / n[p]), n[p]
                    if (N) printf "geomean ratio, all: %.3f (%d)\n", exp(S / N), N
                }'
        fi
        if ((MEMORY)); then
            echo
            echo "memory: one stream of $XMEM_N entries (f + 8-byte value), each server fresh; ratio below 1: ferrodis uses less"
            printf '%-11s %12s %12s %7s %12s %12s %7s\n' dataset "f used/entry" "r used/entry" ratio "f rss/entry" "r rss/entry" ratio
            awk -F, 'NR > 1 { u[$2] = $6; r[$2] = $9 }
                function q(a, b) { return b > 0 ? sprintf("%.3f", a / b) : "n/a" }
                END { printf "%-11s %12s %12s %7s %12s %12s %7s\n", "stream_1m", u["ferrodis"], u["redis"], q(u["ferrodis"], u["redis"]),
                      r["ferrodis"], r["redis"], q(r["ferrodis"], r["redis"]) }' "$WORK/memory.csv"
        fi
        if [[ -f $fails ]] && (($(wc -l <"$fails") > 1)); then
            echo
            echo "failed runs (round, server, test, P: reason):"
            tail -n +2 "$fails" | sed 's/^/  /'
        fi
    } >"$out"
    cat "$out"
    mkdir -p "$RESULTS"
    cp "$out" "$RESULTS/types-$STAMP.txt"
    if ((${#TLIST[@]})); then
        cp "$sum" "$RESULTS/types-$STAMP.csv"
        cp "$WORK/raw.csv" "$RESULTS/types-$STAMP-raw.csv"
    fi
    ((MEMORY == 0)) || cp "$WORK/memory.csv" "$RESULTS/types-$STAMP-memory.csv"
    if [[ -f $fails ]] && (($(wc -l <"$fails") > 1)); then
        cp "$fails" "$RESULTS/types-$STAMP-failures.csv"
        note "results: bench/results/types-$STAMP.*; some runs FAILED (listed above)"
        exit 1
    fi
    note "results: bench/results/types-$STAMP.*"
}

((${#TLIST[@]} == 0)) || speed
((MEMORY == 0)) || memory
report
