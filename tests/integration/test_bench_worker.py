"""``aftercart bench worker``: every seeded e-mail really reaches the SMTP sink. No timing assertions."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command


def test_the_worker_benchmark_delivers_every_message():
    out = StringIO()
    call_command("aftercart_bench", "worker", "--messages=40", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["messages"] == result["sent"] == 40
    assert result["failed"] == 0 and result["emails_per_s"] > 0
