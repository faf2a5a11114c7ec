#!/usr/bin/env bash
# Two versions of the code, interleaved on one machine: the figures of the "House restructuring"
# section of docs/benchmarks.md. Each version is a git worktree; both run with this checkout's venv,
# the version chosen with PYTHONPATH=<worktree>/src.
#
#   git worktree add ../before 2af4f39 && git worktree add ../after HEAD
#   bench/house_before_after.sh ../before ../after [ingest|tracking|all]
#
# One JSON line per run (label, commit, start time, load average before it, the benchmark's own
# JSON) is appended to var/bench-before-after.jsonl.
set -u
BEFORE=$(cd "$1" && pwd); AFTER=$(cd "$2" && pwd); WHAT=${3:-all}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN="$HERE/.venv/bin/aftercart"
OUT="$HERE/var/bench-before-after.jsonl"
mkdir -p "$HERE/var"
run() { # tree label command...
  local tree=$1 label=$2; shift 2
  local load started json
  load=$(cut -d' ' -f1 /proc/loadavg); started=$(date -u +%FT%TZ)
  json=$(cd /tmp && PYTHONPATH="$tree/src" AFTERCART_DEBUG=1 "$@" 2>/dev/null | tail -1)
  echo "{\"label\": \"$label\", \"commit\": \"$(git -C "$tree" rev-parse --short HEAD)\", \"started\": \"$started\", \"load_before\": $load, \"result\": ${json:-null}}" >> "$OUT"
}
if [ "$WHAT" != tracking ]; then
  for _ in 1 2 3; do
    run "$BEFORE" ingest-before taskset -c 1 "$BIN" bench ingest --json --events 200000
    run "$AFTER" ingest-after taskset -c 1 "$BIN" bench ingest --json --events 200000
  done
fi
if [ "$WHAT" != ingest ]; then
  run "$BEFORE" tracking-before "$BIN" bench tracking --orders 100000 --json
  run "$AFTER" tracking-after "$BIN" bench tracking --orders 100000 --json
fi
