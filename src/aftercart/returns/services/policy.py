"""Saving a store's return policy: each save is a new version, never a change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from aftercart.domain.returns import ReturnPolicy
from aftercart.returns.models import ReturnPolicyVersion
from aftercart.stores.models import Store


@transaction.atomic
def return_policy_save(
    *, store: Store, data: Mapping[str, Any], actor: str = "", now: datetime | None = None
) -> ReturnPolicyVersion:
    """Save ``data`` as the store's next policy version (versions are never changed).

    Raises :class:`PolicyError` naming the field when the data is invalid."""
    ReturnPolicy.from_dict(data)  # validate before taking a number
    # Lock the store row so two editors cannot take the same number.
    Store.objects.select_for_update().filter(pk=store.pk).first()
    latest = ReturnPolicyVersion.objects.filter(store=store).aggregate(v=Max("version"))["v"] or 0
    policy = ReturnPolicy.from_dict(data, version=latest + 1)
    return ReturnPolicyVersion.objects.create(
        store=store,
        version=policy.version,
        data=policy.to_dict(),
        created_at=now or timezone.now(),
        created_by=actor[:200],
    )
