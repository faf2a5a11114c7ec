"""Training the feedback model: held-out rows never trained on, the same inputs give the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from aftercart.domain.feedback.model import LinearModel, read_artifact
from aftercart.domain.feedback.reasons import label_with
from aftercart.feedback.reasons_training.corpus import Review, read_reviews, weak_label
from aftercart.feedback.reasons_training.train import training_corpus

pytest.importorskip("sklearn")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feedback"


def test_held_out_review_ids_never_reach_the_training_corpus() -> None:
    check, dev = FIXTURES / "labelled_pt.csv", FIXTURES / "labelled_pt_dev.csv"
    held_out = {r.review_id for path in (check, dev) for r in read_reviews(path)}
    # Even when the check and dev files are offered as training reviews, none of their ids is used.
    weak, hand = training_corpus(
        review_files=[check, dev, FIXTURES / "labelled_pt_train.csv"],
        hand_files=[FIXTURES / "labelled_pt_train.csv", check],
        held_out=held_out,
    )
    used = {r.review_id for r in weak + hand}
    assert hand and not used & held_out


@pytest.mark.parametrize(
    ("message", "score", "label"),
    [
        ("Não recebi o produto", 1, "delivery_late"),
        ("Não recebi o produto", 5, None),  # a problem rule with 5 stars is too doubtful to train on
        ("Adorei, recomendo", 5, "satisfied"),
        ("Adorei, recomendo", 1, None),  # no rule and a low score: left out, not guessed
        ("Chegou antes do prazo", 5, "delivered_early"),
        ("", 5, None),
    ],
)
def test_weak_labels_need_the_rule_and_the_score_to_agree(
    message: str, score: int, label: str | None
) -> None:
    assert weak_label(Review("r", "", message, score)) == label


def test_training_is_deterministic_and_writes_a_working_model(tmp_path: Path) -> None:
    from aftercart.feedback.reasons_training.train import train

    reviews = tmp_path / "reviews.csv"  # a small stand-in for the Olist reviews
    phrases = [
        ("Não recebi o produto", 1),
        ("A entrega atrasou muito", 2),
        ("Veio faltando uma peça", 2),
        ("Produto com defeito", 1),
        ("Cor diferente do anúncio", 2),
        ("Gostei muito, recomendo", 5),
        ("Chegou antes do prazo", 5),
        ("Quero devolver", 2),
    ]
    lines = ["review_id,review_score,review_comment_title,review_comment_message"]
    lines += [f"r{i}-{j},{score},,{text} {j}" for i, (text, score) in enumerate(phrases) for j in range(10)]
    reviews.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kwargs = {
        "review_files": [reviews],
        "hand_files": [],
        "dev_file": FIXTURES / "labelled_pt_dev.csv",
        "check_files": [FIXTURES / "labelled_en.csv"],
        "tune": False,
    }
    first = train(output=tmp_path / "a.json.gz", **kwargs)
    train(output=tmp_path / "b.json.gz", **kwargs)
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()
    assert first.corpus["olist_weakly_labelled"] > 50
    model = LinearModel.from_document(read_artifact(tmp_path / "a.json.gz"))
    assert 0.3 <= model.temperature <= 3.0
    label = label_with(model, "Não recebi meu pedido", title=None, score=1)
    assert label.theme == "delivery_problem"
