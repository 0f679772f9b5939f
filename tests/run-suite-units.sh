#!/usr/bin/env bash
# tests/run-suite-units.sh: run the Redis 7.0.15 Tcl test suite units that
# ferrodis claims to pass (tests/redis-suite-units) against our binary, and
# gate each one against what the real Redis passes on the same suite
# (tests/redis-suite-baseline.tsv).
#
# The suite itself is not kept in the repository: on first use it is taken
# from Debian's source package of redis (apt-get source --download-only, with
# a private apt state so the system's lists are untouched), checked against a
# fixed sha256, and its runtest, tests/ and utils/ are extracted into a cache
# ($REDIS_SUITE_CACHE, default ~/.cache/redis-suite). Later runs reuse it.
#
# Each unit runs as
#     ./runtest --single UNIT --clients 1 --timeout T --baseport B --portcount C
# in a fresh copy of the suite whose src/redis-server is a symlink to the
# server under test (src/redis-cli, redis-benchmark and redis-check-* are
# Debian's). Up to `nproc` units run at once, each in its own slice of the
# suite's port range. A unit that fails is run once more; if that passes it
# is reported as "passed on rerun", never silently.
#
# Claimed-units list format (tests/redis-suite-units):
#     unit/type/incr                       one unit per line
#     # comment                            full-line comments, blank lines
#     skip UNIT<TAB>PATTERN<TAB># reason   skip one test of UNIT
#     vary UNIT<TAB>MIN<TAB># reason       UNIT's test count is not fixed
# PATTERN is given to runtest as --skiptest: the exact test name, or, when
# it starts with "/", a Tcl regular expression searched in the name. The
# reason says which missing capability the test waits for.
# A "vary" unit repeats its tests for a fixed time or at random (the
# baseline's count is one draw, for Redis too): it must run at least MIN
# tests, and every test it runs must pass, instead of matching the count.
#
# Gate, per unit (status):
#   PASS       no failure, and [ok] count == baseline passed - [skip] count
#   FAIL       some [err] (a failed assertion)
#   EXCEPTION  an [exception]: the unit aborted, later tests did not run
#   TIMEOUT    killed after --timeout seconds, or runtest's own [TIMEOUT]
#   CRASH      a server crash report, or runtest died without a verdict
#   SHORT      fewer [ok] than the baseline minus our skips (or than MIN)
#   BADSKIP    a skip line of the unit matched no test (typo?); not rerun
#   RERUN-PASS failed first, passed when run again (listed in the summary)
# The last line is "redis-suite: N passed, N failed, N skipped"; the exit
# status is 0 only if every unit ends in PASS or RERUN-PASS (2: setup error).
set -euo pipefail
# The whole script is one { ...; } block: bash reads it all before running,
# so editing this file while a run is in progress cannot disturb that run.
{

readonly REDIS_VERSION=7.0.15
readonly ORIG_TARBALL=redis_${REDIS_VERSION}.orig.tar.gz
readonly ORIG_SHA256=4b1dc4ee6d622a09fff9c6777191209750fb5e5a725ef78ea012d6eef4c22982
# runtest's default port range is 21111 + 8000 ports; cluster-enabled
# servers also use port + 10000. We split this range between parallel units.
readonly PORT_LO=21111 PORT_SPAN=8000
readonly SELF=redis-suite
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT

usage() {
    cat <<EOF
Usage: tests/run-suite-units.sh [options] [-- extra runtest args]

Runs the Redis $REDIS_VERSION suite units claimed in tests/redis-suite-units
against a server binary and compares them with the real Redis' baseline.

  --server PATH     server binary to test (default: target/release/ferrodis-server)
  --units "A B"     run these units instead of the claimed list (claimed or
                    not, e.g. "unit/type/incr unit/keyspace"); skip lines of
                    the list still apply to them
  --keep            keep each unit's work copy (a short directory under
                    $TMPDIR, printed at the end)
                    (add "-- --dont-clean" to keep the servers' logs there too)
  --timeout S       wall-clock limit per unit run, in seconds (default $DEFAULT_TIMEOUT)
  --jobs N          units run in parallel (default: nproc = $DEFAULT_JOBS)
  -- ARGS           passed to every runtest as is (e.g. --durable, --dump-logs)
  -h, --help        this text

Logs: target/redis-suite/<unit>.log (and <unit>.rerun.log), results.tsv.
Environment: REDIS_SUITE_CACHE (suite cache directory), REDIS_SUITE_TARBALL
(a local $ORIG_TARBALL to use instead of apt-get source).
EOF
}

die() { echo "$SELF: error: $*" >&2; exit 2; }
say() { echo "$SELF: $*"; }

DEFAULT_JOBS=$(nproc 2>/dev/null || echo 2)
DEFAULT_TIMEOUT=900

# ------------------------------------------------------------ arguments
SERVER=$ROOT/target/release/ferrodis-server
UNITS_ARG="" KEEP=0 TIMEOUT=$DEFAULT_TIMEOUT JOBS=$DEFAULT_JOBS
EXTRA=()
while (($#)); do
    case $1 in
        --server) SERVER=${2:?--server needs a path}; shift 2 ;;
        --units) UNITS_ARG=${2:?--units needs a list}; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --timeout) TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
        --jobs) JOBS=${2:?--jobs needs a number}; shift 2 ;;
        --) shift; EXTRA=("$@"); break ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout must be a positive number of seconds"
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number"

readonly UNITS_FILE=$ROOT/tests/redis-suite-units
readonly BASELINE=$ROOT/tests/redis-suite-baseline.tsv
readonly OUT=$ROOT/target/redis-suite
CACHE=${REDIS_SUITE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/redis-suite}
readonly CACHE SUITE=$CACHE/redis-$REDIS_VERSION

# ------------------------------------------------------------ claimed list
# CLAIMED: the units in list order. SKIPS[unit]: its skip patterns, one per
# line. Malformed lines are errors: a list that silently means something
# else than it says is worse than a failed run.
CLAIMED=()
declare -A SKIPS=() VARY=()
read_units_file() {
    local line n=0 rest unit pat reason extra
    [[ -f $UNITS_FILE ]] || die "missing $UNITS_FILE"
    while IFS= read -r line || [[ -n $line ]]; do
        n=$((n + 1))
        line=${line%$'\r'}
        if [[ $line =~ ^skip[[:space:]]+(.*)$ ]]; then
            rest=${BASH_REMATCH[1]}
            IFS=$'\t' read -r unit pat reason extra <<<"$rest"
            [[ -n $unit && -n $pat && -z $extra && $reason == \#* ]] ||
                die "$UNITS_FILE:$n: want 'skip UNIT<TAB>test name or /regexp<TAB># reason'"
            [[ ${reason#\#} =~ [^[:space:]] ]] || die "$UNITS_FILE:$n: the reason is empty"
            SKIPS[$unit]+=$pat$'\n'
            continue
        fi
        if [[ $line =~ ^vary[[:space:]]+(.*)$ ]]; then
            rest=${BASH_REMATCH[1]}
            IFS=$'\t' read -r unit pat reason extra <<<"$rest"
            [[ -n $unit && $pat =~ ^[0-9]+$ && -z $extra && $reason == \#* ]] ||
                die "$UNITS_FILE:$n: want 'vary UNIT<TAB>minimum test count<TAB># reason'"
            [[ ${reason#\#} =~ [^[:space:]] ]] || die "$UNITS_FILE:$n: the reason is empty"
            VARY[$unit]=$pat
            continue
        fi
        line=${line%%#*}                      # trailing comment
        read -r unit extra <<<"$line" || true  # trims the blanks
        [[ -z $unit ]] && continue
        [[ -z $extra ]] || die "$UNITS_FILE:$n: one unit per line, got '$line'"
        [[ $unit =~ ^[A-Za-z0-9_./-]+$ ]] || die "$UNITS_FILE:$n: bad unit name '$unit'"
        CLAIMED+=("$unit")
    done <"$UNITS_FILE"
}

# ------------------------------------------------------------ suite cache
# deb-src lines for the Debian entries of /etc/apt (one-line .list files and
# deb822 .sources files), restricted to the release's own suites.
debsrc_lines() {
    local codename=$1 f re
    re="^${codename}(-updates|-security)?\$"
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -r $f ]] || continue
        # "deb [options] URI SUITE COMPONENTS..." -> "deb-src [options] URI SUITE main"
        awk -v re="$re" '$1 == "deb" {
            opts = ""; i = 2
            if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) opts = opts " " $(i++); opts = opts " " $(i++) }
            if ($(i + 1) ~ re) print "deb-src" opts, $i, $(i + 1), "main"
        }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -r $f ]] || continue
        # Stanzas of "Key: value" lines separated by blank lines.
        awk -v re="$re" '
            function emit(   nu, ns, u, s, i, j, opt) {
                if (types ~ /(^| )deb( |$)/ && enabled != "no") {
                    opt = (signed ~ /^\//) ? " [signed-by=" signed "]" : ""
                    nu = split(uris, u, " "); ns = split(suites, s, " ")
                    for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++)
                        if (s[j] ~ re) print "deb-src" opt, u[i], s[j], "main"
                }
                types = uris = suites = signed = enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { emit(); next }
            {
                key = tolower($1); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                if (key == "types:") types = val; else if (key == "uris:") uris = val
                else if (key == "suites:") suites = val; else if (key == "signed-by:") signed = val
                else if (key == "enabled:") enabled = tolower(val)
            }
            END { emit() }' "$f"
    done | sort -u
}

# Download Debian's orig tarball into $1 with apt-get source, using private
# lists and cache under $CACHE/apt (removed afterwards).
apt_fetch_orig() {
    local dest=$1 d=$CACHE/apt codename
    # shellcheck disable=SC1091
    codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
    [[ -n $codename ]] || die "cannot tell the Debian release; set REDIS_SUITE_TARBALL=/path/to/$ORIG_TARBALL"
    command -v apt-get >/dev/null || die "no apt-get; set REDIS_SUITE_TARBALL=/path/to/$ORIG_TARBALL"
    rm -rf "$d"
    mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/get"
    debsrc_lines "$codename" >"$d/sources.list"
    [[ -s $d/sources.list ]] || die "no Debian '$codename' entries in /etc/apt to derive deb-src lines from"
    local opts=(-q -o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
                -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache")
    # As root, apt downloads as the _apt user, who cannot write to our cache.
    ((EUID != 0)) || opts+=(-o APT::Sandbox::User=root)
    say "fetching the Redis $REDIS_VERSION suite: apt-get source --download-only redis ($codename)"
    apt-get "${opts[@]}" update >"$d/update.log" 2>&1 ||
        { cat "$d/update.log" >&2; die "apt-get update (private lists) failed"; }
    (cd "$d/get" && apt-get "${opts[@]}" source --download-only redis) >"$d/source.log" 2>&1 ||
        { cat "$d/source.log" >&2; die "apt-get source redis failed"; }
    [[ -f $d/get/$ORIG_TARBALL ]] ||
        die "Debian '$codename' has no redis $REDIS_VERSION source (got: $(ls "$d/get")); set REDIS_SUITE_TARBALL"
    mv "$d/get/$ORIG_TARBALL" "$dest"
    rm -rf "$d"
}

# Make sure $SUITE holds runtest, tests/ and utils/ of the verified tarball.
# The .complete marker is written last, so an interrupted extraction is
# redone; the lock keeps concurrent runs from extracting at the same time.
ensure_suite() {
    mkdir -p "$CACHE"
    exec 8>"$CACHE/.lock"
    flock 8
    if [[ ! -f $SUITE/.complete ]]; then
        local tb=$CACHE/$ORIG_TARBALL sum
        if [[ ! -f $tb ]]; then
            if [[ -n ${REDIS_SUITE_TARBALL:-} ]]; then cp "$REDIS_SUITE_TARBALL" "$tb.part"
            else apt_fetch_orig "$tb.part"; fi
            mv "$tb.part" "$tb"
        fi
        sum=$(sha256sum "$tb" | cut -d' ' -f1)
        [[ $sum == "$ORIG_SHA256" ]] || { rm -f "$tb"; die "$ORIG_TARBALL has sha256 $sum, expected $ORIG_SHA256"; }
        rm -rf "$SUITE" "$SUITE.part"
        mkdir -p "$SUITE.part"
        tar -xzf "$tb" -C "$SUITE.part" --strip-components=1 \
            "redis-$REDIS_VERSION/runtest" "redis-$REDIS_VERSION/tests" "redis-$REDIS_VERSION/utils"
        touch "$SUITE.part/.complete"
        mv "$SUITE.part" "$SUITE"
    fi
    flock -u 8
    exec 8>&-
}

# ------------------------------------------------------------ tools
TCLSH=""
declare -A TOOL=()
resolve_tools() {
    local t
    for t in redis-cli redis-benchmark redis-check-aof redis-check-rdb tclsh8.6 ps pgrep; do
        command -v "$t" >/dev/null || { "$ROOT/tests/install-deps.sh" || die "tests/install-deps.sh failed"; break; }
    done
    for t in tclsh8.6 tclsh8.7 tclsh8.5; do
        if command -v "$t" >/dev/null; then TCLSH=$(command -v "$t"); break; fi
    done
    [[ -n $TCLSH ]] || die "no tclsh 8.5-8.7 (apt-get install tcl)"
    for t in redis-cli redis-benchmark redis-check-aof redis-check-rdb; do
        TOOL[$t]=$(command -v "$t") || die "$t not found (apt-get install redis-tools)"
    done
}

# ------------------------------------------------------------ one unit
# File-name form of a unit: unit/type/incr -> unit_type_incr.
unit_tag() { local u=${1//\//_}; echo "$u"; }

# Run one attempt of a unit in port slot $3; leaves "rc seconds" in
# $STATE/<tag>.res. Runs in the background, one per slot.
run_attempt() {
    local unit=$1 attempt=$2 slot=$3 tag p
    tag=$(unit_tag "$unit")
    ((attempt == 1)) || tag+=.rerun
    # A short work path: the suite puts unix sockets under it, and a socket
    # path over 107 bytes makes every server of the unit fail to start.
    local id work log=$OUT/$tag.log
    id=$(printf %s "$tag" | cksum | cut -d' ' -f1)
    work=$WORK/$id
    rm -rf "$work"
    mkdir -p "$work/src"
    cp -a "$SUITE/runtest" "$SUITE/tests" "$SUITE/utils" "$work/"
    ln -s "$SERVER" "$work/src/redis-server"
    for p in "${!TOOL[@]}"; do ln -s "${TOOL[$p]}" "$work/src/$p"; done

    # Slot k owns ports [lo, lo + span): runtest's own listener takes one of
    # the 32 below --baseport, the servers it spawns take the rest.
    local span=$((PORT_SPAN / JOBS)) lo
    lo=$((PORT_LO + slot * span))
    local cmd=(./runtest --single "$unit" --clients 1 --timeout "$TIMEOUT"
               --baseport $((lo + 32)) --portcount $((span - 32)))
    while IFS= read -r p; do
        [[ -z $p ]] || cmd+=(--skiptest "$p")
    done <<<"${SKIPS[$unit]:-}"
    cmd+=("${EXTRA[@]}")
    {
        echo "# unit: $unit (attempt $attempt)"
        echo "# server: $SERVER"
        printf '# cmd: (cd %q &&' "$work"; printf ' %q' "${cmd[@]}"; echo ")"
    } >"$log"

    local start rc=0 tpid
    start=$(date +%s)
    # timeout(1) makes itself the leader of a new process group holding the
    # test client, the servers and tools it spawns, and kills that group.
    (cd "$work" && exec env TERM=dumb timeout -k 30 "$TIMEOUT" "${cmd[@]}") >>"$log" 2>&1 </dev/null &
    tpid=$!
    echo "$tpid" >"$STATE/pgid.$slot"
    wait "$tpid" || rc=$?
    rm -f "$STATE/pgid.$slot"
    kill -KILL -- "-$tpid" 2>/dev/null || true   # anything the unit left behind
    echo "$rc $(($(date +%s) - start))" >"$STATE/$tag.res"
    ((KEEP)) || rm -rf "$work"
}

# Counts in a runtest log: ok err skip ignore exception timeout crash verdict.
parse_log() {
    sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
        /^\[ok\]: /        { ok++ }
        /^\[err\]: /       { err++ }
        /^\[skip\]: /      { skip++ }
        /^\[ignore\]: /    { ign++ }
        /^\[exception\]: / { exc = 1 }
        /^\[TIMEOUT\]: /   { tmo = 1 }
        /^Logged (crash report|sanitizer errors)/ { crash = 1 }
        /All tests passed without errors!|The following tests failed:/ { verdict = 1 }
        END { print ok + 0, err + 0, skip + 0, ign + 0, exc + 0, tmo + 0, crash + 0, verdict + 0 }'
}

# Skip patterns of unit $1 that matched no "[skip]" line of log $2, one per
# line. Matching is runtest's own (exact name, or "/regexp" searched).
unmatched_skips() {
    [[ -n ${SKIPS[$1]:-} ]] || return 0
    sed 's/\x1b\[[0-9;]*m//g' "$2" | sed -n 's/^\[skip\]: //p' >"$STATE/skipped-names"
    printf '%s' "${SKIPS[$1]}" >"$STATE/skip-patterns"
    "$TCLSH" /dev/stdin "$STATE/skip-patterns" "$STATE/skipped-names" <<'TCL'
proc lines {path} { set f [open $path]; set l [split [read -nonewline $f] "\n"]; close $f; return $l }
set names [lines [lindex $argv 1]]
foreach pat [lines [lindex $argv 0]] {
    if {$pat eq ""} continue
    set hit 0
    foreach name $names {
        if {[string index $pat 0] eq "/"} {
            if {[regexp -- [string range $pat 1 end] $name]} { set hit 1; break }
        } elseif {$pat eq $name} { set hit 1; break }
    }
    if {!$hit} { puts $pat }
}
TCL
}

# The [err]/[exception]/[TIMEOUT]/crash lines of a log with a few lines of
# what follows each, for the failure report.
failure_excerpt() {
    sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
        /^\[(err|exception|TIMEOUT)\]: |^Logged (crash report|sanitizer errors)|^\[CRASH\]|^\[SHORT\]|^\[BADSKIP\]/ { print "    " $0; n = 4; next }
        n > 0 && !/^\[[a-z]+\]: / && NF { print "      " $0; n--; next }
        { n = 0 }' | head -n 60
}

# Judge a finished attempt. Sets R_OK R_FAILED R_SKIP R_STATUS (and appends
# a verdict line to the log when the reason would not be obvious from it).
judge() {
    local unit=$1 tag=$2 log=$OUT/$2.log rc=-1 secs=0
    local ok err skip exc tmo crash verdict
    [[ ! -f $STATE/$tag.res ]] || read -r rc secs <"$STATE/$tag.res"
    # "[ignore]" (tests left out by tags, e.g. large-memory) is not counted:
    # the baseline's passed column leaves them out too.
    read -r ok err skip _ exc tmo crash verdict < <(parse_log "$log")
    local base=${BASE_OK[$unit]:-} expect=-1 bad
    [[ -z $base ]] || expect=$((base - skip))
    if [[ -n ${VARY[$unit]:-} ]]; then
        expect=${VARY[$unit]} base="min ${VARY[$unit]}"
    fi
    bad=$(unmatched_skips "$unit" "$log")
    R_OK=$ok R_SKIP=$skip R_FAILED=$err R_SECS=$secs
    if ((rc == 124 || rc == 137 || tmo)); then
        R_STATUS=TIMEOUT; ((tmo)) || echo "[TIMEOUT]: unit killed after ${TIMEOUT}s" >>"$log"
    elif ((exc)); then R_STATUS=EXCEPTION
    elif ((crash)); then R_STATUS=CRASH
    elif ((rc != 0 && err == 0)) || ((rc == 0 && !verdict)); then
        R_STATUS=CRASH; echo "[CRASH]: runtest exited with status $rc without a verdict" >>"$log"
    elif ((err > 0)); then R_STATUS=FAIL
    elif ((expect >= 0 && ok < expect)); then
        R_STATUS=SHORT; R_FAILED=$((expect - ok))
        echo "[SHORT]: $ok tests passed, the baseline passes $base (minus $skip skipped = $expect)" >>"$log"
    elif [[ -n $bad ]]; then
        R_STATUS=BADSKIP; R_FAILED=$(wc -l <<<"$bad")
        while IFS= read -r p; do echo "[BADSKIP]: skip pattern matched no test: $p" >>"$log"; done <<<"$bad"
    else R_STATUS=PASS; fi
    case $R_STATUS in TIMEOUT|EXCEPTION|CRASH) R_FAILED=$((err + 1)) ;; esac
}

# ------------------------------------------------------------ pool
declare -A JOB_UNIT=() JOB_ATTEMPT=() JOB_SLOT=()
declare -A FINAL=() FINAL_STATUS=() FIRST_STATUS=()
QUEUE=() FREE_SLOTS=()

# shellcheck disable=SC2317  # called from traps
kill_running() {
    local f p
    for f in "$STATE"/pgid.*; do
        if [[ -f $f ]]; then kill -TERM -- "-$(<"$f")" 2>/dev/null || true; fi
    done
    for p in "${!JOB_UNIT[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
}

start_next() {
    local item unit attempt slot
    item=${QUEUE[0]}; QUEUE=("${QUEUE[@]:1}")
    slot=${FREE_SLOTS[0]}; FREE_SLOTS=("${FREE_SLOTS[@]:1}")
    unit=${item% *} attempt=${item##* }
    run_attempt "$unit" "$attempt" "$slot" &
    JOB_UNIT[$!]=$unit JOB_ATTEMPT[$!]=$attempt JOB_SLOT[$!]=$slot
}

finish_job() {
    local pid=$1 unit=${JOB_UNIT[$1]} attempt=${JOB_ATTEMPT[$1]} tag label note=""
    FREE_SLOTS+=("${JOB_SLOT[$pid]}")
    unset "JOB_UNIT[$pid]" "JOB_ATTEMPT[$pid]" "JOB_SLOT[$pid]"
    tag=$(unit_tag "$unit") label=$unit
    ((attempt == 1)) || { tag+=.rerun; label+=" (rerun)"; }
    judge "$unit" "$tag"
    if ((attempt == 1)) && [[ $R_STATUS != PASS && $R_STATUS != BADSKIP ]]; then
        FIRST_STATUS[$unit]=$R_STATUS
        QUEUE+=("$unit 2")             # one more try, reported as such
        note=", will rerun"
    else
        ((attempt == 1)) || [[ $R_STATUS != PASS ]] || R_STATUS=RERUN-PASS
        FINAL[$unit]=$(printf '%s\t%s\t%s\t%s\t%s' "$R_OK" "$R_FAILED" "$R_SKIP" "${BASE_OK[$unit]:--}" "$R_STATUS")
        FINAL_STATUS[$unit]=$R_STATUS
    fi
    printf '%s: [%s%s] %s: %s ok, %s failed, %s skipped (base %s), %ss\n' "$SELF" "$R_STATUS" "$note" \
        "$label" "$R_OK" "$R_FAILED" "$R_SKIP" "${BASE_OK[$unit]:--}" "$R_SECS"
}

# ------------------------------------------------------------ main
read_units_file
if [[ -n $UNITS_ARG ]]; then read -ra UNITS <<<"$UNITS_ARG"; else UNITS=("${CLAIMED[@]}"); fi
# A unit named twice would run twice into the same log files.
declare -A seen=()
for u in "${UNITS[@]}"; do
    [[ -n ${seen[$u]:-} ]] && die "unit listed twice: $u"
    seen[$u]=1
done

[[ $SERVER == */* ]] || SERVER=$(command -v "$SERVER") || die "server not found on PATH"
[[ -f $SERVER && -x $SERVER ]] || die "no server binary at $SERVER (build it: cargo build --release)"
SERVER=$(cd "$(dirname "$SERVER")" && pwd)/$(basename "$SERVER")

ensure_suite
resolve_tools
for u in "${UNITS[@]}"; do
    [[ -f $SUITE/tests/$u.tcl ]] || die "unknown unit '$u' (no tests/$u.tcl in the suite)"
done
for u in "${!SKIPS[@]}"; do
    [[ -f $SUITE/tests/$u.tcl ]] || die "skip line for unknown unit '$u'"
done
for u in "${!VARY[@]}"; do
    [[ -f $SUITE/tests/$u.tcl ]] || die "vary line for unknown unit '$u'"
done

declare -A BASE_OK=() BASE_SECS=()
[[ -f $BASELINE ]] || die "missing $BASELINE"
while IFS=$'\t' read -r u p _ _ s _; do
    [[ $u == unit || -z $u ]] && continue
    BASE_OK[$u]=$p BASE_SECS[$u]=$s
done <"$BASELINE"

rm -rf "$OUT/work" "$OUT/.state" "$OUT"/*.log "$OUT/results.tsv"
STATE=$OUT/.state
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fds.XXXXXX")
mkdir -p "$STATE"
trap 'kill_running; exit 130' INT TERM
trap 'kill_running' EXIT

if ((${#UNITS[@]} == 0)); then
    say "no units to run"
else
    # Slowest units first (by the baseline's seconds), so the pool drains evenly.
    mapfile -t QUEUE < <(for u in "${UNITS[@]}"; do echo "${BASE_SECS[$u]:-0} $u"; done |
                         sort -s -k1,1nr | awk '{ print $2 " 1" }')
    ((JOBS <= ${#UNITS[@]})) || JOBS=${#UNITS[@]}
    for ((s = 0; s < JOBS; s++)); do FREE_SLOTS+=("$s"); done
    say "Redis $REDIS_VERSION suite: ${#UNITS[@]} unit(s), $JOBS at a time, ${TIMEOUT}s limit each"
    say "server: $SERVER"
    say "logs: $OUT/"
    while ((${#QUEUE[@]} > 0 || ${#JOB_UNIT[@]} > 0)); do
        while ((${#QUEUE[@]} > 0 && ${#FREE_SLOTS[@]} > 0)); do start_next; done
        done_pid=""
        wait -n -p done_pid || true
        [[ -n $done_pid && -n ${JOB_UNIT[$done_pid]:-} ]] && finish_job "$done_pid"
    done
fi
trap - EXIT INT TERM

# ------------------------------------------------------------ report
total_ok=0 total_failed=0 total_skip=0 bad_units=0
printf 'unit\tpassed\tfailed\tskipped\tbase\tstatus\n' >"$OUT/results.tsv"
echo
printf '%-40s %7s %7s %7s %7s  %s\n' unit passed failed skipped base status
for u in "${UNITS[@]}"; do
    if [[ -z ${FINAL[$u]:-} ]]; then   # only after an interrupted pool
        FINAL[$u]=$(printf '0\t1\t0\t%s\tNOT-RUN' "${BASE_OK[$u]:--}") FINAL_STATUS[$u]=NOT-RUN
    fi
    IFS=$'\t' read -r p f s b st <<<"${FINAL[$u]}"
    printf '%s\t%s\n' "$u" "${FINAL[$u]}" >>"$OUT/results.tsv"
    printf '%-40s %7s %7s %7s %7s  %s\n' "$u" "$p" "$f" "$s" "$b" "$st"
    total_ok=$((total_ok + p)) total_failed=$((total_failed + f)) total_skip=$((total_skip + s))
done
echo
for u in "${UNITS[@]}"; do
    tag=$(unit_tag "$u")
    case ${FINAL_STATUS[$u]} in
        PASS) ;;
        RERUN-PASS)
            say "passed on rerun: $u (first run ${FIRST_STATUS[$u]}: $OUT/$tag.log)"
            failure_excerpt "$OUT/$tag.log" ;;
        *)
            bad_units=$((bad_units + 1))
            log=$OUT/$tag.log
            [[ ! -f $OUT/$tag.rerun.log ]] || log=$OUT/$tag.rerun.log
            say "FAILED: $u (${FINAL_STATUS[$u]}: $log)"
            [[ ! -f $log ]] || failure_excerpt "$log" ;;
    esac
done
if ((KEEP)); then say "work copies kept in $WORK"; else rm -rf "$WORK"; fi
rm -rf "$STATE"
((bad_units == 0)) || say "$bad_units unit(s) failed"
echo "$SELF: $total_ok passed, $total_failed failed, $total_skip skipped"
((bad_units == 0))
exit
}
