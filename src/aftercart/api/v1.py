"""The REST API, ``/api/v1``: validate → call a service → serialise. No business rules here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from aftercart.api import carriers, events, inventory, notifications, orders, returns
from aftercart.api.auth import StoreKey
from aftercart.api.openapi import document_problems
from aftercart.api.problems import Problem, problem_response, validation_problem
from aftercart.domain.options import ChoiceRefused
from aftercart.domain.returns import PolicyError
from aftercart.domain.returns.lifecycle import IllegalTransition
from aftercart.notifications.services import Refused
from aftercart.returns.services.request import ReturnRefused


class _Api(NinjaAPI):
    """The API whose OpenAPI document also tells its error answers (:mod:`aftercart.api.openapi`)."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return document_problems(super().get_openapi_schema(**kwargs))


api = _Api(
    title="Aftercart API",
    version="1",
    description=(
        "Orders, fulfilment and tracking events in, the order's state and its single next step out. "
        "Authenticate with `Authorization: Bearer <store API key>`. Errors are RFC 9457 "
        "`application/problem+json` naming the field."
    ),
    urls_namespace="api-v1",
    auth=StoreKey(),
)
api.add_router("/orders", orders.router)
api.add_router("/events", events.router)
api.add_router("/carriers", carriers.router)
api.add_router("/returns", returns.router)
api.add_router("/inventory", inventory.router)
api.add_router("/notifications", notifications.router)


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problem_response(validation_problem(list(exc.errors)))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        Problem(401, "Unauthorized", "Send a valid store API key as 'Authorization: Bearer <key>'."),
        headers={"WWW-Authenticate": "Bearer"},
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem_response(Problem(exc.status_code, str(exc), field_hint(exc)))


@api.exception_handler(Problem)
def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(exc)


# The services' and the domain's refusals, each answered the same way by every endpoint that can
# meet it (the endpoints call the service and let it raise; nothing is written by a refusal).
_PROBLEMS: list[tuple[type[Exception], Callable[[Any], Problem]]] = [
    (ReturnRefused, returns.refusal_problem),
    (IllegalTransition, returns.illegal_transition_problem),
    (PolicyError, returns.policy_problem),
    (Refused, notifications.refused_problem),
    (ChoiceRefused, orders.choice_problem),
]


def _answer(make: Callable[[Any], Problem]) -> Callable[[HttpRequest, Any], HttpResponse]:
    """The handler answering an exception with the problem ``make`` builds from it (ninja types
    what a handler gets as the exception or its class: Any here, ``make`` takes what it raised)."""
    return lambda request, exc: problem_response(make(exc))


for _kind, _make in _PROBLEMS:
    api.add_exception_handler(_kind, _answer(_make))


def field_hint(exc: HttpError) -> str:
    if exc.status_code == 400 and "parse" in str(exc).lower():
        return "The body is not valid JSON."
    return ""
