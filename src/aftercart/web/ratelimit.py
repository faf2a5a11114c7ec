"""Fixed-window rate limits on Django's cache, for the customer pages that can be guessed at.

The order lookup answers "is there an order with this number and this e-mail/postal code?", so an
unthrottled form lets anyone enumerate postal codes for a known order number. Limits are counted
per client IP and per order number in the ``default`` cache. The default local-memory cache counts
per process: behind several server processes each has its own count, so production should point
``CACHES["default"]`` at a shared cache (the database cache needs no extra service).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``limit`` hits per ``window`` seconds for one identity in one ``bucket``."""

    bucket: str
    limit: int
    window: int

    def _key(self, identity: str, now: float) -> str:
        # Hash the identity: it may be a customer's order number or an IP address, neither of
        # which belongs in cache keys in clear (nor fits memcached's key alphabet).
        digest = hashlib.sha256(f"{self.bucket}\0{identity}".encode()).hexdigest()[:32]
        return f"aftercart:rl:{self.bucket}:{digest}:{int(now // self.window)}"

    def count(self, identity: str, now: float | None = None) -> int:
        """Hits so far in the current window."""
        return int(cache.get(self._key(identity, time.time() if now is None else now), 0))

    def exceeded(self, identity: str, now: float | None = None) -> bool:
        """Whether the identity has used up the current window (the next hit would be one too many)."""
        return self.count(identity, now) >= self.limit

    def hit(self, identity: str, now: float | None = None) -> int:
        """Count one hit and return the count in the current window."""
        key = self._key(identity, time.time() if now is None else now)
        # add() is a no-op when the key exists, so concurrent first hits do not reset each other;
        # incr() is atomic on every shared backend (database, Redis, memcached).
        cache.add(key, 0, timeout=self.window + 1)
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=self.window + 1)
            return 1

    def retry_after(self, now: float | None = None) -> int:
        """Seconds until the current window ends."""
        moment = time.time() if now is None else now
        return max(int(self.window - moment % self.window), 1)


def lookup_limits() -> tuple[RateLimit, RateLimit]:
    """The order lookup's limits: (per client IP, per order number), from settings
    (``AFTERCART_LOOKUP_*`` in the environment)."""
    window = int(settings.AFTERCART_LOOKUP_WINDOW_SECONDS)
    per_ip = int(settings.AFTERCART_LOOKUP_LIMIT_PER_IP)
    per_order = int(settings.AFTERCART_LOOKUP_LIMIT_PER_ORDER)
    return RateLimit("lookup-ip", per_ip, window), RateLimit("lookup-order", per_order, window)


def client_ip(request: HttpRequest) -> str:
    """The client's IP address.

    ``REMOTE_ADDR`` unless ``AFTERCART_TRUSTED_PROXIES`` (the number of reverse proxies in front of
    the server, from the environment) says to read ``X-Forwarded-For``; then the address the
    outermost trusted proxy saw is used, counted from the right, because everything left of it is
    whatever the client sent.
    """
    proxies = int(settings.AFTERCART_TRUSTED_PROXIES)
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if proxies <= 0:
        return remote
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    if len(forwarded) >= proxies:
        return forwarded[-proxies]
    return forwarded[0] if forwarded else remote
