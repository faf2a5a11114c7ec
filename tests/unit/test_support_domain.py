"""The pure support decisions: reading a message, finding its order, deciding what to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.support.matching import MAX_REFERENCES, OrderBrief, choose_order, references_in
from aftercart.domain.support.text import MAX_TEXT, cap, html_to_text, looks_binary, normalise, strip_reply
from aftercart.domain.support.triage import (
    ROUTINE_STEPS,
    Decision,
    OrderFacts,
    Reply,
    Situation,
    decide,
    detect_language,
    harm_words,
    is_auto_reply,
    new_address_in,
    says_not_arrived,
    sounds_angry,
)

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


# --- text ---------------------------------------------------------------------------------------


def test_quoted_history_and_signature_are_stripped():
    text = "Where is my order?\n\nOn Mon, 2 Mar 2026, Acme <a@b.c> wrote:\n> Your order shipped\n"
    assert strip_reply(text) == "Where is my order?"
    assert strip_reply("Wo ist mein Paket?\n-- \nAna\n+49 30 1234") == "Wo ist mein Paket?"
    assert strip_reply("Hola\n\nEnviado desde mi iPhone") == "Hola"
    assert strip_reply("Salut\nLe lun. 2 mars 2026, Acme a écrit :\n> x") == "Salut"
    assert strip_reply("> only a quote") == "only a quote"


def test_html_is_reduced_to_text_without_scripts_and_quotes():
    markup = "<p>Where is <b>my</b> order?</p><script>alert(1)</script><blockquote>old</blockquote>"
    assert strip_reply(html_to_text(markup)) == "Where is my order?"
    assert html_to_text("a&amp;b<br>c") == "a&b\nc"


@given(st.text())
def test_reading_never_fails_and_never_grows(text):
    cleaned = normalise(text)
    assert len(cleaned) <= len(text.replace("\r\n", "\n")) + 1
    assert "\r" not in cleaned
    reply = strip_reply(text)
    assert isinstance(reply, str)
    assert bool(reply) or not normalise(text).strip("> \n")
    capped, cut = cap(text)
    assert len(capped) <= MAX_TEXT and cut == (len(text) > MAX_TEXT)


@given(st.text())
def test_any_markup_reduces_to_text(markup):
    assert "<script" not in html_to_text(f"<script>{markup}</script>").lower() or "<script" in markup.lower()


def test_binary_is_recognised():
    assert looks_binary(b"\x00abc") and looks_binary(b"\xff\xfe") and not looks_binary("héllo".encode())


# --- matching -----------------------------------------------------------------------------------


def test_references_take_order_and_tracking_numbers_not_dates_or_words():
    refs = references_in("Order #1001 (tracking 1Z999AA10123456784), placed 2026-03-02, sent to ana@x.com")
    assert refs[0] == "1001"
    assert "1Z999AA10123456784" in refs
    assert not any(r == "2026-03-02" for r in refs)
    assert not any("@" in r for r in refs)
    assert references_in("where is my order") == []


@given(st.integers(min_value=100, max_value=10**9), st.text(max_size=200))
def test_a_hash_number_in_any_text_is_found_first(number, noise):
    refs = references_in(f"#{number} {noise}")
    assert refs and refs[0] == str(number)


@given(st.text(max_size=2000))
def test_references_are_bounded_normalised_and_unique(text):
    refs = references_in(text)
    assert len(refs) <= MAX_REFERENCES and len(set(refs)) == len(refs)
    assert all(r == r.upper() and not r.startswith("#") and any(c.isdigit() for c in r) for r in refs)


def brief(pk, open_=True, days_ago=1):
    at = NOW - timedelta(days=days_ago)
    return OrderBrief(order_id=pk, number=f"#{pk}", placed_at=at, open=open_, last_activity=at)


briefs = st.lists(st.builds(brief, st.integers(1, 30), st.booleans(), st.integers(0, 200)), max_size=8)


@given(briefs, briefs, briefs)
def test_choice_never_guesses_between_several(by_number, by_tracking, by_contact):
    # One order is one order: a lookup never returns it twice with different facts.
    by_number, by_tracking, by_contact = (
        list({b.order_id: b for b in reversed(found)}.values())
        for found in (by_number, by_tracking, by_contact)
    )
    match = choose_order(by_number=by_number, by_tracking=by_tracking, by_contact=by_contact, now=NOW)
    numbered = {b.order_id for b in by_number}
    if len(numbered) > 1:
        assert match.order_id is None and match.ambiguous
    if len(numbered) == 1:
        assert match.order_id in numbered and match.method == "order_number"
    if match.order_id is not None:
        assert match.order_id in {b.order_id for b in by_number + by_tracking + by_contact}
    open_by_contact = {b.order_id for b in by_contact if b.open}
    if not by_number and not by_tracking and len(open_by_contact) > 1:
        assert match.ambiguous and {c.order_id for c in match.candidates} == open_by_contact


def test_a_signed_link_wins_over_everything():
    match = choose_order(token=brief(9), by_number=[brief(1), brief(2)], now=NOW)
    assert match.order_id == 9 and match.method == "token"


def test_a_closed_order_counts_only_when_recent():
    assert choose_order(by_contact=[brief(1, open_=False, days_ago=3)], now=NOW).order_id == 1
    assert choose_order(by_contact=[brief(1, open_=False, days_ago=90)], now=NOW).order_id is None


# --- triage -------------------------------------------------------------------------------------


def situation(**changes):
    base = {
        "intent": "track_order",
        "confidence": 0.9,
        "threshold": 0.6,
        "text": "where is my order?",
        "now": NOW,
        "order": OrderFacts(step_code="shipped", shipped=True, with_carrier=True, last_scan_in_transit=NOW),
    }
    base.update(changes)
    return Situation(**base)


def test_routine_wismo_is_answered_with_the_next_step():
    outcome = decide(situation())
    assert outcome.decision is Decision.ANSWER and outcome.reply is Reply.NEXT_STEP


def test_words_of_harm_in_the_stores_languages():
    assert harm_words("the lamp arrived BROKEN") == ["broken"]
    assert harm_words("la lampe est cassée", ("fr",)) == ["cassée"]
    assert harm_words("la lampe est cassée") == []  # French words only for a store that speaks it
    assert says_not_arrived("Tracking says delivered but I never received it")
    assert says_not_arrived("o pedido não chegou", ("pt-br",))
    assert sounds_angry("THIS IS THE THIRD TIME I ASK WHERE MY ORDER IS") and not sounds_angry("Where is it?")


def test_stalled_over_72_hours_and_not_arrived_escalate():
    stalled = OrderFacts(
        step_code="shipped", shipped=True, with_carrier=True, last_scan_in_transit=NOW - timedelta(hours=80)
    )
    assert "stalled_72h" in decide(situation(order=stalled)).reasons
    delivered = OrderFacts(
        step_code="delivered", shipped=True, with_carrier=True, delivered_at=NOW - timedelta(days=1)
    )
    outcome = decide(situation(order=delivered, text="it never arrived"))
    assert outcome.decision is Decision.ESCALATE and "delivered_not_received" in outcome.reasons


def test_ambiguous_and_unknown_orders_ask_once():
    assert decide(situation(order=None, candidates=2)).reply is Reply.WHICH_ORDER
    assert decide(situation(order=None)).reply is Reply.ASK_NUMBER
    assert decide(situation(order=None, asked_number=True)).decision is Decision.QUEUE


def test_cancel_and_address_change_follow_the_orders_state():
    unshipped = OrderFacts(step_code="being_prepared")
    assert decide(situation(intent="cancel_order", order=unshipped)).action == "cancel_order"
    assert decide(situation(intent="cancel_order")).reply is Reply.CANNOT_CANCEL
    assert (
        decide(situation(intent="change_shipping_address", order=unshipped, new_address=True)).action
        == "change_address"
    )
    assert decide(situation(intent="change_shipping_address", order=unshipped)).decision is Decision.ESCALATE
    assert decide(situation(intent="change_shipping_address")).reply is Reply.CANNOT_CHANGE_ADDRESS
    assert decide(situation(intent="get_refund")).reply is Reply.RETURNS


step_codes = st.sampled_from(
    sorted(
        ROUTINE_STEPS
        | {"lost", "damaged", "stalled", "delayed", "cancelled", "attempt_failed", "item_unavailable"}
    )
)
facts_strategy = st.builds(
    OrderFacts,
    step_code=step_codes,
    cancelled=st.booleans(),
    shipped=st.booleans(),
    with_carrier=st.booleans(),
    delivered_at=st.none() | st.just(NOW - timedelta(days=2)),
    last_scan_in_transit=st.none() | st.just(NOW - timedelta(hours=100)) | st.just(NOW),
)


@given(
    intent=st.sampled_from(
        [
            "track_order",
            "delivery_period",
            "cancel_order",
            "change_shipping_address",
            "get_refund",
            "complaint",
            "review",
            "other",
            "contact_human_agent",
        ]
    ),
    confidence=st.floats(0, 1),
    threshold=st.floats(0, 1),
    text=st.text(max_size=200),
    order=st.none() | facts_strategy,
    auto=st.booleans(),
    enabled=st.booleans(),
    replied=st.booleans(),
    candidates=st.integers(0, 3),
    verified=st.booleans(),
)
def test_the_policys_promises(
    intent, confidence, threshold, text, order, auto, enabled, replied, candidates, verified
):
    s = situation(
        intent=intent,
        confidence=confidence,
        threshold=threshold,
        text=text,
        order=order,
        auto_reply=auto,
        automation_enabled=enabled,
        replied_for_state=replied,
        candidates=candidates,
        verified=verified,
    )
    outcome = decide(s)
    automated = outcome.reply is not Reply.NONE or outcome.action
    if automated:
        assert not auto, "never answer an auto-reply"
        assert enabled, "nothing automated when the store switched it off"
        assert confidence >= threshold, "nothing automated below the store's threshold"
        assert not replied, "one automated reply per conversation per order state"
        assert not harm_words(text, s.languages) and not sounds_angry(text), "harm and anger go to a person"
    if order is not None and automated:
        assert verified, "an order's status goes only to its customer"
        assert order.step_code in ROUTINE_STEPS | {"cancelled"}, "something wrong is never auto-closed"
    if outcome.action == "cancel_order":
        assert not order.shipped and not order.cancelled


def test_auto_replies_are_recognised():
    assert is_auto_reply({"Auto-Submitted": "auto-replied"})
    assert not is_auto_reply({"Auto-Submitted": "no"})
    assert is_auto_reply({"X-Autoreply": "yes"}) and is_auto_reply({"Precedence": "bulk"})
    assert is_auto_reply({}, "MAILER-DAEMON@mx.example.com") and is_auto_reply({}, "no-reply@shop.example")
    assert not is_auto_reply({}, "ana@example.com")


def test_language_and_new_address():
    assert detect_language("Wo ist meine Bestellung? Ich habe nicht", ("en", "de", "fr")) == "de"
    assert detect_language("où est ma commande", ("en", "fr")) == "fr"
    assert (
        new_address_in("New address: 12 Rue Oberkampf\n75011 Paris\n\nThanks")
        == "12 Rue Oberkampf, 75011 Paris"
    )
    assert new_address_in("please change my address") == ""


# --- helpdesk and inbound e-mail payloads -------------------------------------------------------

from aftercart.integrations.helpdesks.parse import (  # noqa: E402
    PayloadError,
    gorgias_parse,
    postmark_parse,
    zendesk_parse,
    zendesk_verify,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
shaped = st.fixed_dictionaries(
    {},
    optional={
        "ticket": json_values
        | st.fixed_dictionaries(
            {},
            optional={
                "id": json_values,
                "comment": json_values,
                "requester": json_values,
                "messages": json_values,
                "customer": json_values,
            },
        ),
        "message": json_values,
        "type": st.sampled_from(["zen:event-type:ticket.comment_added", "x"]) | json_values,
        "detail": json_values,
        "event": json_values,
        "From": json_values,
        "FromFull": json_values,
        "TextBody": json_values,
        "HtmlBody": json_values,
        "Headers": json_values,
        "ToFull": json_values,
    },
)


@given(json_values | shaped)
def test_payload_parsers_only_ever_refuse_cleanly(payload):
    for parse in (zendesk_parse, gorgias_parse, postmark_parse):
        try:
            parse(payload)
        except PayloadError as exc:
            assert exc.field


def test_zendesk_signature_is_over_timestamp_and_body():
    import base64
    import hashlib
    import hmac

    body, ts = b'{"a": 1}', "2026-03-03T10:00:00Z"
    good = base64.b64encode(hmac.new(b"s", ts.encode() + body, hashlib.sha256).digest()).decode()
    assert zendesk_verify("s", body, good, ts)
    assert not zendesk_verify("s", body + b" ", good, ts)
    assert not zendesk_verify("s", body, good, "2026-03-03T10:00:01Z")
    assert not zendesk_verify("", body, good, ts) and not zendesk_verify("s", body, "!!", ts)
