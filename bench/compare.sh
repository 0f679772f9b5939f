#!/usr/bin/env bash
# bench/compare.sh: ferrodis against Debian's redis-server on the same
# machine, in the same run, reported as ratios (ferrodis / redis).
#
#   bench/compare.sh [speed]    throughput with redis-benchmark (default)
#   bench/compare.sh memory     memory per key after DEBUG POPULATE
#
# Both servers get the same arguments (--save '' --appendonly no, a free
# port each) and the same CPU: every server is pinned to CPU $SERVER_CPU and
# redis-benchmark to CPU $BENCH_CPU with taskset, so the client never steals
# the server's core. Speed mode runs each test on both servers back to back,
# flipping which goes first every round, for ROUNDS rounds; it reports per
# test and pipeline depth the median ops/s of each server, the median of the
# per-round ratios, and the geometric mean of those ratios. Before it
# reports, it checks that the two servers really ran with the same
# arguments, CPU affinity and (where both answer CONFIG GET) settings, and
# refuses to report otherwise.
#
# Environment (defaults in brackets):
#   FERRODIS   server binary to test [target/release/ferrodis-server, built
#              with cargo build --release]; when set, nothing is built
#   REDIS      reference server [redis-server on PATH]
#   TESTS      redis-benchmark -t list [set,get,incr,lpush,rpush,lpop,rpop,
#              sadd,hset,spop,zadd,zpopmin,lrange_100,mset,ping_inline,ping_mbulk]
#   N          requests per test [100000]     ROUNDS   rounds [3]
#   CLIENTS    connections (-c) [50]          PIPELINES  -P values ["1 16"]
#   DATASIZE   value size (-d) [3]            KEYS     memory mode keys [1000000]
#   SERVER_CPU / BENCH_CPU   CPUs for servers / benchmark [0 / 1]
#   BENCH_TIMEOUT  seconds one redis-benchmark run may take [60 + N/1000]
#
# Output: a table on stdout, and bench/results/<timestamp>.csv (summary),
# <timestamp>-raw.csv (every measurement), <timestamp>.txt (the report) and
# <timestamp>.png (bar chart of the ratios). The chart needs python3 with
# matplotlib (`pip install matplotlib`) or gnuplot (`apt-get install
# gnuplot-nox`); without either it is skipped with a message.
#
# A test that fails on a server (unknown command, error reply, timeout) is
# reported as n/a for that test; it does not stop the run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT SELF=compare

MODE=${1:-speed}
case $MODE in speed|memory) ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "usage: $0 [speed|memory]" >&2; exit 2 ;; esac

TESTS=${TESTS:-set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,mset,ping_inline,ping_mbulk}
N=${N:-100000}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-1 16}
DATASIZE=${DATASIZE:-3}
KEYS=${KEYS:-1000000}
SERVER_CPU=${SERVER_CPU:-0}
BENCH_CPU=${BENCH_CPU:-1}
# A hung server must not hang the benchmark: generous per-invocation limit.
BENCH_TIMEOUT=${BENCH_TIMEOUT:-$((60 + N / 1000))}

die() { echo "$SELF: error: $*" >&2; exit 2; }
note() { echo "$SELF: $*" >&2; }

for v in N ROUNDS CLIENTS DATASIZE KEYS BENCH_TIMEOUT; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
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
    zset-max-listpack-entries set-max-intset-entries list-max-listpack-size)

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

# ------------------------------------------------------------ speed
# One redis-benchmark run; prints ops/s, or n/a if the test errored.
bench_one() {
    local name=$1 test=$2 p=$3 out err=$WORK/bench.err
    if ! out=$(timeout "$BENCH_TIMEOUT" "${PIN_BENCH[@]}" redis-benchmark -h 127.0.0.1 -p "${PORT[$name]}" \
                 -q --csv -t "$test" -n "$N" -c "$CLIENTS" -P "$p" -d "$DATASIZE" 2>"$err" </dev/null); then
        echo n/a; return
    fi
    # Any complaint other than the CONFIG fetch warning means error replies
    # were counted as requests: the number would be meaningless.
    if grep -v -q -e '^WARNING: Could not fetch server CONFIG' -e '^$' "$err"; then echo n/a; return; fi
    # The last CSV line is the test itself (lrange_* first prints an LPUSH fill).
    awk -F'","' 'END { if (NR > 1 && $2 ~ /^[0-9.]+$/) print $2; else print "n/a" }' <<<"$out"
}

speed() {
    local r p t first second name rps
    local raw=$WORK/raw.csv
    echo "round,server,test,pipeline,ops_per_sec" >"$raw"
    read -ra PLIST <<<"$PIPELINES"
    IFS=, read -ra TLIST <<<"$TESTS"
    for name in "${NAMES[@]}"; do start_server "$name"; done
    verify_same_conditions ferrodis redis
    local total=$((ROUNDS * ${#PLIST[@]} * ${#TLIST[@]} * 2)) done_=0
    note "$total runs of $N requests (-c $CLIENTS -d $DATASIZE), $ROUNDS rounds, pipelines: ${PLIST[*]}"
    for ((r = 1; r <= ROUNDS; r++)); do
        # Alternate which server goes first, so drift on a shared machine
        # does not always favour the same one.
        if ((r % 2)); then first=ferrodis second=redis; else first=redis second=ferrodis; fi
        for name in "$first" "$second"; do cli "$name" flushall >/dev/null 2>&1 || true; done
        for p in "${PLIST[@]}"; do
            for t in "${TLIST[@]}"; do
                for name in "$first" "$second"; do
                    if ! alive "$name"; then
                        note "$name is not answering (crashed?) before $t -P $p: restarting it"
                        stop_server "$name"; start_server "$name"
                        echo "# $name restarted in round $r before $t -P $p" >>"$WORK/events"
                    fi
                    rps=$(bench_one "$name" "$t" "$p")
                    echo "$r,$name,$t,$p,$rps" >>"$raw"
                    done_=$((done_ + 1))
                    # Progress on a terminal only; CI logs get the table.
                    [[ ! -t 2 ]] || printf '\r%s: %d/%d %-12s -P %-3s %-9s %s ops/s        ' \
                        "$SELF" "$done_" "$total" "$t" "$p" "$name" "$rps" >&2
                done
            done
        done
    done
    [[ ! -t 2 ]] || echo >&2
    verify_same_conditions ferrodis redis   # still the same servers and settings at the end
    report_speed "$raw"
}

# Medians and geometric means from the raw measurements.
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
            v[$1, $2, key] = $5
        }
        END {
            print "test,pipeline,ferrodis_ops_per_sec,redis_ops_per_sec,ratio,valid_rounds"
            for (k = 1; k <= nk; k++) {
                key = order[k]; split(key, tp, SUBSEP); fs = rs = qs = ""; nv = 0
                for (r = 1; r <= rounds; r++) {
                    f = v[r, "ferrodis", key]; g = v[r, "redis", key]
                    if (f ~ /^[0-9.]+$/) fs = fs " " f
                    if (g ~ /^[0-9.]+$/) rs = rs " " g
                    if (f ~ /^[0-9.]+$/ && g ~ /^[0-9.]+$/ && g > 0) { qs = qs " " f / g; nv++ }
                }
                fm = median(fs); rm = median(rs); qm = median(qs)
                printf "%s,%s,%s,%s,%s,%d\n", tp[1], tp[2], fm == "" ? "n/a" : sprintf("%.0f", fm),
                    rm == "" ? "n/a" : sprintf("%.0f", rm), qm == "" ? "n/a" : sprintf("%.3f", qm), nv
            }
        }' "$1"
}

report_speed() {
    local raw=$1 sum=$WORK/summary.csv report=$WORK/report.txt
    summarize "$raw" >"$sum"
    {
        header
        [[ ! -f $WORK/events ]] || cat "$WORK/events"
        echo "#   -n $N -c $CLIENTS -d $DATASIZE, $ROUNDS rounds; ratio = median over rounds of ferrodis/redis"
        echo
        printf '%-12s %4s %14s %14s %8s\n' test P "ferrodis ops/s" "redis ops/s" ratio
        tail -n +2 "$sum" | while IFS=, read -r t p f r q _; do
            printf '%-12s %4s %14s %14s %8s\n' "$t" "$p" "$f" "$r" "$q"
        done
        echo
        # Geometric mean of the ratios, per pipeline depth and overall.
        tail -n +2 "$sum" | awk -F, -v plist="$PIPELINES" '
            $5 ~ /^[0-9.]+$/ && $5 > 0 { s[$2] += log($5); n[$2]++; S += log($5); N++ }
            $5 !~ /^[0-9.]+$/ { na++ }
            END {
                np = split(plist, ps, " ")
                for (i = 1; i <= np; i++)
                    if (n[ps[i]]) printf "geomean ratio -P %s: %.3f (%d tests)\n", ps[i], exp(s[ps[i]] / n[ps[i]]), n[ps[i]]
                if (N) printf "geomean ratio, all: %.3f (%d test/pipeline pairs%s)\n", exp(S / N), N, na ? ", " na " n/a" : ""
                else print "geomean ratio: n/a (no test ran on both servers)"
            }'
    } >"$report"
    cat "$report"
    mkdir -p "$RESULTS"
    cp "$sum" "$RESULTS/$STAMP.csv"
    cp "$raw" "$RESULTS/$STAMP-raw.csv"
    cp "$report" "$RESULTS/$STAMP.txt"
    chart "$sum" "$RESULTS/$STAMP.png"
    note "results: bench/results/$STAMP.{csv,txt}, raw: $STAMP-raw.csv"
}

# Bar chart of the ratios, one group per test, one bar per pipeline depth.
chart() {
    local sum=$1 png=$2
    if command -v python3 >/dev/null && python3 -c 'import matplotlib' 2>/dev/null; then
        python3 - "$sum" "$png" <<'PY'
import csv, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

rows = list(csv.DictReader(open(sys.argv[1])))
tests = list(dict.fromkeys(r["test"] for r in rows))
pipes = list(dict.fromkeys(r["pipeline"] for r in rows))
width = 0.8 / max(len(pipes), 1)
fig, ax = plt.subplots(figsize=(max(8, len(tests) * 0.7), 4.5))
for i, p in enumerate(pipes):
    ratio = {r["test"]: r["ratio"] for r in rows if r["pipeline"] == p}
    ys = [float(ratio[t]) if ratio.get(t, "n/a") != "n/a" else 0.0 for t in tests]
    ax.bar([x + i * width for x in range(len(tests))], ys, width, label="-P " + p)
ax.axhline(1.0, color="black", linewidth=0.8)
ax.set_xticks([x + width * (len(pipes) - 1) / 2 for x in range(len(tests))])
ax.set_xticklabels(tests, rotation=45, ha="right")
ax.set_ylabel("ferrodis / redis (ops/s)")
ax.set_title("ferrodis vs redis-server throughput (median of rounds; 0 = n/a)")
ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=100)
PY
        note "chart: $png (matplotlib)"
    elif command -v gnuplot >/dev/null; then
        local dat=$WORK/chart.dat
        # One row per test, one column per pipeline depth; "?" marks n/a.
        awk -F, 'NR > 1 { if (!($1 in seen)) { seen[$1] = 1; t[++nt] = $1 }
                         if (!($2 in ps)) { ps[$2] = 1; p[++np] = $2 }
                         q[$1, $2] = ($5 == "n/a") ? "?" : $5 }
                 END { printf "test"; for (j = 1; j <= np; j++) printf " P%s", p[j]; print ""
                       for (i = 1; i <= nt; i++) { printf "%s", t[i]; for (j = 1; j <= np; j++) printf " %s", q[t[i], p[j]]; print "" } }' "$sum" >"$dat"
        local ncol
        ncol=$(head -n 1 "$dat" | wc -w)
        gnuplot <<EOF
set terminal pngcairo size 1000,450 noenhanced
set output "$png"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8
set datafile missing "?"
set key autotitle columnhead
set ylabel "ferrodis / redis (ops/s)"
set title "ferrodis vs redis-server throughput (median of rounds)"
set xtics rotate by -45
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

memory() {
    local name out u r dbsize report=$WORK/report.txt csv=$WORK/memory.csv
    declare -A UB=() UA=() RB=() RA=() PERU=() PERR=()
    # Both run at once only long enough to compare their conditions; the
    # measurements are taken one server at a time so they do not compete
    # for memory.
    for name in "${NAMES[@]}"; do start_server "$name"; done
    verify_same_conditions ferrodis redis
    stop_server redis
    for name in "${NAMES[@]}"; do
        [[ -n ${PID[$name]:-} ]] || start_server "$name"
        read -r u r < <(mem_now "$name")
        UB[$name]=$u RB[$name]=$r
        note "$name: DEBUG POPULATE $KEYS"
        out=$(timeout 600 redis-cli -h 127.0.0.1 -p "${PORT[$name]}" debug populate "$KEYS" 2>&1) || out="failed: $out"
        dbsize=$(cli "$name" dbsize 2>/dev/null || echo 0)
        sleep 1   # let lazy work (rehashing steps, allocator purges) settle
        read -r u r < <(mem_now "$name")
        UA[$name]=$u RA[$name]=$r
        if [[ $out != OK || $dbsize != "$KEYS" ]]; then
            note "$name: DEBUG POPULATE did not work ($out; dbsize $dbsize): n/a"
            PERU[$name]=n/a PERR[$name]=n/a
        else
            PERU[$name]=$(awk -v a="${UA[$name]}" -v b="${UB[$name]}" -v k="$KEYS" 'BEGIN { if (a ~ /^[0-9]+$/) printf "%.1f", (a - b) / k; else print "n/a" }')
            PERR[$name]=$(awk -v a="${RA[$name]}" -v b="${RB[$name]}" -v k="$KEYS" 'BEGIN { printf "%.1f", (a - b) / k }')
        fi
        stop_server "$name"
    done
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.3f", a / b; else print "n/a" }'; }
    {
        header
        echo "#   DEBUG POPULATE $KEYS (keys key:N, values value:N); bytes/key = (after - before) / keys"
        echo
        printf '%-9s %14s %14s %12s %14s %14s %12s\n' server used_before used_after used/key rss_before rss_after rss/key
        for name in "${NAMES[@]}"; do
            printf '%-9s %14s %14s %12s %14s %14s %12s\n' "$name" "${UB[$name]}" "${UA[$name]}" "${PERU[$name]}" \
                "${RB[$name]}" "${RA[$name]}" "${PERR[$name]}"
        done
        echo
        echo "ratio ferrodis/redis: used_memory per key $(ratio "${PERU[ferrodis]}" "${PERU[redis]}"), RSS per key $(ratio "${PERR[ferrodis]}" "${PERR[redis]}")"
    } >"$report"
    cat "$report"
    {
        echo "server,keys,used_memory_before,used_memory_after,used_bytes_per_key,rss_before,rss_after,rss_bytes_per_key"
        for name in "${NAMES[@]}"; do
            echo "$name,$KEYS,${UB[$name]},${UA[$name]},${PERU[$name]},${RB[$name]},${RA[$name]},${PERR[$name]}"
        done
    } >"$csv"
    mkdir -p "$RESULTS"
    cp "$csv" "$RESULTS/$STAMP-memory.csv"
    cp "$report" "$RESULTS/$STAMP-memory.txt"
    note "results: bench/results/$STAMP-memory.{csv,txt}"
}

"$MODE"
