"""Settings, all from the environment (``AFTERCART_*``, ``DATABASE_URL``).

Defaults make a fresh checkout run: SQLite under ``./var/``, DEBUG off unless asked for.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("AFTERCART_VAR_DIR", Path.cwd() / "var"))
# The SQLite file and collected static files live here; create it so a fresh checkout just runs.
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


#: Environment variables set to a value that cannot be used, with why: the start-up check
#: ``aftercart.E006`` (aftercart/kernel/checks.py) names each and refuses to start.
AFTERCART_ENV_ERRORS: list[tuple[str, str]] = []


def env_whole(name: str, default: int, *, minimum: int, maximum: int) -> int:
    """A whole number from ``minimum`` to ``maximum``; anything else is recorded as an error (and
    the default used until the check stops the start)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if not minimum <= number <= maximum:
        AFTERCART_ENV_ERRORS.append(
            (name, f"must be a whole number from {minimum} to {maximum}, not {value!r}")
        )
        return default
    return number


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """``X-Forwarded-Proto`` (the value meaning HTTPS is then ``https``) or ``Header: value`` as
    Django's ``SECURE_PROXY_SSL_HEADER``; ``None`` when unset."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    header, _, expected = value.partition(":")
    header, expected = header.strip(), expected.strip() or "https"
    if not re.fullmatch(r"[A-Za-z0-9-]+", header) or not re.fullmatch(r"[!-~]+", expected):
        AFTERCART_ENV_ERRORS.append((name, f"must be a header name such as X-Forwarded-Proto, not {value!r}"))
        return None
    return "HTTP_" + header.upper().replace("-", "_"), expected


DEBUG = env_bool("AFTERCART_DEBUG")
# A development default so that `make demo` works out of the box. With DEBUG off and without
# AFTERCART_ALLOW_INSECURE_KEY it is refused by every entry point: the system check (management
# commands), aftercart.wsgi and the gunicorn config (aftercart/kernel/checks.py). An empty
# AFTERCART_SECRET_KEY is no key.
INSECURE_DEFAULT_KEY = "insecure-dev-key-change-me-aftercart"
SECRET_KEY = os.environ.get("AFTERCART_SECRET_KEY") or INSECURE_DEFAULT_KEY
ALLOW_INSECURE_KEY = env_bool("AFTERCART_ALLOW_INSECURE_KEY")
ALLOWED_HOSTS = [
    h for h in os.environ.get("AFTERCART_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Only for its templates and static files: the API docs (/api/v1/docs) then load Swagger UI from
    # us, not from a CDN, which the Content-Security-Policy (aftercart.kernel.csp) would refuse.
    "ninja",
    "aftercart.kernel",
    "aftercart.stores",
    "aftercart.orders",
    "aftercart.privacy",
    "aftercart.notifications",
    "aftercart.exceptions",
    "aftercart.returns",
    "aftercart.claims",
    "aftercart.support",
    "aftercart.feedback",
    "aftercart.insights",
    "aftercart.demo",
    "aftercart.web",
    "aftercart.commands",
    # Last: it wires the apps above together (event handlers, parcel owners, message renderers).
    "aftercart.wiring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "aftercart.kernel.csp.ContentSecurityPolicyMiddleware",
    "aftercart.api.middleware.IngestGuardMiddleware",
    # Before CsrfViewMiddleware, whose process_view reads the body this one refuses unread.
    "aftercart.web.uploads.BodySizeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# --- HTTPS ---------------------------------------------------------------------------------------
#: Served to browsers over HTTPS (directly, or behind a proxy that terminates TLS): cookies only over
#: HTTPS, HSTS, and plain HTTP redirected to HTTPS. Off by default so that a development server on
#: http://127.0.0.1 keeps working. README, "Configuration", has a production environment.
AFTERCART_HTTPS = env_bool("AFTERCART_HTTPS")
SESSION_COOKIE_SECURE = AFTERCART_HTTPS
CSRF_COOKIE_SECURE = AFTERCART_HTTPS
SECURE_SSL_REDIRECT = env_bool("AFTERCART_SSL_REDIRECT", AFTERCART_HTTPS)
#: One year once HTTPS is on (what browsers' preload lists ask for); 0 sends no header.
SECURE_HSTS_SECONDS = env_whole(
    "AFTERCART_HSTS_SECONDS", 31_536_000 if AFTERCART_HTTPS else 0, minimum=0, maximum=63_072_000
)
#: Subdomains of the host that serves Aftercart (track.example.com), not of the whole domain.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("AFTERCART_HSTS_INCLUDE_SUBDOMAINS", AFTERCART_HTTPS)
#: Opt-in: the "preload" token lets anyone submit the host's domain to the browsers' preload lists,
#: which then force HTTPS on every subdomain for months. That is the domain owner's decision, so
#: Django's reminder (security.W021) is silenced unless it is taken.
SECURE_HSTS_PRELOAD = env_bool("AFTERCART_HSTS_PRELOAD")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
#: Behind a proxy that terminates TLS, the header it sets to say the request came over HTTPS
#: (``X-Forwarded-Proto``, or ``Header: value``). Only with a proxy that always sets or strips it:
#: otherwise a client could claim HTTPS itself.
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("AFTERCART_PROXY_SSL_HEADER")

ROOT_URLCONF = "aftercart.urls"
WSGI_APPLICATION = "aftercart.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'aftercart.sqlite3'}"
# Connections are kept for a minute on both databases: opening one costs more than a whole tracking
# page otherwise (SQLite runs the PRAGMAs below on every connect).
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE avoids lock upgrades
    # failing mid-transaction; busy_timeout waits instead of erroring under contention. A 64 MiB
    # page cache per connection (default 2 MiB, filled only as pages are read): the ledger's
    # idempotency index takes its inserts at random places, and with the default cache most of
    # them re-read a page from the OS (ingest appends 30% faster at 50,000 events). The WAL is
    # checkpointed every 10,000 pages (~40 MiB; default 1,000): a checkpoint copies each page once
    # however many commits changed it, and ingest changes the same index pages commit after commit.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000; "
            "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=10000;"
        ),
    }
    # Tests on a file, not Django's shared-cache in-memory database: there, concurrent connections
    # (the worker's loops run in threads) take table locks that fail at once ("database table is
    # locked") instead of waiting like the busy timeout above does on a file, as in production.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Nothing of ours relies on the cache (the lookup's rate limits are counted in the database,
# aftercart.web.ratelimit); a file cache is shared by the machine's web workers with nothing to run.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("pt-br", "Português (Brasil)"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("AFTERCART_LOG_LEVEL", "WARNING")},
}

# E-mail (SMTP). Messages are sent by `aftercart worker`, never during a request.
EMAIL_BACKEND = os.environ.get("AFTERCART_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("AFTERCART_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = env_int("AFTERCART_SMTP_PORT", 25)
EMAIL_HOST_USER = os.environ.get("AFTERCART_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("AFTERCART_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("AFTERCART_SMTP_STARTTLS")
EMAIL_USE_SSL = env_bool("AFTERCART_SMTP_SSL")
EMAIL_TIMEOUT = env_int("AFTERCART_SMTP_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("AFTERCART_FROM_EMAIL", "Aftercart <no-reply@aftercart.localhost>")
#: Off: the planner still records decisions, but the worker sends nothing.
AFTERCART_NOTIFICATIONS_ENABLED = env_bool("AFTERCART_NOTIFICATIONS_ENABLED", True)

# Other channels' API base URLs (overridable so tests and proxies can stand in for them).
AFTERCART_TWILIO_BASE_URL = os.environ.get("AFTERCART_TWILIO_BASE_URL", "")
AFTERCART_KLAVIYO_BASE_URL = os.environ.get("AFTERCART_KLAVIYO_BASE_URL", "https://a.klaviyo.com")
AFTERCART_ITERABLE_BASE_URL = os.environ.get("AFTERCART_ITERABLE_BASE_URL", "https://api.iterable.com")

# --- Aftercart ---------------------------------------------------------------------------------
#: Largest request body the ingest endpoints accept (bytes); larger gets 413.
AFTERCART_MAX_BODY_BYTES = env_int("AFTERCART_MAX_BODY_BYTES", 1024 * 1024)
#: What a request's form fields may add up to (files excluded: Django does not count them; pages
#: that take files say how much on top, see aftercart.web.uploads).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(AFTERCART_MAX_BODY_BYTES * 2, 2_621_440)
#: Most events in one batched ingest request.
AFTERCART_MAX_BATCH = env_int("AFTERCART_MAX_BATCH", 1000)
#: Orders per packing-slip request (POST /api/v1/packing-slips.pdf); the command line has no limit.
AFTERCART_PACKING_SLIPS_MAX = env_int("AFTERCART_PACKING_SLIPS_MAX", 100)
#: Public base URL used in links sent to customers.
AFTERCART_BASE_URL = os.environ.get("AFTERCART_BASE_URL", "http://127.0.0.1:8000")
#: Reverse proxies in front of the server that append to ``X-Forwarded-For`` (0: none, the client
#: is ``REMOTE_ADDR``). Behind one proxy and 0, every shopper shares the proxy's rate limit.
AFTERCART_TRUSTED_PROXIES = env_whole("AFTERCART_TRUSTED_PROXIES", 0, minimum=0, maximum=10)
#: The order lookup's limits (aftercart.web.lookup): misses per client IP and per order number in
#: each window of this many seconds. The order's is high on purpose: reaching it refuses the order's
#: own customer too, while a client's limit only ever refuses that client.
AFTERCART_LOOKUP_WINDOW_SECONDS = env_whole("AFTERCART_LOOKUP_WINDOW_SECONDS", 600, minimum=1, maximum=86_400)
AFTERCART_LOOKUP_LIMIT_PER_IP = env_whole("AFTERCART_LOOKUP_LIMIT_PER_IP", 10, minimum=1, maximum=100_000)
AFTERCART_LOOKUP_LIMIT_PER_ORDER = env_whole(
    "AFTERCART_LOOKUP_LIMIT_PER_ORDER", 50, minimum=1, maximum=100_000
)
#: Operator log-ins (aftercart.web.login_throttle): after this many failed attempts for one
#: username from one client address within the window, further attempts are refused until it ends.
AFTERCART_LOGIN_FAILURES = env_whole("AFTERCART_LOGIN_FAILURES", 5, minimum=1, maximum=1000)
AFTERCART_LOGIN_WINDOW_SECONDS = env_whole("AFTERCART_LOGIN_WINDOW_SECONDS", 900, minimum=1, maximum=86_400)
AUTHENTICATION_BACKENDS = ["aftercart.web.login_throttle.ThrottledModelBackend"]
#: Who issues return labels: "manual" (no postage bought; the store may give its own tracking number),
#: "sandbox" (made-up tracking numbers, for demos and tests) or "easypost" (bought by the worker).
#: A store's label settings may name another. See integrations/labels/providers.py.
AFTERCART_RETURN_LABEL_PROVIDER = os.environ.get("AFTERCART_RETURN_LABEL_PROVIDER", "manual")
#: EasyPost, for stores whose label settings leave them empty: the API key (never logged) and the
#: API's address (a local stand-in in the demo and tests).
AFTERCART_EASYPOST_API_KEY = os.environ.get("AFTERCART_EASYPOST_API_KEY", "")
AFTERCART_EASYPOST_BASE_URL = os.environ.get("AFTERCART_EASYPOST_BASE_URL", "https://api.easypost.com/v2")
#: Days an order's personal data is kept (0: for ever, the default). Older orders are pseudonymised
#: by the worker's retention pass, with the same eraser as a customer's request (docs/privacy.md).
AFTERCART_RETENTION_DAYS = env_whole("AFTERCART_RETENTION_DAYS", 0, minimum=0, maximum=36_500)
#: The key of erased customers' pseudonyms (default: derived from the secret key). Keep it stable.
AFTERCART_PRIVACY_KEY = os.environ.get("AFTERCART_PRIVACY_KEY", "")
#: Where the demo's local mailbox keeps the e-mails it receives (read at /ops/mailbox/).
AFTERCART_MAILBOX_DIR = Path(os.environ.get("AFTERCART_MAILBOX_DIR", VAR_DIR / "mailbox"))
