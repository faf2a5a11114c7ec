"""The back office's chart data: one spec for the script, the same figures for the table."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from aftercart.kernel.charts import Series, chart


def test_spec_and_table_carry_the_same_figures():
    c = chart(
        "wismo",
        title="WISMO per 100 orders",
        labels=["2026-W10", "2026-W11"],
        series=[Series("acme", [25.0, None]), Series("other", [50, 12.5])],
        kind="line",
        unit="%",
        label_heading="Week",
    )
    assert c.data_id == "wismo-data"
    assert c.spec["series"] == [
        {"label": "acme", "data": [25.0, None]},
        {"label": "other", "data": [50, 12.5]},
    ]
    assert c.rows == [
        {"label": "2026-W10", "cells": ["25%", "50%"]},
        {"label": "2026-W11", "cells": ["–", "12.50%"]},
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id": "Bad Id"}, "chart id"),
        ({"kind": "pie"}, "chart kind"),
        ({"series": [Series("a", [1, 2, 3])]}, "3 values for 1 labels"),
    ],
)
def test_a_malformed_chart_is_refused(kwargs, message):
    args = {"id": "ok", "title": "t", "labels": ["x"], "series": [Series("a", [1])], **kwargs}
    with pytest.raises(ValueError, match=message):
        chart(args.pop("id"), **args)


def test_the_include_renders_a_json_block_a_canvas_and_a_table():
    c = chart(
        "by-intent", title="Contacts by intent", labels=["track order"], series=[Series("Contacts", [3])]
    )
    out = render_to_string("ops/_chart.html", {"chart": c})
    assert '<canvas data-chart="by-intent-data" role="img"' in out
    assert '<script id="by-intent-data" type="application/json">' in out
    assert '<th scope="row">track order</th><td>3</td>' in out
    assert "<script>" not in out and "<script " in out  # only the JSON block, no inline code
