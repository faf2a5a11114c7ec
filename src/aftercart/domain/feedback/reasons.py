"""What a customer's feedback is about: themes, reasons, and the classifier's interface.

INTERFACE STUB (to be replaced by the shipped, trained model; keep these names and signatures).
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class FeedbackLabel:
    """The theme and reason of one piece of feedback, with the model's probability (0..1)."""

    theme: str
    reason: str
    confidence: float


def classify_feedback(message: str, *, title: str | None = None, score: int | None = None) -> FeedbackLabel:
    """The theme and reason of a review's text (any of English and Portuguese), helped by its score.

    Stub: score only.
    """
    if score is not None and score >= 4:
        return FeedbackLabel("satisfied", "satisfied", 0.5)
    return FeedbackLabel("quality_problem", "other_order_problem", 0.3)
