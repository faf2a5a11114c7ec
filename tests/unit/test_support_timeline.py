"""The order timeline's merge: time order, causes before effects at the same instant, each
stream's own order kept; and the words each ledger fact gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.facts import FactKind
from aftercart.domain.support.timeline import SOURCE_RANK, Entry, fact_label, merge

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_same_instant_orders_fact_case_return_claim_message_conversation():
    at = T0 + timedelta(hours=1)
    got = merge(
        [Entry(at, "conversation", "Customer wrote")],
        [Entry(at, "message", "Sent e-mail: shipped")],
        [Entry(at, "case", "Case opened")],
        [Entry(at, "claim", "Claim opened")],
        [Entry(at, "return", "Return requested")],
        [Entry(at, "fact", "Shipped"), Entry(T0, "fact", "Order placed")],
        [Entry(at, "feedback", "Survey answered")],  # an unknown source sorts after the known ones
    )
    assert [e.label for e in got] == [
        "Order placed",
        "Shipped",
        "Case opened",
        "Return requested",
        "Claim opened",
        "Sent e-mail: shipped",
        "Customer wrote",
        "Survey answered",
    ]


def test_a_streams_own_order_breaks_ties_within_it():
    got = merge(
        [Entry(T0, "case", "Case opened: Lost", seq=0), Entry(T0, "case", "Case closed: Lost", seq=1)]
    )
    assert [e.label for e in got] == ["Case opened: Lost", "Case closed: Lost"]


_entries = st.builds(
    Entry,
    at=st.integers(0, 50).map(lambda m: T0 + timedelta(minutes=m)),
    source=st.sampled_from([*SOURCE_RANK, "other"]),
    label=st.text(max_size=5),
    seq=st.integers(0, 5),
)


@given(st.lists(st.lists(_entries, max_size=10), max_size=6), st.randoms())
def test_merge_is_sorted_complete_and_independent_of_stream_order(streams, rnd):
    got = merge(*streams)
    assert len(got) == sum(len(s) for s in streams)
    keys = [e.sort_key for e in got]
    assert keys == sorted(keys)
    shuffled = list(streams)
    rnd.shuffle(shuffled)
    assert [e.sort_key for e in merge(*shuffled)] == keys


def test_every_fact_kind_has_words_not_its_code():
    for kind in FactKind:
        label, _detail, _tone = fact_label(kind.value, {})
        assert label and label != kind.value and "." not in label


def test_carrier_events_read_as_words_with_their_reason():
    assert fact_label("tracking.event", {"tag": "Exception", "subtag": "Exception_013"})[0].startswith(
        "Carrier: problem reported"
    )
    assert fact_label("tracking.event", {"tag": "exception", "subtag": "exception.lost"}) == (
        "Carrier: problem reported (lost)",
        "",
        "bad",
    )
    label, detail, tone = fact_label(
        "tracking.event", {"tag": "InTransit", "raw_message": "Arrived", "location": "Lyon"}
    )
    assert (label, detail, tone) == ("Carrier: in transit", "Arrived · Lyon", "")
    assert fact_label("tracking.event", {"tag": "nonsense"})[0] == "Carrier: no scan yet"
    assert fact_label("line.status", {"status": "unavailable", "title": "Scarf"}) == (
        "Item unavailable",
        "Scarf",
        "bad",
    )
    assert fact_label("customer.choice", {"choice": "cancel"})[0] == "Customer chose to cancel the order"
