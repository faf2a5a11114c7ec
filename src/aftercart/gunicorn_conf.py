"""gunicorn settings for ``aftercart serve`` (and the page benchmark, which serves the same way).

Each worker loads the whole app before its first request (the URLconf imports every view, the
API and the carrier parsers: about a second), then moves everything loaded so far out of the
garbage collector's sight with ``gc.freeze()``. Those ~250,000 long-lived objects would otherwise
be traversed again by every full collection, in the middle of some shopper's request: 177 ms on a
2-core test machine, which showed up as the slowest pages (docs/benchmarks.md, tracking page).

The master refuses to start without a secret key outside DEBUG (see ``on_starting``), before any
worker is forked; ``aftercart.wsgi`` refuses too, for gunicorn started without this config.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from aftercart.kernel.checks import require_secret_key


def on_starting(server: Any) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftercart.settings")
    require_secret_key()


def post_worker_init(worker: Any) -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the views now, not on the first request
    gc.collect()
    gc.freeze()
