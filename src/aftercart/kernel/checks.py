"""Start-up checks: misconfiguration fails loudly before the first request, not during it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_HINT = (
    "Set AFTERCART_SECRET_KEY to a long random value (or AFTERCART_DEBUG=1 locally; "
    "AFTERCART_ALLOW_INSECURE_KEY=1 accepts links anyone can forge, knowingly)."
)


def insecure_secret_key() -> bool:
    """Whether links would be signed with the public default key without leave: DEBUG off, no
    ``AFTERCART_SECRET_KEY``, no ``AFTERCART_ALLOW_INSECURE_KEY``."""
    insecure = settings.SECRET_KEY == settings.INSECURE_DEFAULT_KEY
    return insecure and not settings.DEBUG and not settings.ALLOW_INSECURE_KEY


def require_secret_key() -> None:
    """Refuse to serve with the public default key. System checks run only under management
    commands; the WSGI module and gunicorn's config call this so that every way of starting the
    web app refuses (``gunicorn aftercart.wsgi``, ``aftercart serve``, any WSGI host)."""
    if insecure_secret_key():
        raise ImproperlyConfigured(f"AFTERCART_SECRET_KEY is not set. {SECRET_KEY_HINT}")


@register(Tags.security, deploy=False)
def check_secret_key(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if insecure_secret_key():
        return [Error("AFTERCART_SECRET_KEY is not set.", hint=SECRET_KEY_HINT, id="aftercart.E001")]
    return []


@register()
def check_limits(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if settings.AFTERCART_MAX_BODY_BYTES <= 0:
        errors.append(Error("AFTERCART_MAX_BODY_BYTES must be positive.", id="aftercart.E002"))
    if not 1 <= settings.AFTERCART_MAX_BATCH <= 10_000:
        errors.append(Error("AFTERCART_MAX_BATCH must be between 1 and 10000.", id="aftercart.E003"))
    if not settings.AFTERCART_BASE_URL.startswith(("http://", "https://")):
        errors.append(Error("AFTERCART_BASE_URL must start with http:// or https://.", id="aftercart.E004"))
    return errors


BODY_GUARD = "aftercart.web.uploads.BodySizeMiddleware"
CSRF = "django.middleware.csrf.CsrfViewMiddleware"


@register()
def check_body_guard(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    # The CSRF check parses (and spools to disk) a multipart body of any size: the size guard must
    # see the request first, or uploads have no cap at all.
    middleware = list(settings.MIDDLEWARE)
    if BODY_GUARD not in middleware or (
        CSRF in middleware and middleware.index(BODY_GUARD) > middleware.index(CSRF)
    ):
        return [
            Error(
                f"{BODY_GUARD} must be in MIDDLEWARE, before {CSRF}.",
                hint="Without it, a form with files accepts a request body of any size.",
                id="aftercart.E005",
            )
        ]
    return []


@register()
def check_environment(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Every environment variable settings.py could not use (``AFTERCART_ENV_ERRORS``), by name."""
    return [
        Error(f"{name} {problem}.", hint=f"Fix or unset {name} (README, Configuration).", id="aftercart.E006")
        for name, problem in getattr(settings, "AFTERCART_ENV_ERRORS", [])
    ]
