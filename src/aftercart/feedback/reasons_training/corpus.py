"""The training corpus of the feedback classifier: Olist reviews with weak labels, plus English text.

Weak labels (:func:`weak_label`) combine the rule lexicon with the star score, keeping only what both
make believable:

- a problem the lexicon names is kept when the score is 1..4 (a 5-star review that trips a problem rule
  is more often a denial the rules missed — "não tive problema com a entrega" — than a complaint);
- "delivered early" is kept when the score is 3..5;
- no rule: a 4- or 5-star review is "satisfied"; a 1..3-star review says something the lexicon does
  not know, so it is left out rather than guessed.

Rows whose review_id is in a hand-labelled set (the check or the dev split) are never used.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from aftercart.domain.feedback.lexicon import rule_reason
from aftercart.domain.feedback.text import review_text

ENGLISH_TRAIN = Path(__file__).with_name("english_train.csv")


@dataclass(frozen=True, slots=True)
class Review:
    """One review as read from a CSV in the Olist layout (labels only in hand-labelled files)."""

    review_id: str
    title: str
    message: str
    score: int | None
    reason: str = ""
    theme: str = ""


def parse_score(raw: str | None) -> int | None:
    """The star score 1..5, or None when absent or not a number in range."""
    try:
        value = int(float((raw or "").strip()))
    except ValueError:
        return None
    return value if 1 <= value <= 5 else None


def read_reviews(path: Path) -> Iterator[Review]:
    """Rows of an Olist-layout review CSV (BOM tolerated; ``theme``/``reason`` read when present)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            yield Review(
                review_id=(row.get("review_id") or f"{path.name}:{i}").strip(),
                title=(row.get("review_comment_title") or "").strip(),
                message=(row.get("review_comment_message") or "").strip(),
                score=parse_score(row.get("review_score")),
                reason=(row.get("reason") or "").strip(),
                theme=(row.get("theme") or "").strip(),
            )


def unique_reviews(paths: Iterable[Path]) -> list[Review]:
    """Reviews of several files, the first copy of each review_id, in a stable order (by id hash)."""
    seen: dict[str, Review] = {}
    for path in paths:
        for review in read_reviews(path):
            seen.setdefault(review.review_id, review)
    return sorted(seen.values(), key=lambda r: hashlib.sha256(r.review_id.encode()).hexdigest())


def weak_label(review: Review) -> str | None:
    """The training reason of an unlabelled review, or None to leave it out (see the module doc)."""
    text = review_text(review.message, review.title)
    if not text:
        return None
    reason = rule_reason(text)
    score = review.score
    if reason is None:
        return "satisfied" if score is not None and score >= 4 else None
    if reason == "delivered_early":
        return reason if score is None or score >= 3 else None
    return reason if score is None or score <= 4 else None


def weakly_labelled(reviews: Iterable[Review], *, exclude_ids: set[str]) -> list[Review]:
    """The reviews with text that get a weak label, minus the excluded (hand-labelled) ids."""
    out = []
    seen_texts: set[tuple[str, str, int | None]] = set()
    for review in reviews:
        if review.review_id in exclude_ids:
            continue
        key = (review.title.casefold(), review.message.casefold(), review.score)
        if key in seen_texts:
            continue
        label = weak_label(review)
        if label is None:
            continue
        seen_texts.add(key)
        out.append(Review(review.review_id, review.title, review.message, review.score, reason=label))
    return out
