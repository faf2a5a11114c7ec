"""What a customer's feedback is about: themes, reasons, and the shipped classifier.

Three themes and nine reasons (:data:`REASONS` maps each reason to its theme). The classifier is a
multinomial logistic model over word and character n-grams of the accent-stripped text plus the star
score (:mod:`aftercart.domain.feedback.text`), trained by ``aftercart feedback train`` and shipped as
plain numbers (:mod:`aftercart.domain.feedback.model`); it reads Portuguese and English.

How a label is chosen: the theme is the most probable theme (its probability is the sum of its
reasons'), the reason the most probable reason inside that theme, and ``confidence`` is the theme's
calibrated probability (temperature fitted on a hand-labelled dev split). A review without text gets
its theme from the star score alone — the share of hand-labelled reviews with that score in each
theme — with a confidence capped at :data:`NO_TEXT_CONFIDENCE_CAP`, since nothing was read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aftercart.domain.feedback.model import LinearModel, shipped_model
from aftercart.domain.feedback.text import review_text, text_terms

THEMES: tuple[str, ...] = ("satisfied", "delivery_problem", "quality_problem")
#: Each reason and the theme it belongs to.
REASONS: dict[str, str] = {
    "delivery_late": "delivery_problem",
    "delivered_early": "satisfied",
    "partial_delivery": "delivery_problem",
    "other_delivery_problem": "delivery_problem",
    "low_quality": "quality_problem",
    "not_as_described": "quality_problem",
    "return_wanted": "quality_problem",
    "other_order_problem": "quality_problem",
    "satisfied": "satisfied",
}
#: The highest confidence given to a label read from the star score alone.
NO_TEXT_CONFIDENCE_CAP = 0.6


@dataclass(frozen=True, slots=True)
class FeedbackLabel:
    """The theme and reason of one piece of feedback, with the model's probability (0..1)."""

    theme: str
    reason: str
    confidence: float


def classify_feedback(message: str, *, title: str | None = None, score: int | None = None) -> FeedbackLabel:
    """The theme and reason of a review's text (any of English and Portuguese), helped by its score."""
    return label_with(shipped_model(), message, title=title, score=score)


def classify_many(reviews: Iterable[tuple[str | None, str | None, int | None]]) -> list[FeedbackLabel]:
    """Labels of many ``(message, title, score)`` reviews, in order."""
    model = shipped_model()
    return [label_with(model, message, title=title, score=score) for message, title, score in reviews]


def label_with(
    model: LinearModel, message: str | None, *, title: str | None, score: int | None
) -> FeedbackLabel:
    """The label ``model`` gives one review (see the module doc for the rule)."""
    if score is not None and not 1 <= score <= 5:
        score = None
    if not text_terms(review_text(message, title)):
        return _from_score(model, score)
    by_reason = model.probabilities(message, title=title, score=score)
    by_theme = dict.fromkeys(THEMES, 0.0)
    for reason, probability in by_reason.items():
        by_theme[REASONS[reason]] += probability
    theme = max(THEMES, key=lambda name: (by_theme[name], -THEMES.index(name)))
    reason = max((r for r in by_reason if REASONS[r] == theme), key=lambda r: by_reason[r])
    return FeedbackLabel(theme, reason, round(by_theme[theme], 4))


def _from_score(model: LinearModel, score: int | None) -> FeedbackLabel:
    prior = model.score_prior.get(str(score) if score is not None else "none")
    if not prior:
        return FeedbackLabel("satisfied", "satisfied", 0.0)
    themes, reasons = prior["themes"], prior["reasons"]
    theme = max(THEMES, key=lambda name: (themes.get(name, 0.0), -THEMES.index(name)))
    candidates = [r for r in REASONS if REASONS[r] == theme]
    reason = max(candidates, key=lambda r: (reasons.get(r, 0.0), -candidates.index(r)))
    return FeedbackLabel(theme, reason, round(min(themes.get(theme, 0.0), NO_TEXT_CONFIDENCE_CAP), 4))
