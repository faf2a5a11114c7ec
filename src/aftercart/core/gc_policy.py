"""The garbage collector's settings for long-running batch work: the worker (draining carrier
firehoses, sending the outbox), bulk imports and the ingest benchmark that measures them.

Python's default (a young collection every 700 net allocations, a full one every 100 young ones)
suits short scripts. A drain allocates hundreds of thousands of short-lived objects (facts,
states, rows) and keeps thousands of order states in its cache, so the default ran 63 full
collections of ~135 ms each in a 200,000-event run: about a quarter of its CPU time, walking
objects that were all alive (docs/benchmarks.md, "Ingest"). Almost nothing the ledger makes is
cyclic, so freeing it is reference counting's job; the collector only needs to run now and then.
"""

from __future__ import annotations

import gc

#: Net allocations between young collections (default 700); the older generations keep their
#: default ratios relative to it, so a full collection still happens, just ~70 times less often.
YOUNG_THRESHOLD = 50_000
THRESHOLDS = (YOUNG_THRESHOLD, 20, 100)


def tune_for_batch_work() -> None:
    """Collect once, move everything loaded so far (Django, the app, its imports) out of the
    collector's sight, and collect rarely from here on. Process-wide; call once at start-up."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
