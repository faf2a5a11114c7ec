"""The store's journey (milestones × channels) and its message templates, with a preview that
renders a template against a real order."""

from __future__ import annotations

from typing import Any

from ninja import Field, Router, Schema, Status
from pydantic import JsonValue

from aftercart.api.openapi import refuses
from aftercart.api.problems import Problem, field_problem
from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import Milestone
from aftercart.notifications.channel_map import channel_milestones
from aftercart.notifications.message_templates import (
    EDITABLE,
    VARIABLES,
    TemplateText,
    preview,
    template_errors,
)
from aftercart.notifications.models import ChannelConfig, MessageTemplate
from aftercart.notifications.services import (
    Refused,
    journey_set,
    message_template_delete,
    message_template_save,
)
from aftercart.orders.models import Order
from aftercart.stores.http import StoreRequest

router = Router(tags=["notifications"])


class JourneyIn(Schema):
    """Milestones per channel; a channel left out keeps its journey, ``null`` resets it to the
    defaults. Example: ``{"channels": {"sms": ["shipped", "delivered"]}}``."""

    channels: dict[str, list[str] | None] = Field(
        ...,
        json_schema_extra={
            "propertyNames": {"enum": [c.value for c in Channel]},
            "additionalProperties": {
                "anyOf": [
                    {"type": "array", "items": {"enum": [m.value for m in Milestone]}},
                    {"type": "null"},
                ]
            },
        },
    )


#: What the document lists for ``channel`` and ``milestone`` (the service refuses anything else).
_CHANNELS: dict[str, JsonValue] = {"enum": [*sorted(c.value for c in EDITABLE)]}
_MILESTONES: dict[str, JsonValue] = {"enum": [m.value for m in Milestone]}


class TemplateIn(Schema):
    """A store's wording for one milestone on one channel. ``locale`` "" applies to every language."""

    channel: str = Field(..., max_length=16, json_schema_extra=_CHANNELS)
    milestone: str = Field(..., max_length=32, json_schema_extra=_MILESTONES)
    locale: str = Field("", max_length=16)
    subject: str = Field("", max_length=300, description="E-mail only.")
    body: str = Field(..., max_length=20_000)


class TemplateKeyIn(Schema):
    channel: str = Field(..., max_length=16, json_schema_extra=_CHANNELS)
    milestone: str = Field(..., max_length=32, json_schema_extra=_MILESTONES)
    locale: str = Field("", max_length=16)


class PreviewIn(Schema):
    """Render the message of ``milestone`` on ``channel`` for the order with this number: with the
    store's saved template, or with ``subject``/``body`` given here (a draft, not saved)."""

    order_number: str = Field(..., min_length=1, max_length=64)
    channel: str = Field(..., max_length=16, json_schema_extra=_CHANNELS)
    milestone: str = Field(..., max_length=32, json_schema_extra=_MILESTONES)
    locale: str = Field("", max_length=16, description="Defaults to the order's language.")
    subject: str | None = Field(None, max_length=300)
    body: str | None = Field(None, max_length=20_000)


def refused_problem(refused: Refused) -> Problem:
    """A journey or template change the service refused: 422 naming each field (see
    :mod:`aftercart.api.v1`)."""
    return _refused(refused.errors)


def _refused(errors: dict[str, str]) -> Problem:
    # 422, not 400: the request fits the document (channel and milestone are enums there), and what
    # refuses it is what no schema can say: a template that does not compile or render within its
    # budget, a channel this store has not set up, an SMS with a subject, a language not shipped.
    problem = field_problem("Refused", [{"field": f, "message": m} for f, m in errors.items()])
    problem.status, problem.kind = 422, "refused"
    return problem


def _journey(store_id: int) -> dict[str, Any]:
    rows = {
        channel: (enabled, milestones)
        for channel, enabled, milestones in ChannelConfig.objects.filter(store_id=store_id).values_list(
            "channel", "enabled", "milestones"
        )
    }
    out = []
    for channel in Channel:
        enabled, milestones = rows.get(channel.value, (channel is Channel.EMAIL, None))
        if channel is not Channel.EMAIL and channel.value not in rows:
            continue  # not set up: nothing to show or edit
        carried = channel_milestones(channel, milestones)
        out.append(
            {
                "channel": channel.value,
                "enabled": enabled,
                "milestones": [m.value for m in Milestone if m in carried],
                "default": milestones is None,
            }
        )
    return {"channels": out, "milestones": [m.value for m in Milestone]}


@router.get("/journey", summary="The store's journey: which milestones go out on which channels")
def get_journey(request: StoreRequest) -> dict[str, Any]:
    return _journey(request.store.pk)


@router.put("/journey", summary="Set which milestones go out on which channels", openapi_extra=refuses(422))
def put_journey(request: StoreRequest, payload: JourneyIn) -> dict[str, Any]:
    store_id = request.store.pk
    journey_set(store_id=store_id, channels=payload.channels)
    return _journey(store_id)


def _template_json(template: MessageTemplate) -> dict[str, Any]:
    return {
        "channel": template.channel,
        "milestone": template.milestone,
        "locale": template.locale,
        "subject": template.subject,
        "body": template.body,
        "updated_at": template.updated_at,
    }


@router.get("/templates", summary="The store's templates, and the variables they can use")
def list_templates(request: StoreRequest) -> dict[str, Any]:
    templates = MessageTemplate.objects.filter(store=request.store)
    return {"templates": [_template_json(t) for t in templates], "variables": VARIABLES}


@router.put(
    "/templates", summary="Create or replace a template (checked: it must render)", openapi_extra=refuses(422)
)
def put_template(request: StoreRequest, payload: TemplateIn) -> dict[str, Any]:
    template = message_template_save(
        store_id=request.store.pk,
        channel=payload.channel,
        milestone=payload.milestone,
        locale=payload.locale,
        subject=payload.subject,
        body=payload.body,
    )
    return _template_json(template)


@router.delete(
    "/templates",
    response={204: None},
    summary="Remove a template: the built-in text is used again",
    openapi_extra=refuses(404),
)
def delete_template(request: StoreRequest, payload: TemplateKeyIn) -> Status[None]:
    found = message_template_delete(
        store_id=request.store.pk,
        channel=payload.channel,
        milestone=payload.milestone,
        locale=payload.locale,
    )
    if not found:
        raise Problem(
            404, "Template not found", "The store has no template for that channel, milestone and locale."
        )
    return Status(204, None)


@router.post(
    "/templates/preview",
    summary="Render a template against a real order (nothing is sent)",
    openapi_extra=refuses(404, 422),
)
def preview_template(request: StoreRequest, payload: PreviewIn) -> dict[str, str]:
    store = request.store
    draft = None
    if payload.body is not None:
        errors = template_errors(payload.channel, payload.milestone, payload.subject or "", payload.body)
        if errors:
            raise _refused(errors)
        draft = TemplateText(subject=payload.subject or "", body=payload.body)
    elif payload.channel not in ("email", "sms") or payload.milestone not in {m.value for m in Milestone}:
        raise _refused(template_errors(payload.channel, payload.milestone, "", "-"))
    number = payload.order_number.strip()
    order = (
        Order.objects.select_related("store")
        .filter(store=store, number__in={number, number.lstrip("#"), "#" + number.lstrip("#")})
        .order_by("-placed_at")
        .first()
    )
    if order is None:
        order = Order.objects.select_related("store").filter(store=store, external_id=number).first()
    if order is None:
        raise Problem(404, "Order not found", f"No order numbered {number!r} in this store.")
    return preview(
        order=order,
        channel=payload.channel,
        milestone=payload.milestone,
        language=payload.locale,
        draft=draft,
    )
