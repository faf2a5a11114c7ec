"""The OpenAPI document's error answers: the one place that documents them (issue 11).

Every error the API answers is RFC 9457 problem+json (:mod:`aftercart.api.problems`), so every
documented error response points at the one ``Problem`` schema. Which statuses an operation can
answer follows from its shape, and is added here rather than by each endpoint:

- 400 to every operation (ninja's validation, malformed JSON);
- 422 to every operation: a NUL character anywhere in the request, even in a query parameter the
  operation ignores, which the database cannot store (``IngestGuardMiddleware``);
- 401 to any authenticated operation (a missing, unknown or revoked key);
- 404 to any operation with a path parameter (the order, return or carrier it names is not this
  store's);
- 413 and 415 to any operation with a body (``IngestGuardMiddleware`` answers before the view).

An endpoint that can also refuse for its own reasons (a 404 for something named in the body, a 409
conflict, a 422 refusal) says so with ``openapi_extra=refuses(409)``; this module gives those
responses the problem schema too. Nothing here changes what the server answers: it only says it.
"""

from __future__ import annotations

from typing import Any

from aftercart.api.problems import CONTENT_TYPE

#: What each error status means here (the response's description in the document).
REASONS = {
    400: "Invalid request: the problem names each invalid field in `errors`.",
    401: "No valid store API key (`Authorization: Bearer <key>`).",
    404: "Not found in this store.",
    409: "Conflicts with the current state (nothing was written).",
    413: "Request body too large.",
    415: "Unsupported media type: send JSON.",
    422: "Understood but refused (nothing was written): by the store's rules, or a NUL character.",
}

#: RFC 9457 problem details, as :meth:`aftercart.api.problems.Problem.as_dict` writes them.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details. `errors` names each invalid field.",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                },
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status"],
}

_REF = {"$ref": "#/components/schemas/Problem"}
_BODY_METHODS = ("post", "put", "patch", "delete")


def refuses(*statuses: int) -> dict[str, Any]:
    """``openapi_extra`` for an endpoint that can also answer ``statuses`` for reasons of its own."""
    return {"responses": {str(status): {"description": REASONS[status]} for status in statuses}}


def common_statuses(operation: dict[str, Any]) -> list[int]:
    """The error statuses any operation of this shape can answer (see the module docstring)."""
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    statuses = [400, 422]
    if operation.get("security"):
        statuses.append(401)
    if any(p.get("in") == "path" for p in parameters):
        statuses.append(404)
    if has_body:
        statuses += [413, 415]
    return statuses


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (ninja's OpenAPI dict) with the problem schema on every error response."""
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", *_BODY_METHODS):
                continue
            # ninja keys its responses by int, openapi_extra by str: one key per status.
            responses = {str(code): r for code, r in operation.get("responses", {}).items()}
            operation["responses"] = responses
            for status in common_statuses(operation):
                responses.setdefault(str(status), {"description": REASONS[status]})
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    response["content"] = {CONTENT_TYPE: {"schema": _REF}}
    return document
