"""Opaque public identifiers: customer URLs never carry sequential keys."""

from __future__ import annotations

import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_public_id() -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, Crockford base32 (26 characters).

    Sortable by creation time (handy in admin lists) yet not guessable.
    """
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_CROCKFORD[rem])
    return "".join(reversed(chars))
