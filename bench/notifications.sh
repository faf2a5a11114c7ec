#!/usr/bin/env bash
# Runs the commands docs/benchmarks.md ("Worker", "Tracking page", "Planner") reports, REPEAT rounds
# interleaved (so a burst of load on a shared machine hits every variant alike), and appends one JSON
# line per run, with the load average before it, to $OUT. Read the medians.
#
#   bench/notifications.sh worker     # 5,000 e-mails to a local SMTP sink: unpinned, then pinned
#   bench/notifications.sh planner    # 200,000 state changes, pinned to one core
#   bench/notifications.sh tracking   # 100,000 orders, 50 clients, gunicorn 2 workers (one run: long)
#
# BASELINE_SRC=/path/to/other/checkout/src adds, to every worker round, the same runs with that
# code first on the import path (how the "before" figures were measured).
set -euo pipefail
cd "$(dirname "$0")/.."
AFTERCART=${AFTERCART:-$PWD/.venv/bin/aftercart}
CPU=${CPU:-1}
REPEAT=${REPEAT:-3}
OUT=${OUT:-$PWD/var/bench-notifications.jsonl}
mkdir -p "$(dirname "$OUT")"
# The benchmark makes its own temporary database; run it away from ./var anyway.
cd "${TMPDIR:-/tmp}"

run() {  # label, round, pinned (yes/no), then the arguments of `aftercart bench`
  local label=$1 round=$2 pinned=$3 load result
  shift 3
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  if [ "$pinned" = yes ]; then
    result=$(taskset -c "$CPU" "$AFTERCART" bench "$@" --json) || true
  else
    result=$("$AFTERCART" bench "$@" --json) || true
  fi
  echo "{\"label\": \"$label\", \"round\": $round, \"pinned\": \"$pinned\", \"load_before\": \"$load\"," \
    "\"args\": \"$*\", \"result\": ${result:-null}}" | tee -a "$OUT"
}

case "${1:-worker}" in
  worker)
    for round in $(seq "$REPEAT"); do
      run worker "$round" no worker --messages 5000
      run worker "$round" yes worker --messages 5000
      if [ -n "${BASELINE_SRC:-}" ]; then
        PYTHONPATH=$BASELINE_SRC run worker-baseline "$round" no worker --messages 5000
        PYTHONPATH=$BASELINE_SRC run worker-baseline "$round" yes worker --messages 5000
      fi
    done
    ;;
  planner)
    for round in $(seq "$REPEAT"); do
      run planner "$round" yes planner --changes 200000
    done
    ;;
  tracking)
    run tracking 1 no tracking --orders 100000
    ;;
  *)
    echo "usage: $0 [worker|planner|tracking]" >&2
    exit 2
    ;;
esac
