"""Deciding about an inbound message: classify, match its order, triage, then answer, act or escalate.

:func:`message_process` runs once per stored inbound message (``processed_at`` marks it), in one
transaction holding the conversation's row: the classifier
(:mod:`aftercart.domain.support.intents`), the order match (:mod:`aftercart.domain.support.
matching`), the policy (:func:`aftercart.domain.support.triage.decide`), then what it decided:
a reply queued on the conversation's channel (or shown inline for the API and the contact
form), an action recorded in the ledger, or the conversation handed to a person with the reasons,
the order's timeline and a drafted reply. Every decision is an :class:`Automation` row.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction

from aftercart.domain.arrival import arrived_at
from aftercart.domain.contacts import email_key, phone_key
from aftercart.domain.next_step import NextStep
from aftercart.domain.projection.state import OrderState
from aftercart.domain.support.intents import classify
from aftercart.domain.support.matching import Match, OrderBrief, choose_order, references_in
from aftercart.domain.support.triage import (
    Decision,
    OrderFacts,
    Outcome,
    Reply,
    Situation,
    decide,
    detect_language,
    is_auto_reply,
    new_address_in,
    state_key,
)
from aftercart.domain.vocabulary import CarrierTag, Stage
from aftercart.kernel.ids import new_public_id
from aftercart.orders.models import Order, Shipment
from aftercart.orders.personal_data import orders_of_customer
from aftercart.orders.selectors import order_timeline, order_view
from aftercart.support.actions import (
    ActionRefused,
    order_address_change,
    order_cancel_by_customer,
    with_carrier,
)
from aftercart.support.inbound import Inbound, Received, message_receive
from aftercart.support.models import Automation, Conversation, Message, SupportSettings
from aftercart.support.outbound import INLINE_CHANNELS, reply_queue
from aftercart.support.replies import compose, reply_language

logger = logging.getLogger(__name__)

_CLOSED_STAGES = frozenset({Stage.CANCELLED.value, Stage.POST_DELIVERY.value})
_LANGUAGES = tuple(sorted({code.split("-")[0] for code, _ in django_settings.LANGUAGES}))


def message_process(*, message_id: int, now: datetime) -> Automation | None:
    """Decide about one stored inbound message (once: a processed message is left alone)."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(pk=message_id, direction=Message.Direction.IN, processed_at__isnull=True)
            .first()
        )
        if message is None:
            return None
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("store", "order")
            .get(pk=message.conversation_id)
        )
        automation = _process(message, conversation, now)
        Message.objects.filter(pk=message.pk).update(processed_at=now)
        return automation


def messages_process_due(*, now: datetime, limit: int = 50) -> int:
    """Process inbound messages not yet processed, oldest first (the worker's pass); returns how
    many were looked at. One that fails is logged and left for the next pass."""
    ids = list(
        Message.objects.filter(direction=Message.Direction.IN, processed_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for pk in ids:
        try:
            message_process(message_id=pk, now=now)
        except Exception as exc:
            logger.exception("support: message %s could not be processed", pk)
            _failed(pk, now, exc)
    return len(ids)


#: Passes that may fail to decide about a message before it is handed to a person as it is.
MAX_ATTEMPTS = 3


def _failed(pk: int, now: datetime, exc: Exception) -> None:
    """Count a failed decision; after :data:`MAX_ATTEMPTS`, stop trying and put the conversation
    in the agents' queue (the message is kept: a person reads it)."""
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=pk, processed_at__isnull=True).first()
        if message is None:
            return
        attempts = message.attempts + 1
        if attempts < MAX_ATTEMPTS:
            Message.objects.filter(pk=pk).update(attempts=attempts, last_error=repr(exc)[:2000])
            return
        Message.objects.filter(pk=pk).update(attempts=attempts, last_error=repr(exc)[:2000], processed_at=now)
        Conversation.objects.filter(pk=message.conversation_id).update(
            state=Conversation.State.NEEDS_AGENT, escalation_reasons=["processing_failed"], updated_at=now
        )


def _process(message: Message, conversation: Conversation, now: datetime) -> Automation:
    store = conversation.store
    config = SupportSettings.objects.filter(store=store).first() or SupportSettings(store=store)
    headers = (message.payload or {}).get("headers") or {}
    prior = str((message.payload or {}).get("prior_state") or Conversation.State.NEW)
    text = message.text or message.body
    understood = f"{message.subject}\n{text}".strip() if len(text) < 40 else text
    prediction = classify(understood)
    store_languages = tuple(dict.fromkeys([store.default_locale.split("-")[0].lower() or "en", *_LANGUAGES]))
    language = (
        conversation.language
        or (headers.get("content-language") or "").split(",")[0].strip()
        or detect_language(text, store_languages)
    )
    auto = is_auto_reply(headers, message.sender) or _echo(conversation, text)

    match = _match(conversation, f"{message.subject}\n{text}", now)
    order = (
        Order.objects.select_related("store").filter(pk=match.order_id).first() if match.order_id else None
    )
    state: OrderState | None = None
    step: NextStep | None = None
    facts: OrderFacts | None = None
    if order is not None:
        state, step = order_view(order, now)
        facts = _order_facts(state, step)
    address = new_address_in(text) if prediction.intent == "change_shipping_address" else ""
    reply_kind_key = _prior_keys(conversation)
    situation = Situation(
        intent=prediction.intent,
        confidence=prediction.confidence,
        threshold=config.confidence_threshold,
        text=f"{message.subject}\n{text}",
        now=now,
        automation_enabled=config.automation_enabled,
        auto_reply=auto,
        languages=store_languages,
        order=facts,
        candidates=len(match.candidates),
        replied_for_state=False,
        asked_number=any(k.startswith("none:") for k in reply_kind_key),
        new_address=bool(address),
        verified=order is None or _sender_is_customer(conversation, match, state, store.country),
        with_agent=prior == Conversation.State.NEEDS_AGENT or conversation.assignee_id is not None,
    )
    outcome = decide(situation)
    key = _key(outcome.reply, order, step, match)
    if key and key in reply_kind_key:
        outcome = decide(_replace(situation, replied_for_state=True))
        key = _key(outcome.reply, order, step, match)
    language = reply_language(language, state.locale if state else "", store.default_locale)

    if outcome.action and order is not None:
        try:
            if outcome.action == "cancel_order":
                order_cancel_by_customer(order=order, conversation_id=conversation.public_id, now=now)
            else:
                order_address_change(
                    order=order, address=address, conversation_id=conversation.public_id, now=now
                )
            state, step = order_view(order, now)
        except ActionRefused:
            refused = Reply.CANNOT_CANCEL if outcome.action == "cancel_order" else Reply.CANNOT_CHANGE_ADDRESS
            outcome = Outcome(Decision.REFUSE, refused, reasons=(*outcome.reasons, "refused_under_lock"))
        key = _key(outcome.reply, order, step, match)

    candidates = (
        list(Order.objects.filter(pk__in=[c.order_id for c in match.candidates])) if match.ambiguous else []
    )
    candidates.sort(key=lambda o: [c.order_id for c in match.candidates].index(o.pk))
    reply: Message | None = None
    draft = ""
    short = conversation.channel == "sms"
    if outcome.reply is not Reply.NONE:
        composed = compose(
            outcome.reply,
            store=store,
            language=language,
            name=_first_name(conversation.customer_name or (state.customer_name if state else "")),
            order=order,
            state=state,
            step=step,
            candidates=candidates,
            address=address,
            short=short,
        )
        reply = reply_queue(
            conversation=conversation,
            text=composed.text,
            author=Message.Author.AUTOMATION,
            now=now,
            subject=composed.subject,
            inline=conversation.channel in INLINE_CHANNELS,
        )
    elif outcome.decision in (Decision.ESCALATE, Decision.QUEUE) and order is not None:
        draft = compose(
            Reply.NEXT_STEP,
            store=store,
            language=language,
            name=_first_name(conversation.customer_name),
            order=order,
            state=state,
            step=step,
        ).text

    automation = Automation.objects.create(
        store_id=store.pk,
        conversation=conversation,
        message=message,
        reply=reply,
        order=order,
        decision=outcome.decision.value,
        intent=prediction.intent,
        confidence=prediction.confidence,
        reasons=list(outcome.reasons),
        reply_key=key if reply is not None else "",
        action=outcome.action if outcome.decision is Decision.ACT else "",
        created_at=now,
    )
    _conversation_after(
        conversation,
        prior,
        outcome,
        prediction.intent,
        prediction.confidence,
        language,
        match,
        order,
        draft,
        now,
    )
    if outcome.decision is Decision.ESCALATE:
        _escalation_event(conversation, outcome, prediction.intent, order, draft, now)
    elif outcome.decision is Decision.ACT:
        _event(
            conversation, "action", now, {"action": outcome.action, "order": order.public_id if order else ""}
        )
    return automation


def _replace(situation: Situation, **changes: Any) -> Situation:
    return dataclasses.replace(situation, **changes)


def _key(reply: Reply, order: Order | None, step: NextStep | None, match: Match) -> str:
    if reply is Reply.NONE:
        return ""
    if order is not None and step is not None:
        return state_key(order.public_id, step.code.value)
    if match.ambiguous:
        ids = ",".join(str(c.order_id) for c in sorted(match.candidates, key=lambda c: c.order_id))
        return f"ambiguous:{ids}"[:120]
    return f"none:{reply.value}"


def _prior_keys(conversation: Conversation) -> set[str]:
    return set(
        Automation.objects.filter(conversation=conversation)
        .exclude(reply_key="")
        .values_list("reply_key", flat=True)
    )


def _echo(conversation: Conversation, text: str) -> bool:
    """The message is one of our own replies coming back (a helpdesk webhook for our comment)."""
    said = " ".join(text.split())
    if not said:
        return False
    ours = conversation.messages.filter(direction=Message.Direction.OUT).values_list("body", flat=True)
    return any(" ".join(body.split()) == said for body in ours)


def _brief(order: Order) -> OrderBrief:
    return OrderBrief(
        order_id=order.pk,
        number=order.number or order.external_id,
        placed_at=order.placed_at,
        open=order.stage not in _CLOSED_STAGES,
        last_activity=order.last_event_at or order.placed_at,
    )


def _match(conversation: Conversation, text: str, now: datetime) -> Match:
    store_id = conversation.store_id
    token = _brief(conversation.order) if conversation.order and conversation.match == "token" else None
    refs = references_in(text)
    variants: set[str] = set()
    for ref in refs:
        variants |= {ref, f"#{ref}", ref.lower(), f"#{ref.lower()}"}
    by_number = (
        [_brief(o) for o in Order.objects.filter(store_id=store_id, number__in=variants)[:20]] if refs else []
    )
    if not by_number and refs:
        by_number = [
            _brief(o) for o in Order.objects.filter(store_id=store_id, external_id__in=variants)[:20]
        ]
    by_tracking: list[OrderBrief] = []
    if refs and not by_number:
        orders = Order.objects.filter(
            pk__in=Shipment.objects.filter(store_id=store_id, tracking_number__in=variants).values("order_id")
        )[:20]
        by_tracking = [_brief(o) for o in orders]
    current = (
        _brief(conversation.order)
        if conversation.order and conversation.match not in ("", "token", "ambiguous")
        else None
    )
    by_contact: list[OrderBrief] = []
    method = "email"
    if not (token or by_number or by_tracking or current):
        if conversation.customer_email:
            by_contact = [
                _brief(o)
                for o in Order.objects.filter(store_id=store_id, email=conversation.customer_email).order_by(
                    "-placed_at"
                )[:50]
            ]
        elif conversation.customer_phone:
            method = "phone"
            ids = orders_of_customer(store_id=store_id, emails=(), phones=[conversation.customer_phone])
            by_contact = [_brief(o) for o in Order.objects.filter(pk__in=sorted(ids)[-50:])]
    return choose_order(
        token=token,
        by_number=by_number,
        by_tracking=by_tracking,
        by_contact=by_contact,
        contact_method=method,
        current=current,
        now=now,
    )


def _order_facts(state: OrderState, step: NextStep) -> OrderFacts:
    in_transit = [
        s.status_at or s.first_scan_at
        for s in state.shipments.values()
        if s.tag in (CarrierTag.IN_TRANSIT, CarrierTag.INFO_RECEIVED) and s.first_scan_at is not None
    ]
    return OrderFacts(
        step_code=step.code.value,
        cancelled=state.cancelled_at is not None,
        shipped=bool(state.shipments),
        with_carrier=any(with_carrier(s) for s in state.shipments.values()),
        delivered_at=arrived_at(state),
        last_scan_in_transit=max((t for t in in_transit if t is not None), default=None),
    )


def _sender_is_customer(
    conversation: Conversation, match: Match, state: OrderState | None, country: str
) -> bool:
    """The order came from a signed link or an agent, or the sender's address is the order's."""
    if match.method in ("token", "current") or conversation.match in ("token", "agent"):
        return True
    if state is None:
        return False
    if conversation.customer_email and email_key(state.email) == conversation.customer_email:
        return True
    phone = phone_key(state.phone, state.country or country) if state.phone else ""
    return bool(phone) and phone == conversation.customer_phone


def _first_name(name: str) -> str:
    return (name or "").strip().split(" ")[0][:60]


def _conversation_after(
    conversation: Conversation,
    prior: str,
    outcome: Outcome,
    intent: str,
    confidence: float,
    language: str,
    match: Match,
    order: Order | None,
    draft: str,
    now: datetime,
) -> None:
    state: str | None = {
        Decision.ANSWER: Conversation.State.ANSWERED,
        Decision.ACT: Conversation.State.ANSWERED,
        Decision.REFUSE: Conversation.State.ANSWERED,
        Decision.ASK_ORDER: Conversation.State.WAITING,
        Decision.ESCALATE: Conversation.State.NEEDS_AGENT,
        Decision.QUEUE: Conversation.State.NEEDS_AGENT,
    }.get(outcome.decision)
    if outcome.decision is Decision.IGNORE:
        # An auto-reply changes nothing: the conversation goes back as it was (a new one that is
        # only an auto-reply is closed).
        state = Conversation.State.RESOLVED if prior == Conversation.State.NEW else prior
    fields: dict[str, Any] = {
        "intent": intent,
        "intent_confidence": confidence,
        "language": language[:16],
        "updated_at": now,
    }
    if state is not None:
        fields["state"] = state
    if order is not None:
        fields["order"] = order
        if match.method and match.method not in ("current",):
            fields["match"] = match.method if match.method != "token" else Conversation.Match.TOKEN
    elif match.ambiguous:
        fields["match"] = Conversation.Match.AMBIGUOUS
        fields["candidates"] = [
            o.public_id for o in Order.objects.filter(pk__in=[c.order_id for c in match.candidates])
        ]
    if outcome.decision in (Decision.ESCALATE, Decision.QUEUE):
        fields["escalation_reasons"] = list(outcome.reasons)
        fields["draft_reply"] = draft
        harm = any(
            r.startswith(("keyword:", "angry", "delivered_not_received", "step:lost", "step:damaged"))
            for r in outcome.reasons
        )
        fields["priority"] = 2 if harm else 1 if outcome.decision is Decision.ESCALATE else 0
    Conversation.objects.filter(pk=conversation.pk).update(**fields)


def _event(conversation: Conversation, name: str, now: datetime, data: dict[str, Any]) -> Message:
    return Message.objects.create(
        store_id=conversation.store_id,
        conversation=conversation,
        direction=Message.Direction.INTERNAL,
        kind=Message.Kind.EVENT,
        author=Message.Author.AUTOMATION,
        channel=conversation.channel,
        dedupe_key=f"event:{new_public_id()}",
        payload={"event": name, **data},
        occurred_at=now,
        recorded_at=now,
    )


def _escalation_event(
    conversation: Conversation, outcome: Outcome, intent: str, order: Order | None, draft: str, now: datetime
) -> None:
    timeline: list[dict[str, Any]] = []
    if order is not None:
        for fact in order_timeline(order)[-40:]:
            payload = fact.payload or {}
            timeline.append(
                {
                    "kind": fact.kind,
                    "at": fact.occurred_at.isoformat(),
                    "source": fact.source,
                    "tag": str(payload.get("tag") or ""),
                    "text": str(payload.get("raw_message") or payload.get("reason") or "")[:200],
                }
            )
    _event(
        conversation,
        "escalated",
        now,
        {
            "reasons": list(outcome.reasons),
            "intent": intent,
            "order": order.public_id if order is not None else "",
            "timeline": timeline,
            "draft": draft,
        },
    )


def message_take(*, store_id: int, inbound: Inbound, now: datetime) -> tuple[Received, Automation | None]:
    """Store ``inbound`` (:func:`~aftercart.support.inbound.message_receive`, its own transaction,
    so it is kept whatever follows), then decide about it at once. A decision that fails is logged
    and left to the worker's inbound pass; a repeat of a stored message decides nothing again."""
    received = message_receive(store_id=store_id, inbound=inbound, now=now)
    automation: Automation | None = None
    if received.created:
        try:
            automation = message_process(message_id=received.message.pk, now=now)
        except Exception:
            logger.exception(
                "support: message %s could not be processed now; the worker retries", received.message.pk
            )
    else:
        automation = (
            Automation.objects.filter(message_id=received.message.pk)
            .select_related("reply")
            .order_by("-id")
            .first()
        )
    return received, automation
