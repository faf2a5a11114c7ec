"""Microbenchmark of the delivery-window model: refit on N synthetic deliveries, then time predictions.

    .venv/bin/python bench/eta.py [--deliveries 1000000] [--predictions 10000] [--json]

Targets (issue): one window ≤ 1 ms on average once fitted; a refit on 1,000,000 deliveries ≤ 30 s.
The synthetic history (:func:`aftercart.benchmarks.eta.synthetic_deliveries`) spreads orders over two
years, 27 Brazilian states and 500 sellers, each with a carrier estimate and a ship-by date, so every
histogram level and the carrier-trust learning are exercised. Predictions alternate promises (at the
order) and handoff re-estimates on 10,000 other shipments.
"""

from __future__ import annotations

import argparse
import json

from aftercart.benchmarks.eta import benchmark


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--predictions", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="One JSON line instead of text.")
    args = parser.parse_args()
    figures = benchmark(args.deliveries, args.predictions)
    if args.json:
        print(json.dumps(figures))
        return
    per_ms = figures["predict_seconds"] * 1000
    per_cpu_ms = figures["predict_cpu_seconds"] * 1000
    print(
        f"refit on {args.deliveries:,} deliveries: {figures['refit_seconds']:.1f} s "
        f"({figures['refit_cpu_seconds']:.1f} s CPU) (target ≤ 30 s)"
    )
    print(
        f"one window, averaged over {args.predictions:,}: {per_ms:.3f} ms ({per_cpu_ms:.3f} ms CPU) "
        "(target ≤ 1 ms)"
    )


if __name__ == "__main__":
    main()
