"""Care instructions: the store's text per product category and language, printed on packing
slips (``GET`` to list, ``PUT`` to write, ``DELETE`` to remove)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from ninja import Field, Path, Router, Schema, Status

from aftercart.api.problems import Problem, field_problem
from aftercart.domain.care import category_key, language_key
from aftercart.stores.care import care_instruction_delete, care_instruction_put, care_instructions
from aftercart.stores.http import StoreRequest
from aftercart.stores.models import CareInstruction

router = Router(tags=["care instructions"])


#: The keys as the document states them, so a request it allows is one the server takes: a category
#: with something in it besides (Python's) white space, a language tag in any case with "-" or "_".
CategoryKey = Annotated[
    str,
    Path(
        max_length=100,
        pattern=r"[^\s\u001c-\u001f\u0085]",
        description="The product category, as order lines name it (case and spacing do not matter).",
    ),
]
LanguageKey = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$",
        description='A language tag: "en", "fr", "pt-br" (or "pt_BR").',
    ),
]


class CareIn(Schema):
    """The text (and optionally the heading printed above it: the category by default)."""

    text: str = Field(..., min_length=1, max_length=2000)
    title: str = Field("", max_length=120)


class CareOut(Schema):
    category: str
    language: str
    title: str
    text: str
    updated_at: datetime


def _out(instruction: CareInstruction) -> dict[str, Any]:
    return {
        "category": instruction.category,
        "language": instruction.language,
        "title": instruction.title,
        "text": instruction.text,
        "updated_at": instruction.updated_at,
    }


@router.get("", response=list[CareOut], summary="List the store's care instructions")
def list_care(request: StoreRequest) -> list[dict[str, Any]]:
    """Every text, by category then language."""
    return [_out(i) for i in care_instructions(request.store)]


@router.put("/{category}/{language}", response=CareOut, summary="Write a care instruction")
def put_care(
    request: StoreRequest, category: CategoryKey, language: LanguageKey, payload: CareIn
) -> dict[str, Any]:
    """Create or replace the text for ``category`` (as order lines name it; case does not matter)
    in ``language`` (``en``, ``fr``, ``pt-br``). 400 naming the field for a bad key or text."""
    try:
        instruction = care_instruction_put(
            store=request.store, category=category, language=language, text=payload.text, title=payload.title
        )
    except ValidationError as invalid:
        errors = [
            {"field": field, "message": " ".join(messages)}
            for field, messages in invalid.message_dict.items()
        ]
        raise field_problem("Invalid care instruction", errors) from None
    return _out(instruction)


@router.delete("/{category}/{language}", response={204: None}, summary="Remove a care instruction")
def delete_care(request: StoreRequest, category: CategoryKey, language: LanguageKey) -> Status[None]:
    """404 problem when there is no such text."""
    if not care_instruction_delete(store=request.store, category=category, language=language):
        raise Problem(
            404,
            "Care instruction not found",
            f"No care instruction for {category_key(category)!r} in {language_key(language) or language!r}.",
        )
    return Status(204, None)
