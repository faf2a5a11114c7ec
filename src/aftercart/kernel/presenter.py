"""One presenter for every subject's next step: the order's, a return's, and later a claim's or a
conversation's.

Each subject decides its next step in the domain as data of one shape (a code, message ids with
``{placeholders}``, raw params, actions); every touchpoint (page, e-mail, SMS, API, ops console)
renders it here, in the active language, with dates in the customer's zone and format and money in
their locale. None of them words or formats a step itself, so a customer who starts in an e-mail,
lands on the page and then calls support hears the same sentence everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aftercart.domain.money import Money
from aftercart.kernel.i18n import fill, localise_params, sentence

__all__ = [
    "Presented",
    "PresentedAction",
    "params_json",
    "present",
    "register_subject_steps",
    "render_next_step",
    "subject_steps",
]


class _Action(Protocol):
    @property
    def code(self) -> Enum: ...
    @property
    def label(self) -> str: ...
    @property
    def params(self) -> Mapping[str, str]: ...


class Step(Protocol):
    """Any subject's next step: the order's :class:`~aftercart.domain.next_step.NextStep`, a
    return's :class:`~aftercart.domain.returns.next_step.ReturnNextStep` …"""

    @property
    def code(self) -> Enum: ...
    @property
    def headline(self) -> str: ...
    @property
    def detail(self) -> str | tuple[str, ...]: ...
    @property
    def params(self) -> Mapping[str, Any]: ...
    @property
    def actions(self) -> Sequence[_Action]: ...


@dataclass(frozen=True, slots=True)
class PresentedAction:
    """An action in the customer's words; ``params`` stay raw (where a link leads is the
    touchpoint's business: a carrier page, a label, a support address)."""

    code: str
    label: str
    params: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Presented:
    """A next step as the customer reads it."""

    code: str
    headline: str
    detail: str
    actions: tuple[PresentedAction, ...]


def present(step: Step, zone: ZoneInfo) -> Presented:
    """The step in the active language: headline, detail and action labels, with its dates in
    ``zone`` and the language's format and its money in the language's locale."""
    params = localise_params(step.params, zone)
    details = (step.detail,) if isinstance(step.detail, str) else step.detail
    detail = " ".join(sentence(fill(d, params)) for d in details if d)
    actions = tuple(
        PresentedAction(
            a.code.value,
            fill(a.label, localise_params(a.params, zone)),
            a.params,
        )
        for a in step.actions
    )
    return Presented(step.code.value, sentence(fill(step.headline, params)), detail, actions)


def render_next_step(step: Step, zone: ZoneInfo) -> tuple[str, str]:
    """Headline and detail in the active language, as every touchpoint shows them."""
    shown = present(step, zone)
    return shown.headline, shown.detail


def params_json(params: Mapping[str, Any]) -> dict[str, Any]:
    """A step's raw params for an API: money as ``{"amount", "currency"}``, the rest as strings."""
    return {k: v.to_json() if isinstance(v, Money) else str(v) for k, v in params.items()}


# -- subjects' steps for a whole order (the ops console) ----------------------------------------------

#: ``(order) -> [(title, step), ...]`` per subject app. A subject app above the console registers
#: its own (the console may not import it: the layers forbid it), as it registers its message content.
_SUBJECT_STEPS: dict[str, Callable[[Any], Sequence[tuple[str, Step]]]] = {}


def register_subject_steps(name: str, steps_of: Callable[[Any], Sequence[tuple[str, Step]]]) -> None:
    """Register how subject ``name`` lists the next steps of an order's subjects (e.g. each return
    of the order, titled by its number). Registering a name again replaces it."""
    _SUBJECT_STEPS[name] = steps_of


def subject_steps(order: Any) -> list[tuple[str, str, Step]]:
    """Every registered subject's steps for ``order``: ``(subject, title, step)``, by subject name."""
    return [
        (name, title, step) for name in sorted(_SUBJECT_STEPS) for title, step in _SUBJECT_STEPS[name](order)
    ]
