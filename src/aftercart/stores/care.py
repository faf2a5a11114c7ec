"""A store's care instructions: written through the admin or ``PUT /api/v1/care-instructions``,
read by the packing slip (and, later, the post-delivery product onboarding)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from aftercart.domain.care import category_key, language_key
from aftercart.stores.models import CareInstruction, Store


@dataclass(frozen=True)
class CareNote:
    """What a slip prints for one category: a heading (the store's, or "" for the category) and
    the text."""

    title: str
    text: str


def care_instruction_put(
    *, store: Store, category: str, language: str, text: str, title: str = ""
) -> CareInstruction:
    """Create or replace the store's text for ``category`` in ``language``. ``ValidationError``
    naming the field, and nothing written, when a key or the text is not acceptable."""
    instruction = CareInstruction(store=store, category=category, language=language, title=title, text=text)
    instruction.clean()  # keys first: the lookup below uses them
    with transaction.atomic():
        existing = CareInstruction.objects.select_for_update().filter(
            store=store, category=instruction.category, language=instruction.language
        )
        found = existing.first()
        if found is not None:
            found.title, found.text = title, text
            instruction = found
        instruction.full_clean(validate_unique=False)
        instruction.save()
    return instruction


def care_instruction_delete(*, store: Store, category: str, language: str) -> bool:
    """Remove the store's text for ``category`` in ``language``; whether there was one."""
    deleted, _ = CareInstruction.objects.filter(
        store=store, category=category_key(category), language=language_key(language)
    ).delete()
    return bool(deleted)


def care_instructions(store: Store) -> list[CareInstruction]:
    """Every text of the store, by category then language."""
    return list(CareInstruction.objects.filter(store=store).order_by("category", "language"))


def care_notes(store: Store, categories: Iterable[str]) -> dict[tuple[str, str], CareNote]:
    """The store's texts for these categories in every language, keyed ``(category_key,
    language_key)`` for :func:`aftercart.domain.care.care_text` (one query)."""
    keys = {category_key(c) for c in categories} - {""}
    if not keys:
        return {}
    rows = CareInstruction.objects.filter(store=store, category__in=keys).values_list(
        "category", "language", "title", "text"
    )
    return {(category, language): CareNote(title, text) for category, language, title, text in rows}
