"""Personal data: which strings are a customer's, their stable pseudonyms, and scrubbing them out of
JSON (fact payloads, snapshots, message errors) without touching anything else.

Pure functions: the apps decide which rows belong to a customer (``<app>/personal_data.py``); this
module decides what inside a row is theirs and what it becomes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

#: Payload keys that hold a customer's identity or address, in order facts (``order.placed``,
#: ``order.updated``; Olist adds ``customer_city``/``customer_state``) and elsewhere. Erasure blanks
#: them: the projection only overwrites with non-empty values, so a blank leaves every status as it
#: was, and no message can go to an erased address.
PERSONAL_KEYS: frozenset[str] = frozenset(
    {
        "email",
        "phone",
        "customer_name",
        "first_name",
        "last_name",
        "postal_code",
        "zip",
        "address",
        "address1",
        "address2",
        "customer_city",
        "customer_state",
        "customer_id",
        "customer_unique_id",
    }
)
#: Free text the customer wrote (a review's ``title`` and ``comment``, a return line's
#: ``reason_text``): theirs entirely, blanked rather than searched.
FREE_TEXT_KEYS: frozenset[str] = frozenset({"comment", "title_by_customer", "reason_text", "note"})
#: Shortest name part searched for in free text: shorter ones ("Li", "Al") would match inside
#: ordinary words of carrier messages. A full name is always searched.
MIN_NAME_PART = 3
#: What replaces a customer's string inside a longer text.
REDACTED = "[erased]"


def pseudonym(key: bytes, value: str) -> str:
    """The stable pseudonym of ``value`` (an e-mail, a phone number) under ``key``:
    ``anon-<20 hex>``. The same customer always gets the same one, so counts per recipient still
    add up after erasure; without the key nobody can tell whose it was (no rainbow table of
    addresses works against a keyed hash). Keyed BLAKE2b, a MAC by design (RFC 7693): the planner
    computes one per customer it looks up, and it is several times cheaper than HMAC-SHA256."""
    return "anon-" + hashlib.blake2b(value.encode(), key=key[:64], digest_size=10).hexdigest()


def needles_for(values: Iterable[str]) -> tuple[str, ...]:
    """The strings to search for, longest first, from a customer's e-mail addresses, phone
    numbers (as typed and in E.164, plus the digits alone), names and postal codes: each whole
    value and, for names, each part of at least :data:`MIN_NAME_PART` letters."""
    found: set[str] = set()
    for value in values:
        value = (value or "").strip()
        if len(value) < MIN_NAME_PART:
            continue
        found.add(value)
        digits = re.sub(r"\D", "", value)
        if value.startswith("+") and len(digits) >= 7:
            found.add(digits)
        if "@" not in value and not digits:
            found.update(part for part in re.split(r"[\s,.\-']+", value) if len(part) >= MIN_NAME_PART)
    return tuple(sorted(found, key=lambda s: (-len(s), s)))


def _pattern(needles: tuple[str, ...]) -> re.Pattern[str] | None:
    if not needles:
        return None
    # Word boundaries where the needle starts or ends with a word character: "Ana" must not
    # redact "Banana", while "+44 20 7946 0000" still matches inside "call +44 20 7946 0000.".
    parts = []
    for needle in needles:
        body = re.escape(needle)
        if needle[0].isalnum():
            body = r"(?<!\w)" + body
        if needle[-1].isalnum():
            body = body + r"(?!\w)"
        parts.append(body)
    return re.compile("|".join(parts), re.IGNORECASE)


def scrub_text(text: str, needles: tuple[str, ...]) -> str:
    """``text`` with every occurrence of a needle (any case) replaced by :data:`REDACTED`."""
    pattern = _pattern(needles)
    return pattern.sub(REDACTED, text) if pattern and text else text


def scrub_json(value: Any, needles: tuple[str, ...], *, blank_keys: bool = True) -> Any:
    """A copy of JSON ``value`` with personal keys blanked (:data:`PERSONAL_KEYS`,
    :data:`FREE_TEXT_KEYS`; ``blank_keys`` false keeps them) and every needle redacted from the
    other strings. Keys themselves are kept: the shape of the data stays what readers expect."""
    pattern = _pattern(needles)

    def walk(item: Any, key: str = "") -> Any:
        if isinstance(item, dict):
            return {k: walk(v, k) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        if isinstance(item, str):
            if blank_keys and (key in PERSONAL_KEYS or key in FREE_TEXT_KEYS):
                return ""
            return pattern.sub(REDACTED, item) if pattern and item else item
        return item

    return walk(value)


def contains_any(text: str, needles: Iterable[str]) -> list[str]:
    """The needles found in ``text`` (any case): what a check after erasure must not find."""
    lowered = text.lower()
    return [n for n in needles if n and n.lower() in lowered]
