"""Guards in front of the ingest endpoints: answer unmeasured, oversized and non-JSON bodies before
parsing.

A body must come with its ``Content-Length``. A WSGI server passes a ``Transfer-Encoding: chunked``
request on without one (gunicorn does, de-chunking as it is read), and Django reads a request's
body by ``CONTENT_LENGTH`` alone: such a body was read as empty, so a chunked webhook or batch was
checked, signed and recorded as nothing. It is refused with 411 Length Required instead of being
read here: every sender of webhooks we take (Shopify, AfterShip, Twilio) and every HTTP client
sends a length for a body it has in hand, and reading an unmeasured stream ourselves would
reimplement Django's body handling (and its size cap) beside Django.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from aftercart.api.problems import Problem, problem_response
from aftercart.kernel.paths import INGEST_PREFIXES

#: Raw carrier responses may be XML (Canada Post, DHL Express); everything else is JSON.
XML_ALLOWED_PREFIX = "/api/v1/carriers/"
#: Twilio posts its webhooks as an HTML form (application/x-www-form-urlencoded).
FORM_ALLOWED_PREFIX = "/webhooks/twilio/"


#: A JSON ``\\u0000`` escape (an odd run of backslashes before it: ``\\\\u0000`` is text, not NUL).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def nul_in(request: HttpRequest) -> str:
    """Where a NUL character is in the request ("" when nowhere). PostgreSQL stores none, in text
    or in jsonb: one that got through was a 500 there (schemathesis, on PostgreSQL only; SQLite
    stores it). Refused at the edge, once, rather than by every field of every endpoint."""
    if "\x00" in request.path:
        return "path"
    if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
        return "query"
    if request.method in ("POST", "PUT", "PATCH") and (
        b"\x00" in request.body or _JSON_NUL.search(request.body)
    ):
        return "body"
    return ""


class IngestGuardMiddleware:
    """413 for a body over ``AFTERCART_MAX_BODY_BYTES``; 415 for a body that is not JSON; 422 for a
    NUL character anywhere in the request (see :func:`nul_in`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(INGEST_PREFIXES):
            return self.get_response(request)
        if request.method in ("POST", "PUT", "PATCH"):
            refusal = self._refuse(request)  # the size first: nothing below reads a body over it
            if refusal is not None:
                return refusal
        where = nul_in(request)
        if where:
            return problem_response(
                # 422, not 400: JSON and the document allow the character; what refuses it is
                # the database, so it is a request understood and not processable here.
                Problem(
                    422,
                    "NUL character",
                    f"{where}: contains a NUL character, which cannot be stored",
                    kind="nul-character",
                    errors=[{"field": where, "message": "contains a NUL character"}],
                )
            )
        return self.get_response(request)

    def _refuse(self, request: HttpRequest) -> HttpResponse | None:
        limit = settings.AFTERCART_MAX_BODY_BYTES
        if request.META.get("HTTP_TRANSFER_ENCODING"):
            # Before request.body: Django would read it as empty (see the module's docstring).
            return problem_response(
                Problem(
                    411,
                    "Length required",
                    "Send the body with a Content-Length header, not Transfer-Encoding: chunked "
                    f"(the limit is {limit} bytes).",
                )
            )
        try:
            declared = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            declared = 0
        if declared > limit or len(request.body) > limit:
            return problem_response(
                Problem(413, "Request body too large", f"The limit is {limit} bytes; send smaller batches.")
            )
        content_type = (request.content_type or "").lower()
        if not request.body:
            return None
        is_json = content_type == "application/json" or content_type.endswith("+json")
        is_xml = content_type in ("application/xml", "text/xml")
        is_form = content_type == "application/x-www-form-urlencoded"
        if (
            not is_json
            and not (is_xml and request.path.startswith(XML_ALLOWED_PREFIX))
            and not (is_form and request.path.startswith(FORM_ALLOWED_PREFIX))
        ):
            return problem_response(
                Problem(
                    415,
                    "Unsupported media type",
                    "Send the body as JSON with 'Content-Type: application/json'.",
                )
            )
        return None
