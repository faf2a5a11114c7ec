"""``/returns`` (the lookup) and ``/returns/<token>`` (step 1: which lines, how many, why, and
another size when one is in stock): reading the form and the domain's verdict on it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from aftercart.domain.returns import (
    ExchangeTarget,
    Note,
    OfferKind,
    Reason,
    RequestedLine,
    ReturnDecision,
)
from aftercart.orders.models import Order
from aftercart.returns.portal import (
    ExchangeOption,
    ReturnableLine,
    exchange_choices,
    quote,
    returnable_lines,
)
from aftercart.returns.selectors import order_placed
from aftercart.web.lookup import lookup_page
from aftercart.web.pages import private, render_page
from aftercart.web.returns.access import Opened, frame, open_order
from aftercart.web.returns.status import return_list
from aftercart.web.returns.words import (
    MAX_ROWS,
    NOTE_MESSAGES,
    REASON_LABELS,
    day,
    note_message,
)


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def returns_lookup(request: HttpRequest) -> HttpResponse:
    """``/returns``: find the order, then go to its returns page. Every kind of miss gets the same
    answer, and lookups count against the same limits as the tracking page's."""
    return lookup_page(request, template="web/returns/lookup.html", destination="web:returns-start")


# --- step 1: what comes back ---------------------------------------------------------------------


@dataclass
class Row:
    """One line as the shopper filled it in (``index`` is its place in the form)."""

    index: int
    line_id: str
    line: ReturnableLine | None
    quantity: int = 0
    reason: Reason | None = None
    text: str = ""
    exchange: ExchangeOption | None = None
    exchange_key: str = ""
    error: str = ""


@dataclass
class Selection:
    """What the shopper picked, with the problems found (per row and for the whole request)."""

    rows: list[Row]
    problems: list[str] = field(default_factory=list)

    @property
    def picked(self) -> list[Row]:
        return [r for r in self.rows if r.quantity > 0]

    @property
    def ok(self) -> bool:
        return not self.problems and not any(r.error for r in self.rows)


def option_key(option: ExchangeOption) -> str:
    """The form's name for a replacement: its variant (one option per variant name; some shops
    give all of a product's variants one SKU), prefixed by its product for another product."""
    name = option.variant or option.sku
    return f"{option.product_id}/{name}" if option.other else name


def read_selection(data: QueryDict, lines: list[ReturnableLine], order: Order) -> Selection:
    """Parse the line fields. Only the form's shape is checked here; whether the lines can come
    back (quantity, window, final sale, another order's line) is the domain's to say."""
    by_id = {line.line_id: line for line in lines}
    rows = []
    # Rows are numbered by their place on the page; lines that cannot come back have no fields,
    # so the numbers have gaps.
    indexes = sorted(
        int(key[5:]) for key in data if key.startswith("line-") and key[5:].isdigit() and len(key) < 10
    )
    for index in indexes[:MAX_ROWS]:
        line_id = str(data.get(f"line-{index}", ""))[:128]
        if not line_id:
            continue
        row = Row(index=index, line_id=line_id, line=by_id.get(line_id))
        raw_quantity = str(data.get(f"qty-{index}", "0")).strip() or "0"
        try:
            row.quantity = int(raw_quantity)
        except ValueError:
            row.quantity, row.error = 0, str(NOTE_MESSAGES["bad_quantity"])
        if row.quantity < 0 or row.quantity > 100_000:
            row.quantity, row.error = 0, str(NOTE_MESSAGES["bad_quantity"])
        reason = str(data.get(f"reason-{index}", ""))
        row.reason = Reason(reason) if reason in Reason.__members__.values() else None
        row.text = str(data.get(f"text-{index}", "")).strip()[:1000]
        # The exchange card chosen on step 2 ("exchange:<variant>") names the replacement; a link
        # may name one ahead (``exchange-<n>``), checking its card.
        choice = str(data.get(f"choice-{index}", ""))
        picked = choice.partition(":")[2] if choice.startswith(f"{OfferKind.EXCHANGE.value}:") else ""
        row.exchange_key = (picked or str(data.get(f"exchange-{index}", "")))[:200]
        if row.quantity > 0 and not row.error:
            if row.reason is None:
                row.error = str(_("Choose why you are returning this item."))
            elif row.exchange_key and row.line is not None:
                options = {option_key(o): o for o in exchange_choices(order, row.line, row.quantity)}
                row.exchange = options.get(row.exchange_key)
                if row.exchange is None:
                    row.error = str(_("That size is no longer available. Choose another one."))
        rows.append(row)
    return Selection(rows=rows)


def requested_lines(
    selection: Selection, replacements: Mapping[int, ExchangeOption] | None = None
) -> list[RequestedLine]:
    """The picked rows as the domain's request; ``replacements`` (by row index) name a replacement
    instead of the one the row picked (to quote each exchange card)."""
    replacements = replacements or {}
    return [
        RequestedLine(
            line_id=row.line_id,
            quantity=row.quantity,
            reason=row.reason or Reason.OTHER,
            exchange_for=_target(replacements.get(row.index, row.exchange)),
        )
        for row in selection.picked
    ]


def _target(option: ExchangeOption | None) -> ExchangeTarget | None:
    if option is None:
        return None
    return ExchangeTarget(
        product_id=option.product_id,
        variant=option.variant,
        sku=option.sku,
        unit_price=option.unit_price,
        title=option.title if option.other else "",
    )


def judge_selection(selection: Selection, opened: Opened) -> ReturnDecision | None:
    """The domain's verdict on the picked rows, its refusals written onto the rows."""
    assert opened.order is not None and opened.state is not None
    if not selection.ok:
        return None
    if not selection.picked:
        selection.problems.append(str(NOTE_MESSAGES["empty_request"]))
        return None
    if not order_placed(opened.order, opened.state):
        # Known only from its tracking: the order has no lines yet, so no row is one of its lines.
        for row in selection.picked:
            row.error = str(NOTE_MESSAGES["unknown_line"])
        return None
    decision = quote(opened.order, opened.state, requested_lines(selection), opened.now)
    for row in selection.picked:
        verdict = decision.line(row.line_id)
        if verdict is not None and not verdict.eligible:
            row.error = " ".join(dict.fromkeys(note_message(n) for n in verdict.reasons))
        elif verdict is not None and row.exchange is not None and verdict.offer(OfferKind.EXCHANGE) is None:
            # The size was in stock when the list was shown and is not now: say so by the line
            # rather than silently dropping the exchange the shopper asked for.
            row.error = str(NOTE_MESSAGES["out_of_stock"])
    selection.problems.extend(note_message(n) for n in decision.problems)
    return decision


def _line_views(
    lines: list[ReturnableLine], selection: Selection | None, language: str
) -> list[dict[str, Any]]:
    """Step 1's rows: every line of the order, returnable or with why not."""
    filled = {r.line_id: r for r in selection.rows} if selection else {}
    views = []
    for index, line in enumerate(lines):
        row = filled.get(line.line_id)
        blocked = ""
        if line.blocked:
            blocked = note_message(Note(line.blocked, "", dict(line.blocked_params)))
        views.append(
            {
                "index": index,
                "line_id": line.line_id,
                "title": line.title,
                "variant": line.variant,
                "quantity": line.quantity,
                "left": line.left,
                "choices": list(range(0, line.left + 1)),
                "until": day(line.returnable_until),
                "blocked": blocked,
                "picked_quantity": row.quantity if row else 0,
                "reason": row.reason.value if row and row.reason else "",
                "text": row.text if row else "",
                "error": row.error if row else "",
            }
        )
    # Rows the form was sent with that are not lines of this order (a tampered form): show them
    # with the domain's answer rather than dropping them silently.
    known = {line.line_id for line in lines}
    for row in selection.rows if selection else []:
        if row.line_id not in known and row.error:
            views.append(
                {
                    "index": len(lines) + row.index,
                    "line_id": row.line_id,
                    "title": row.line_id,
                    "stray": True,
                    "error": row.error,
                }
            )
    return views


def render_step_one(
    request: HttpRequest, opened: Opened, token: str, selection: Selection | None, status: int = 200
) -> HttpResponse:
    assert opened.order is not None and opened.state is not None
    lines = returnable_lines(opened.order, opened.state, opened.now)
    with translation.override(opened.language):
        context = frame(
            request,
            opened,
            token,
            lines=_line_views(lines, selection, opened.language),
            reasons=[{"value": r.value, "label": str(label)} for r, label in REASON_LABELS.items()],
            problems=selection.problems if selection else [],
            has_errors=bool(selection and not selection.ok),
            returnable=any(line.left for line in lines),
            returns=return_list(opened.order, token, opened.language),
        )
    return private(render_page(request, "web/returns/start.html", context, opened.language, status=status))


@never_cache
@require_safe
def returns_start(request: HttpRequest, token: str) -> HttpResponse:
    """``/returns/<token>``: the order's lines, what can come back, and the order's returns."""
    opened = open_order(request, token)
    if opened.problem is not None:
        return opened.problem
    return render_step_one(request, opened, token, None)
