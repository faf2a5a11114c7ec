"""Labels and drop-off codes: what approval issues to send the items with, bought from the
configured provider or given by the store, and reissued when a new one comes."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from aftercart.domain.facts import normalise_tracking_number
from aftercart.domain.returns import ReturnMethod
from aftercart.domain.returns.lifecycle import ReturnEvent, ReturnStatus, next_status
from aftercart.integrations.labels.providers import CarrierLabel, label_provider
from aftercart.returns import selectors
from aftercart.returns.models import LabelPurchase, Return, new_dropoff_code
from aftercart.returns.services.steps import _move


def _needs_label(ret: Return) -> bool:
    """Whether approval issues something to send the items with: a label or a drop-off code
    (in-store returns are handed over; keep-it returns send nothing)."""
    return not ret.keep_items and ret.method in (ReturnMethod.LABEL.value, ReturnMethod.DROPOFF.value)


#: Providers whose labels are bought by the worker, after approval has committed: they call an
#: outside API, which never runs inside the approval's transaction.
BOUGHT_LATER = frozenset({"easypost"})


def _after_approval(ret: Return, *, now: datetime) -> None:
    if not _needs_label(ret):
        return
    if _provider_name(ret) in BOUGHT_LATER:
        _purchase_plan(ret, now=now)
    else:
        _issue_label(ret, now=now)


def _purchase_plan(ret: Return, *, now: datetime) -> None:
    """Record that the return's label is to be bought (inside the approval's transaction): the
    worker's ``labels`` loop buys it (:mod:`aftercart.returns.services.purchase`). A return planned
    already keeps its row, and with it the shipment it may have created."""
    LabelPurchase.objects.get_or_create(
        ret=ret,
        defaults={"store_id": ret.store_id, "next_attempt_at": now, "created_at": now, "updated_at": now},
    )


def _provider_name(ret: Return) -> str:
    """The store's label provider (its label settings), else the installation's."""
    return selectors.label_config(ret.store_id).provider


def _issue_label(
    ret: Return,
    *,
    now: datetime,
    tracking_number: str = "",
    carrier: str = "",
    provider: str = "",
    label_url: str = "",
) -> None:
    """Buy (or not) the carrier's label, keep its tracking number, make the drop-off code, and
    move the return to label_issued (inside the caller's transaction)."""
    name = provider or _provider_name(ret)
    if name in BOUGHT_LATER and not provider:
        name = "manual"  # a label the store attaches itself; the worker passes its provider's name
    bought = CarrierLabel(provider=name)
    if not tracking_number:
        # The store gave no tracking number of its own: ask the configured provider. (A provider
        # that calls a carrier's API belongs in a task; the manual one does no I/O.)
        bought = label_provider(name).purchase(selectors.return_parcel(ret))
    ret.label_provider = name
    ret.carrier = (carrier or bought.carrier)[:64]
    ret.tracking_number = (normalise_tracking_number(tracking_number or bought.tracking_number) or "")[:64]
    ret.label_url = label_url[:500]
    if name != "easypost":  # a label from elsewhere replaces the bought one's carrier code
        ret.carrier_qr_url, ret.carrier_qr_png = "", None
    if ret.method == ReturnMethod.DROPOFF.value and not ret.dropoff_code:
        ret.dropoff_code = new_dropoff_code()
    ret.label_issued_at = now
    ret.save(
        update_fields=[
            "label_provider",
            "carrier",
            "tracking_number",
            "label_url",
            "carrier_qr_url",
            "carrier_qr_png",
            "dropoff_code",
            "label_issued_at",
        ]
    )
    reissue = ReturnStatus(ret.status) == ReturnStatus.LABEL_ISSUED
    step = ret.facts.count()
    key = f"{ret.rma}:issue_label:{step}" if reissue else f"{ret.rma}:issue_label:approved"
    _move(
        ret,
        ReturnEvent.ISSUE_LABEL,
        actor=name,
        now=now,
        key=key,
        # A new label to print (the store's own carrier label attached after approval, or a
        # replacement) is told again, with it. A drop-off keeps its QR code: nothing new to tell.
        occasion=f"reissue-{step}" if reissue and ret.method == ReturnMethod.LABEL.value else "",
        payload={
            "provider": name,
            "carrier": ret.carrier,
            "tracking_number": ret.tracking_number,
            "label_url": ret.label_url,
            "dropoff_code": bool(ret.dropoff_code),
            **(
                {
                    "cost": str(ret.label_cost),
                    "currency": ret.label_cost_currency,
                    "service": ret.label_service,
                }
                if name in BOUGHT_LATER and ret.label_cost is not None
                else {}
            ),
        },
    )


@transaction.atomic
def return_issue_label(
    ret: Return,
    *,
    now: datetime | None = None,
    tracking_number: str = "",
    carrier: str = "",
    provider: str = "",
    label_url: str = "",
) -> Return:
    """Issue the return's label (``method="label"``) or drop-off QR code (``"dropoff"``) and move
    it to ``label_issued``; the approval of a return calls this itself, automatic or manual.

    The label comes from the configured provider (the store's label settings, else
    ``AFTERCART_RETURN_LABEL_PROVIDER``, default ``manual``: no postage bought, no tracking number;
    ``easypost``: the purchase is recorded and the worker buys it, the return stays ``approved``
    until then) unless the store passes the
    ``tracking_number`` (and ``carrier``, and the ``label_url`` its carrier label can be downloaded
    from) of a label it bought itself — carrier events for that number then move the return
    (:func:`return_carrier_event`). Calling it again without a new tracking number or label URL (or
    with the same ones) changes nothing, whatever happened since; with a new one, the label is
    reissued. In-store returns have nothing to issue and are returned unchanged. An illegal step (a
    return not approved, or already on its way or over) raises :class:`IllegalTransition`; nothing
    is written."""
    now = now or timezone.now()
    ret = Return.objects.select_for_update().get(pk=ret.pk)
    status = ReturnStatus(ret.status)
    if ret.method == ReturnMethod.IN_STORE.value or ret.keep_items:
        return ret
    number = normalise_tracking_number(tracking_number) or ""
    new_number = bool(number) and number != ret.tracking_number
    new_url = bool(label_url) and label_url != ret.label_url
    if ret.label_issued_at is not None and not new_number and not new_url:
        return ret  # issued already, and nothing new: a retried call (whatever happened since)
    next_status(status, ReturnEvent.ISSUE_LABEL, keep_items=ret.keep_items)  # raises when illegal
    if not number and not new_url and not provider and _provider_name(ret) in BOUGHT_LATER:
        _purchase_plan(ret, now=now)  # bought by the worker, never inside this transaction
        return ret
    _issue_label(
        ret,
        now=now,
        tracking_number=number or (ret.tracking_number if new_url else ""),
        carrier=carrier or (ret.carrier if new_url and not new_number else ""),
        provider=provider,
        label_url=label_url,
    )
    return ret
