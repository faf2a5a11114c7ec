"""The returns portal's "arrived damaged": not a return but a claim. The store makes it right
(a replacement, a refund or credit) without the customer sending anything back, unless the team
asks for it while deciding the claim."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import urlencode

from aftercart.claims.selectors import claim_eligibility
from aftercart.domain.claims import ClaimKind
from aftercart.domain.returns import Reason
from aftercart.web.pages import private, see_other

if TYPE_CHECKING:
    from aftercart.web.returns.access import Opened
    from aftercart.web.returns.start import Selection


def damaged_to_claim(opened: Opened, token: str, selection: Selection) -> HttpResponse | None:
    """Where the portal sends lines picked as "arrived damaged": the claim form with those lines
    (and the customer's words) filled in, when a damaged-item claim can be filed for them now;
    ``None`` otherwise (the return goes on as it would)."""
    assert opened.order is not None
    damaged = [row for row in selection.picked if row.reason is Reason.DAMAGED and not row.error]
    if not damaged:
        return None
    open_lines = {
        line_id
        for item in claim_eligibility(opened.order, now=opened.now)
        if item.kind == ClaimKind.DAMAGED.value and item.open
        for line_id, units in item.lines
        if units > 0
    }
    wanted = [row for row in damaged if row.line_id in open_lines]
    if not wanted:
        return None
    query: list[tuple[str, str]] = [("kind", ClaimKind.DAMAGED.value), ("from", "returns")]
    query += [("line", f"{row.line_id}:{row.quantity}") for row in wanted]
    note = " ".join(row.text for row in wanted if row.text)[:2000]
    if note:
        query.append(("note", note))
    query.append(("lang", opened.language))
    url = reverse("web:claims", kwargs={"token": token})
    return private(see_other(f"{url}?{urlencode(query)}"))
