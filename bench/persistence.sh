#!/usr/bin/env bash
# bench/persistence.sh: RDB persistence, ferrodis against Debian's
# redis-server on the same machine, in the same run, with the same dataset.
#
#   bench/persistence.sh [options]          (or: make bench-persistence)
#
# For each server and round it measures:
#   bgsave_ms   BGSAVE wall clock, from the BGSAVE reply until INFO
#               persistence says rdb_bgsave_in_progress:0 (polled every
#               10 ms; rdb_last_bgsave_time_sec only counts whole seconds)
#   rdb_bytes   size of the dump.rdb that BGSAVE wrote
#   fork_usec   latest_fork_usec from INFO stats after that BGSAVE
#   load_ms     restart: the server is stopped and a fresh one started on
#               the saved file; wall clock from launching it until INFO
#               persistence answers loading:0
#   p50/p99/p99.9/max latency (us) seen by a steady client during the
#               BGSAVE: one connection, one request in flight, SET and GET
#               in turn on random populated keys (the SETs make the parent
#               copy pages on write), over the requests sent between BGSAVE
#               and the end of the save (so the fork's stall counts)
# and checks each dump.rdb with redis-check-rdb. The timing and the steady
# client are examples/latency_probe.rs (std only), compiled here with
# rustc -O: redis-benchmark 7.0 prints no p99.9, and a loop of redis-cli
# calls would time little but redis-cli's own start-up.
#
# Dataset, the same for both servers (K = --keys, default 5M keys): 4% each
# of small hashes (10 fields, listpack), small sets (10 integers, intset),
# small zsets (10 members, listpack) and small lists (10 elements); 4% of
# strings set with EX (TTLs of 1 to 2 days); K/10000 each of big hashes,
# sets, zsets and lists (1000 elements: hashtable, hashtable, skiplist,
# quicklist encodings); a TTL on every tenth small collection; the rest,
# about 80%, small strings by DEBUG POPULATE (key:N = value:N). All but the
# populated strings are written once as RESP and fed to each server with
# redis-cli --pipe, so both get the same bytes. After every load and every
# restart the script checks that INFO keyspace shows exactly K keys and the
# expected number of keys with a TTL; it stops (exit 1) otherwise, and when
# a server does not start, a BGSAVE fails, or a restart never finishes
# loading. A redis-check-rdb failure is reported, not fatal.
#
# Only one server runs at a time while data is in play: each round and
# server starts from an empty server, loads the dataset, saves, restarts on
# the file, and is stopped before the other server's turn, so neither
# competes with the other for CPU or memory; the order flips every round.
# Both servers get the same arguments (--save '' --appendonly no
# --enable-debug-command local --dir <own empty dir> --port <free port>) and
# the same CPU: servers are pinned to CPU $SERVER_CPU, the probe, redis-cli
# and redis-check-rdb to CPU $BENCH_CPU. The fork child inherits the
# server's CPU, so during a BGSAVE it shares that core with the parent, as
# it would on a busy machine; the same for both. Before measuring, the
# script starts both (empty) and refuses to go on (exit 3) unless their
# arguments, CPU affinity and the settings both report through CONFIG GET
# match.
#
# Options (each has an environment variable; an option wins over it):
#   -k, --keys N      BENCH_PERSIST_KEYS   keys in the dataset [5000000]
#   -r, --rounds N    BENCH_ROUNDS         rounds [3]
#   --quick           defaults become 200000 keys and 1 round
#   -h, --help        this text
# More environment (defaults in brackets):
#   BENCH_PERSIST_TIMEOUT  seconds a load, save, restart or check may take
#                          [900]
#   FERRODIS   server binary to test [target/release/ferrodis-server, built
#              with cargo build --release]; when set, nothing is built
#   REDIS      reference server [redis-server on PATH]
#   SERVER_CPU / BENCH_CPU   CPUs for servers / probe and tools [0 / 1]
#
# Output: a table on stdout with, per metric, the median over the rounds of
# each server, the ratio ferrodis / redis of those medians (every metric is
# lower-is-better) and whether the issue's target is met (bgsave_ms,
# load_ms, fork_usec and p99.9 no higher than Redis'); in bench/results/:
# persistence-<timestamp>.csv (that table), -raw.csv (every round) and .txt
# (the report).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT SELF=persistence

die() { echo "$SELF: error: $*" >&2; exit 1; }
note() { echo "$SELF: $*" >&2; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

# ------------------------------------------------------------ settings
QUICK=0
while (($#)); do
    case $1 in
        -h | --help) usage; exit 0 ;;
        --quick) QUICK=1 ;;
        -k | --keys | -r | --rounds)
            (($# >= 2)) || { echo "$SELF: $1 needs a value" >&2; exit 2; }
            case $1 in
                -k | --keys) BENCH_PERSIST_KEYS=$2 ;;
                -r | --rounds) BENCH_ROUNDS=$2 ;;
            esac
            shift ;;
        *) echo "usage: $0 [options]   ($0 --help for the options)" >&2; exit 2 ;;
    esac
    shift
done

if ((QUICK)); then q_keys=200000 q_rounds=1; else q_keys=5000000 q_rounds=3; fi
KEYS=${BENCH_PERSIST_KEYS:-$q_keys}
ROUNDS=${BENCH_ROUNDS:-$q_rounds}
TMO=${BENCH_PERSIST_TIMEOUT:-900}
SERVER_CPU=${SERVER_CPU:-0}
BENCH_CPU=${BENCH_CPU:-1}

posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "$SELF: $1 must be a positive integer (got '$2')" >&2; exit 2; }; }
posint BENCH_PERSIST_KEYS "$KEYS"; posint BENCH_ROUNDS "$ROUNDS"; posint BENCH_PERSIST_TIMEOUT "$TMO"
# Below this the 4% shares and the K/10000 big keys round to nothing.
((KEYS >= 10000)) || { echo "$SELF: BENCH_PERSIST_KEYS must be at least 10000 (got $KEYS)" >&2; exit 2; }

for t in redis-cli redis-check-rdb; do
    command -v "$t" >/dev/null || die "$t missing: run tests/install-deps.sh"
done
RUSTC=$(command -v rustc || echo "$HOME/.cargo/bin/rustc")
[[ -x $RUSTC ]] || die "rustc missing (the latency probe is compiled with it)"

# ------------------------------------------------------------ binaries
REDIS=${REDIS:-$(command -v redis-server || true)}
[[ -n $REDIS && -x $REDIS ]] || die "no redis-server (run tests/install-deps.sh or set REDIS)"
if [[ -z ${FERRODIS:-} ]]; then
    note "building: cargo build --release"
    (cd "$ROOT" && cargo build --release --quiet) || die "cargo build failed"
    FERRODIS=$ROOT/target/release/ferrodis-server
fi
[[ -x $FERRODIS ]] || die "not executable: $FERRODIS"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ferrodis-persist.XXXXXX")
PROBE=$WORK/latency_probe
# A second or two: the probe uses std only, so no cargo build is needed.
"$RUSTC" --edition 2021 -O "$ROOT/examples/latency_probe.rs" -o "$PROBE" 2>"$WORK/rustc.err" ||
    { cat "$WORK/rustc.err" >&2; die "could not compile examples/latency_probe.rs"; }

# The same arguments for both servers; each also gets its own --dir and
# --port. DEBUG POPULATE needs the DEBUG command, which 7.0 refuses by default.
COMMON_ARGS=(--save '' --appendonly no --enable-debug-command local)

# Pin only where there are two CPUs to keep server and client apart.
PIN_SERVER=() PIN_BENCH=()
if command -v taskset >/dev/null && (($(nproc) >= 2)); then
    PIN_SERVER=(taskset -c "$SERVER_CPU") PIN_BENCH=(taskset -c "$BENCH_CPU")
else
    note "fewer than 2 CPUs or no taskset: running unpinned (numbers are noisier)"
fi

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

# Launch server $1 in its directory without waiting for it; a fresh port
# unless $2 is "same" (a restart keeps its port).
launch_server() {
    local name=$1
    [[ ${2:-} == same ]] || PORT[$name]=$(free_port)
    # taskset execs the server, so $! is the server's own pid.
    (cd "$WORK/$name" && exec "${PIN_SERVER[@]}" "${BIN[$name]}" "${COMMON_ARGS[@]}" \
        --dir "$WORK/$name" --port "${PORT[$name]}") >>"$WORK/$name.log" 2>&1 </dev/null &
    PID[$name]=$!
    # What it was given, dir and port aside. (/proc/PID/cmdline is no
    # witness: Redis overwrites it with its process title.)
    LAUNCH[$name]="pin:${PIN_SERVER[*]:-none} args:$(printf ' %q' "${COMMON_ARGS[@]}") --dir <own> --port <port>"
}

# Start server $1 on an empty directory and wait until it answers PING.
start_server() {
    local name=$1 i
    rm -rf "${WORK:?}/$name"
    mkdir -p "$WORK/$name"
    launch_server "$name"
    for ((i = 0; i < 100; i++)); do
        [[ $(cli "$name" ping 2>/dev/null) == PONG ]] && return 0
        kill -0 "${PID[$name]}" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$WORK/$name.log" >&2 || true
    die "$name (${BIN[$name]}) did not start on port ${PORT[$name]}"
}

# SIGTERM: with --save '' neither server saves on the way out.
stop_server() {
    local name=$1 i
    kill -TERM "${PID[$name]}" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do kill -0 "${PID[$name]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${PID[$name]}" 2>/dev/null || true
    wait "${PID[$name]}" 2>/dev/null || true
    unset "PID[$name]"
}

affinity() { awk '/^Cpus_allowed_list/ { print $2 }' "/proc/${PID[$1]}/status"; }

# Settings that change save, load or memory behaviour; compared where both
# servers answer CONFIG GET (a server that does not is noted, not refused).
CHECK_CONFIGS=(save appendonly rdbcompression rdbchecksum rdb-del-sync-files dbfilename
    hz dynamic-hz activerehashing activedefrag maxmemory databases
    hash-max-listpack-entries hash-max-listpack-value zset-max-listpack-entries
    zset-max-listpack-value set-max-intset-entries list-max-listpack-size list-compress-depth
    loading-process-events-interval-bytes rdb-key-save-delay key-load-delay)

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
    echo "# ferrodis vs redis, persistence, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "# commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
    versions
    echo "#   server args:$(printf ' %q' "${COMMON_ARGS[@]}") --dir <own> --port <free port>; pinned: ${PIN_SERVER[*]:-no} / probe ${PIN_BENCH[*]:-no}"
    echo "#   $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

RESULTS=$ROOT/bench/results
STAMP=$(date '+%Y%m%d-%H%M%S')

one_line() { tr -d '\r"' | tr '\n,' '; ' | sed -e 's/; *$//' | cut -c1-160; }

# ------------------------------------------------------------ dataset
# The shares of the header, at K keys. SMALL keys of each collection type,
# BIG keys of each with BIG_LEN elements, TTL strings, POP populated ones.
SMALL=$((KEYS * 4 / 100))
BIG=$((KEYS / 10000))
BIG_LEN=1000
TTLS=$((KEYS * 4 / 100))
POP=$((KEYS - 4 * SMALL - 4 * BIG - TTLS))
# Every tenth small collection (index 0, 10, ...) gets an EXPIRE.
EXPIRES=$((TTLS + 4 * ((SMALL + 9) / 10)))

# Write the non-populated part of the dataset as RESP to $1; print the
# number of commands.
gen_dataset() {
    local file=$1
    awk -v small="$SMALL" -v big="$BIG" -v biglen="$BIG_LEN" -v ttls="$TTLS" -v cmds="$file.cmds" '
        # One command of m arguments a[1..m], in RESP.
        function emit(m,    i) {
            printf "*%d\r\n", m
            for (i = 1; i <= m; i++) printf "$%d\r\n%s\r\n", length(a[i]), a[i]
            ncmd++
        }
        function expire(key, k) { if (k % 10 == 0) { a[1] = "EXPIRE"; a[2] = key; a[3] = 86400 + k % 86400; emit(3) } }
        BEGIN {
            for (k = 0; k < small; k++) {
                a[1] = "HSET"; a[2] = "hash:" k; m = 2
                for (i = 0; i < 10; i++) { a[++m] = "field:" i; a[++m] = "value:" (k * 10 + i) }
                emit(m); expire(a[2], k)
                a[1] = "SADD"; a[2] = "set:" k; m = 2
                for (i = 0; i < 10; i++) a[++m] = k * 10 + i
                emit(m); expire(a[2], k)
                a[1] = "ZADD"; a[2] = "zset:" k; m = 2
                for (i = 0; i < 10; i++) { a[++m] = i * 1.5; a[++m] = "member:" (k * 10 + i) }
                emit(m); expire(a[2], k)
                a[1] = "RPUSH"; a[2] = "list:" k; m = 2
                for (i = 0; i < 10; i++) a[++m] = "element:" (k * 10 + i)
                emit(m); expire(a[2], k)
            }
            for (k = 0; k < ttls; k++) {
                a[1] = "SET"; a[2] = "ttl:" k; a[3] = "value:" k; a[4] = "EX"; a[5] = 86400 + k % 86400; emit(5)
            }
            # Big keys, 100 elements a command.
            for (k = 0; k < big; k++)
                for (b = 0; b < biglen; b += 100) {
                    a[1] = "HSET"; a[2] = "bighash:" k; m = 2
                    for (i = b; i < b + 100 && i < biglen; i++) { a[++m] = "field:" i; a[++m] = "value:" (k * biglen + i) }
                    emit(m)
                    a[1] = "SADD"; a[2] = "bigset:" k; m = 2
                    for (i = b; i < b + 100 && i < biglen; i++) a[++m] = "member:" (k * biglen + i)
                    emit(m)
                    a[1] = "ZADD"; a[2] = "bigzset:" k; m = 2
                    for (i = b; i < b + 100 && i < biglen; i++) { a[++m] = i + 0.25; a[++m] = "member:" (k * biglen + i) }
                    emit(m)
                    a[1] = "RPUSH"; a[2] = "biglist:" k; m = 2
                    for (i = b; i < b + 100 && i < biglen; i++) a[++m] = "element:" (k * biglen + i)
                    emit(m)
                }
            print ncmd > cmds
        }' >"$file"
    cat "$file.cmds"
}

# "keys expires" of db0 in INFO keyspace of server $1.
keyspace() {
    cli "$1" info keyspace 2>/dev/null | tr -d '\r' |
        sed -n 's/^db0:keys=\([0-9]*\),expires=\([0-9]*\),.*/\1 \2/p'
}

# Stop (exit 1) unless server $1 holds exactly the dataset's key and TTL
# counts, and a few keys have their shape; $2 says when (for the message).
check_dataset() {
    local name=$1 when=$2 got spot want
    got=$(keyspace "$name")
    [[ $got == "$KEYS $EXPIRES" ]] ||
        die "$name $when: INFO keyspace has keys/expires '${got:-none}', expected '$KEYS $EXPIRES'"
    for spot in "get key:0=value:0" "hlen hash:0=10" "scard set:0=10" "zcard zset:0=10" "llen list:0=10" \
        "hlen bighash:0=$BIG_LEN" "zcard bigzset:0=$BIG_LEN" "llen biglist:0=$BIG_LEN"; do
        want=${spot#*=}
        # shellcheck disable=SC2086 # the command and its key
        got=$(cli "$name" ${spot%=*} 2>&1 | one_line)
        [[ $got == "$want" ]] || die "$name $when: '${spot%=*}' answered '$got', expected '$want'"
    done
}

# Load the dataset (RESP file $2 of $3 commands) into the empty server $1.
load_dataset() {
    local name=$1 file=$2 ncmd=$3 out rc=0 errs replies
    out=$(cli "$name" debug populate "$POP" 2>&1) || rc=$?
    [[ $rc == 0 && $out == OK ]] || die "$name: DEBUG POPULATE $POP: $(one_line <<<"$out") (exit $rc)"
    out=$(timeout "$TMO" "${PIN_BENCH[@]}" redis-cli -h 127.0.0.1 -p "${PORT[$name]}" --pipe <"$file" 2>"$WORK/pipe.err") || rc=$?
    errs=$(sed -n 's/^errors: \([0-9]*\), replies: .*/\1/p' <<<"$out")
    replies=$(sed -n 's/^errors: .*, replies: \([0-9]*\)$/\1/p' <<<"$out")
    if ((rc == 124)); then
        die "$name: redis-cli --pipe timed out after ${TMO}s"
    elif [[ $rc != 0 || $errs != 0 || $replies != "$ncmd" ]]; then
        die "$name: redis-cli --pipe: errors ${errs:-?}, replies ${replies:-?} of $ncmd; $(head -n 2 "$WORK/pipe.err" | one_line)"
    fi
}

# ------------------------------------------------------------ one round
# Value of field $1 in the probe's name=value output $2.
field() { sed -n "s/^$1=//p" <<<"$2"; }

# Measure server $1 in round $2 (position $3 in that round); appends a row
# to the raw CSV $4.
measure() {
    local name=$1 round=$2 pos=$3 raw=$4 out rc=0 size t0 t1 load_ms check
    start_server "$name"
    [[ $(affinity "$name") == "$AFFINITY" ]] || die "$name: CPU affinity $(affinity "$name"), expected $AFFINITY"
    load_dataset "$name" "$DATAFILE" "$NCMD"
    check_dataset "$name" "after loading the dataset"

    out=$("${PIN_BENCH[@]}" "$PROBE" bgsave --port "${PORT[$name]}" --keys "$POP" --timeout-s "$TMO" 2>&1) || rc=$?
    ((rc == 0)) || die "$name: BGSAVE failed: $(one_line <<<"$out")"
    [[ -f $WORK/$name/dump.rdb ]] || die "$name: BGSAVE reported success but wrote no $WORK/$name/dump.rdb"
    size=$(stat -c %s "$WORK/$name/dump.rdb")
    stop_server "$name"
    # A server that saved again on the way out would restart on another file.
    [[ $(stat -c %s "$WORK/$name/dump.rdb") == "$size" ]] || die "$name: dump.rdb changed at shutdown"

    t0=$EPOCHREALTIME
    launch_server "$name" same
    "${PIN_BENCH[@]}" "$PROBE" wait-loaded --port "${PORT[$name]}" --pid "${PID[$name]}" --timeout-s "$TMO" \
        >"$WORK/wait.out" 2>&1 || rc=$?
    t1=$EPOCHREALTIME
    ((rc == 0)) || { tail -n 5 "$WORK/$name.log" >&2; die "$name: restart on the saved file: $(one_line <"$WORK/wait.out")"; }
    load_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
    check_dataset "$name" "after restarting on its dump.rdb"
    stop_server "$name"

    if timeout "$TMO" "${PIN_BENCH[@]}" redis-check-rdb "$WORK/$name/dump.rdb" >"$WORK/check.out" 2>&1; then
        check=ok
    else
        check="FAILED: $(grep -v '^\[offset' "$WORK/check.out" | tail -n 3 | one_line)"
        note "redis-check-rdb FAILED on $name's dump.rdb (round $round): $check"
    fi
    note "  $name: bgsave $(field bgsave_ms "$out") ms, rdb $size B, fork $(field fork_usec "$out") us, load $load_ms ms," \
        "p50/p99/p99.9/max $(field p50_us "$out")/$(field p99_us "$out")/$(field p999_us "$out")/$(field max_us "$out") us" \
        "($(field samples "$out") requests), redis-check-rdb $check"
    echo "$round,$pos,$name,$KEYS,$(field bgsave_ms "$out"),$size,$(field fork_usec "$out"),$load_ms,$(field samples "$out"),$(field p50_us "$out"),$(field p99_us "$out"),$(field p999_us "$out"),$(field max_us "$out"),\"$check\"" >>"$raw"
}

# ------------------------------------------------------------ report
# Median of column $2 (1-based) of raw CSV $1 for server $3.
median() {
    awk -F, -v c="$2" -v s="$3" 'NR > 1 && $3 == s && $c ~ /^[0-9.]+$/ { print $c }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { if (!NR) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

report() {
    local raw=$1 sum=$2 col metric target r f
    echo "metric,redis,ferrodis,ratio,target,met" >"$sum"
    # column of the raw CSV, metric name, the issue's target ("" for none)
    for spec in "5 bgsave_ms save" "6 rdb_bytes" "7 fork_usec fork" "8 load_ms load" \
        "10 p50_us" "11 p99_us" "12 p999_us p99.9" "13 max_us"; do
        read -r col metric target <<<"$spec"
        r=$(median "$raw" "$col" redis)
        f=$(median "$raw" "$col" ferrodis)
        awk -v m="$metric" -v r="$r" -v f="$f" -v t="${target:-}" 'BEGIN {
            num = (r ~ /^[0-9.]+$/ && f ~ /^[0-9.]+$/)
            ratio = (num && r > 0) ? sprintf("%.3f", f / r) : "n/a"
            met = t == "" ? "-" : !num ? "n/a" : (f <= r ? "yes" : "NO")
            printf "%s,%s,%s,%s,%s,%s\n", m, r, f, ratio, t == "" ? "-" : "ferrodis <= redis", met
        }' >>"$sum"
    done
    {
        header
        echo "#   dataset: $KEYS keys: $POP populated strings, $SMALL each of small hashes/sets/zsets/lists,"
        echo "#   $TTLS strings with EX, $BIG each of big hashes/sets/zsets/lists of $BIG_LEN; $EXPIRES keys with a TTL"
        echo "#   $ROUNDS round(s), order flipped every round; medians over the rounds;"
        echo "#   ratio = ferrodis / redis, lower is better for every metric"
        echo
        printf '%-10s %14s %14s %7s  %s\n' metric redis ferrodis ratio "target met (ferrodis <= redis)"
        tail -n +2 "$sum" | awk -F, '{ printf "%-10s %14s %14s %7s  %s\n", $1, $2, $3, $4, $6 }'
        echo
        echo "rounds (ms, bytes, us):"
        printf '  %-5s %-8s %10s %12s %9s %10s %8s %8s %8s %9s %10s  %s\n' round server bgsave_ms rdb_bytes fork_us load_ms p50_us p99_us p999_us max_us requests redis-check-rdb
        tail -n +2 "$raw" | while IFS=, read -r rd _ sv _ b s fk l n p50 p99 p999 mx chk; do
            printf '  %-5s %-8s %10s %12s %9s %10s %8s %8s %8s %9s %10s  %s\n' "$rd" "$sv" "$b" "$s" "$fk" "$l" "$p50" "$p99" "$p999" "$mx" "$n" "${chk//\"/}"
        done
    } >"$WORK/report.txt"
    cat "$WORK/report.txt"
    mkdir -p "$RESULTS"
    cp "$sum" "$RESULTS/persistence-$STAMP.csv"
    cp "$raw" "$RESULTS/persistence-$STAMP-raw.csv"
    cp "$WORK/report.txt" "$RESULTS/persistence-$STAMP.txt"
    note "results: bench/results/persistence-$STAMP.{csv,txt}, raw: persistence-$STAMP-raw.csv"
}

# ------------------------------------------------------------ main
main() {
    local round name i raw=$WORK/raw.csv order
    # Both run at once, empty, only long enough to compare their conditions.
    for name in "${NAMES[@]}"; do start_server "$name"; done
    verify_same_conditions ferrodis redis
    AFFINITY=$(affinity ferrodis)
    for name in "${NAMES[@]}"; do stop_server "$name"; done

    DATAFILE=$WORK/dataset.resp
    NCMD=$(gen_dataset "$DATAFILE")
    note "dataset: $KEYS keys ($POP by DEBUG POPULATE, $NCMD commands of RESP, $(($(stat -c %s "$DATAFILE") / 1048576)) MiB), $EXPIRES with a TTL"
    echo "round,position,server,keys,bgsave_ms,rdb_bytes,fork_usec,load_ms,requests,p50_us,p99_us,p999_us,max_us,rdb_check" >"$raw"
    for ((round = 1; round <= ROUNDS; round++)); do
        if ((round % 2)); then order=(ferrodis redis); else order=(redis ferrodis); fi
        note "round $round of $ROUNDS: ${order[*]}"
        for i in 0 1; do measure "${order[$i]}" "$round" $((i + 1)) "$raw"; done
    done
    report "$raw" "$WORK/summary.csv"
}

main
