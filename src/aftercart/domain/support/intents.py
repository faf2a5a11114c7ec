"""What a customer's message asks for: the intent vocabulary and the shipped classifier.

Callers use :func:`classify`/:func:`classify_many` and :data:`INTENTS`/:data:`WISMO_INTENTS`. The
model is trained on Bitext's customer-service utterances plus our own phrasing templates (see
``docs/support-intents.md`` and :mod:`.training`) and shipped inside the package as
``model/intents.npz`` (numbers and strings only, loaded with ``allow_pickle=False``), read once per
process on first use. No training step and no download at run time.

Each prediction carries a calibrated probability. Below :data:`CONFIDENCE_THRESHOLD` (or a store's
own threshold) nothing should be automated: the message goes to a person.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from aftercart.domain.support.model import IntentModel

#: The twelve named intents, then "other" (anything the model does not recognise).
INTENTS: tuple[str, ...] = (
    "track_order",
    "delivery_period",
    "delivery_options",
    "cancel_order",
    "change_order",
    "change_shipping_address",
    "get_refund",
    "track_refund",
    "check_refund_policy",
    "complaint",
    "review",
    "contact_human_agent",
)
OTHER = "other"
#: "Where is my order?": the contacts this product exists to prevent.
WISMO_INTENTS: frozenset[str] = frozenset({"track_order", "delivery_period"})
#: Default confidence below which a prediction must not be acted on automatically (a store may set
#: its own). Precision first: an automated answer to the wrong question costs more than a message a
#: person reads; on the development paraphrases 0.6 keeps WISMO recall (docs/support-intents.md).
CONFIDENCE_THRESHOLD = 0.6

#: The shipped artifact and its sidecar (version, sha256, settings).
ARTIFACT = Path(__file__).with_name("model") / "intents.npz"


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    """The most likely intent and its calibrated probability (0..1)."""

    intent: str
    confidence: float

    def is_sure(self, threshold: float = CONFIDENCE_THRESHOLD) -> bool:
        """Whether the prediction is confident enough to act on automatically."""
        return self.confidence >= threshold


_lock = threading.Lock()
_model: IntentModel | None = None


def model() -> IntentModel:
    """The shipped model, loaded on first use and kept for the life of the process."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                from aftercart.domain.support.model import IntentModel

                _model = IntentModel.load(ARTIFACT)
    return _model


def artifact_info() -> dict[str, Any]:
    """The shipped artifact's sidecar (recipe version, sha256, size, settings)."""
    info: dict[str, Any] = json.loads(ARTIFACT.with_suffix(".json").read_text(encoding="utf-8"))
    return info


def classify(text: str) -> IntentPrediction:
    """The intent of one message."""
    return classify_many([text])[0]


def classify_many(texts: Iterable[str], *, using: IntentModel | None = None) -> list[IntentPrediction]:
    """The intents of many messages at once (faster than one by one).

    Fine-grained classes outside our twelve intents add up to ``other``; the prediction is the
    intent with the highest summed probability, and ``confidence`` is that probability.
    """
    batch = [t if isinstance(t, str) else "" for t in texts]
    if not batch:
        return []
    current = using or model()
    labels = (*INTENTS, OTHER)
    collapse = np.zeros((len(current.classes), len(labels)))
    for row, cls in enumerate(current.classes):
        collapse[row, INTENTS.index(cls) if cls in INTENTS else len(INTENTS)] = 1.0
    summed = current.probabilities(batch) @ collapse
    best = summed.argmax(axis=1)
    confidence = summed[np.arange(len(batch)), best]
    return [IntentPrediction(labels[b], round(float(c), 6)) for b, c in zip(best, confidence, strict=True)]
