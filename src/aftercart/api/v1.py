"""The REST API, ``/api/v1``: validate → call a service → serialise. No business rules here."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from aftercart.api import care, carriers, events, inventory, notifications, orders, packing, privacy, returns
from aftercart.api import claims as claims_api
from aftercart.api import feedback as feedback_api
from aftercart.api import support as support_api
from aftercart.api.auth import StoreKey
from aftercart.api.claims_io import claim_refusal_problem, claim_transition_problem, warranty_problem
from aftercart.api.openapi import document_problems
from aftercart.api.problems import Problem, field_problem, problem_response, validation_problem
from aftercart.api.support_metrics import router as support_metrics_router
from aftercart.claims.services.filing import ClaimRefused
from aftercart.claims.services.warranty import WarrantyRefused
from aftercart.domain.claims import ClaimIllegalTransition
from aftercart.domain.options import ChoiceRefused
from aftercart.domain.returns import PolicyError
from aftercart.domain.returns.lifecycle import IllegalTransition
from aftercart.notifications.services import Refused
from aftercart.orders.cancel import OrderDelivered
from aftercart.packing.batch import SlipsRefused
from aftercart.privacy.services import NothingHeld, PrivacyRefused
from aftercart.returns.services.request import ReturnRefused

#: What a request body that is JSON but not an object is told.
NOT_AN_OBJECT = "The body must be a JSON object, such as {}."


class NotAnObject(ValueError):
    """A JSON body that is not an object (``5``, ``null``, ``[]``, a string)."""


class ObjectParser(Parser):
    """Every JSON body the API takes is an object, refused here otherwise, once for every endpoint.

    A ninja ``Schema`` reads its fields off whatever it is given (it is made for ORM rows), so a
    bare ``5``, ``null`` or ``[]`` gave a schema with only optional fields "no fields" (a return
    approved, a label issued, an order cancelled by a body that said nothing) and any other schema
    a misleading "field required". ninja wraps what this raises in a 400 ``HttpError``;
    :func:`_http_error` answers it as the body's problem."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise NotAnObject(NOT_AN_OBJECT)
        return data


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
    parser=ObjectParser(),
)
api.add_router("/orders", orders.router)
api.add_router("/events", events.router)
api.add_router("/carriers", carriers.router)
api.add_router("/returns", returns.router)
api.add_router("/inventory", inventory.router)
api.add_router("/notifications", notifications.router)
api.add_router("/privacy", privacy.router)
api.add_router("/care-instructions", care.router)
api.add_router("/feedback", feedback_api.router)
api.add_router("/claims", claims_api.router)
api.add_router("/support", support_metrics_router)
api.add_router("/conversations", support_api.router)
# At the root: its paths are /orders/{order_id}/packing-slip.pdf and /packing-slips.pdf.
api.add_router("/", packing.router)


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
    if isinstance(exc.__cause__, NotAnObject):
        return problem_response(
            field_problem("Invalid request", [{"field": "body", "message": NOT_AN_OBJECT}])
        )
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
    (SlipsRefused, packing.refusal_problem),
    (OrderDelivered, orders.delivered_problem),
    (PrivacyRefused, privacy.refused_problem),
    (NothingHeld, privacy.nothing_held_problem),
    (ClaimRefused, claim_refusal_problem),
    (ClaimIllegalTransition, claim_transition_problem),
    (WarrantyRefused, warranty_problem),
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
