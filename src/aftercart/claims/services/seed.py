"""A claim in a given state, for the demo and tests: files it through :func:`claim_file` and
drives it with the same services a person would use, so every fact and message is real."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aftercart.claims.models import Claim
from aftercart.claims.services.filing import ClaimLineIn, ClaimPhotoIn
from aftercart.orders.models import Order
from aftercart.stores.models import Store


def claim_seed(
    *,
    store: Store,
    order: Order,
    kind: str,
    lines: Sequence[ClaimLineIn],
    status: str = "filed",
    photos: Sequence[ClaimPhotoIn] = (),
    resolution: str = "",
    shipment: str = "",
    description: str = "",
    now: datetime,
) -> Claim:
    """File a claim and move it to ``status`` (``filed``/``in_review``, ``needs_evidence``,
    ``approved``, ``denied``, ``resolved`` with ``resolution``), as an operator would."""
    raise NotImplementedError
