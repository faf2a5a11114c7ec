"""Writes of support conversations: receive a message, process it, and what agents do.

Inbound: every endpoint (helpdesk webhooks, e-mail, SMS, contact form, API) turns its payload into
an :class:`~aftercart.support.inbound.Inbound` and calls :func:`message_receive`, which stores it
once (deduplicated) in its conversation, in one short transaction, before anything else is tried:
nothing the customer wrote is lost. :func:`message_process` then decides (classify, match, triage,
answer or escalate, act) in a second transaction; if it fails, the worker's inbound pass retries.
"""

from __future__ import annotations

# The implementation lives in the modules named for their use case; this module is the API the
# other apps (console, sidebar, metrics, API, web) call.
from aftercart.support.agents import (
    conversation_assign,
    conversation_order_set,
    conversation_reopen,
    conversation_resolve,
    note_add,
    reply_send,
)
from aftercart.support.inbound import Inbound, Received, message_receive
from aftercart.support.outbound import reply_claim_inline
from aftercart.support.process import message_process, message_take, messages_process_due

__all__ = [
    "Inbound",
    "Received",
    "conversation_assign",
    "conversation_order_set",
    "conversation_reopen",
    "conversation_resolve",
    "message_process",
    "message_receive",
    "message_take",
    "messages_process_due",
    "note_add",
    "reply_claim_inline",
    "reply_send",
]
