"""``aftercart bench planner``: real journeys, real decisions. No timing assertions."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command

from aftercart.benchmarks.planner import run_planner


def test_the_planner_benchmark_decides_every_change_and_is_reproducible():
    first = run_planner(changes=3000, seed=3)
    assert first.changes == 3000 and first.orders > 100
    # Every order reaches several milestones on three channels; caps and consolidation hold some
    # back, so fewer messages are planned than decisions made.
    assert first.decisions > first.orders * 3
    assert 0 < first.messages_planned < first.decisions
    again = run_planner(changes=3000, seed=3)
    assert (again.decisions, again.messages_planned) == (first.decisions, first.messages_planned)


def test_the_command_reports_json():
    out = StringIO()
    call_command("aftercart_bench", "planner", "--changes=500", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["changes"] == 500 and result["changes_per_s"] > 0
