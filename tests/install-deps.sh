#!/usr/bin/env bash
# tests/install-deps.sh: install the system packages the tests need, only
# when something is missing. Written for Debian 12 (bookworm); runs as root,
# or through `sudo -n` when not root. Silent when nothing had to be done, so
# it is cheap to call first in every `make test`.
#
#   redis-server  the reference server (bench/compare.sh, interop tests)
#   redis-tools   redis-cli, redis-benchmark, redis-check-aof, redis-check-rdb
#                 (the Redis suite runs them as src/redis-*)
#   tcl           tclsh8.6 for the Redis suite's runtest
#   procps        ps, pgrep, pkill (used by the suite's helpers)
#   python3-matplotlib  the chart bench/compare.sh draws (gnuplot also does);
#                 tests/bench_smoke.rs checks it is written
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

pkgs=()
have redis-server || pkgs+=(redis-server)
for tool in redis-cli redis-benchmark redis-check-aof redis-check-rdb; do
    if ! have "$tool"; then pkgs+=(redis-tools); break; fi
done
# runtest accepts any of these; Debian 12's "tcl" package provides tclsh8.6.
have tclsh8.6 || have tclsh8.5 || have tclsh8.7 || pkgs+=(tcl)
{ have ps && have pgrep && have pkill; } || pkgs+=(procps)
# PATH's python3 may be a private one (pyenv); the Debian package goes to
# /usr/bin/python3, which bench/compare.sh also tries.
chart_tool() {
    local py
    for py in python3 /usr/bin/python3; do
        have "$py" && "$py" -c 'import matplotlib' 2>/dev/null && return 0
    done
    have gnuplot
}
chart_tool || pkgs+=(python3-matplotlib)

((${#pkgs[@]} == 0)) && exit 0

# Everything below only runs on a machine that lacks something.
apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0)
if ((EUID != 0)); then
    have sudo || { echo "install-deps: need root (or sudo) to install: ${pkgs[*]}" >&2; exit 1; }
    apt=(sudo -n "${apt[@]}")
fi
have apt-get || { echo "install-deps: no apt-get; install by hand: ${pkgs[*]}" >&2; exit 1; }

log=$(mktemp "${TMPDIR:-/tmp}/install-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
echo "install-deps: installing ${pkgs[*]}"
# Try with the package lists as they are first: `apt-get update` is slow and
# only needed on a machine whose lists are missing or stale.
if ! "${apt[@]}" install --no-install-recommends "${pkgs[@]}" >"$log" 2>&1; then
    if ! { "${apt[@]}" update && "${apt[@]}" install --no-install-recommends "${pkgs[@]}"; } >"$log" 2>&1; then
        cat "$log" >&2
        echo "install-deps: failed to install: ${pkgs[*]}" >&2
        exit 1
    fi
fi

# Check that the commands are there now (a package may have been renamed).
missing=()
for cmd in redis-server redis-cli redis-benchmark redis-check-aof redis-check-rdb ps pgrep; do
    have "$cmd" || missing+=("$cmd")
done
have tclsh8.6 || have tclsh8.5 || have tclsh8.7 || missing+=(tclsh8.6)
chart_tool || missing+=(python3-matplotlib)
if ((${#missing[@]})); then
    echo "install-deps: still missing after install: ${missing[*]}" >&2
    exit 1
fi
