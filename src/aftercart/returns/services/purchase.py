"""Buying prepaid return labels from EasyPost, in the background (the label provider ``easypost``).

Approval never calls the carrier: it records the need — a :class:`LabelPurchase` row, written in
the approval's transaction (:func:`aftercart.returns.services.labels._purchase_plan`) — and the worker's ``labels`` loop
(:func:`label_purchases_due`) claims due rows with a lease, calls EasyPost outside any transaction
and records each outcome in a short one. The outbox's pattern (``notifications.delivery``):

- **Never twice.** EasyPost buys in two calls and has no idempotency key. The shipment's id is
  committed *before* the buy call; a later attempt (after a timeout, a crash, an expired lease)
  reads that shipment first and, when it already has a postage label, records it instead of
  buying again.
- **Retried.** A timeout, a connection failure, 429 or 5xx is tried again with exponential
  backoff and full jitter (:func:`aftercart.domain.messaging.retry_delay`), up to
  :data:`MAX_ATTEMPTS`.
- **The carrier's QR code.** A drop-off return (``method="dropoff"``) whose label a carrier can
  make a counter code for (USPS, :func:`~aftercart.integrations.easypost.labels.qr_form_type`)
  asks for it once the label is bought (``POST /shipments/{id}/forms``), unless the shipment
  read back has it already. A failure is retried like the buy, but the label is bought: after
  :data:`QR_MAX_ATTEMPTS` failures, or a refusal, it is issued without the carrier's code (the
  PDF and Aftercart's own QR code) and a ``carrier_qr_failed`` fact says so.
- **Told.** A refusal that would be refused again (422 invalid address, 401 wrong key, 402 no
  funds) or retries run out: the purchase is ``failed``, the return gets a ``label_failed`` fact
  (its timeline, the API, the admin's *label purchase failed* filter) and stays ``approved`` — the
  operator fixes the cause and retries from the admin, or attaches a label made by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from aftercart.domain.exceptions import ExceptionKind
from aftercart.domain.messaging import retry_delay
from aftercart.domain.returns import ReturnMethod
from aftercart.domain.returns.lifecycle import IllegalTransition, ReturnStatus
from aftercart.domain.returns.rates import choose_rate
from aftercart.exceptions.services import exception_record_open
from aftercart.integrations.easypost.labels import (
    BoughtLabel,
    EasyPostClient,
    EasyPostError,
    label_of,
    qr_code_of,
    qr_form_type,
    rates_of,
    return_shipment_body,
)
from aftercart.returns import selectors
from aftercart.returns.models import LabelPurchase, Return
from aftercart.returns.services.labels import _issue_label
from aftercart.returns.services.steps import _fact, label_case_subject

logger = logging.getLogger(__name__)

#: How long a claim holds a purchase: longer than its three calls can take (20 s each).
LEASE = timedelta(minutes=2)
#: With full jitter under ceilings of 1, 2, 4 … 60 minutes, nine retries ride out a carrier or
#: EasyPost outage of about three hours on average before the operator is told.
MAX_ATTEMPTS = 10
#: Failed requests for the carrier's QR code before the bought label is issued without it: the
#: code saves the shopper a printer, but is not worth keeping their label from them for hours.
QR_MAX_ATTEMPTS = 3
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
#: Rows the pass claims at once (each is up to three HTTP calls, done one after the other).
BATCH = 20

Status = LabelPurchase.Status
_CLAIMABLE = (Status.PENDING, Status.BUYING)


@dataclass
class PurchaseReport:
    """What one pass did."""

    claimed: int = 0
    bought: int = 0
    retrying: int = 0
    failed: int = 0
    #: Not needed any more (the return was cancelled, or the store attached a label): nothing bought.
    dropped: int = 0


ClientFactory = Callable[[selectors.LabelConfig], EasyPostClient]


def _client(config: selectors.LabelConfig) -> EasyPostClient:
    timeout = float(getattr(settings, "AFTERCART_EASYPOST_TIMEOUT", 20.0))
    return EasyPostClient(config.api_key, config.base_url, timeout=timeout)


def _due(now: datetime) -> Q:
    return Q(status__in=_CLAIMABLE, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def _claim(*, now: datetime, limit: int, lease: timedelta) -> list[int]:
    """Claim up to ``limit`` due purchases until ``now + lease`` (the outbox's conditional claim:
    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a serialised writer on SQLite). A claim counts as an
    attempt, so a purchase that crashes every worker still runs out."""
    wanted = list(
        LabelPurchase.objects.filter(_due(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not wanted:
        return []
    with transaction.atomic():
        won = list(
            LabelPurchase.objects.select_for_update(skip_locked=True)
            .filter(_due(now), pk__in=wanted)
            .values_list("pk", flat=True)
        )
        LabelPurchase.objects.filter(pk__in=won).update(
            status=Status.BUYING, claimed_until=now + lease, attempts=F("attempts") + 1, updated_at=now
        )
    return won


def label_purchases_due(
    *,
    now: datetime | None = None,
    limit: int = BATCH,
    lease: timedelta = LEASE,
    client_for: ClientFactory = _client,
) -> PurchaseReport:
    """Claim due label purchases and do each: EasyPost is called outside any transaction, each
    outcome recorded in a short one. Refuses to run inside a transaction (a bought label is not
    undone by a rollback)."""
    with transaction.atomic(durable=True):
        pass
    now = now or timezone.now()
    ids = _claim(now=now, limit=limit, lease=lease)
    report = PurchaseReport(claimed=len(ids))
    for pk in ids:
        outcome = _purchase_one(pk, now=now, client_for=client_for)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _purchase_one(pk: int, *, now: datetime, client_for: ClientFactory) -> str:
    purchase = LabelPurchase.objects.select_related("ret__store", "ret__order").get(pk=pk)
    ret = purchase.ret
    config = selectors.label_config(ret.store_id)
    if not config.api_key:
        return _failed(
            purchase, EasyPostError(401, "NO_API_KEY", "the store has no EasyPost API key"), now=now
        )
    client = client_for(config)
    waiting = ret.status == ReturnStatus.APPROVED.value and ret.label_issued_at is None
    try:
        if not waiting:
            # Cancelled meanwhile, or the store attached a label of its own: buy nothing, but
            # record a label an earlier attempt may have bought (its cost is real).
            shipment = client.shipment(purchase.shipment_id) if purchase.shipment_id else {}
            earlier = label_of(shipment)
            if earlier is None:
                LabelPurchase.objects.filter(pk=pk).update(
                    status=Status.DROPPED,
                    claimed_until=None,
                    last_error=f"not needed: the return is {ret.status}",
                )
                return "dropped"
            _bought(purchase.pk, earlier, None, now=timezone.now())
            return "bought"
        bought = _buy(purchase, ret, config, client)
    except EasyPostError as error:
        if error.retryable and purchase.attempts < MAX_ATTEMPTS:
            return _retry(purchase, error, now=now)
        return _failed(purchase, error, now=now)
    qr_error = None
    form_type = qr_form_type(bought.carrier) if ret.method == ReturnMethod.DROPOFF.value else None
    if form_type and not bought.qr_code_url:
        try:
            bought = _qr_form(bought, form_type, client)
        except EasyPostError as error:
            purchase.qr_attempts += 1
            LabelPurchase.objects.filter(pk=pk).update(qr_attempts=purchase.qr_attempts)
            if (
                error.retryable
                and purchase.qr_attempts < QR_MAX_ATTEMPTS
                and purchase.attempts < MAX_ATTEMPTS
            ):
                # The next attempt reads the bought shipment (nothing is bought again) and asks again.
                return _retry(purchase, error, now=now, what="carrier QR code")
            qr_error = error
    qr_png = None
    if bought.qr_code_url:
        try:
            qr_png = client.form_image(bought.qr_code_url)
        except EasyPostError as error:  # the label is bought: the page links to the code instead
            logger.warning("carrier QR code of %s not fetched: %s", ret.rma, error.code)
    _bought(purchase.pk, bought, qr_png, now=timezone.now(), qr_error=qr_error)
    return "bought"


def _qr_form(bought: BoughtLabel, form_type: str, client: EasyPostClient) -> BoughtLabel:
    """Ask EasyPost for the carrier's QR code of the bought shipment: the label with its address."""
    url = qr_code_of(client.create_form(bought.shipment_id, form_type))
    if not url:
        raise EasyPostError(502, "BAD_RESPONSE", f"the shipment has no {form_type} form")
    return replace(bought, qr_code_url=url)


def _buy(
    purchase: LabelPurchase, ret: Return, config: selectors.LabelConfig, client: EasyPostClient
) -> BoughtLabel:
    """The HTTP part (no transaction open): read or create the shipment, choose the rate, buy."""
    shipment: dict[str, Any] | None = None
    if purchase.shipment_id:
        shipment = client.shipment(purchase.shipment_id)
        already = label_of(shipment)
        if already is not None:
            return already  # bought by an attempt whose answer never arrived or was never recorded
        if purchase.renew_shipment:
            # The operator fixed the address, the parcel or the account and asked again: the
            # shipment (never bought, so free) holds what was refused; a new one takes today's.
            shipment = None
    if shipment is None:
        body = return_shipment_body(
            shopper=selectors.shopper_address(ret),
            store=config.return_address,
            parcel=config.parcel,
            reference=ret.rma,
        )
        shipment = client.create_shipment(body)
        shipment_id = str(shipment.get("id") or "")
        if not shipment_id:
            raise EasyPostError(502, "BAD_RESPONSE", "the shipment has no id")
        # Committed before buying: whatever happens to the buy call, a retry finds this shipment.
        LabelPurchase.objects.filter(pk=purchase.pk).update(
            shipment_id=shipment_id[:64], renew_shipment=False
        )
        purchase.shipment_id, purchase.renew_shipment = shipment_id[:64], False
    choice = choose_rate(rates_of(shipment), config.rule)
    if choice is None:
        messages = "; ".join(
            str(m.get("message", ""))[:120] for m in shipment.get("messages") or [] if isinstance(m, dict)
        )
        # Rates come with the shipment and are not quoted again: the next attempt makes a new
        # shipment (one never bought costs nothing).
        LabelPurchase.objects.filter(pk=purchase.pk).update(shipment_id="")
        raise EasyPostError(503, "NO_RATES", messages or "no carrier quoted a rate")
    LabelPurchase.objects.filter(pk=purchase.pk).update(
        rate_id=choice.rate.id[:64], fallback=choice.fallback[:200]
    )
    bought = label_of(client.buy(purchase.shipment_id, choice.rate.id))
    if bought is None:
        raise EasyPostError(502, "BAD_RESPONSE", "the bought shipment has no postage label")
    return bought


def _retry(purchase: LabelPurchase, error: EasyPostError, *, now: datetime, what: str = "") -> str:
    delay = retry_delay(purchase.attempts, base=RETRY_BASE, cap=RETRY_CAP)
    LabelPurchase.objects.filter(pk=purchase.pk).update(
        status=Status.PENDING,
        claimed_until=None,
        next_attempt_at=now + delay,
        last_error=(f"{what}: {error}" if what else str(error))[:1000],
        updated_at=now,
    )
    logger.warning(
        "label purchase for %s failed (%s%s); retrying in %s",
        purchase.ret.rma,
        f"{what}: " if what else "",
        error.code,
        delay,
    )
    return "retrying"


@transaction.atomic
def _failed(purchase: LabelPurchase, error: EasyPostError, *, now: datetime) -> str:
    """Give up and tell the operator: the return stays approved, its timeline says why."""
    LabelPurchase.objects.filter(pk=purchase.pk).update(
        status=Status.FAILED, claimed_until=None, last_error=str(error)[:1000], updated_at=now
    )
    ret = Return.objects.select_for_update().get(pk=purchase.ret_id)
    _fact(
        ret,
        "label_failed",
        actor="easypost",
        now=now,
        key=f"{ret.rma}:label_failed:{purchase.pk}:{purchase.attempts}",
        payload={
            "status": error.status,
            "code": error.code,
            "message": error.message,
            "errors": list(error.errors),
            "attempts": purchase.attempts,
            "shipment_id": purchase.shipment_id,
        },
    )
    # Where operators look for what needs a person: the exceptions queue (resolved when the return
    # stops waiting for its label, see returns.services.steps._fact).
    exception_record_open(
        store_id=ret.store_id,
        order_id=ret.order_id,
        kind=ExceptionKind.RETURN_LABEL_FAILED,
        subject=label_case_subject(ret),
        detail=f"{ret.rma}: {error}",
        now=now,
    )
    logger.error("label purchase for %s failed for good: %s", ret.rma, error.code)
    return "failed"


@transaction.atomic
def _bought(
    pk: int,
    bought: BoughtLabel,
    qr_png: bytes | None,
    *,
    now: datetime,
    qr_error: EasyPostError | None = None,
) -> None:
    """Record the bought label on the return (cost, carrier, tracking code, label, the carrier's QR
    code) and issue it: the return moves to ``label_issued`` and the shopper is told. ``qr_error``:
    the carrier's QR code could not be had, which the return's timeline says."""
    purchase = LabelPurchase.objects.select_for_update().get(pk=pk)
    ret = Return.objects.select_for_update().get(pk=purchase.ret_id)
    ret.label_service = bought.service[:64]
    ret.label_cost = bought.amount
    ret.label_cost_currency = bought.currency
    ret.carrier_qr_url = bought.qr_code_url[:500]
    ret.carrier_qr_png = qr_png
    ret.save(
        update_fields=[
            "label_service",
            "label_cost",
            "label_cost_currency",
            "carrier_qr_url",
            "carrier_qr_png",
        ]
    )
    LabelPurchase.objects.filter(pk=pk).update(
        status=Status.BOUGHT,
        claimed_until=None,
        shipment_id=bought.shipment_id[:64] or purchase.shipment_id,
        rate_id=bought.rate_id[:64] or purchase.rate_id,
        last_error="",
        updated_at=now,
    )
    if ReturnStatus(ret.status) == ReturnStatus.APPROVED and ret.label_issued_at is None:
        try:
            _issue_label(
                ret,
                now=now,
                tracking_number=bought.tracking_code,
                carrier=bought.carrier.lower(),
                provider="easypost",
                label_url=bought.label_url,
            )
            if qr_error is not None:
                _fact(
                    ret,
                    "carrier_qr_failed",
                    actor="easypost",
                    now=now,
                    key=f"{ret.rma}:carrier_qr_failed:{pk}",
                    payload={
                        "status": qr_error.status,
                        "code": qr_error.code,
                        "message": qr_error.message,
                        "attempts": purchase.qr_attempts,
                        "fallback": "the carrier's label PDF and Aftercart's own drop-off QR code",
                    },
                )
            return
        except IllegalTransition:  # pragma: no cover - guarded by the status check above
            pass
    # The return moved on while the label was bought (cancelled, or a label attached by hand): the
    # cost is real, so it is kept, and the operator can ask EasyPost for a refund of the label.
    _fact(
        ret,
        "label_bought",
        actor="easypost",
        now=now,
        key=f"{ret.rma}:label_bought:{pk}",
        payload={
            "shipment_id": bought.shipment_id,
            "tracking_number": bought.tracking_code,
            "cost": str(bought.amount or Decimal(0)),
            "currency": bought.currency,
            "note": f"bought while the return was {ret.status}: not issued",
        },
    )


@transaction.atomic
def label_purchase_retry(ret: Return, *, now: datetime | None = None) -> bool:
    """Try a failed purchase again now (the operator fixed the address, the key or the account);
    whether there was one to retry. The shipment made before is read first: bought already (a buy
    whose answer was lost), it is recorded; not bought, a new one is made with the addresses and
    settings as they are now (the old one kept what was refused, and costs nothing). Nothing is
    bought twice. Automatic retries, by contrast, keep their shipment.

    Only an approved return still waiting for its label is retried: one rejected, cancelled, on
    its way or settled needs no label, and one issued meanwhile (the store attached its own) has
    it; for those nothing is written and the answer is ``False``."""
    now = now or timezone.now()
    updated = LabelPurchase.objects.filter(
        ret_id=ret.pk,
        status=Status.FAILED,
        ret__status=ReturnStatus.APPROVED.value,
        ret__label_issued_at__isnull=True,
    ).update(
        status=Status.PENDING,
        attempts=0,
        qr_attempts=0,
        renew_shipment=True,
        next_attempt_at=now,
        claimed_until=None,
        updated_at=now,
    )
    return bool(updated)
