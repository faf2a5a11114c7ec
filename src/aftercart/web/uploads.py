"""How large a request body a page accepts, refused before anything reads it.

Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` counts a form's fields but not its files, and
``FILE_UPLOAD_MAX_MEMORY_SIZE`` only decides when an upload is spooled to a temporary file instead
of memory: on their own, a multipart body of any size is parsed and written to disk — by the CSRF
check, before the view runs. So every page gets Django's limit for form fields, plus what its view
says it takes in files (:func:`accepts_uploads`, the way ``csrf_exempt`` marks a view), and
:class:`BodySizeMiddleware` answers a larger request with a page (413) in the shopper's language,
judged by its declared ``Content-Length`` alone: Django never reads past it, so nothing is read,
parsed or written.

The ingest endpoints (``/api/``, ``/webhooks/``) have their own guard and problem+json answers
(:class:`aftercart.api.middleware.IngestGuardMiddleware`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from aftercart.kernel.paths import INGEST_PREFIXES
from aftercart.web.language import choose_language
from aftercart.web.pages import page_frame, private, render_page

View = TypeVar("View", bound=Callable[..., HttpResponse])

MB = 1024 * 1024


def accepts_uploads(max_bytes: int) -> Callable[[View], View]:
    """Mark a view as taking up to ``max_bytes`` of files in one request (on top of the form's
    fields); views without it take no files beyond Django's limit for form fields."""

    def mark(view: View) -> View:
        view.max_upload_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return mark


def form_fields_limit() -> int:
    """What a request's form fields may add up to (Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``)."""
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


def body_limit(view: Callable[..., Any]) -> int | None:
    """The largest request body ``view`` accepts, or ``None`` when Django's form limit is off."""
    if settings.DATA_UPLOAD_MAX_MEMORY_SIZE is None:
        return None
    return form_fields_limit() + int(getattr(view, "max_upload_bytes", 0))


class BodySizeMiddleware:
    """413 with a page for a request whose declared body is larger than its view accepts.

    It works in ``process_view`` (which knows the view) and must come before
    ``CsrfViewMiddleware`` in ``MIDDLEWARE``, whose ``process_view`` reads the body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if request.method not in ("POST", "PUT", "PATCH") or request.path.startswith(INGEST_PREFIXES):
            return None
        limit = body_limit(view)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if limit is None or declared <= limit:
            return None
        language = choose_language(request)
        uploads = int(getattr(view, "max_upload_bytes", 0))
        context = page_frame(request, None, language, upload_mb=uploads // MB)
        return private(render_page(request, "web/track/too_large.html", context, language, status=413))
