"""The support loop: decide about inbound messages not decided yet, and send queued replies.

Most messages are decided the moment they arrive (the endpoint calls
:func:`~aftercart.support.process.message_take`); this pass catches what was stored but not
decided (the decision failed, an SMTP receiver that only stores) and sends the replies queued
for helpdesks, e-mail and SMS. Every second when idle: an automated reply leaves within a few
seconds of the message arriving.
"""

from __future__ import annotations

from django.utils import timezone

from aftercart.kernel.loops import Loop
from aftercart.support.outbound import replies_send_due
from aftercart.support.process import messages_process_due

BATCH = 50


def support_pass() -> bool:
    """One round: decide, then send; whether more is already waiting."""
    decided = messages_process_due(now=timezone.now(), limit=BATCH)
    sent = replies_send_due(now=timezone.now(), limit=BATCH)
    return decided >= BATCH or sent >= BATCH


def support_loop(*, interval: float = 1.0) -> Loop:
    """The support pass as a loop of :mod:`aftercart.kernel.loops`."""
    return Loop("support", support_pass, interval)
