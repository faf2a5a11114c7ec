"""Fixed-window rate limits for what can be guessed at (the order lookup, the operator log-in),
counted in the database.

The order lookup answers "is there an order with this number and this e-mail/postal code?", so an
unthrottled form lets anyone enumerate postal codes for a known order number. A limit's count is
one row per identity and window (:class:`aftercart.web.models.RateCount`), moved by one atomic
statement (``INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits``, the same SQL on
SQLite and PostgreSQL), so every server process shares it and a hit is *taken* — counted and
judged in one step — never checked and then counted: concurrent misses cannot all read the same
count and all pass. A hit that should not count (the lookup found the order) is given back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from aftercart.web.models import RateCount

_TABLE = RateCount._meta.db_table


def _add(identity: str, slot: int, expires: int, now: float) -> int:
    """One more hit for (identity, slot), atomically; the count after it."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(_TABLE)} ({q('identity')}, {q('slot')}, {q('hits')}, {q('expires')}) "
            f"VALUES (%s, %s, 1, %s) ON CONFLICT ({q('identity')}, {q('slot')}) "
            f"DO UPDATE SET {q('hits')} = {q(_TABLE)}.{q('hits')} + 1 RETURNING {q('hits')}",
            [identity, slot, expires],
        )
        hits = int(cursor.fetchone()[0])
        if hits == 1:
            # A new window for this identity: clear out ended ones (rows are made at most once per
            # identity and window, so this runs rarely; the index on expires keeps it short).
            cursor.execute(f"DELETE FROM {q(_TABLE)} WHERE {q('expires')} < %s", [int(now)])
    return hits


@dataclass(frozen=True, slots=True)
class Taken:
    """A hit counted within the limit, which :meth:`give_back` uncounts."""

    identity: str
    slot: int

    def give_back(self) -> None:
        """Uncount the hit (it turned out not to be one the limit is about)."""
        RateCount.objects.filter(identity=self.identity, slot=self.slot, hits__gt=0).update(
            hits=F("hits") - 1
        )


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``limit`` hits per ``window`` seconds for one identity in one ``bucket``."""

    bucket: str
    limit: int
    window: int

    def _identity(self, identity: str) -> str:
        # Keyed hash: it may be a customer's order number, an IP address or a username, none of
        # which belongs in the database in clear (and an unkeyed hash of an IPv4 address is found
        # again by hashing all of them).
        digest = salted_hmac(f"aftercart.ratelimit.{self.bucket}", identity).hexdigest()[:40]
        return f"{self.bucket}:{digest}"

    def take(self, identity: str, now: float | None = None) -> Taken | None:
        """Count one hit and say, in the same step, whether it is within the limit: the hit (to
        give back if need be), or ``None`` when the window is used up (the hit still counts)."""
        moment = time.time() if now is None else now
        slot = int(moment // self.window)
        key = self._identity(identity)
        hits = _add(key, slot, (slot + 1) * self.window, moment)
        return Taken(key, slot) if hits <= self.limit else None

    def clear(self, identity: str) -> None:
        """Forget the identity's hits (in every window)."""
        RateCount.objects.filter(identity=self._identity(identity)).delete()

    def retry_after(self, now: float | None = None) -> int:
        """Seconds until the current window ends."""
        moment = time.time() if now is None else now
        return max(int(self.window - moment % self.window), 1)


def lookup_limits() -> tuple[RateLimit, RateLimit]:
    """The order lookup's limits on misses: (per client IP, per order number), from settings
    (``AFTERCART_LOOKUP_*`` in the environment). See :mod:`aftercart.web.lookup` for why the
    order's is much higher than the client's."""
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
