"""Saving a version of the store's claims policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aftercart.claims.models import ClaimPolicyVersion
from aftercart.stores.models import Store


def claim_policy_save(
    *, store: Store, data: dict[str, Any], actor: str = "", now: datetime | None = None
) -> ClaimPolicyVersion:
    """Check ``data`` (:meth:`ClaimPolicy.from_dict`, raising ``PolicyError`` naming the field) and
    save it as the store's next version. Claims keep the version that judged them."""
    raise NotImplementedError
