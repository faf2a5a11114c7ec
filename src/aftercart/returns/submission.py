"""The returns portal's submission: one service that checks the whole form, records the return and
keeps its photos once the return is committed.

Kept apart from :mod:`aftercart.returns.services.request` (the form is the portal's), whose
:func:`~aftercart.returns.services.request.return_request` it calls inside its own transaction. The form is
checked whole first, so the shopper sees every problem at once: each line's choice among the offers
the portal makes (:func:`~aftercart.returns.portal.portal_offers`), the return method, the photos.
A request the policy then refuses raises :class:`~aftercart.returns.services.request.ReturnRefused` as it
does for the API. Photos are written by ``transaction.on_commit``: a request that is refused or
rolled back leaves no file behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from aftercart.domain.projection.state import OrderState
from aftercart.domain.returns import OfferKind, RequestedLine
from aftercart.orders.models import Order
from aftercart.returns import photos as return_photos
from aftercart.returns.portal import portal_offers, quote, return_methods
from aftercart.returns.services.request import LineChoice, RequestResult, return_request

__all__ = ["SubmissionRefused", "SubmittedLine", "return_submit"]


@dataclass(frozen=True)
class SubmittedLine:
    """One line of the form as the shopper sent it: what they asked to return, the choice they
    posted (not yet checked), their words, and their photos as uploaded (``(name, bytes)``)."""

    request: RequestedLine
    resolution: str
    reason_text: str = ""
    photos: Sequence[tuple[str, bytes]] = ()


@dataclass(eq=False)
class SubmissionRefused(Exception):
    """What is wrong with the form, by the position of the line in the submission: lines whose
    choice is not on offer (``choices``), lines whose photos cannot be kept with the
    :class:`~aftercart.returns.photos.PhotoRefused` code (``photos``), and whether the method is
    not offered (``method``). Nothing was written."""

    choices: list[int] = field(default_factory=list)
    photos: dict[int, str] = field(default_factory=dict)
    method: bool = False


def return_submit(
    *,
    order: Order,
    state: OrderState,
    lines: Sequence[SubmittedLine],
    method: str,
    client_key: str,
    now: datetime,
) -> RequestResult:
    """Check the portal's form, then request the return (:func:`return_request`, source
    ``portal``) and keep its photos once that commits. Raises :class:`SubmissionRefused` for a form
    to correct and :class:`~aftercart.returns.services.request.ReturnRefused` for a request the policy
    refuses; either way nothing is written. The same ``client_key`` again returns the return
    already made (``created=False``) and writes no photo."""
    decision = quote(order, state, [line.request for line in lines], now)
    refused = SubmissionRefused(method=method not in return_methods(order))
    planned: list[return_photos.PlannedPhoto] = []
    choices: list[LineChoice] = []
    for position, line in enumerate(lines):
        verdict = decision.line(line.request.line_id)
        offered = (
            {
                o.kind.value
                for o in portal_offers(verdict, replacement_picked=line.request.exchange_for is not None)
            }
            if verdict
            else set()
        )
        if line.resolution not in offered:
            refused.choices.append(position)
        try:
            checked = return_photos.photos_check(line.photos)
        except return_photos.PhotoRefused as photo:
            refused.photos[position] = photo.code
            continue
        paths = return_photos.photos_plan(client_key, line.request.line_id, checked)
        planned += paths
        if line.resolution in offered:
            choices.append(
                LineChoice(
                    request=line.request,
                    resolution=OfferKind(line.resolution),
                    reason_text=line.reason_text,
                    photos=tuple(p.path for p in paths),
                )
            )
    if refused.choices or refused.photos or refused.method:
        raise refused
    with transaction.atomic():
        result = return_request(
            store=order.store,
            order=order,
            choices=choices,
            client_key=client_key,
            source="portal",
            actor="shopper",
            method=method,
            now=now,
        )
        if result.created and planned:
            # The return names the photos; they are written only once it is committed.
            transaction.on_commit(lambda: return_photos.photos_write(planned))
    return result
