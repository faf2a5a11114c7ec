"""The web app's one table: rate-limit counts (:mod:`aftercart.web.ratelimit`)."""

from __future__ import annotations

from django.db import models


class RateCount(models.Model):
    """How many hits one identity (hashed) made in one fixed window of one rate limit.

    In the database rather than Django's cache: the count must be one atomic increment shared by
    every server process (the file cache's increment is a read then a write, so concurrent misses
    all read the same count), and the database is the one service every installation has."""

    #: ``<bucket>:<digest of the identity>``: an IP address or an order number is never kept in clear.
    identity = models.CharField(max_length=80)
    #: The window's number (seconds since the epoch // the window's length).
    slot = models.BigIntegerField()
    hits = models.IntegerField(default=0)
    #: When the row may be deleted (seconds since the epoch): the window's end.
    expires = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["identity", "slot"], name="ratecount_one_per_window")]

    def __str__(self) -> str:
        return f"{self.identity}@{self.slot}={self.hits}"
