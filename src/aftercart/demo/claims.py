"""The demo shops' claims: one of each kind, in every state, made through the same services the
claim pages and the ops queue use (never raw rows), on orders whose policy windows are open —
each reachable from its order's tracking page.

- a lost parcel, approved at once and resolved by a **reship**: the replacement is a new parcel
  on the order's tracking page and the ops order page;
- a parcel delivered but not received, in the manual queue;
- damaged items with **photos** (small real JPEGs drawn with Pillow), one approved at once and
  one still to decide;
- a wrong item waiting for the customer's evidence; a missing item refunded;
- a second claim by the same customer, **flagged by the fraud guard** (the outdoor shop's policy
  flags a customer's second claim within a year);
- a warranty claim with a photo, on a product registered for its two-year warranty.

Deterministic and idempotent: orders are picked in a fixed order, every claim has a stable
client key, so seeding again finds the claims already made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.urls import reverse

from aftercart.claims.models import Claim
from aftercart.claims.selectors import claim_eligibility, policy_current
from aftercart.claims.services.filing import ClaimLineIn, ClaimPhotoIn, ClaimRefused
from aftercart.claims.services.policy import claim_policy_save
from aftercart.claims.services.seed import claim_seed
from aftercart.claims.services.warranty import warranty_register
from aftercart.demo.claim_photos import claim_photo
from aftercart.demo.simulate import BRANDS
from aftercart.domain.claims import ClaimIllegalTransition, PolicyError
from aftercart.notifications.links import base_url
from aftercart.orders.models import Fact as LedgerFact
from aftercart.orders.models import Order
from aftercart.orders.tokens import make_tracking_token
from aftercart.returns.models import Return
from aftercart.stores.models import Store

#: The demo shops' claims policies: the defaults (docs/claims.md), and at the outdoor shop a
#: customer's second claim within a year goes to a person (the fraud guard's flag).
DEMO_POLICIES = {
    "northwind": {"fraud": {"max_claims_per_customer": 1}, "warranty": {"default_days": 730}},
    "lumiere": {"warranty": {"default_days": 730}},
}


@dataclass(frozen=True)
class Plan:
    """One demo claim: what it shows, its kind, the state it is driven to, and its evidence."""

    name: str
    kind: str
    status: str
    resolution: str = ""
    photos: tuple[str, ...] = ()
    text: str = ""
    #: Steps (next_step codes) of orders it may be made on, in order of preference.
    steps: tuple[str, ...] = ("delivered",)
    #: What the team asked for (needs evidence) or why it was denied.
    reason: str = ""


PLANS = (
    Plan(
        "lost_reshipped",
        "lost",
        "resolved",
        "reship",
        text="No scan for over a week.",
        steps=("lost", "stalled"),
    ),
    Plan("not_received", "stolen", "in_review", "refund", text="Not at the door, neighbours have nothing."),
    Plan(
        "damaged_approved",
        "damaged",
        "approved",
        "reship",
        photos=("crushed_box", "cracked_item"),
        text="The box was crushed and the item cracked.",
        steps=("delivered", "damaged"),
    ),
    Plan(
        "damaged_to_decide",
        "damaged",
        "filed",
        "refund",
        photos=("cracked_item",),
        text="Cracked on arrival.",
    ),
    Plan(
        "wrong_item",
        "wrong_item",
        "needs_evidence",
        "reship",
        photos=("wrong_item",),
        text="Got a red one.",
        reason="a photo of the label on the item you received",
    ),
    Plan(
        "missing_refunded", "missing_item", "resolved", "refund", text="Only one of the two was in the box."
    ),
    Plan("warranty", "warranty", "in_review", "repair", photos=("cracked_item",), text="Stopped working."),
    Plan(
        "denied",
        "stolen",
        "denied",
        "refund",
        text="Never arrived.",
        reason="the carrier's photo shows the parcel handed to you at your door",
    ),
)


#: A customer's second claim, flagged by the outdoor shop's fraud guard.
FLAGGED = Plan("flagged_second_claim", "missing_item", "filed", "refund", text="Another item missing too.")


@dataclass
class ClaimsSummary:
    """What seeding the claims did: what each shows → (status, order number, claim page)."""

    links: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: Facts the claims added to the orders' ledger (a reship's new parcel).
    facts: int = 0


def claim_page_url(claim: Claim) -> str:
    """The claim's page for the customer (signed with its order's tracking link)."""
    path = reverse(
        "web:claim-status", kwargs={"token": make_tracking_token(claim.order), "number": claim.number}
    )
    return f"{base_url()}{path}"


def seed_claims(*, stores: dict[str, Store], now: datetime) -> ClaimsSummary:
    """One claim per :data:`PLANS` entry, alternating the shops, then the fraud guard's case: a
    second claim by a customer who already has one, at the shop whose policy flags it."""
    for slug, store in stores.items():
        if policy_current(store) is None:
            try:
                claim_policy_save(store=store, data=DEMO_POLICIES.get(slug, {}), actor="demo", now=now)
            except PolicyError:
                claim_policy_save(store=store, data={}, actor="demo", now=now)
    slugs = [b.slug for b in BRANDS if b.slug in stores]
    summary = ClaimsSummary()
    ledger = LedgerFact.objects.filter(store__in=list(stores.values()), source="claims")
    before = ledger.count()
    used: set[int] = set(Order.objects.filter(claims__isnull=False).values_list("pk", flat=True))
    used |= set(Return.objects.values_list("order_id", flat=True))
    for index, plan in enumerate(PLANS):
        for slug in [*slugs[index % len(slugs) :], *slugs[: index % len(slugs)]]:
            claim = _existing(stores[slug], plan) or _make(stores[slug], plan, now, used)
            if claim is not None:
                summary.links[plan.name] = (claim.status, claim.order.number, claim_page_url(claim))
                used.add(claim.order_id)
                break
    flagged = _flagged(stores, summary, now)
    if flagged is not None:
        summary.links["flagged_second_claim"] = (
            flagged.status,
            flagged.order.number,
            claim_page_url(flagged),
        )
    summary.facts = ledger.count() - before
    return summary


def demo_claim_links() -> dict[str, tuple[str, str, str]]:
    """The demo claims as the command lists them (without seeding): what each shows → (status,
    order number, claim page)."""
    plans = {(p.kind, p.text): p.name for p in (*PLANS, FLAGGED)}
    out = {}
    for claim in Claim.objects.filter(source="demo").select_related("order").order_by("created_at", "pk"):
        what = plans.get((claim.kind, claim.description))
        if what is not None:
            out[what] = (claim.status, claim.order.number, claim_page_url(claim))
    return out


def _existing(store: Store, plan: Plan) -> Claim | None:
    """The plan's claim from an earlier seeding (each plan's customer note is its own)."""
    claims = Claim.objects.filter(store=store, source="demo", kind=plan.kind, description=plan.text)
    return claims.select_related("order").first()


def _candidates(store: Store, steps: Sequence[str], used: set[int]) -> list[Order]:
    orders = Order.objects.filter(store=store, next_step__in=list(steps)).exclude(pk__in=used)
    found = list(orders.select_related("store").order_by("-placed_at", "pk")[:60])
    rank = {code: i for i, code in enumerate(steps)}
    return sorted(found, key=lambda o: rank.get(o.next_step, 99))


def _make(store: Store, plan: Plan, now: datetime, used: set[int]) -> Claim | None:
    for order in _candidates(store, plan.steps, used):
        open_ = [e for e in claim_eligibility(order, now=now) if e.kind == plan.kind and e.open]
        if not open_:
            continue
        item = open_[0]
        lines = [ClaimLineIn(line_id=line_id, quantity=1) for line_id, units in item.lines if units > 0][:1]
        if not lines:
            continue
        if plan.kind == "warranty":
            warranty_register(
                store=store, order=order, line_id=lines[0].line_id, serial_number="NW-2207-0193", now=now
            )
        claim = _seed(store, order, plan, lines, item.parcel_key, now)
        if claim is not None:
            return claim
    return None


def _seed(
    store: Store, order: Order, plan: Plan, lines: list[ClaimLineIn], parcel: str, now: datetime
) -> Claim | None:
    photos = [
        ClaimPhotoIn(name=f"{scene}.jpg", data=claim_photo(scene, seed=i), line_id=lines[0].line_id)
        for i, scene in enumerate(plan.photos)
    ]
    try:
        return claim_seed(
            store=store,
            order=order,
            kind=plan.kind,
            lines=lines,
            status=plan.status,
            photos=photos,
            resolution=plan.resolution,
            shipment=parcel,
            description=plan.text,
            reason=plan.reason,
            now=now
            - timedelta(hours=30)
            + timedelta(minutes=13 * [p.name for p in (*PLANS, FLAGGED)].index(plan.name)),
        )
    except (ClaimRefused, ClaimIllegalTransition):
        return None  # an order the policy turns down as it is: the next candidate is tried


def _flagged(stores: dict[str, Store], summary: ClaimsSummary, now: datetime) -> Claim | None:
    """A customer with one claim already files another (another item of the same order): the
    outdoor shop's fraud guard sends it to a person, with its reason."""
    store = stores.get("northwind")
    if store is None:
        return None
    plan = FLAGGED
    existing = _existing(store, plan)
    if existing is not None:
        return existing
    for claim in Claim.objects.filter(store=store, source="demo").select_related("order").order_by("pk"):
        open_ = [e for e in claim_eligibility(claim.order, now=now) if e.kind == plan.kind and e.open]
        for item in open_:
            lines = [ClaimLineIn(line_id=line_id, quantity=1) for line_id, units in item.lines if units > 0][
                :1
            ]
            if lines:
                made = _seed(store, claim.order, plan, lines, item.parcel_key, now + timedelta(hours=1))
                if made is not None:
                    return made
    return None
