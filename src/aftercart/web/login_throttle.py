"""Log-in throttling for the operator login (``/admin/login/``, which ``/ops/`` sends to).

An authentication backend, so every log-in that goes through Django's ``authenticate`` with a
request is throttled, whatever page asks: each attempt for one username from one client address
is *taken* from :func:`login_limit` before the password is checked (atomically, as the order
lookup's limits are: concurrent guesses cannot all pass), and a successful log-in clears that
username's count from that address. Once ``AFTERCART_LOGIN_FAILURES`` attempts have failed within
``AFTERCART_LOGIN_WINDOW_SECONDS``, further attempts are refused without checking the password,
the form saying so and for how long, until the window ends.

Per username *and* address: a guesser on one address cannot lock the real operator out from
another; guessing many usernames from one address, or one username from many addresses, is not
capped here (the first finds no operators to guess at beyond the few there are; the second is what
long, unique passwords are for).
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import ngettext

from aftercart.web.ratelimit import RateLimit, client_ip


def login_limit() -> RateLimit:
    """Failed log-ins per username and client address per window (``AFTERCART_LOGIN_*``)."""
    return RateLimit(
        "login", int(settings.AFTERCART_LOGIN_FAILURES), int(settings.AFTERCART_LOGIN_WINDOW_SECONDS)
    )


class ThrottledModelBackend(ModelBackend):
    """Django's username and password backend, behind :func:`login_limit`."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if request is None:  # not a web log-in (a shell, a management command)
            return super().authenticate(request, username=username, password=password, **kwargs)
        limit = login_limit()
        who = f"{(username or '').strip().casefold()}\0{client_ip(request)}"
        if limit.take(who) is None:
            minutes = math.ceil(limit.retry_after() / 60)
            raise ValidationError(
                ngettext(
                    "Too many failed log-ins for this username from your address. Try again in %(minutes)d minute.",
                    "Too many failed log-ins for this username from your address. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="throttled",
            )
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            limit.clear(who)
        return user
