"""Detection rules from settings: ``AFTERCART_EXCEPTION_RULES`` plus the store's country."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings

from aftercart.domain.exceptions import DetectionRules
from aftercart.kernel.caches import memoised


def rules_for(country: str = "") -> DetectionRules:
    """The rules for a store in ``country`` (its holidays do not count as business hours).

    ``AFTERCART_EXCEPTION_RULES`` may set ``default_stall_hours``, ``stall_hours`` (per carrier slug),
    ``not_picked_up_hours``, ``handling_sla_days`` and ``pickup_warning_hours``.
    """
    raw = getattr(settings, "AFTERCART_EXCEPTION_RULES", None) or {}
    return _rules(_frozen(raw), (country or "").upper())


def _frozen(raw: dict[str, Any]) -> tuple:
    # Settings are dicts (unhashable); freeze them so the parsed rules are cached per value and a
    # test's override_settings is still seen.
    return tuple(sorted((k, tuple(sorted(v.items())) if isinstance(v, dict) else v) for k, v in raw.items()))


@memoised("stores.detection_rules", maxsize=64)
def _rules(frozen: tuple, country: str) -> DetectionRules:
    # Cached per (settings value, country): keyed by the frozen setting itself, so a changed
    # setting (override_settings) is a new key, never a stale hit.
    raw = dict(frozen)
    base = DetectionRules()
    return DetectionRules(
        default_stall_hours=int(raw.get("default_stall_hours", base.default_stall_hours)),
        stall_hours={str(k).lower(): int(v) for k, v in dict(raw.get("stall_hours", ())).items()},
        not_picked_up_hours=int(raw.get("not_picked_up_hours", base.not_picked_up_hours)),
        handling_sla_days=int(raw.get("handling_sla_days", base.handling_sla_days)),
        pickup_warning=timedelta(
            hours=float(raw.get("pickup_warning_hours", base.pickup_warning.total_seconds() / 3600))
        ),
        country=country,
    )


def rules_for_stores(store_ids: Iterable[int]) -> dict[int, DetectionRules]:
    """The rules of each store, by id (one query for their countries)."""
    from aftercart.stores.models import Store

    countries = dict(Store.objects.filter(pk__in=set(store_ids)).values_list("pk", "country"))
    return {pk: rules_for(country) for pk, country in countries.items()}
