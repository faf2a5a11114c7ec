"""The pure rules of personal data: one normalisation of addresses, stable keyed pseudonyms, and a
scrub that leaves none of a customer's strings in any JSON while keeping its shape."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.contacts import email_key, phone_key
from aftercart.domain.personal_data import (
    PERSONAL_KEYS,
    REDACTED,
    needles_for,
    pseudonym,
    scrub_json,
    scrub_text,
)

NEEDLES = needles_for(["ana.silva@example.com", "+44 20 7946 0123", "+442079460123", "Ana Silva", "SW1A 1AA"])
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz .,", max_size=12)
needle = st.sampled_from(NEEDLES).flatmap(lambda n: st.sampled_from([n, n.upper(), n.lower(), n.title()]))
#: Text with the customer's strings inside, in any case, anywhere.
texts = st.lists(st.one_of(words, needle), max_size=6).map(" ".join)
keys = st.sampled_from(["email", "raw_message", "comment", "location", "title", "x"])
documents = st.recursive(
    st.one_of(texts, st.integers(), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=20,
)


def shape(value):
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


@given(documents)
def test_no_needle_survives_a_scrub_and_the_shape_is_kept(document):
    scrubbed = scrub_json(document, NEEDLES)
    text = json.dumps(scrubbed).lower()
    for n in NEEDLES:
        if len(n) >= 3 and n.lower() not in REDACTED.lower():
            assert n.lower() not in text, n
    assert shape(scrubbed) == shape(document)


@given(documents)
def test_a_scrub_is_idempotent(document):
    once = scrub_json(document, NEEDLES)
    assert scrub_json(once, NEEDLES) == once


def test_personal_keys_are_blanked_and_other_words_kept():
    payload = {"email": "x@y.z", "customer_name": "Ana Silva", "raw_message": "Delivered, signed by SILVA",
               "location": "Banana Street", "lines": [{"title": "Rain jacket"}]}  # fmt: skip
    scrubbed = scrub_json(payload, NEEDLES)
    assert scrubbed["email"] == "" and scrubbed["customer_name"] == ""
    assert scrubbed["raw_message"] == f"Delivered, signed by {REDACTED}"
    assert scrubbed["location"] == "Banana Street", "a name part only as a whole word"
    assert scrubbed["lines"] == [{"title": "Rain jacket"}]
    assert "email" in PERSONAL_KEYS
    assert scrub_text("call +44 20 7946 0123.", NEEDLES) == f"call {REDACTED}."


@given(st.text(max_size=40), st.text(max_size=40))
def test_pseudonyms_are_stable_keyed_and_never_the_value(a, b):
    assert pseudonym(b"k1", a) == pseudonym(b"k1", a)
    assert pseudonym(b"k1", a) != pseudonym(b"k2", a)
    assert (pseudonym(b"k1", a) == pseudonym(b"k1", b)) == (a == b)
    alias = pseudonym(b"k1", a)
    assert alias.startswith("anon-") and len(alias) == 25 and set(alias[5:]) <= set("0123456789abcdef")


def test_one_normalisation_of_addresses():
    assert email_key("  Ana.Silva@Example.COM ") == "ana.silva@example.com"
    assert phone_key("+44 20 7946 0123") == phone_key("020 7946 0123", "gb") == "+442079460123"
    assert phone_key("not a number") == "notanumber"
    assert email_key("") == phone_key("") == ""
