"""RFC 9457 problem details: every error the API and webhooks answer has this shape."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

PROBLEM_BASE = "https://aftercart.dev/problems/"
CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """An error to answer as problem+json. ``errors`` list ``{field, message}`` pairs."""

    def __init__(
        self, status: int, title: str, detail: str = "", *, kind: str = "", errors: list[dict] | None = None
    ):
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail
        self.kind = kind or {
            400: "invalid-request",
            401: "unauthorized",
            404: "not-found",
            411: "length-required",
            413: "too-large",
            415: "unsupported-media-type",
        }.get(status, "error")
        self.errors = errors or []

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": PROBLEM_BASE + self.kind, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if self.errors:
            body["errors"] = self.errors
        return body


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> HttpResponse:
    """The HTTP response for a problem."""
    response = HttpResponse(json.dumps(problem.as_dict()), status=problem.status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def field_path(loc: tuple | list) -> str:
    """pydantic's error location as one readable path: ``("body", "events", 3, "status")`` →
    ``events[3].status``. The leading parameter source (body/query/path) is dropped."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    # ninja wraps the body under the parameter name: drop it when it is the only wrapper (alone, it
    # names the whole body: not an object, say).
    if parts and parts[0] in ("payload", "body", "batch", "data") and (len(parts) > 1 or loc[0] == "body"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.startswith(
            ("line.", "shipment.", "tracking.", "pickup.", "order.")
        ):
            continue  # the discriminator value pydantic inserts for tagged unions
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def _message(error: dict) -> str:
    # pydantic prefixes messages raised by our validators with "Value error, ": noise to a reader.
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


def field_problem(title: str, errors: list[dict[str, str]], *, status: int = 400) -> Problem:
    """A 400 naming the invalid fields (``{"field", "message"}`` each); its detail is the first.

    ``status=422`` when the request fits the OpenAPI document but its content is refused (a policy
    that does not parse, a phone number that is not one): no schema can say those, and a 400 would
    tell a client its request is malformed when it is not."""
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return Problem(status, title, f"{first['field']}: {first['message']}", kind="validation", errors=errors)


def validation_problem(errors: list[dict]) -> Problem:
    """A 400 naming every invalid field."""
    return field_problem(
        "Invalid request", [{"field": field_path(e.get("loc", ())), "message": _message(e)} for e in errors]
    )
