"""Saving a version of the store's claims policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from aftercart.claims.models import ClaimPolicyVersion
from aftercart.domain.claims import ClaimPolicy
from aftercart.stores.models import Store


def claim_policy_save(
    *, store: Store, data: dict[str, Any], actor: str = "", now: datetime | None = None
) -> ClaimPolicyVersion:
    """Check ``data`` (:meth:`ClaimPolicy.from_dict`, raising ``PolicyError`` naming the field) and
    save it as the store's next version. Claims keep the version that judged them."""
    now = now or timezone.now()
    with transaction.atomic():
        last = (
            ClaimPolicyVersion.objects.select_for_update()
            .filter(store=store)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        version = (last or 0) + 1
        policy = ClaimPolicy.from_dict({**data, "version": version}, version=version)
        return ClaimPolicyVersion.objects.create(
            store=store, version=version, data=policy.to_dict(), created_at=now, created_by=actor[:200]
        )
