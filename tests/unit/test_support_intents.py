"""The support intent classifier's pure parts: canonical text, spelling, scoring, and the shipped
model's contract (any text in, one calibrated prediction out, batch-independent)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftercart.domain.support.intents import (
    ARTIFACT,
    CONFIDENCE_THRESHOLD,
    INTENTS,
    OTHER,
    WISMO_INTENTS,
    IntentPrediction,
    artifact_info,
    classify,
    classify_many,
    model,
)
from aftercart.domain.support.model import IntentModel
from aftercart.domain.support.normalise import ORDER_MARK, TRACKING_MARK, Speller, canonical
from aftercart.domain.support.scoring import Scored, coarse, score
from aftercart.domain.support.training import DataError, read_rows


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi team, where is my parcel? Thanks, Daniel", "where is my order ?"),
        ("Dear Sir/Madam,\nI'd like a reimbursement.\nKind regards,\nJ. Brown", "i would like a refund ."),
        ("pls ask an agent to cancel my shipment", "cancel my order"),
        ("can an agent modify my purchase", "change my order"),
        ("wheres my pkg", "where is my order"),
    ],
)
def test_canonical_maps_wording_onto_the_training_vocabulary(text: str, expected: str) -> None:
    assert canonical(text).replace(" .", "") == expected.replace(" .", "")


def test_asking_for_a_person_is_kept_when_the_agent_should_talk() -> None:
    assert "agent" in canonical("can you ask an agent to call me")
    assert "agent" in canonical("could a representative talk to me")


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        ("where is order #10442", ORDER_MARK),
        ("status of AC-20931?", ORDER_MARK),
        ("order no. 551-2290", ORDER_MARK),
        ("{{Order Number}} hasn't arrived", ORDER_MARK),
        ("1Z999AA10123456784", TRACKING_MARK),
        ("tracking 9400 1118 9922 3344 5566 77", TRACKING_MARK),
        ("RR123456785DE where is it", TRACKING_MARK),
    ],
)
def test_order_and_tracking_numbers_become_marker_words(text: str, mark: str) -> None:
    out = canonical(text)
    assert mark in out.split()
    assert not any(ch.isdigit() for ch in out)


def test_ordinal_dates_are_not_order_numbers() -> None:
    assert ORDER_MARK not in canonical("will it arrive by the 20th")


def test_speller_corrects_to_domain_words_only() -> None:
    speller = Speller(known=["lamp"])
    assert speller.correct("pakage") == "package"
    assert speller.correct("refnud") == "refund"
    assert speller.correct("cancle") == "cancel"
    assert speller.correct("after") == "after"  # a real word, one edit from no domain word
    assert speller.correct("lamp") == "lamp"  # known words are left alone
    assert speller.correct("wher") == "where"
    assert speller.correct("abc") == "abc"  # too short to guess


def test_scoring_by_hand() -> None:
    rows = [
        Scored("track_order", "track_order"),
        Scored("delivery_period", "track_order"),  # WISMO either way: a WISMO hit
        Scored("cancel_order", "track_order"),  # a false WISMO
        Scored("get_refund", None),  # unsure: counts in recall only
        Scored(OTHER, OTHER),
    ]
    figures = score(rows)
    assert figures["messages"] == 5
    assert figures["wismo"] == {"precision": round(2 / 3, 4), "recall": 1.0}
    assert figures["unsure_rate"] == 0.2
    track = figures["per_intent"]["track_order"]
    assert track == {"precision": round(1 / 3, 4), "recall": 1.0, "f1": 0.5, "support": 1}
    assert figures["per_intent"]["get_refund"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert figures["macro_f1"] == round(0.5 / 12, 4)  # other is reported, not averaged


@given(
    st.lists(
        st.tuples(
            st.sampled_from((*INTENTS, OTHER)), st.one_of(st.none(), st.sampled_from((*INTENTS, OTHER)))
        ),
        min_size=1,
        max_size=40,
    )
)
def test_scores_are_ratios_and_unsure_is_the_share_of_unanswered(pairs: list[tuple[str, str | None]]) -> None:
    figures = score([Scored(t, a) for t, a in pairs])
    assert figures["unsure_rate"] == round(sum(a is None for _, a in pairs) / len(pairs), 4)
    assert 0 <= figures["macro_f1"] <= 1
    for block in (figures["wismo"], *figures["per_intent"].values()):
        assert 0 <= block["precision"] <= 1
        assert 0 <= block["recall"] <= 1
    assert sum(v["support"] for v in figures["per_intent"].values()) == len(pairs)
    perfect = score([Scored(t, t) for t, _ in pairs])
    if any(t in WISMO_INTENTS for t, _ in pairs):
        assert perfect["wismo"] == {"precision": 1.0, "recall": 1.0}


def test_unknown_labels_count_as_other() -> None:
    assert coarse("recover_password") == OTHER
    assert coarse(" track_order ") == "track_order"


def test_csv_reading_tolerates_a_bom_and_names_missing_columns() -> None:
    rows = read_rows("\ufeffflags,utterance,category,intent\nB,where is it,ORDER,track_order\n")
    assert [(r.utterance, r.intent, r.flags) for r in rows] == [("where is it", "track_order", "B")]
    with pytest.raises(DataError, match="intent"):
        read_rows("utterance,label\nhello,other\n")
    # Every row is a message, even an empty one (it is classified, as "other").
    assert [r.intent for r in read_rows("utterance,intent\n,track_order\nhi,other\n")] == [
        "track_order",
        "other",
    ]


def test_the_shipped_artifact_loads_without_training_and_matches_its_sidecar() -> None:
    info = artifact_info()
    raw = ARTIFACT.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == info["sha256"] == model().sha256
    assert len(raw) == info["bytes"] < 3_000_000
    assert set(INTENTS) <= set(model().classes)
    with np.load(ARTIFACT, allow_pickle=False) as data:  # numbers and strings only
        assert {"coef", "word_vocab", "char_vocab", "temperature"} <= set(data.files)
    assert json.loads(ARTIFACT.with_suffix(".json").read_text())["classes"] == list(model().classes)


def test_predictions_are_deterministic_across_loads() -> None:
    texts = ["where is my parcel", "cancel order 1234", "I want my money back", "hello"]
    fresh = IntentModel.load(ARTIFACT)
    assert classify_many(texts) == classify_many(texts, using=fresh) == classify_many(texts)


def test_clear_messages_get_confident_answers() -> None:
    expected = {
        "where is my package? tracking 1Z999AA10123456784": "track_order",
        "how many days does shipping to Canada take": "delivery_period",
        "please cancel my order #5521": "cancel_order",
        "I want to talk to a real person": "contact_human_agent",
        "how do I reset my password": OTHER,
    }
    for text, intent in expected.items():
        prediction = classify(text)
        assert prediction.intent == intent, text
        assert prediction.is_sure(CONFIDENCE_THRESHOLD), (text, prediction)


def test_nothing_in_nothing_out() -> None:
    assert classify_many([]) == []
    empty = classify("")
    assert isinstance(empty, IntentPrediction)
    assert empty.intent == OTHER, "an empty message asks for nothing we automate"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(max_size=200), min_size=1, max_size=5))
def test_any_text_gets_one_prediction_independent_of_its_batch(texts: list[str]) -> None:
    batch = classify_many(texts)
    assert len(batch) == len(texts)
    for text, prediction in zip(texts, batch, strict=True):
        assert prediction.intent in (*INTENTS, OTHER)
        assert 0.0 <= prediction.confidence <= 1.0
        assert classify(text) == prediction


def test_the_fast_features_are_scikit_learns() -> None:
    from aftercart.domain.support.model import features

    current = model()
    texts = [
        "Hi, where is my parcel #1234? Thanks",
        "",
        "cancel order",
        "qqq zzz",
        "how long to ship to Canada?",
    ]
    canon = current.canonical(texts)
    reference = (
        np.asarray(features(current.word_vec, current.char_vec, canon) @ current.coef) + current.intercept
    )
    assert np.allclose(current.logits(texts), reference, atol=1e-4)


def test_template_groups_split_frames_from_cores() -> None:
    from aftercart.domain.support.training import Row, template_groups

    intents = ("a", "b", "c", "d", "e")
    rows = [
        Row(f"could you help me {verb} my order", intent)
        for verb, intent in zip("vwxyz", intents, strict=True)
    ]
    rows.append(Row("could you help me track my order", "a"))
    frames = template_groups(rows)
    assert set(frames) == {"could you help me _ my order"}
    assert template_groups(rows, part="core")[-1] == "track"
