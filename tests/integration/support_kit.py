"""Shared builders of the support tests: orders in a known state, a deterministic classifier."""

from __future__ import annotations

import dataclasses

import pytest

from aftercart.domain.facts import Fact, FactKind
from aftercart.domain.next_step import StepCode
from aftercart.domain.support.intents import IntentPrediction
from aftercart.orders.models import Order
from aftercart.orders.services import facts_record
from aftercart.support.models import SupportSettings
from tests.unit.test_next_step import CASES, NOW

#: What the fake classifier recognises (keyword → intent), first match wins; confidence 0.95.
KEYWORDS = (
    ("cancel", "cancel_order"),
    ("address", "change_shipping_address"),
    ("refund", "get_refund"),
    ("return", "get_refund"),
    ("human", "contact_human_agent"),
    ("where", "track_order"),
    ("wo ist", "track_order"),
    ("dónde", "track_order"),
    ("où", "track_order"),
    ("when", "delivery_period"),
    ("arrive", "track_order"),
    ("parcel", "track_order"),
    ("order", "track_order"),
)


def fake_classify(text: str) -> IntentPrediction:
    low = text.lower()
    if "lowconf" in low:
        return IntentPrediction("track_order", 0.2)
    for word, intent in KEYWORDS:
        if word in low:
            return IntentPrediction(intent, 0.95)
    return IntentPrediction("other", 0.4)


def use_fake_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    """The support app's classifier, deterministic (the shipped model is the intents helper's)."""
    monkeypatch.setattr("aftercart.support.process.classify", fake_classify)


def order_in(
    store,
    code: StepCode,
    *,
    ref: str = "o1",
    number: str = "#1001",
    email: str = "ana@example.com",
    phone: str = "",
    locale: str = "en",
    name: str = "Ana Lima",
) -> Order:
    """An order of ``store`` whose next step at the tests' NOW is ``code`` (the domain's CASES)."""
    facts: list[Fact] = []
    for f in CASES[code]:
        payload = dict(f.payload)
        if f.kind is FactKind.ORDER_PLACED:
            payload.update(number=number, email=email, locale=locale, customer_name=name)
            if phone:
                payload["phone"] = phone
        if f.kind is FactKind.SHIPMENT_CREATED:
            payload["tracking_number"] = f"1Z{ref.upper()}999"
        facts.append(
            dataclasses.replace(
                f,
                order_ref=ref if f.order_ref else None,
                tracking_number=f"1Z{ref.upper()}999" if f.tracking_number else None,
                idempotency_key=f"{ref}:{f.idempotency_key}",
                payload=payload,
            )
        )
    result = facts_record(store=store, facts=facts, now=NOW, notify=False)
    assert result.accepted == len(facts), result
    return Order.objects.get(store=store, external_id=ref)


def support_settings(store, **values) -> SupportSettings:
    defaults = {
        "confidence_threshold": 0.6,
        "inbound_addresses": ["support@acme.example"],
        "zendesk_base_url": "",
        "zendesk_email": "bot@acme.example",
        "zendesk_api_token": "zd-token",
        "zendesk_webhook_secret": "zd-secret",
        "gorgias_base_url": "",
        "gorgias_username": "bot@acme.example",
        "gorgias_api_key": "gg-key",
        "gorgias_webhook_secret": "gg-secret",
        "postmark_username": "postmark",
        "postmark_password": "pm-pass",
    }
    defaults.update(values)
    config, _ = SupportSettings.objects.update_or_create(store=store, defaults=defaults)
    return config
