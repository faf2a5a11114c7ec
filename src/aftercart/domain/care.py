"""Care instructions: which of a store's texts an item gets, in which language.

A store writes one text per product category and language ("knitwear", "fr"). The packing slip
prints it for the items in the box, and the post-delivery product onboarding (issue 17) will send
the same text: both ask :func:`care_text` here, so a customer never reads two versions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeVar

__all__ = ["care_text", "category_key", "language_candidates", "language_key"]

T = TypeVar("T")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


def category_key(category: str) -> str:
    """A category as texts are keyed: trimmed, case-folded, inner spaces collapsed ("Knit Wear "
    and "knit  wear" are one category; platforms and staff rarely agree on case)."""
    return " ".join(str(category or "").split()).casefold()


def language_key(code: str) -> str:
    """A language tag as texts are keyed ("pt_BR", "pt-BR" → "pt-br"), or "" when it is not one."""
    text = str(code or "").strip().replace("_", "-").lower()
    return text if _LANGUAGE.match(text) else ""


def language_candidates(wanted: str, fallback: str) -> tuple[str, ...]:
    """The languages to look for, best first: the customer's (``pt-br``), its base language
    (``pt``), then the store's default and its base. A text in the store's language beats none:
    washing instructions a customer has to translate still save the garment."""
    out: list[str] = []
    for code in (language_key(wanted), language_key(fallback)):
        for candidate in (code, code.split("-")[0]):
            if candidate and candidate not in out:
                out.append(candidate)
    return tuple(out)


def care_text(
    texts: Mapping[tuple[str, str], T], category: str, wanted: str, fallback: str
) -> tuple[str, T] | None:
    """``(language, text)`` of the store's care text for ``category`` in the best language
    available (see :func:`language_candidates`), or ``None`` when it has none. ``texts`` is keyed
    by ``(category_key, language_key)``; its values are whatever the caller keeps (a text, or a
    heading and a text)."""
    key = category_key(category)
    if not key:
        return None
    for language in language_candidates(wanted, fallback):
        text = texts.get((key, language))
        if text:
            return language, text
    return None
