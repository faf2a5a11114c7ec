"""What a customer's message asks for: the intent vocabulary and the classifier's interface.

INTERFACE STUB (to be replaced by the shipped, trained model; keep these names and signatures):
callers use ``classify``/``classify_many`` and ``INTENTS``/``WISMO_INTENTS`` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    """The most likely intent and its calibrated probability (0..1)."""

    intent: str
    confidence: float


def classify(text: str) -> IntentPrediction:
    """The intent of one message (stub: a few keywords, low confidence)."""
    return classify_many([text])[0]


def classify_many(texts: Iterable[str]) -> list[IntentPrediction]:
    """The intents of many messages at once (faster than one by one)."""
    out = []
    for text in texts:
        low = text.lower()
        if "where" in low and ("order" in low or "package" in low or "parcel" in low):
            out.append(IntentPrediction("track_order", 0.5))
        elif "refund" in low:
            out.append(IntentPrediction("get_refund", 0.5))
        else:
            out.append(IntentPrediction(OTHER, 0.3))
    return out
