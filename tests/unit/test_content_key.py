"""Content keys: the idempotency key of facts whose source sends no id of its own. Stored keys are
hashes of the standard library's JSON text; whichever encoder writes it, the text must not change."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from enum import Enum

from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.facts import _KEY_ENCODER, _key_text, content_key


def reference_key(*parts: object) -> str:
    """The key as it was first defined (and as every stored key was made)."""
    raw = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)  # past 64 bits too
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # control characters, non-ASCII, lone surrogates
    | st.datetimes(timezones=st.sampled_from([None, UTC]))
    | st.dates()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(st.lists(values, max_size=5))
def test_the_key_text_is_the_standard_librarys_byte_for_byte(parts):
    assert _key_text(tuple(parts)) == _KEY_ENCODER.encode(tuple(parts)).encode()


@given(st.lists(values, max_size=5))
def test_keys_equal_the_original_definition(parts):
    assert content_key(*parts) == reference_key(*parts)


class Plain(Enum):
    A = "a"


def test_values_orjson_writes_differently_take_the_standard_library():
    # Each of these encodes differently with orjson; the key must still be the original one.
    for parts in (
        (1e-05,),
        (float("nan"),),
        (Plain.A,),
        ({1: "int key"},),
        ("café",),
        (2**65,),
        ({"at": datetime(2026, 12, 5, 1, 2, 3, tzinfo=UTC), "on": date(2026, 12, 5)},),
    ):
        assert content_key(*parts) == reference_key(*parts), parts


def test_a_typical_event_key_is_unchanged():
    # Pinned: the hex below was computed with reference_key() before orjson wrote any key.
    key = content_key(
        "tracking.event",
        None,
        {"carrier": "ups", "location": "Louisville, KY", "subtag": "in_transit_001", "tag": "in_transit"},
        datetime(2026, 12, 5, 1, 2, 3, tzinfo=UTC),
    )
    assert key == "4ae4fcf9731becf94abb8ba4249794c0"


def test_delete_is_escaped_as_the_standard_library_does():
    # orjson writes DEL (0x7f) as it is; json.dumps escapes it: the key must be json.dumps's.
    assert _key_text(({"\x7f": None},)) == b'[{"\\u007f":null}]'
    assert content_key("a\x7fb") == reference_key("a\x7fb")
