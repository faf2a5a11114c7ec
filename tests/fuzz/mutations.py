"""Hypothesis strategies for fuzzing parsers: free JSON, and real payloads mutated where it hurts.

A mutation walks to a random place in a real payload (a dict key or a list item, at any depth) and
replaces it with another kind of JSON value, deletes it, empties it or wraps it in a list; several
mutations may stack. Real payloads reach the deep branches that free JSON almost never does (a
checkpoint's time, a line's quantity); free JSON covers the shapes no real payload has.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Examples per fuzzer in `make test`; AFTERCART_FUZZ_EXAMPLES raises it for a longer run offline.
EXAMPLES = int(os.environ.get("AFTERCART_FUZZ_EXAMPLES", "200"))

#: The CI profile: derandomized (the same examples every run, from the test's own name), bounded.
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Values a mutation puts in: the types and edges parsers trip over.
EDGES = st.sampled_from(
    [None, True, False, 0, -1, 2**64, -(2**63) - 1, 1e308, -0.0, "", " ", "0", "null", "[]", "{}",
     "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+14:00", "2026-02-30T10:00:00Z", "NaN", "\x00",
     "\ud800", "1e999", "ÿ" * 300, [], {}, [None], {"": None}]
)  # fmt: skip

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    scalars | EDGES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def _places(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path into ``value`` (dict keys and list indexes), the root included."""
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _places(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _places(item, (*path, i))
    return out


def _apply(value: Any, path: tuple, how: str, new: Any) -> Any:
    if not path:
        return {
            "replace": new,
            "delete": None,
            "empty": type(value)() if isinstance(value, (dict, list, str)) else None,
            "wrap": [value],
        }[how]
    head, rest = path[0], path[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    if how == "delete" and not rest:
        del copy[head]
        return copy
    copy[head] = _apply(copy[head], rest, how, new)
    return copy


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[Any]) -> Any:
    """One of ``seeds`` with one to three mutations."""
    value = draw(st.sampled_from(list(seeds)))
    for _ in range(draw(st.integers(1, 3))):
        places = _places(value)
        path = draw(st.sampled_from(places))
        how = draw(st.sampled_from(["replace", "replace", "delete", "empty", "wrap"]))
        value = _apply(value, path, how, draw(json_values))
    return value


@st.composite
def mutated_text(draw: st.DrawFn, seeds: Sequence[str]) -> str:
    """One of ``seeds`` (raw text: XML, CSV) with a slice deleted, duplicated or replaced."""
    text = draw(st.sampled_from(list(seeds)))
    for _ in range(draw(st.integers(1, 3))):
        if not text:
            break
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start, min(len(text), start + 64)))
        how = draw(st.sampled_from(["delete", "duplicate", "replace"]))
        middle = {"delete": "", "duplicate": text[start:end] * 2, "replace": draw(st.text(max_size=16))}[how]
        text = text[:start] + middle + text[end:]
    return text


def load_json_files(*paths: Path) -> list[Any]:
    """Every JSON document under ``paths`` (files, or folders walked), sorted by path."""
    out = []
    for path in paths:
        files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
        for file in files:
            try:
                out.append(json.loads(file.read_text(encoding="utf-8")))
            except (ValueError, UnicodeDecodeError):
                continue
    return out
