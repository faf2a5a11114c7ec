"""A Content-Security-Policy on every response.

Our pages load nothing from elsewhere and run no inline script: scripts come from our own origin
only (the admin's, the API docs'), and the one ``<style>`` block a page has carries the request's
nonce (``nonce="{{ request.csp_nonce }}"``), so an injected ``<script>`` or ``<style>`` does
nothing. Images may come from ``https:`` (a store's logo lives on its own CDN) and ``data:`` (the
demo's logos). Forms post to us only; no page may be framed.

A page that shows an e-mail in a sandboxed ``<iframe srcdoc>`` (the demo mailbox, the admin's
template preview) needs the e-mail's inline styles: the framed document inherits the page's
policy. Such a view is wrapped in :func:`csp_inline_styles`, which allows inline styles (never
scripts) on its response alone.

The order-confirmation widget is the one page meant to be framed, and only by its store's own
site: its view calls :func:`csp_frame_ancestors` with the store's origins, which replace
``'none'`` on that response alone (an empty list leaves ``'none'``: no site may frame it).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"

#: The policy of every response; ``style-src`` gains the request's nonce when a page used it.
DIRECTIVES: dict[str, str] = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: https:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
}

_INLINE_STYLES = "_aftercart_csp_inline_styles"
_FRAME_ANCESTORS = "_aftercart_csp_frame_ancestors"


class Nonce:
    """The request's nonce, made the first time a template asks for it (``str(nonce)``)."""

    __slots__ = ("_value",)

    def __init__(self) -> None:
        self._value = ""

    def __str__(self) -> str:
        if not self._value:
            self._value = secrets.token_urlsafe(18)
        return self._value

    @property
    def used(self) -> bool:
        """Whether a page put the nonce on an element (then the policy must name it)."""
        return bool(self._value)


def policy(
    nonce: Nonce | None = None,
    *,
    inline_styles: bool = False,
    frame_ancestors: tuple[str, ...] = (),
    overrides: Mapping[str, str] | None = None,
) -> str:
    """The header's value: the nonce in ``style-src`` when it was used, or ``'unsafe-inline'``
    styles for a page that frames an e-mail (a nonce would make browsers ignore it);
    ``frame_ancestors`` (origins, checked by the caller) in place of ``'none'``; ``overrides``
    replace (or add) whole directives, for a page that sets its own policy."""
    directives = {**DIRECTIVES, **(overrides or {})}
    if frame_ancestors:
        directives["frame-ancestors"] = " ".join(frame_ancestors)
    if inline_styles:
        directives["style-src"] += " 'unsafe-inline'"
    elif nonce is not None and nonce.used:
        directives["style-src"] += f" 'nonce-{nonce}'"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    """Gives each request a nonce (``request.csp_nonce``) and each response the policy, unless the
    view set a ``Content-Security-Policy`` of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = Nonce()
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy(
                nonce,
                inline_styles=getattr(response, _INLINE_STYLES, False),
                frame_ancestors=getattr(response, _FRAME_ANCESTORS, ()),
            )
        return response


def csp_inline_styles(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Allow inline styles (not scripts) on this view's responses: for pages that show an e-mail
    in a sandboxed ``<iframe srcdoc>``, which inherits the page's policy."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> HttpResponse:
        response = view(*args, **kwargs)
        setattr(response, _INLINE_STYLES, True)
        return response

    return wrapped


def csp_frame_ancestors(response: HttpResponse, origins: Sequence[str]) -> HttpResponse:
    """Let these origins (and no other site) frame this response. Each must already be a checked
    origin (:func:`aftercart.domain.widget.site_origin`): a keyword, a wildcard or a space in one
    would widen the policy. ``X-Frame-Options`` (which can only say "nobody" or "same origin") is
    dropped from such a response: browsers that know ``frame-ancestors`` ignore it anyway, and
    every browser in use does."""
    allowed = tuple(o for o in origins if o and not any(ch in o for ch in " ;,*'\"\r\n"))
    setattr(response, _FRAME_ANCESTORS, allowed)
    if allowed:
        response.xframe_options_exempt = True
    return response
