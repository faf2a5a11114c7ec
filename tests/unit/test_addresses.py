"""The postal-code rule: one key for what the order cache stores and what a shopper types."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.addresses import POSTAL_CODE_LENGTH, postal_code_key


def test_spaces_dashes_and_case_do_not_matter():
    assert postal_code_key("SW1A 1AA") == postal_code_key("sw1a-1aa") == "SW1A1AA"
    assert postal_code_key(" 10115 ") == "10115"


def test_nothing_is_empty():
    # The lookup is given whatever the shopper typed, possibly nothing; the cache an order's code.
    assert postal_code_key(None) == postal_code_key("") == postal_code_key(" - ") == ""


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_the_key_is_stable_and_bounded(text):
    key = postal_code_key(text)
    assert postal_code_key(key) == key
    assert len(key) <= POSTAL_CODE_LENGTH
