"""Speed of the shipped feedback classifier: reviews classified per second, one process, one core.

    PYTHONPATH=src .venv/bin/python bench/feedback_classify.py [CSV ...] [--repeat 3] [--json]

Default input: the Olist reviews in ../shared/data (the coherent sample, 11,042 rows, about 40 % with
text). Reports the model's load time once, then the best of ``--repeat`` passes over every row, with
and without text, as wall and CPU seconds and messages per second (``classify_many``, the path the
``aftercart feedback classify`` command takes).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

from aftercart.domain.feedback.model import shipped_model
from aftercart.domain.feedback.reasons import classify_many

DEFAULT = (
    Path(__file__).resolve().parents[1].parent
    / "shared/data/olist/coherent_sample_15k_orders/olist_order_reviews_dataset.csv"
)


def read(paths: list[Path]) -> list[tuple[str, str | None, int | None]]:
    """(message, title, score) of every row."""
    rows = []
    for path in paths:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                score = row.get("review_score") or ""
                rows.append(
                    (
                        row.get("review_comment_message") or "",
                        row.get("review_comment_title") or None,
                        int(score) if score.isdigit() else None,
                    )
                )
    return rows


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("csv", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = read(args.csv)
    with_text = [r for r in rows if r[0].strip() or (r[1] or "").strip()]
    started, cpu = time.perf_counter(), time.process_time()
    shipped_model()
    load = {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu}
    figures: dict[str, dict[str, float]] = {}
    for name, batch in (("all rows", rows), ("rows with text", with_text)):
        best_wall, best_cpu = float("inf"), float("inf")
        for _ in range(args.repeat):
            started, cpu = time.perf_counter(), time.process_time()
            classify_many(batch)
            best_wall = min(best_wall, time.perf_counter() - started)
            best_cpu = min(best_cpu, time.process_time() - cpu)
        figures[name] = {
            "rows": len(batch),
            "wall_seconds": round(best_wall, 3),
            "cpu_seconds": round(best_cpu, 3),
            "per_second_wall": round(len(batch) / best_wall),
            "per_second_cpu": round(len(batch) / best_cpu),
        }
    if args.json:
        print(json.dumps({"load_seconds": load, **figures}))
        return
    print(f"model load: {load['wall']:.2f} s wall ({load['cpu']:.2f} s CPU)")
    for name, f in figures.items():
        print(
            f"{name}: {f['rows']:,} in {f['wall_seconds']:.2f} s wall ({f['cpu_seconds']:.2f} s CPU) — "
            f"{f['per_second_wall']:,}/s wall, {f['per_second_cpu']:,}/s CPU"
        )


if __name__ == "__main__":
    main()
