"""Judging a claim: :func:`judge_claim` (may this request be filed, about which parcel, for how
much, approved at once or by a person) and :func:`claim_window` (when a kind of claim about one
parcel or line can be filed: the answer to "can I claim, and from when?").

Pure and deterministic: the same policy, evidence and ``now`` always give the same decision. The
windows are the policy's (:class:`~aftercart.domain.claims.policy.ClaimPolicy`); nothing outside
them is ever approved, and a claim is never worth more than was paid for its units.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from aftercart.domain.claims.decision import (
    ClaimDecision,
    ClaimNote,
    DecidedLine,
    Verdict,
    Window,
    WindowState,
)
from aftercart.domain.claims.evidence import (
    ClaimableLine,
    ClaimHistory,
    ClaimRequest,
    OrderForClaim,
    ParcelEvidence,
    WarrantyTerms,
)
from aftercart.domain.claims.policy import TRANSIT_KINDS, ClaimKind, ClaimPolicy
from aftercart.domain.returns.money import unit_share

__all__ = ["available_units", "claim_window", "judge_claim", "lost_opens_at"]

_ZERO = Decimal(0)


def lost_opens_at(policy: ClaimPolicy, parcel: ParcelEvidence, placed_at: datetime) -> datetime:
    """From when ``parcel`` counts as lost: its last activity plus the policy's days without a scan
    (more across a border), or — when nothing happened since its estimated delivery day — the end
    of that day plus the policy's hours, whichever comes first. A new scan moves it on."""
    activity = parcel.last_activity or placed_at
    days = policy.lost_days_international if parcel.international else policy.lost_days_domestic
    candidates = [activity + timedelta(days=days)]
    if parcel.estimated_delivery is not None:
        estimate_end = datetime.combine(parcel.estimated_delivery + timedelta(days=1), time(0), tzinfo=UTC)
        if activity <= estimate_end:
            candidates.append(estimate_end + timedelta(hours=policy.lost_hours_past_estimate))
    return min(candidates)


def claim_window(
    policy: ClaimPolicy,
    kind: ClaimKind,
    *,
    now: datetime,
    placed_at: datetime,
    parcel: ParcelEvidence | None = None,
    line: ClaimableLine | None = None,
    warranty: WarrantyTerms | None = None,
) -> Window:
    """When a claim of ``kind`` about ``parcel`` (transit kinds) or ``line`` (warranty) can be
    filed, as of ``now``. Too early names the moment it opens, never just "no"."""
    if kind is ClaimKind.WARRANTY:
        return _warranty_window(policy, line, warranty or WarrantyTerms(), now, placed_at)
    if parcel is None:
        return Window(WindowState.NOT_APPLICABLE, "not_shipped", "nothing has shipped yet")
    if kind is ClaimKind.LOST:
        if parcel.delivered:
            return Window(
                WindowState.NOT_APPLICABLE,
                "delivered",
                "the carrier says this parcel was delivered: claim it as not received",
            )
        opens = lost_opens_at(policy, parcel, placed_at)
        if now < opens:
            return Window(
                WindowState.TOO_EARLY, "too_early", "the parcel is still within the carrier's time", opens
            )
        return Window(WindowState.OPEN, "open", "the parcel has not moved in too long", opens)
    if not parcel.delivered:
        return Window(WindowState.TOO_EARLY, "not_delivered", "the parcel has not been delivered yet", None)
    delivered = parcel.delivered_at
    assert delivered is not None
    if kind is ClaimKind.STOLEN:
        opens = delivered + timedelta(days=policy.stolen_from_days)
        closes = delivered + timedelta(days=policy.stolen_until_days)
        if now < opens:
            return Window(
                WindowState.TOO_EARLY,
                "too_early",
                "parcels marked delivered often turn up with a neighbour or in a safe place within days",
                opens,
                closes,
            )
    else:
        opens = delivered
        closes = delivered + timedelta(days=policy.report_days)
    if now > closes:
        return Window(WindowState.CLOSED, "window_closed", "the time to claim has passed", opens, closes)
    return Window(WindowState.OPEN, "open", "a claim can be filed", opens, closes)


def _warranty_window(
    policy: ClaimPolicy, line: ClaimableLine | None, terms: WarrantyTerms, now: datetime, placed_at: datetime
) -> Window:
    if line is None:
        return Window(WindowState.NOT_APPLICABLE, "unknown_line", "no such line")
    days = terms.days_for(line, policy.warranty_default_days)
    if days is None:
        return Window(WindowState.NOT_APPLICABLE, "not_covered", "this product has no warranty")
    start = line.delivered_at or placed_at
    closes = start + timedelta(days=days)
    if now > closes:
        return Window(WindowState.CLOSED, "warranty_expired", "the warranty has expired", start, closes)
    return Window(WindowState.OPEN, "open", "under warranty", start, closes)


def available_units(line: ClaimableLine, kind: ClaimKind, parcel: ParcelEvidence | None) -> int:
    """Units of ``line`` a claim of ``kind`` (about ``parcel``) may still cover: those the parcel
    carries (warranty: every unit received), less units returned, never sent, or already in a
    claim that stands about the same parcel (or, warranty, in another warranty claim)."""
    kept = max(line.quantity - line.returned_quantity - line.unsent_quantity, 0)
    if kind is ClaimKind.WARRANTY or parcel is None:
        return max(kept - line.claimed.get("", 0), 0)
    carried = parcel.lines.get(line.line_id, line.quantity) if parcel.lines else line.quantity
    return max(min(carried, kept) - line.claimed.get(parcel.key, 0), 0)


def _refused(base: ClaimDecision, *notes: ClaimNote) -> ClaimDecision:
    return ClaimDecision(Verdict.REFUSED, base.kind, base.policy_version, base.currency, notes=tuple(notes))


def _pick_parcel(order: OrderForClaim, kind: ClaimKind, request: ClaimRequest) -> ParcelEvidence | ClaimNote:
    if request.parcel_key.strip():
        found = order.parcel(request.parcel_key)
        if found is None:
            return ClaimNote("unknown_parcel", "no parcel of this order has that key", "shipment")
        return found
    ids = [u.line_id for u in request.lines]
    carrying = [p for p in order.parcels if all(p.carries(i) for i in ids)]
    if not carrying:
        return ClaimNote("not_shipped", "no parcel of this order carries these items yet", "lines")
    if len(carrying) > 1:
        # Lost: the parcels still out; the other kinds: the delivered ones.
        fitting = [p for p in carrying if p.delivered != (kind is ClaimKind.LOST)]
        carrying = fitting or carrying
    if len(carrying) > 1:
        return ClaimNote(
            "parcel_required", "these items came in several parcels: name the parcel", "shipment"
        )
    return carrying[0]


def _recent(times: tuple[datetime, ...], since: datetime, now: datetime) -> int:
    return sum(1 for t in times if since <= t <= now)


def _flags(
    policy: ClaimPolicy, kind: ClaimKind, history: ClaimHistory, value: Decimal, now: datetime
) -> list[ClaimNote]:
    since = now - timedelta(days=policy.period_days)
    flags = []
    limits = (
        ("customer_claims", policy.max_claims_per_customer, history.by_customer, "this customer"),
        ("address_claims", policy.max_claims_per_address, history.by_address, "this delivery address"),
        ("card_claims", policy.max_claims_per_card, history.by_card, "this card"),
    )
    for code, limit, times, whom in limits:
        count = _recent(times, since, now)
        if limit is not None and count >= limit:
            flags.append(
                ClaimNote(
                    code, f"{count} earlier claims by {whom} in {policy.period_days} days (limit {limit})"
                )
            )
    not_received = _recent(history.not_received_at_address, since, now)
    limit = policy.max_not_received_per_address
    if kind is ClaimKind.STOLEN and limit is not None and not_received >= limit:
        flags.append(
            ClaimNote(
                "repeat_not_received",
                f"{not_received} earlier 'delivered but not received' claims at this address",
            )
        )
    if policy.review_value_over is not None and value > policy.review_value_over:
        flags.append(ClaimNote("high_value", f"worth {value}, over {policy.review_value_over}"))
    return flags


def judge_claim(
    *,
    policy: ClaimPolicy,
    order: OrderForClaim,
    request: ClaimRequest,
    history: ClaimHistory,
    now: datetime,
    warranty: WarrantyTerms | None = None,
) -> ClaimDecision:
    """Judge ``request`` on ``order`` under ``policy`` as of ``now``.

    REFUSED (with every reason as a note) for a request that cannot be a claim: an unknown kind or
    line, units not in the parcel, already returned or claimed, a cancelled order, a closed window,
    no photo where the kind needs one, a resolution the policy does not offer. TOO_EARLY with the
    date it opens (``open_from``; ``None`` until the parcel is delivered). Otherwise FILE with the
    value of the claimed units, the resolutions on offer, and whether it is approved at once (the
    store's value limit, first claim) or goes to a person (``review_reasons``: the fraud guard's
    flags and the limits that kept it from automatic approval)."""
    base = ClaimDecision(Verdict.REFUSED, request.kind, policy.version, order.currency)
    try:
        kind = ClaimKind(request.kind)
    except ValueError:
        return _refused(base, ClaimNote("unknown_kind", f"unknown claim kind {request.kind!r}", "kind"))
    if order.cancelled:
        return _refused(
            base, ClaimNote("order_cancelled", "the order was cancelled before anything shipped", "order_id")
        )
    if not request.lines:
        return _refused(base, ClaimNote("no_lines", "name at least one item", "lines"))
    seen: set[str] = set()
    notes: list[ClaimNote] = []
    for index, units in enumerate(request.lines):
        where = f"lines[{index}]"
        if units.line_id in seen:
            notes.append(ClaimNote("duplicate_line", "this item is named twice", where))
        seen.add(units.line_id)
        if order.line(units.line_id) is None:
            notes.append(ClaimNote("unknown_line", "not an item of this order", where))
        if units.quantity < 1:
            notes.append(ClaimNote("invalid_quantity", "claim at least one unit", where))
    if notes:
        return _refused(base, *notes)

    parcel: ParcelEvidence | None = None
    if kind in TRANSIT_KINDS:
        picked = _pick_parcel(order, kind, request)
        if isinstance(picked, ClaimNote):
            return _refused(base, picked)
        parcel = picked
        for index, units in enumerate(request.lines):
            if not parcel.carries(units.line_id):
                notes.append(
                    ClaimNote("line_not_in_parcel", "this item was not in that parcel", f"lines[{index}]")
                )
        if notes:
            return _refused(base, *notes)

    # Windows: the parcel's (transit kinds), each line's (warranty).
    windows: list[tuple[int, Window]] = []
    for index, units in enumerate(request.lines):
        line = order.line(units.line_id)
        windows.append(
            (
                index,
                claim_window(
                    policy,
                    kind,
                    now=now,
                    placed_at=order.placed_at,
                    parcel=parcel,
                    line=line,
                    warranty=warranty,
                ),
            )
        )
        if parcel is not None:
            break  # one parcel, one window
    closed = [
        ClaimNote(w.code, w.text, f"lines[{i}]" if parcel is None else "shipment")
        for i, w in windows
        if w.state in (WindowState.CLOSED, WindowState.NOT_APPLICABLE)
    ]
    if closed:
        return _refused(base, *closed)
    early = [w for _, w in windows if w.state is WindowState.TOO_EARLY]
    if early:
        undated = any(w.opens_at is None for w in early)
        opens = None if undated else max(w.opens_at for w in early if w.opens_at is not None)
        return ClaimDecision(
            Verdict.TOO_EARLY,
            kind.value,
            policy.version,
            order.currency,
            parcel_key=parcel.key if parcel else "",
            notes=tuple(ClaimNote(w.code, w.text) for w in early[:1]),
            open_from=opens,
            closes_at=early[0].closes_at,
        )

    decided: list[DecidedLine] = []
    for index, units in enumerate(request.lines):
        line = order.line(units.line_id)
        assert line is not None
        free = available_units(line, kind, parcel)
        if units.quantity > free:
            taken = line.claimed.get(parcel.key if parcel else "", 0)
            code = "already_claimed" if taken and units.quantity <= free + taken else "over_quantity"
            notes.append(
                ClaimNote(
                    code,
                    f"{free} of this item can be claimed" if free else "nothing left to claim",
                    f"lines[{index}]",
                )
            )
            continue
        # The units after those returned, never sent or already claimed: successive claims of one
        # line add up to what it cost, never more.
        start = line.quantity - free
        decided.append(
            DecidedLine(
                units.line_id,
                units.quantity,
                unit_share(line.paid, line.quantity, start, units.quantity, order.currency),
            )
        )
    if notes:
        return _refused(base, *notes)
    if policy.needs_photos(kind) and request.photos < 1:
        return _refused(base, ClaimNote("photos_required", "add at least one photo of the items", "photos"))
    resolutions = tuple(r.value for r in policy.resolutions_for(kind))
    if request.preferred_resolution and request.preferred_resolution not in resolutions:
        return _refused(
            base,
            ClaimNote(
                "resolution_not_offered",
                f"{request.preferred_resolution.replace('_', ' ')} is not offered (offered: {', '.join(resolutions)})",
                "resolution",
            ),
        )
    value = sum((d.value for d in decided), _ZERO)
    flags = _flags(policy, kind, history, value, now)
    limits: list[ClaimNote] = []
    if kind not in policy.auto_approve_kinds:
        limits.append(
            ClaimNote("kind_reviewed", f"{kind.value.replace('_', ' ')} claims are decided by a person")
        )
    elif policy.auto_approve_max_value is None:
        limits.append(ClaimNote("no_auto_approval", "the store decides every claim itself"))
    elif value > policy.auto_approve_max_value:
        limits.append(
            ClaimNote(
                "over_auto_limit", f"worth {value}, over the automatic limit {policy.auto_approve_max_value}"
            )
        )
    if policy.auto_approve_first_claim_only and _recent(
        history.by_customer, now - timedelta(days=policy.period_days), now
    ):
        limits.append(ClaimNote("not_first_claim", "not the customer's first claim"))
    windows_end = [w.closes_at for _, w in windows if w.closes_at is not None]
    return ClaimDecision(
        Verdict.FILE,
        kind.value,
        policy.version,
        order.currency,
        lines=tuple(decided),
        parcel_key=parcel.key if parcel else "",
        value=value,
        resolutions=resolutions,
        auto_approve=not flags and not limits,
        review_reasons=tuple(flags + limits),
        closes_at=min(windows_end) if windows_end else None,
    )
