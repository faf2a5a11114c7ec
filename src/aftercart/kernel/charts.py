"""Charts for operator pages: one data shape, drawn by ``aftercart/charts.js`` (Chart.js, vendored)
and always tabled by ``ops/_chart.html``.

A view builds a chart with :func:`chart` and passes it to ``{% include "ops/_chart.html" with
chart=... %}``; the page's ``head`` block includes ``ops/_chart_scripts.html``. The data goes in a
``<script type="application/json">`` block (``json_script``), which the strict CSP allows; the one
script file reads it. See docs/architecture.md, "The back office".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Chart", "Series", "chart"]

_ID = re.compile(r"^[a-z][a-z0-9-]{0,60}$")


@dataclass(frozen=True, slots=True)
class Series:
    """One line or one set of bars: a label and a value per x label (``None``: no figure)."""

    label: str
    data: Sequence[float | int | None]


@dataclass(frozen=True, slots=True)
class Chart:
    """What the include renders: the JSON spec for the script and the rows of the table."""

    id: str
    title: str
    spec: dict[str, Any]
    rows: list[dict[str, Any]]
    label_heading: str
    table_open: bool

    @property
    def data_id(self) -> str:
        """The id of the JSON block the canvas names."""
        return f"{self.id}-data"


def _cell(value: float | int | None, unit: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}{unit}"
    return f"{int(value)}{unit}"


def chart(
    id: str,
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    kind: str = "bar",
    unit: str = "",
    label_heading: str = "",
    horizontal: bool = False,
    integer: bool = False,
    table_open: bool = False,
) -> Chart:
    """A chart ``id`` (lower case, digits, hyphens; unique on the page) of ``series`` over ``labels``,
    as bars or a line (``kind``), values suffixed with ``unit`` in ticks, tooltips and the table;
    ``integer``: counts (whole-number ticks); ``horizontal``: bars along the x axis."""
    if not _ID.match(id):
        raise ValueError(f"chart id {id!r}: lower-case letters, digits and hyphens")
    if kind not in ("bar", "line"):
        raise ValueError(f"chart kind {kind!r}: bar or line")
    for s in series:
        if len(s.data) != len(labels):
            raise ValueError(f"series {s.label!r} has {len(s.data)} values for {len(labels)} labels")
    spec = {
        "type": kind,
        "unit": unit,
        "horizontal": horizontal,
        "integer": integer,
        "labels": list(labels),
        "series": [{"label": s.label, "data": list(s.data)} for s in series],
    }
    rows = [
        {"label": label, "cells": [_cell(s.data[i], unit) for s in series]} for i, label in enumerate(labels)
    ]
    return Chart(id, title, spec, rows, label_heading, table_open)
