#!/bin/sh
# bench/ingest.sh — the store's ingest benchmark (issue 4):
#
#   bench/ingest.sh [BUILD] [EVENTS] [QUERIES]
#
# Builds BUILD (default: build) if needed, then runs ingest-bench: EVENTS
# (default 1000000) generated CloudTrail records stored through the store's
# group-committed writer into a new SQLite file with every index, the same
# rows through a plain loader (one prepared INSERT per table, one
# transaction, no acknowledgements), their ratio, the same plain load with
# no journal and no sync (what SQLite can do at all with these rows on this
# machine, durability aside: an upper bound), decode + store end to end,
# and the p50/p99 latency of QUERIES (default 1000) investigate queries by
# access key, principal and source IP (a first page of the newest 1000 rows,
# cold then warm, and every row). Each load prints wall time, CPU time (user
# and system, all threads) per event and the bytes written and read. The databases go to a temporary
# folder that is removed afterwards (they take about 2 GB for 1M events).
# Figures only: nothing here passes or fails on timing.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
events=${2:-1000000}
queries=${3:-1000}
case $build in /*) ;; *) build=$root/$build ;; esac

if [ ! -f "$build/build.ninja" ]; then
    # Release (-O3) builds warn where debugoptimized does not; a benchmark
    # build must not stop on a warning (as bench/run).
    meson setup "$build" "$root" --buildtype=release -Dwerror=false >/dev/null
fi
ninja -C "$build" bench/ingest-bench >/dev/null

dir=$(mktemp -d "${TMPDIR:-/tmp}/riposte-ingest-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
echo "ingest-bench: $events events, $queries queries per key, $(nproc) CPUs," \
     "SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1)"
"$build/bench/ingest-bench" -n "$events" -q "$queries" -d "$dir"
