"""A claim in a given state, for the demo and tests: files it through :func:`claim_file` and
drives it with the same services a person would use, so every fact and message is real."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from aftercart.claims.models import Claim
from aftercart.claims.services.decide import claim_approve, claim_deny, claim_evidence_request
from aftercart.claims.services.filing import ClaimLineIn, ClaimPhotoIn, claim_file
from aftercart.claims.services.resolve import claim_resolve
from aftercart.domain.claims import ClaimStatus
from aftercart.orders.models import Order
from aftercart.stores.models import Store

STATUSES = tuple(s.value for s in ClaimStatus)


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
    reason: str = "",
    now: datetime,
) -> Claim:
    """File a claim (as of ``now``) and move it to ``status`` as an operator would, a few hours
    apart: ``filed`` (left as the policy put it: approved at once when small), ``in_review``
    (queued for a person whatever its size), ``needs_evidence`` (``reason``:
    what is asked for), ``approved``, ``denied`` (``reason``), ``resolved`` (``resolution``, else
    the claim's first option; a reship or replacement gets a made-up tracking number).

    The same order, kind and lines again return the claim already made (its key is derived from
    them), so a demo seeded twice does not claim twice. ``ClaimRefused`` when the policy refuses."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; use {', '.join(STATUSES)}")
    key = (
        "demo:"
        + order.external_id
        + ":"
        + kind
        + ":"
        + ",".join(f"{ln.line_id}x{ln.quantity}" for ln in lines)
    )
    result = claim_file(
        store=store,
        order=order,
        kind=kind,
        lines=lines,
        shipment=shipment,
        description=description,
        preferred_resolution=resolution,
        photos=photos,
        client_key=key[:200],
        source="demo",
        # A claim meant to wait for a person (or to be denied) is queued even when small.
        review=status
        in (ClaimStatus.IN_REVIEW.value, ClaimStatus.NEEDS_EVIDENCE.value, ClaimStatus.DENIED.value),
        now=now,
    )
    claim = result.claim
    if not result.created or status in (ClaimStatus.FILED.value, ClaimStatus.IN_REVIEW.value):
        return claim
    later = now + timedelta(hours=3)
    if status == ClaimStatus.NEEDS_EVIDENCE.value:
        return claim_evidence_request(
            claim=claim, actor="demo", request=reason or "a photo of the parcel's label", now=later
        )
    if status == ClaimStatus.DENIED.value:
        return claim_deny(
            claim=claim, actor="demo", reason=reason or "the carrier's photo shows it at your door", now=later
        )
    if claim.status != ClaimStatus.APPROVED.value:
        claim = claim_approve(claim=claim, actor="demo", resolution=resolution, now=later)
    if status == ClaimStatus.RESOLVED.value:
        chosen = resolution or claim.preferred_resolution or claim.resolution_options[0]
        claim = claim_resolve(
            claim=claim,
            resolution=chosen,
            actor="demo",
            carrier=claim.carrier or "ups",
            tracking_number=f"1ZCLAIM{claim.number[2:]}",
            now=later + timedelta(hours=5),
        )
    return claim
