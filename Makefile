# ferrodis: developer and CI entry points. CI runs `make test` (via .ci/run).
#
#   make            build the release binary (target/release/ferrodis-server)
#   make run        build, then start the server with ./redis.conf
#   make test       install test dependencies, build, cargo tests, then the
#                   Redis 7.0.15 suite units we claim (tests/redis-suite-units)
#   make check      formatting and clippy, warnings as errors
#   make bench      ferrodis vs Debian's redis-server, side by side (ratios)
#   make bench-persistence
#                   BGSAVE, fork, restart load and latency during BGSAVE,
#                   ferrodis vs redis-server on 5M keys (minutes; not part
#                   of `make bench`)
#   make bench-replication
#                   master SET throughput with 0/1/2 replicas and full sync
#                   time (disk, diskless) of 2M keys, ferrodis vs
#                   redis-server (minutes; not part of `make bench`)
#   make bench-types
#                   streams (XADD, XRANGE, XREADGROUP+XACK, memory of a 1M
#                   entry stream), HyperLogLog, bitmaps and geo, ferrodis
#                   vs redis-server (minutes; not part of `make bench`)
#   make bench-cpu  server CPU per request and how busy each side is at
#                   P=1: shows whether redis-benchmark or the server is
#                   the bottleneck (minutes; not part of `make bench`)
#   make install    copy the binary to $(PREFIX)/bin (DESTDIR honoured)
#   make clean      remove build output (target/, including suite logs)

CARGO  ?= cargo
PREFIX ?= /usr/local
BIN    := target/release/ferrodis-server

.PHONY: bench-cpu bench-callgrind bench-persistence bench-replication bench-types all run test check bench install clean

all:
	$(CARGO) build --release

run: all
	./$(BIN) ./redis.conf

# Order matters: the suite runs the release binary built just before it.
test:
	./tests/install-deps.sh
	$(CARGO) build --release
	$(CARGO) test --release
	./tests/run-suite-units.sh

check:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

bench:
	./bench/compare.sh

# The script builds the release binary itself unless FERRODIS is set, as
# compare.sh does. Scale with BENCH_PERSIST_KEYS and BENCH_ROUNDS.
bench-persistence:
	./bench/persistence.sh

# Same conventions; scale with BENCH_N, BENCH_SYNC_KEYS and BENCH_ROUNDS.
bench-replication:
	./bench/replication.sh

# Builds the release binary and bench/loadgen.rs first, as `bench` does
# (FERRODIS=/path skips the server build). Scale with BENCH_N,
# BENCH_ROUNDS and BENCH_TYPES_SCALE; pick tests with BENCH_TYPES_TESTS.
bench-types:
	./bench/types.sh

# Instructions per request under callgrind (noise-free, slow).
bench-callgrind:
	./bench/callgrind.sh

# Server CPU per request and how busy server and load generator are at
# P=1 (who is the bottleneck), vs redis-server.
bench-cpu:
	./bench/cpu.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/ferrodis-server

clean:
	$(CARGO) clean
