#!/usr/bin/env bash
# Runs the commands docs/benchmarks.md ("Ingest") reports, pinned to one core, REPEAT rounds of all
# of them interleaved (so a burst of load on a shared machine hits every variant alike), and appends
# one JSON line per run, with the load average before it, to $OUT. Read the medians.
#
#   bench/ingest.sh                 # 100k events: SQLite, PostgreSQL, --active 200, --no-receivers
#   bench/ingest.sh memory          # 1,000,000 events on SQLite (several minutes)
#   bench/ingest.sh batch           # 100k events in batches of 5,000 (SQLite, PostgreSQL)
#   bench/ingest.sh pinned          # the 200k figures of docs/benchmarks.md: append + drain, then
#                                   # --sync (every batch projected in its own transaction), both databases
#
# Every run appends and drains the projection every 10 batches (facts_append + projection_drain)
# unless it says --sync.
#
# PG_URL names a PostgreSQL server the benchmark may create a temporary database on.
set -euo pipefail
cd "$(dirname "$0")/.."
AFTERCART=${AFTERCART:-.venv/bin/aftercart}
CPU=${CPU:-1}
REPEAT=${REPEAT:-3}
OUT=${OUT:-var/bench-ingest.jsonl}
PG_URL=${PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
mkdir -p "$(dirname "$OUT")"

run() {  # label, round, then the arguments of `aftercart bench ingest`
  local label=$1 round=$2 load result
  shift 2
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  # Pinned: SQLite then runs on one core; PostgreSQL's server processes are not pinned.
  result=$(taskset -c "$CPU" "$AFTERCART" bench ingest --json "$@") || true
  echo "{\"label\": \"$label\", \"round\": $round, \"load_before\": \"$load\", \"args\": \"$*\"," \
    "\"result\": ${result:-null}}" | tee -a "$OUT"
}

case "${1:-standard}" in
  standard)
    for round in $(seq "$REPEAT"); do
      run sqlite "$round" --events 100000
      run postgresql "$round" --events 100000 --database-url "$PG_URL"
      run sqlite-active200 "$round" --events 100000 --active 200
      run postgresql-active200 "$round" --events 100000 --active 200 --database-url "$PG_URL"
      run sqlite-no-receivers "$round" --events 100000 --no-receivers
    done
    ;;
  memory)
    run sqlite-1m 1 --events 1000000
    ;;
  pinned)  # before (--sync) and after (append + drain), same stream, interleaved
    for round in $(seq "$REPEAT"); do
      run sqlite-200k "$round" --events 200000
      run sqlite-200k-sync "$round" --events 200000 --sync
      run postgresql-200k "$round" --events 200000 --database-url "$PG_URL"
      run postgresql-200k-sync "$round" --events 200000 --sync --database-url "$PG_URL"
    done
    ;;
  batch)  # the same firehose in larger transactions: per-order work is shared by more events
    for round in $(seq "$REPEAT"); do
      run sqlite-batch5000 "$round" --events 100000 --batch 5000
      run postgresql-batch5000 "$round" --events 100000 --batch 5000 --database-url "$PG_URL"
    done
    ;;
  *)
    echo "usage: $0 [standard|memory|batch|pinned]" >&2
    exit 2
    ;;
esac
