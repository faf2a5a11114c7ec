"""What the outbox knows of the subjects its messages are about, registered by the apps that own them.

Most messages are about an order and render its next step. A subject app above the outbox (returns)
has milestones of its own whose messages render something else (the return: its wording, label,
payload). Rather than the outbox importing that app, the app registers a :class:`SubjectRenderer`
for its milestones (in :mod:`aftercart.wiring`), and every channel asks :func:`renderer_for`:

* e-mail: ``email_context(message)`` → the subject's ``subject``, ``headline`` and ``detail`` (they
  replace the order's) and any other context (actions, lines, attachments ...); ``{}`` renders the
  order's frame (the milestone is not e-mailed about this subject, or the subject is gone: a
  preview on an order without it);
* webhook: ``webhook_event(message)`` → ``(event type, data)`` posted instead of the order's event,
  data ``None`` when the subject no longer exists (a permanent failure); ``None`` sends the order's
  event;
* store templates: ``template_variables(message)`` → the variables that describe the subject
  (its number, its own parcel's carrier ...), over the order's;
* send time: ``stale_reason(message)`` → why the subject, as it is now, contradicts the message
  ("" when it is still news): the message is withdrawn as superseded, as an order's would be.

``own`` messages are each their own, like events: never consolidated into an order's message when
sent, nor it into them, and claimed each alone (:mod:`aftercart.notifications.services`).

``Message.subject`` holds the reference of the subject the message is about (the RMA of a return);
only the registered renderer reads it as such.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aftercart.notifications.models import Message


@dataclass(frozen=True)
class SubjectRenderer:
    """How the messages of one kind of subject render, channel by channel (see the module)."""

    #: What the subject is called in errors ("return R-7K3M9QX2TD no longer exists").
    name: str
    own: bool = False
    email_context: Callable[[Message], dict[str, Any]] | None = None
    webhook_event: Callable[[Message], tuple[str, dict[str, Any] | None] | None] | None = None
    template_variables: Callable[[Message], dict[str, str]] | None = None
    #: Why the message is stale at send time because its subject moved on ("" when still news):
    #: asked by the outbox just before sending, like the order's own staleness.
    stale_reason: Callable[[Message], str] | None = None
    #: What the subject adds to an event's payload on Klaviyo and Iterable (``{"review": {...}}``),
    #: beside the order's.
    event_data: Callable[[Message], dict[str, Any]] | None = None


_by_milestone: dict[str, SubjectRenderer] = {}
_own: frozenset[str] = frozenset()


def renderer_register(milestones: Iterable[str], renderer: SubjectRenderer) -> None:
    """Render ``milestones``' messages with ``renderer``. Registering the same again is ignored;
    a milestone already rendered by another subject is an error (one subject per milestone)."""
    global _own
    for milestone in milestones:
        key = str(milestone)
        if _by_milestone.get(key, renderer) != renderer:
            raise ValueError(f"milestone {key!r} already has a renderer: {_by_milestone[key].name}")
        _by_milestone[key] = renderer
    _own = frozenset(m for m, r in _by_milestone.items() if r.own)


def renderer_unregister(milestones: Iterable[str]) -> None:
    """Forget the renderers of ``milestones`` (tests)."""
    global _own
    for milestone in milestones:
        _by_milestone.pop(str(milestone), None)
    _own = frozenset(m for m, r in _by_milestone.items() if r.own)


def renderer_for(milestone: str) -> SubjectRenderer | None:
    """The renderer of ``milestone``'s messages; ``None``: an order's message."""
    return _by_milestone.get(milestone) if _by_milestone else None


_order_extras: list[Callable[[Message, Any], dict[str, Any]]] = []


def order_email_extra_register(extra: Callable[[Message, Any], dict[str, Any]]) -> None:
    """Add what ``extra(message, state)`` returns to the context of an order's own e-mails (the
    feedback app's placements in the delivered e-mail). Registering the same again is ignored."""
    if extra not in _order_extras:
        _order_extras.append(extra)


def order_email_extras(message: Message, state: Any) -> dict[str, Any]:
    """The extras registered for an order's e-mail (``{}`` when none apply)."""
    out: dict[str, Any] = {}
    for extra in _order_extras:
        out.update(extra(message, state))
    return out


def own_milestones() -> frozenset[str]:
    """Milestones whose messages are each their own (never consolidated, claimed alone)."""
    return _own
