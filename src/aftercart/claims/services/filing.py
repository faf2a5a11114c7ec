"""Filing a claim: judged by the store's current claims policy from the order's ledger, recorded
with its lines and photos, approved at once under the store's limits or queued for a person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from aftercart.claims import selectors
from aftercart.claims.models import Claim, ClaimLine, ClaimPhoto, ClaimPolicyVersion, new_claim_number
from aftercart.claims.photos import (
    CheckedPhoto,
    PhotoRefused,
    claim_photos_check,
    claim_photos_write_on_commit,
)
from aftercart.claims.services.steps import move, record_fact
from aftercart.domain.claims import (
    ClaimDecision,
    ClaimEvent,
    ClaimPolicy,
    ClaimRequest,
    RequestedUnits,
    Verdict,
    judge_claim,
)
from aftercart.domain.claims.notices import FILED
from aftercart.domain.milestones import Milestone
from aftercart.orders.models import Order
from aftercart.orders.selectors import order_state
from aftercart.stores.models import Store

#: What a refused photo is called, by the returns' photo check's code.
_PHOTO_TEXTS = {
    "too_large": "a photo is larger than 5 MB",
    "too_many_pixels": "a photo has too many pixels",
    "not_an_image": "a file is not a JPEG, PNG or WebP photo",
    "too_many": "too many photos",
}


class ClaimRefused(Exception):
    """The request cannot become a claim as asked; nothing was written. ``code`` names the first
    problem (``unknown_line``, ``over_quantity``, ``already_claimed``, ``order_cancelled``,
    ``window_closed``, ``too_early``, ``photos_required``, ``photo_too_large``,
    ``photo_not_an_image``, ``resolution_not_offered``, ``duplicate_submission`` …), ``errors``
    all of them by field; ``open_from`` is set for ``too_early`` (``None``: once delivered)."""

    def __init__(
        self,
        code: str,
        text: str,
        *,
        errors: list[dict[str, str]] | None = None,
        open_from: datetime | None = None,
        existing: Claim | None = None,
    ):
        super().__init__(text)
        self.code, self.text = code, text
        self.errors = errors or [{"field": "body", "code": code, "message": text}]
        self.open_from, self.existing = open_from, existing


@dataclass(frozen=True)
class ClaimLineIn:
    """Units of one order line the claim is about."""

    line_id: str
    quantity: int = 1


@dataclass(frozen=True)
class ClaimPhotoIn:
    """A photo as uploaded: its file name, its bytes, and the line it shows ("" for the parcel)."""

    name: str
    data: bytes
    line_id: str = ""


@dataclass(frozen=True)
class FileResult:
    claim: Claim
    created: bool


def claim_file(
    *,
    store: Store,
    order: Order,
    kind: str,
    lines: Sequence[ClaimLineIn],
    shipment: str = "",
    description: str = "",
    preferred_resolution: str = "",
    photos: Sequence[ClaimPhotoIn] = (),
    client_key: str = "",
    payment_fingerprint: str = "",
    source: str = "api",
    actor: str = "",
    review: bool = False,
    now: datetime | None = None,
) -> FileResult:
    """File a claim of ``kind`` on ``order`` — the order the caller's signed link or API key
    resolved; the caller must never pass an order the customer did not prove is theirs.

    ``shipment`` names the parcel (its key, shipment id or tracking number; "" picks the only
    parcel carrying the lines). Photos are checked by content (size cap, real image decode) and
    kept re-encoded without EXIF, written only once the claim commits. Judged by the store's
    current policy: approved at once under its limits, else queued for a person
    (``needs_review``, status ``in_review``). Anything refused — including too early, which
    carries the date from which it can be filed — raises :class:`ClaimRefused` and writes
    nothing. The same ``client_key`` again returns the claim already made (``created=False``)."""
    now = now or timezone.now()
    if order.store_id != store.pk:
        raise ClaimRefused(
            "unknown_order",
            "not an order of this store",
            errors=[_err("order_id", "unknown_order", "not found")],
        )
    with transaction.atomic():
        # One claim at a time per order, so two submissions cannot both claim the same units.
        order = Order.objects.select_for_update().select_related("store").get(pk=order.pk)
        if client_key:
            existing = (
                Claim.objects.filter(store=store, client_key=client_key).prefetch_related("lines").first()
            )
            if existing is not None:
                if existing.order_id == order.pk and _same(existing, kind, lines):
                    return FileResult(existing, created=False)
                raise ClaimRefused(
                    "duplicate_submission",
                    f"this submission key was already used for claim {existing.number}",
                    errors=[_err("client_key", "duplicate_submission", "already used")],
                    existing=existing,
                )
        state = order_state(order)
        if not selectors.order_placed(order, state):
            raise ClaimRefused(
                "order_not_placed",
                f"order {order.external_id} has no lines yet: only its tracking has arrived",
                errors=[_err("order_id", "order_not_placed", "has no lines yet")],
            )
        version = selectors.policy_current(store)
        policy = selectors.policy_of(version)
        number = new_claim_number()
        checked = _photos(number, photos, {ln.line_id for ln in lines})
        the_order = selectors.order_for_claim(order, state)
        address = selectors.address_key(order, state)
        email = (state.email or order.email).strip().lower()
        fingerprint = payment_fingerprint.strip()[:128]
        decision = judge_claim(
            policy=policy,
            order=the_order,
            request=ClaimRequest(
                kind=kind,
                lines=tuple(RequestedUnits(ln.line_id, ln.quantity) for ln in lines),
                parcel_key=shipment,
                photos=len(checked),
                preferred_resolution=preferred_resolution,
            ),
            history=selectors.claim_history(
                store, email=email, address_key=address, payment_fingerprint=fingerprint
            ),
            warranty=selectors.warranty_terms(store),
            now=now,
        )
        _refuse_unless_eligible(decision)
        if version is None:
            # The defaults become version 1 the first time they judge a claim, so the claim can
            # point at the exact policy it was judged under.
            version = ClaimPolicyVersion.objects.create(
                store=store,
                version=1,
                data=ClaimPolicy(version=1).to_dict(),
                created_at=now,
                created_by="defaults",
            )
        parcel = the_order.parcel(decision.parcel_key) if decision.parcel_key else None
        claim = Claim(
            store=store,
            order=order,
            number=number,
            kind=decision.kind,
            policy=version,
            decision=decision.to_json(),
            needs_review=decision.needs_review or review,
            review_reasons=[n.to_json() for n in decision.review_reasons]
            + (
                [{"code": "asked_for_review", "text": f"{actor or source} asked for a person to decide"}]
                if review
                else []
            ),
            shipment_key=decision.parcel_key,
            carrier=parcel.carrier if parcel else "",
            tracking_number=parcel.tracking_number if parcel else "",
            client_key=client_key,
            source=source[:32],
            email=email,
            address_key=address,
            payment_fingerprint=fingerprint,
            description=description[:2000],
            currency=decision.currency,
            claimed_value=decision.value,
            preferred_resolution=preferred_resolution,
            resolution_options=list(decision.resolutions),
            decision_due_at=now + timedelta(hours=policy.decision_hours),
            resolution_due_at=now + timedelta(hours=policy.resolution_hours),
            created_at=now,
            updated_at=now,
        )
        try:
            with transaction.atomic():
                claim.save()
        except IntegrityError:
            raise ClaimRefused(
                "duplicate_submission",
                "this submission key was already used",
                errors=[_err("client_key", "duplicate_submission", "already used")],
            ) from None
        by_id = {ln.line_id: ln for ln in the_order.lines}
        ClaimLine.objects.bulk_create(
            ClaimLine(
                claim=claim,
                line_id=d.line_id,
                sku=by_id[d.line_id].sku,
                product_id=by_id[d.line_id].product_id,
                variant=_variant(state, d.line_id),
                title=by_id[d.line_id].title,
                quantity=d.quantity,
                value=d.value,
            )
            for d in decision.lines
        )
        _keep_photos(claim, checked, now)
        auto = decision.auto_approve and not review
        record_fact(
            claim,
            FILED,
            actor=actor or source,
            now=now,
            key=f"{claim.number}:filed",
            payload={
                "kind": claim.kind,
                "lines": [
                    {"line_id": d.line_id, "quantity": d.quantity, "value": str(d.value)}
                    for d in decision.lines
                ],
                "shipment": claim.shipment_key,
                "value": str(decision.value),
                "policy_version": version.version,
                "photos": len(checked),
                "preferred_resolution": preferred_resolution,
            },
            # One e-mail, not two a second apart: "approved" says the claim was received.
            suppress={Milestone.CLAIM_FILED: "consolidated into claim_approved"} if auto else None,
        )
        if auto:
            claim.decided_at = now
            move(
                claim,
                ClaimEvent.APPROVE,
                actor="policy",
                now=now,
                key=f"{claim.number}:approve",
                payload={"auto": True},
            )
        else:
            move(
                claim,
                ClaimEvent.REVIEW,
                actor="policy",
                now=now,
                key=f"{claim.number}:review",
                payload={"reasons": claim.review_reasons},
            )
        claim_photos_write_on_commit(checked)
    return FileResult(claim, created=True)


def _err(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def _same(claim: Claim, kind: str, lines: Sequence[ClaimLineIn]) -> bool:
    asked = sorted((ln.line_id, ln.quantity) for ln in lines)
    return claim.kind == kind and asked == sorted((ln.line_id, ln.quantity) for ln in claim.lines.all())


def _variant(state: Any, line_id: str) -> str:
    line = state.lines.get(line_id)
    return line.variant if line is not None else ""


def _photos(number: str, photos: Sequence[ClaimPhotoIn], line_ids: set[str]) -> list[CheckedPhoto]:
    for index, photo in enumerate(photos):
        if photo.line_id and photo.line_id not in line_ids:
            raise ClaimRefused(
                "photo_unknown_line",
                "a photo names an item that is not in the claim",
                errors=[_err(f"photos[{index}].line_id", "photo_unknown_line", "not an item of the claim")],
            )
    return check_photos(number, photos)


def check_photos(number: str, photos: Sequence[ClaimPhotoIn], *, already: int = 0) -> list[CheckedPhoto]:
    """The photos checked (:func:`aftercart.claims.photos.claim_photos_check`), or
    :class:`ClaimRefused` naming the first refused (``photo_too_large``, ``photo_not_an_image``,
    ``photo_too_many_pixels``, ``photo_too_many``)."""
    try:
        return claim_photos_check(number, [(p.name, p.data, p.line_id) for p in photos], already=already)
    except PhotoRefused as refused:
        index = next((i for i, p in enumerate(photos) if p.name and p.name == refused.name), None)
        where = "photos" if index is None else f"photos[{index}]"
        text = _PHOTO_TEXTS.get(refused.code, "a photo was refused")
        raise ClaimRefused(
            f"photo_{refused.code}", text, errors=[_err(where, f"photo_{refused.code}", text)]
        ) from None


def _keep_photos(claim: Claim, checked: Sequence[CheckedPhoto], now: datetime) -> None:
    known = set(ClaimPhoto.objects.filter(claim=claim).values_list("sha256", flat=True))
    ClaimPhoto.objects.bulk_create(
        ClaimPhoto(
            claim=claim,
            line_id=c.line_id,
            path=c.path,
            content_type=c.content_type,
            size=len(c.photo.data),
            sha256=c.sha256,
            uploaded_at=now,
        )
        for c in checked
        if c.sha256 not in known
    )


keep_photos = _keep_photos


def _refuse_unless_eligible(decision: ClaimDecision) -> None:
    if decision.verdict is Verdict.FILE:
        return
    if decision.verdict is Verdict.TOO_EARLY:
        when = decision.open_from.isoformat() if decision.open_from else "the parcel is delivered"
        text = (
            f"too early to claim: it can be filed from {when}"
            if decision.open_from
            else ("too early to claim: it can be filed once the parcel is delivered")
        )
        raise ClaimRefused(
            "too_early",
            text,
            errors=[_err("kind", "too_early", text)],
            open_from=decision.open_from,
        )
    first = decision.notes[0]
    raise ClaimRefused(
        first.code,
        first.text,
        errors=[_err(n.field or "body", n.code, n.text) for n in decision.notes],
    )
