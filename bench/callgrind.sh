#!/usr/bin/env bash
# Instructions per request, ferrodis vs redis-server, counted by valgrind's
# callgrind: noise-free (the count does not depend on what else the machine
# is doing), so small hot-path changes show up where ops/s cannot.
#
# For each server: run it under callgrind twice, once idle (start, PING,
# shutdown) and once serving a fixed redis-benchmark workload; the
# difference divided by the number of requests is the cost per request.
#
# Usage: bench/callgrind.sh            (TESTS=get,set N=20000 by default)
# Env:   FERRODIS (binary), REDIS (binary), TESTS, N, CLIENTS, PIPELINE
set -euo pipefail

SELF=callgrind
cd "$(dirname "$0")/.."
FERRODIS=${FERRODIS:-target/release/ferrodis-server}
REDIS=${REDIS:-$(command -v redis-server || true)}
TESTS=${TESTS:-get,set}
N=${N:-20000}
CLIENTS=${CLIENTS:-10}
PIPELINE=${PIPELINE:-1}

command -v valgrind >/dev/null || { echo "$SELF: valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
command -v callgrind_annotate >/dev/null || { echo "$SELF: callgrind_annotate is needed (valgrind package)" >&2; exit 2; }
[[ -n $REDIS && -x $REDIS ]] || { echo "$SELF: redis-server not found" >&2; exit 2; }
if [[ -z ${FERRODIS_PREBUILT:-} ]]; then
    cargo build --release >&2
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# total_instructions BINARY WITH_LOAD(0|1): instructions the server ran.
total_instructions() {
    local bin=$1 load=$2 port out
    port=$(free_port)
    out="$WORK/cg.$(basename "$bin").$load"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --port "$port" \
        --save '' --appendonly no --dir "$WORK" >"$WORK/log.$load" 2>&1 &
    local pid=$!
    for _ in $(seq 1 200); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    if [[ $load == 1 ]]; then
        redis-benchmark -p "$port" -t "$TESTS" -n "$N" -c "$CLIENTS" -P "$PIPELINE" -q >/dev/null 2>&1
    fi
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" 2>/dev/null || true
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ && !done { gsub(",", "", $1); print $1; done = 1 }'
}

requests=$(( N * $(tr ',' '\n' <<<"$TESTS" | wc -l) ))
printf '# instructions per request (callgrind), tests=%s n=%s c=%s P=%s\n' "$TESTS" "$N" "$CLIENTS" "$PIPELINE"
printf '%-10s %14s %14s %12s\n' server idle loaded per_request
declare -A PER
for name in ferrodis redis; do
    bin=$FERRODIS
    [[ $name == redis ]] && bin=$REDIS
    idle=$(total_instructions "$bin" 0)
    loaded=$(total_instructions "$bin" 1)
    PER[$name]=$(( (loaded - idle) / requests ))
    printf '%-10s %14s %14s %12s\n' "$name" "$idle" "$loaded" "${PER[$name]}"
done
awk -v f="${PER[ferrodis]}" -v r="${PER[redis]}" 'BEGIN { printf "ratio ferrodis/redis: %.3f\n", f / r }'
