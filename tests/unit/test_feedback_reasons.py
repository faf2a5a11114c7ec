"""The shipped feedback classifier: held-out quality, behaviour, artifact, and honest training."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftercart.domain.feedback.evaluation import class_scores, macro_f1
from aftercart.domain.feedback.lexicon import rule_reason
from aftercart.domain.feedback.model import ARTIFACT_NAME, shipped_model
from aftercart.domain.feedback.reasons import (
    NO_TEXT_CONFIDENCE_CAP,
    REASONS,
    THEMES,
    FeedbackLabel,
    classify_feedback,
    classify_many,
)
from aftercart.domain.feedback.text import normalise
from tests.conftest import shared_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feedback"
ARTIFACT = Path(__file__).resolve().parents[2] / "src" / "aftercart" / "domain" / "feedback" / ARTIFACT_NAME


def _labelled(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _predict(rows: list[dict[str, str]]) -> list[FeedbackLabel]:
    return classify_many(
        (
            row["review_comment_message"],
            row["review_comment_title"] or None,
            int(row["review_score"]) if row["review_score"] else None,
        )
        for row in rows
    )


@pytest.mark.parametrize("name", ["labelled_pt.csv", "labelled_en.csv"])
def test_held_out_check_theme_macro_f1_is_at_least_080(name: str) -> None:
    rows = _labelled(name)
    labels = _predict(rows)
    assert macro_f1([r["theme"] for r in rows], [label.theme for label in labels], THEMES) >= 0.80


def test_portuguese_check_has_no_theme_with_poor_recall() -> None:
    rows = _labelled("labelled_pt.csv")
    scores = class_scores([r["theme"] for r in rows], [label.theme for label in _predict(rows)], THEMES)
    assert all(score.recall >= 0.6 and score.precision >= 0.6 for score in scores.values())


def test_check_fixtures_are_real_olist_reviews_hand_labelled() -> None:
    reviews = shared_path("olist", "coherent_sample_15k_orders", "olist_order_reviews_dataset.csv")
    head = shared_path("olist", "head_samples", "olist_order_reviews_dataset__head_sample.csv")
    texts: dict[str, str] = {}
    for path in (reviews, head):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                texts.setdefault(row["review_id"], " ".join(row["review_comment_message"].split()))
    for name in ("labelled_pt.csv", "labelled_pt_dev.csv", "labelled_pt_train.csv"):
        rows = _labelled(name)
        assert all(" ".join(r["review_comment_message"].split()) == texts[r["review_id"]] for r in rows)
    check, dev, train = (
        {r["review_id"] for r in _labelled(n)}
        for n in ("labelled_pt.csv", "labelled_pt_dev.csv", "labelled_pt_train.csv")
    )
    assert len(check) >= 300 and not check & dev and not check & train and not dev & train


def test_fixture_labels_are_consistent() -> None:
    for name in ("labelled_pt.csv", "labelled_pt_dev.csv", "labelled_pt_train.csv", "labelled_en.csv"):
        for row in _labelled(name):
            assert REASONS[row["reason"]] == row["theme"], row
    assert len(_labelled("labelled_en.csv")) >= 100


@pytest.mark.parametrize(
    ("message", "theme"),
    [
        ("Produto excelente, chegou antes do prazo!", "satisfied"),
        ("Ainda não recebi o meu pedido, já passou do prazo", "delivery_problem"),
        ("Veio faltando uma das peças do kit", "delivery_problem"),
        ("O produto veio quebrado e não funciona", "quality_problem"),
        ("Totally different from the photos, looks cheap", "quality_problem"),
        ("My parcel never arrived", "delivery_problem"),
        ("Love it, works great", "satisfied"),
    ],
)
def test_clear_reviews_get_their_theme(message: str, theme: str) -> None:
    label = classify_feedback(message)
    assert label.theme == theme
    assert REASONS[label.reason] == theme


def test_accents_case_and_stretched_letters_do_not_change_the_label() -> None:
    plain = classify_feedback("nao recebi o produto")
    assert classify_feedback("NÃO RECEBI O PRODUTO!!!") == plain
    assert normalise("Muuuuito BOM, não!") == "muito bom nao"


def test_the_title_counts() -> None:
    assert classify_feedback("", title="Produto com defeito", score=1).theme == "quality_problem"


def test_review_without_text_gets_its_theme_from_the_score_with_low_confidence() -> None:
    happy = classify_feedback("", score=5)
    assert (happy.theme, happy.reason) == ("satisfied", "satisfied")
    assert 0 < happy.confidence <= NO_TEXT_CONFIDENCE_CAP
    unhappy = classify_feedback("   ", score=1)
    assert unhappy.theme != "satisfied" and unhappy.confidence <= NO_TEXT_CONFIDENCE_CAP
    unknown = classify_feedback("", score=None)
    assert unknown.confidence <= NO_TEXT_CONFIDENCE_CAP
    assert classify_feedback("...", score=5) == happy  # punctuation only is no text


def test_the_score_moves_an_ambiguous_text() -> None:
    low = classify_feedback("ok", score=1)
    high = classify_feedback("ok", score=5)
    assert high.theme == "satisfied"
    assert low.theme != "satisfied" or low.confidence < high.confidence


def test_out_of_range_score_is_ignored() -> None:
    assert classify_feedback("Gostei muito", score=9) == classify_feedback("Gostei muito")


@settings(max_examples=150, deadline=None)
@given(
    message=st.text(max_size=300),
    title=st.none() | st.text(max_size=40),
    score=st.none() | st.integers(-3, 9),
)
def test_any_input_gets_a_valid_label(message: str, title: str | None, score: int | None) -> None:
    label = classify_feedback(message, title=title, score=score)
    assert label.theme in THEMES
    assert REASONS[label.reason] == label.theme
    assert 0.0 <= label.confidence <= 1.0


def test_classify_many_is_classify_feedback_in_order() -> None:
    items = [("Chegou rápido", None, 5), ("", None, 1), ("Wrong size, I want a refund", "Return", 2)]
    assert classify_many(items) == [classify_feedback(m, title=t, score=s) for m, t, s in items]


def test_artifact_is_small_plain_json_with_provenance() -> None:
    assert ARTIFACT.stat().st_size < 2_000_000
    with gzip.open(ARTIFACT, "rt", encoding="utf-8") as handle:
        document = json.load(handle)
    assert document["classes"] == list(REASONS)
    assert set(document["provenance"]["evaluation"]) >= {"dev", "labelled_pt.csv", "labelled_en.csv"}
    assert document["provenance"]["corpus"]["held_out_ids_excluded"] >= 500
    assert shipped_model().temperature == document["temperature"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Ainda não recebi meu produto", "delivery_late"),
        ("A entrega atrasou uma semana", "delivery_late"),
        ("Comprei dois e veio só um", "partial_delivery"),
        ("veio faltando parafusos", "partial_delivery"),
        ("a caixa chegou toda amassada", "other_delivery_problem"),
        ("tive que retirar na agência dos correios", "other_delivery_problem"),
        ("produto com defeito, não liga", "low_quality"),
        ("cor diferente da foto do anúncio", "not_as_described"),
        ("quero devolver o produto", "return_wanted"),
        ("pedido cancelado sem explicação", "other_order_problem"),
        ("chegou bem antes do prazo", "delivered_early"),
        ("The package never arrived", "delivery_late"),
        ("One item is missing", "partial_delivery"),
        ("It's broken", "low_quality"),
        ("Not as described", "not_as_described"),
        ("Gostei muito", None),
    ],
)
def test_lexicon_rules(text: str, reason: str | None) -> None:
    assert rule_reason(text) == reason


@pytest.mark.parametrize(
    "text",
    ["Chegou sem nenhum atraso", "Produto sem defeito algum", "Nunca tive problemas", "No problems at all"],
)
def test_lexicon_ignores_denied_problems(text: str) -> None:
    assert rule_reason(text) is None


def test_macro_f1_counts_only_classes_present_in_truth() -> None:
    assert macro_f1(["a", "a", "b"], ["a", "b", "b"], ["a", "b", "c"]) == pytest.approx((2 / 3 + 2 / 3) / 2)
