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

#: Net allocations between young collections (default 700). In a 200,000-event run, 50,000 spent
#: 0.9 s in young collections and 200,000 spent 0.2 s: most objects are freed before one runs.
#: The middle generation is collected every 20 young collections and the oldest every 100 middle
#: ones (defaults 10 and 10): full collections still happen, a few times per run instead of 63.
YOUNG_THRESHOLD = 200_000
THRESHOLDS = (YOUNG_THRESHOLD, 20, 100)


def tune_for_batch_work() -> None:
    """Collect once, move everything loaded so far (Django, the app, its imports) out of the
    collector's sight, and collect rarely from here on. Process-wide; call once at start-up."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
