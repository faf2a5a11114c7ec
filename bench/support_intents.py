"""Throughput of the support intent classifier: messages classified per second on one core.

    taskset -c 1 .venv/bin/python bench/support_intents.py [--messages 20000] [--batch 500] [--json]

Target (issue 15): at least 2,000 messages per second on one core. The messages are the shipped
development paraphrases varied with seeded noise (:func:`aftercart.benchmarks.support_intents.messages`).
"""

from __future__ import annotations

import argparse
import json

from aftercart.benchmarks.support_intents import benchmark


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--single", type=int, default=2_000, help="Messages classified one by one.")
    parser.add_argument("--json", action="store_true", help="One JSON line instead of text.")
    args = parser.parse_args()
    figures = benchmark(args.messages, args.batch, args.single)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"model load: {figures['load_seconds']:.2f} s ({figures['load_cpu_seconds']:.2f} s CPU)")
    print(
        f"classify_many, batches of {args.batch}: {figures['batched_per_second']:,.0f} messages/s "
        f"({figures['batched_per_cpu_second']:,.0f} per CPU second) (target ≥ 2,000)"
    )
    print(
        f"classify, one at a time: {figures['single_per_second']:,.0f} messages/s "
        f"({figures['single_per_cpu_second']:,.0f} per CPU second)"
    )


if __name__ == "__main__":
    main()
