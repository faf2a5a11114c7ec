"""Support's part of a customer's personal data: their conversations and every message in them.

Found by the customer's orders (a conversation matched to one), their e-mail addresses and
their phone numbers. Erasure keeps each conversation and its facts as records (counts, intents,
decisions: what the metrics read) but removes what identifies or was written by the customer:
names, addresses and phone numbers become the subject's pseudonym, every message's text, subject,
headers and drafts are blanked.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from aftercart.kernel.personal_data import DataSubject
from aftercart.support.models import Conversation, Message

ERASED = "[erased]"


def _conversations(subject: DataSubject) -> Any:
    match = Q(order_id__in=subject.order_ids)
    if subject.whole_customer:
        match |= Q(customer_email__in=subject.emails) | Q(customer_phone__in=subject.phones)
    return Conversation.objects.filter(match, store_id=subject.store_id)


def export(subject: DataSubject) -> dict[str, Any]:
    """Each conversation with its messages (notes and events, which are the team's, left out)."""
    out = []
    for conversation in _conversations(subject).select_related("order").order_by("pk"):
        messages = conversation.messages.filter(kind=Message.Kind.MESSAGE).order_by("occurred_at", "pk")
        out.append(
            {
                "id": conversation.public_id,
                "channel": conversation.channel,
                "subject": conversation.subject,
                "name": conversation.customer_name,
                "email": conversation.customer_email,
                "phone": conversation.customer_phone,
                "order_id": conversation.order.external_id if conversation.order else None,
                "created_at": conversation.created_at.isoformat(),
                "messages": [
                    {
                        "direction": m.direction,
                        "author": m.author,
                        "from": m.sender,
                        "to": m.recipient,
                        "subject": m.subject,
                        "text": m.body,
                        "at": m.occurred_at.isoformat(),
                    }
                    for m in messages
                ],
            }
        )
    return {"conversations": out}


def erase(subject: DataSubject) -> dict[str, int]:
    """Blank the customer's words and addresses in their conversations (see the module)."""
    with transaction.atomic():
        ids = list(_conversations(subject).values_list("pk", flat=True))
        pseudonym = subject.pseudonym[:200]
        conversations = Conversation.objects.filter(pk__in=ids).update(
            customer_name="",
            customer_email=pseudonym[:254] if subject.pseudonym else "",
            customer_phone="",
            subject=ERASED,
            draft_reply="",
        )
        messages = Message.objects.filter(conversation_id__in=ids).update(
            body=ERASED, text=ERASED, subject="", sender="", recipient="", payload={}
        )
    return {"conversations": conversations, "messages": messages}
