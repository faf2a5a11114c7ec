"""Simulated shops for ``aftercart demo``: a month of orders with the journeys real parcels have.

Pure: no Django, no clock. Everything comes from ``random.Random`` seeded with the caller's seed and
from the ``now`` the caller passes, so the same seed and ``now`` give the same orders, numbers and
events, event for event. The output is the canonical API models (:class:`OrderIn` and the event
models), turned into facts by the same functions the REST API uses — the demo exercises the real
ingest path, it does not write tables.

How a journey is made: each order is given a *scenario* (delivered, in transit, out for delivery,
delayed, failed attempt, lost, damaged, pickup (one about to expire), unavailable item (with a
substitute when the product has another variant), split parcels, being prepared,
just placed, cancelled). Its whole timeline is simulated forward from the moment it was placed —
warehouse processing on business days, a carrier service's transit time, scans at plausible local
hours — and the order is placed at a moment such that ``now`` falls where the scenario wants it
(e.g. between "out for delivery" and "delivered"). Events after ``now`` are not emitted: the
simulation is cut at the present, like a real shop's data.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aftercart.domain.calendar import add_business_days, is_business_day
from aftercart.domain.carriers import carrier_info
from aftercart.domain.facts import Fact
from aftercart.integrations.canonical.schemas import (
    LineIn,
    LineStatusIn,
    OrderCancelledIn,
    OrderIn,
    PickupCollectedIn,
    PickupLocationIn,
    PickupReadyIn,
    ShipmentCreatedIn,
    ShipmentLineIn,
    TrackingEventIn,
    event_fact,
    order_placed_fact,
)

#: How far back the simulated orders go.
HISTORY = timedelta(days=30)

# --- the shops ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class City:
    """Where a customer lives."""

    name: str
    region: str
    postal_code: str
    country: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Service:
    """A carrier service: transit time in business days, and where it delivers."""

    carrier: str
    name: str
    transit: tuple[int, int]
    countries: tuple[str, ...]
    weight: int
    hubs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Product:
    """Something the shop sells."""

    sku: str
    title: str
    price: Decimal
    variants: tuple[str, ...] = ("",)


@dataclass(frozen=True, slots=True)
class PickupPoint:
    """A shop where customers collect click-and-collect orders."""

    name: str
    address: str
    hours: str
    closes_at: int  # local hour, for the collection deadline


@dataclass(frozen=True, slots=True)
class Brand:
    """One simulated shop: its store settings, catalogue, customers and carriers."""

    slug: str
    name: str
    country: str
    timezone: str
    locale: str
    currency: str
    number_prefix: str
    share: float
    branding: dict[str, Any]
    warehouse: str
    services: tuple[Service, ...]
    cities: tuple[City, ...]
    products: tuple[Product, ...]
    pickup_points: tuple[PickupPoint, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    email_domains: tuple[str, ...]
    free_shipping_over: Decimal
    shipping_fee: Decimal

    @property
    def tz(self) -> ZoneInfo:
        """The shop's (and its warehouse's) time zone."""
        return ZoneInfo(self.timezone)


def _logo(initials: str, background: str, foreground: str) -> str:
    """A small SVG logo as a data: URI, so the demo needs no files or network."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="48" viewBox="0 0 160 48">'
        f'<rect width="160" height="48" rx="8" fill="{background}"/>'
        f'<text x="80" y="32" font-family="Georgia,serif" font-size="24" text-anchor="middle" '
        f'fill="{foreground}">{initials}</text></svg>'
    )
    return "data:image/svg+xml;utf8," + quote(svg)


NORTHWIND = Brand(
    slug="northwind",
    name="Northwind Outfitters",
    country="US",
    timezone="America/New_York",
    locale="en",
    currency="USD",
    number_prefix="NW",
    share=0.55,
    branding={
        "primary_colour": "#1F4E3D",
        "accent_colour": "#E07A2F",
        "logo_url": _logo("Northwind", "#1F4E3D", "#F4EFE6"),
        "support_email": "help@northwind.example",
        "support_phone": "+1 212 555 0142",
        "support_url": "https://northwind.example/help",
        "footer_links": [
            {"label": "Returns & exchanges", "url": "https://northwind.example/returns"},
            {"label": "Shipping policy", "url": "https://northwind.example/shipping"},
            {"label": "Privacy", "url": "https://northwind.example/privacy"},
        ],
    },
    warehouse="Columbus, OH, US",
    services=(
        Service("ups", "UPS Ground", (1, 5), ("US",), 26, ("Louisville, KY, US", "Chicago, IL, US")),
        Service("ups", "UPS 2nd Day Air", (2, 2), ("US",), 6, ("Louisville, KY, US",)),
        Service("fedex", "FedEx Ground", (1, 5), ("US",), 22, ("Memphis, TN, US", "Indianapolis, IN, US")),
        Service("fedex", "FedEx Express Saver", (3, 3), ("US",), 5, ("Memphis, TN, US",)),
        Service(
            "usps", "USPS Ground Advantage", (2, 5), ("US",), 20, ("Columbus, OH, US", "Chicago, IL, US")
        ),
        Service("usps", "Priority Mail", (1, 3), ("US",), 9, ("Columbus, OH, US",)),
        Service(
            "dhl_express",
            "DHL Express Worldwide",
            (2, 4),
            ("CA", "GB"),
            12,
            ("Cincinnati, OH, US", "East Midlands, GB"),
        ),
    ),
    cities=(
        City("Brooklyn", "NY", "11215", "US", "America/New_York"),
        City("Boston", "MA", "02116", "US", "America/New_York"),
        City("Philadelphia", "PA", "19103", "US", "America/New_York"),
        City("Atlanta", "GA", "30306", "US", "America/New_York"),
        City("Asheville", "NC", "28801", "US", "America/New_York"),
        City("Chicago", "IL", "60614", "US", "America/Chicago"),
        City("Minneapolis", "MN", "55408", "US", "America/Chicago"),
        City("Austin", "TX", "78704", "US", "America/Chicago"),
        City("Denver", "CO", "80205", "US", "America/Denver"),
        City("Boulder", "CO", "80302", "US", "America/Denver"),
        City("Seattle", "WA", "98103", "US", "America/Los_Angeles"),
        City("Portland", "OR", "97214", "US", "America/Los_Angeles"),
        City("San Francisco", "CA", "94110", "US", "America/Los_Angeles"),
        City("Toronto", "ON", "M5V 2T6", "CA", "America/Toronto"),
        City("Vancouver", "BC", "V6B 1A1", "CA", "America/Vancouver"),
        City("London", "England", "N1 9GU", "GB", "Europe/London"),
        City("Edinburgh", "Scotland", "EH1 1YZ", "GB", "Europe/London"),
    ),
    products=(
        Product(
            "NW-RJ-100", "Trailhead Rain Jacket", Decimal("189.00"), ("S / Moss", "M / Moss", "L / Slate")
        ),
        Product("NW-BL-210", "Merino Base Layer", Decimal("84.00"), ("S", "M", "L", "XL")),
        Product("NW-DP-030", "Summit 30L Daypack", Decimal("129.00"), ("Rust", "Black")),
        Product("NW-HB-440", "Ridge Hiking Boots", Decimal("219.00"), ("US 8", "US 9", "US 10", "US 11")),
        Product("NW-SK-012", "Wool Hiking Socks (3-pack)", Decimal("36.00"), ("M", "L")),
        Product("NW-FL-300", "Basecamp Fleece", Decimal("98.00"), ("S", "M", "L")),
        Product("NW-TN-002", "Ultralight 2P Tent", Decimal("349.00")),
        Product("NW-HL-150", "Headlamp 400", Decimal("42.00")),
        Product("NW-BT-075", "Insulated Bottle 750 ml", Decimal("32.00"), ("Pine", "Sand")),
        Product("NW-CP-060", "Camp Mug Set", Decimal("28.00")),
    ),
    pickup_points=(
        PickupPoint(
            "Northwind Outfitters Brooklyn",
            "210 Atlantic Ave, Brooklyn, NY 11201",
            "Mon–Sat 10:00–20:00, Sun 11:00–18:00",
            20,
        ),
        PickupPoint(
            "Northwind Outfitters Boulder", "1640 Pearl St, Boulder, CO 80302", "Daily 10:00–19:00", 19
        ),
    ),
    first_names=("Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Chloe", "Lucas", "Priya", "Diego", "Hannah"),
    last_names=(
        "Carter",
        "Nguyen",
        "Patel",
        "Johnson",
        "Kim",
        "Rivera",
        "Okafor",
        "Schmidt",
        "Brooks",
        "Lee",
    ),
    email_domains=("example.com", "example.org", "example.net"),
    free_shipping_over=Decimal("150.00"),
    shipping_fee=Decimal("8.95"),
)

LUMIERE = Brand(
    slug="lumiere",
    name="Maison Lumière",
    country="FR",
    timezone="Europe/Paris",
    locale="fr",
    currency="EUR",
    number_prefix="ML",
    share=0.45,
    branding={
        "primary_colour": "#2B2D42",
        "accent_colour": "#C9A96E",
        "logo_url": _logo("Lumière", "#2B2D42", "#C9A96E"),
        "support_email": "bonjour@lumiere.example",
        "support_phone": "+33 1 99 00 12 34",
        "support_url": "https://lumiere.example/aide",
        "footer_links": [
            {"label": "Retours", "url": "https://lumiere.example/retours"},
            {"label": "Livraison", "url": "https://lumiere.example/livraison"},
            {"label": "Mentions légales", "url": "https://lumiere.example/mentions-legales"},
        ],
    },
    warehouse="Lyon, FR",
    services=(
        Service("laposte", "Colissimo", (2, 3), ("FR",), 36, ("Chilly-Mazarin, FR", "Saint-Priest, FR")),
        Service("dpd", "DPD Predict", (1, 2), ("FR", "BE"), 24, ("Vénissieux, FR",)),
        Service("ups", "UPS Standard", (2, 4), ("FR", "BE", "DE"), 16, ("Corbeil-Essonnes, FR", "Köln, DE")),
        Service("dhl_express", "DHL Express", (1, 3), ("GB", "CH", "DE"), 14, ("Roissy-en-France, FR",)),
    ),
    cities=(
        City("Paris", "Île-de-France", "75011", "FR", "Europe/Paris"),
        City("Paris", "Île-de-France", "75017", "FR", "Europe/Paris"),
        City("Lyon", "Auvergne-Rhône-Alpes", "69003", "FR", "Europe/Paris"),
        City("Bordeaux", "Nouvelle-Aquitaine", "33000", "FR", "Europe/Paris"),
        City("Nantes", "Pays de la Loire", "44000", "FR", "Europe/Paris"),
        City("Lille", "Hauts-de-France", "59000", "FR", "Europe/Paris"),
        City("Marseille", "Provence-Alpes-Côte d'Azur", "13006", "FR", "Europe/Paris"),
        City("Strasbourg", "Grand Est", "67000", "FR", "Europe/Paris"),
        City("Bruxelles", "Bruxelles-Capitale", "1050", "BE", "Europe/Brussels"),
        City("Köln", "Nordrhein-Westfalen", "50667", "DE", "Europe/Berlin"),
        City("Genève", "Genève", "1204", "CH", "Europe/Zurich"),
        City("London", "England", "SW1A 1AA", "GB", "Europe/London"),
    ),
    products=(
        Product("ML-BG-FIG", "Bougie parfumée Figuier", Decimal("42.00"), ("190 g", "420 g")),
        Product("ML-BG-AMB", "Bougie parfumée Ambre", Decimal("42.00"), ("190 g", "420 g")),
        Product("ML-PL-LIN", "Plaid en lin lavé", Decimal("129.00"), ("Naturel", "Terracotta")),
        Product("ML-VS-GRE", "Vase en grès", Decimal("68.00"), ("Petit", "Grand")),
        Product("ML-CF-VER", "Carafe en verre soufflé", Decimal("55.00")),
        Product("ML-CS-VEL", "Coussin velours", Decimal("49.00"), ("Sauge", "Ocre", "Nuit")),
        Product("ML-DF-NER", "Diffuseur Néroli", Decimal("58.00")),
        Product("ML-NP-LIN", "Nappe en lin", Decimal("95.00"), ("160 × 250", "160 × 300")),
        Product("ML-BL-CER", "Bol en céramique", Decimal("24.00"), ("Blanc", "Sable")),
    ),
    pickup_points=(
        PickupPoint(
            "Boutique Lumière Marais", "12 rue Vieille-du-Temple, 75004 Paris", "Mar–Sam 10h–19h", 19
        ),
        PickupPoint("Boutique Lumière Lyon", "8 rue Mercière, 69002 Lyon", "Mar–Sam 10h30–19h", 19),
    ),
    first_names=(
        "Camille",
        "Léa",
        "Hugo",
        "Chloé",
        "Louis",
        "Manon",
        "Jules",
        "Inès",
        "Arthur",
        "Zoé",
        "Nathan",
    ),
    last_names=("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Fontaine", "Roux"),
    email_domains=("example.fr", "example.com", "example.org"),
    free_shipping_over=Decimal("90.00"),
    shipping_fee=Decimal("6.90"),
)

BRANDS: tuple[Brand, ...] = (NORTHWIND, LUMIERE)

# --- scenarios ------------------------------------------------------------------------------------

#: Scenario → weight. The name says where ``now`` falls in the order's journey.
SCENARIO_WEIGHTS: dict[str, int] = {
    "delivered": 40,
    "delivered_after_delay": 4,
    "delivered_after_attempt": 4,
    "delivered_split": 5,
    "pickup_collected": 3,
    "in_transit": 12,
    "out_for_delivery": 4,
    "delayed": 4,
    "attempt_failed": 3,
    "lost": 1,
    # The carrier stopped scanning the parcel days ago (it will be found, or declared lost, later):
    # the page says since when and that the shop is chasing it.
    "stalled": 1,
    "damaged": 1,
    "returning": 1,
    "pickup_ready": 3,
    "item_unavailable": 2,
    # Ready for pickup and not collected, the deadline less than a day away: the customer is
    # reminded and may extend it once or have it delivered.
    "pickup_expiring": 1,
    "partially_shipped": 3,
    "being_prepared": 5,
    # A backorder at the warehouse: past the two-business-day handling SLA with nothing shipped,
    # the customer is asked to keep waiting or cancel.
    "late_to_ship": 1,
    "just_placed": 3,
    "cancelled": 3,
}

#: Every shop gets each scenario at least once, so the demo always shows every situation that
#: ``now`` allows (nothing is out for delivery at 3 a.m.).
REQUIRED_SCENARIOS = tuple(SCENARIO_WEIGHTS)

#: When a scenario cannot happen at ``now`` (out for delivery on a Sunday night), the next one
#: that can.
FALLBACKS = ("in_transit", "delivered")

# Carrier-style raw codes and texts. Illustrative: close to what each carrier shows, not a spec.
_EVENTS = ("label", "accepted", "departure", "arrival", "moving", "customs", "ofd", "delivered", "attempt")
_EVENTS += ("delayed", "lost", "damaged", "rts")
_RAW_CODES: dict[str, dict[str, str]] = {
    carrier: dict(zip(_EVENTS, codes.split(), strict=True))
    for carrier, codes in {
        "ups": "MP OR DP AR IT CC OT KB 48 DY X1 X2 RS",
        "fedex": "OC PU DP AR IT CC OD DL DE DY SE DE RS",
        "usps": "GX 03 L1 10 NT CC OF 01 02 DY LS DM 09",
        "dhl_express": "PU PL DF AF TR CR WC OK NH OH MS DM RT",
        "laposte": "DR1 PC1 ET1 ET2 ET3 DO1 MD2 DI1 AG1 RE1 PB1 ND1 RE2",
        "dpd": "01 02 03 04 08 07 05 13 14 18 28 27 23",
    }.items()
}

#: Our tag and subtag for each kind of scan.
_EVENT_STATUS: dict[str, tuple[str, str]] = {
    "label": ("info_received", "info_received"),
    "accepted": ("in_transit", "in_transit.accepted"),
    "departure": ("in_transit", "in_transit.departure_scan"),
    "arrival": ("in_transit", "in_transit.arrival_scan"),
    "moving": ("in_transit", "in_transit"),
    "customs": ("in_transit", "in_transit.customs_cleared"),
    "ofd": ("out_for_delivery", "out_for_delivery"),
    "delivered": ("delivered", "delivered"),
    "attempt": ("attempt_fail", "attempt_fail.addressee_unavailable"),
    "delayed": ("exception", "exception.delayed"),
    "lost": ("exception", "exception.lost"),
    "damaged": ("exception", "exception.damaged"),
    "rts": ("exception", "exception.return_to_sender"),
}

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "label": "Shipping label created; the carrier has not received the parcel yet",
        "accepted": "Picked up by the carrier",
        "departure": "Departed from facility",
        "moving": "In transit to the next facility",
        "arrival": "Arrived at facility",
        "customs": "Customs clearance completed",
        "ofd": "Out for delivery",
        "delivered": "Delivered",
        "delivered.signed": "Delivered, signed for",
        "delivered.neighbour": "Delivered to a neighbour",
        "attempt": "Delivery attempted, no one available. A notice was left",
        "lost": "The parcel cannot be located; the trace is closed",
        "damaged": "The parcel was damaged in transit; contents are being evaluated",
        "rts": "Delivery attempts exhausted; returning to sender",
        "delayed.weather": "Delay: severe weather in the area",
        "delayed.volume": "Delay: volume exceeds network capacity",
        "delayed.trailer": "Delay: late trailer arrival",
    },
    "fr": {
        "label": "Votre colis est annoncé ; il n'a pas encore été remis au transporteur",
        "accepted": "Votre colis a été pris en charge",
        "departure": "Votre colis a quitté le site",
        "moving": "Votre colis est en cours d'acheminement",
        "arrival": "Votre colis est arrivé sur le site",
        "customs": "Dédouanement terminé",
        "ofd": "Votre colis est en cours de livraison",
        "delivered": "Votre colis a été livré",
        "delivered.signed": "Votre colis a été livré contre signature",
        "delivered.neighbour": "Votre colis a été livré chez un voisin",
        "attempt": "Destinataire absent ; un avis de passage a été déposé",
        "lost": "Votre colis n'a pas pu être localisé",
        "damaged": "Votre colis a été endommagé pendant son acheminement",
        "rts": "Votre colis est en retour vers l'expéditeur",
        "delayed.weather": "Retard : conditions météorologiques",
        "delayed.volume": "Retard : afflux exceptionnel de colis",
        "delayed.trailer": "Retard : arrivée tardive du camion",
    },
}

_TRACKING_FORMATS: dict[str, Callable[[random.Random], str]] = {
    "ups": lambda r: "1Z" + "".join(r.choices("0123456789ABCDEFGHJKLMNPRSTVWXY", k=6)) + "03" + _digits(r, 8),
    "fedex": lambda r: _digits(r, 12),
    "usps": lambda r: "9400" + _digits(r, 18),
    "dhl_express": lambda r: _digits(r, 10),
    "laposte": lambda r: "6A" + _digits(r, 11),
    "dpd": lambda r: _digits(r, 14),
}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choices("0123456789", k=n))


# --- output ---------------------------------------------------------------------------------------


@dataclass
class SimulatedOrder:
    """One simulated order: the order as created, its events up to ``now``, and its scenario."""

    brand: str
    scenario: str
    order: OrderIn
    events: list[Any] = field(default_factory=list)

    def facts(self) -> list[Fact]:
        """The facts the REST API would record for this order and its events."""
        return [order_placed_fact(self.order), *(event_fact(e) for e in self.events)]


# --- one journey ----------------------------------------------------------------------------------


@dataclass
class _Step:
    at: datetime
    label: str
    kind: str
    data: dict[str, Any]


@dataclass
class _Parcel:
    """What happened to one parcel, for the scenario windows."""

    number: int
    created: datetime
    accepted: datetime | None = None
    ofd: datetime | None = None
    delivered: datetime | None = None
    end: datetime | None = None  # the event that decides the scenario (attempt, delay, loss...)
    after_end: datetime | None = None  # the next event after ``end``, if any


class _Journey:
    """Simulates one order forward from ``placed``; ``window`` is when its scenario is true."""

    def __init__(self, brand: Brand, rng: random.Random, placed: datetime, scenario: str) -> None:
        self.brand = brand
        self.rng = rng
        self.placed = placed
        self.scenario = scenario
        self.steps: list[_Step] = []
        self.window: tuple[datetime, datetime | None] = (placed, None)
        self.service = self._service()
        self.city = rng.choice([c for c in brand.cities if c.country in self.service.countries])
        self.lines = self._lines()

    # helpers --------------------------------------------------------------------------------------

    def _service(self) -> Service:
        services = self.brand.services
        return self.rng.choices(services, weights=[s.weight for s in services])[0]

    def _lines(self) -> list[dict[str, Any]]:
        rng = self.rng
        if self.scenario in ("delivered_split", "partially_shipped"):
            count = rng.randint(2, 4)
        elif self.scenario == "item_unavailable":
            count = rng.randint(2, 3)
        else:
            count = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
        products = rng.sample(self.brand.products, count)
        return [
            {
                "line_id": str(n),
                "sku": p.sku,
                "title": p.title,
                "variant": rng.choice(p.variants),
                "product_id": p.sku.rsplit("-", 1)[0].lower(),
                "quantity": rng.choices((1, 2), weights=(85, 15))[0],
                "unit_price": p.price,
            }
            for n, p in enumerate(products, start=1)
        ]

    def at(self, day: date, hours: tuple[float, float], tz: str | None = None) -> datetime:
        """A random moment on ``day`` between two local hours, in UTC."""
        hour = self.rng.uniform(*hours)
        moment = time(int(hour), int(hour % 1 * 60), self.rng.randrange(60))
        return datetime.combine(day, moment, tzinfo=ZoneInfo(tz or self.brand.timezone)).astimezone(UTC)

    def local_date(self, moment: datetime, tz: str | None = None) -> date:
        """The calendar date of ``moment`` in a time zone (the shop's by default)."""
        return moment.astimezone(ZoneInfo(tz or self.brand.timezone)).date()

    def minutes(self, lo: float, hi: float) -> timedelta:
        """A random duration between ``lo`` and ``hi`` minutes."""
        return timedelta(minutes=self.rng.uniform(lo, hi))

    def add(self, at: datetime, label: str, kind: str, **data: Any) -> datetime:
        """Record a step and return its time."""
        self.steps.append(_Step(at, label, kind, data))
        return at

    def line_status(self, at: datetime, line_ids: list[str], status: str, **extra: Any) -> datetime:
        """The same fulfilment status for several lines at once."""
        for line_id in line_ids:
            self.add(at, f"line:{line_id}:{status}", "line.status", line_id=line_id, status=status, **extra)
        return at

    # the warehouse ---------------------------------------------------------------------------------

    def confirm(self) -> datetime:
        """Payment captured a few minutes after checkout."""
        confirmed = self.placed + self.minutes(1, 8)
        return self.line_status(confirmed, self.line_ids, "confirmed")

    @property
    def line_ids(self) -> list[str]:
        """Every line of the order."""
        return [ln["line_id"] for ln in self.lines]

    def allocate(self, after: datetime) -> datetime:
        """Stock is reserved at once during working hours, else the next business morning."""
        local = after.astimezone(self.brand.tz)
        if is_business_day(local.date(), self.brand.country) and 8 <= local.hour < 17:
            return after + self.minutes(10, 90)
        day = add_business_days(local.date(), 1 if local.hour >= 8 else 0, self.brand.country)
        return max(self.at(day, (8.0, 9.5)), after + self.minutes(5, 10))

    def ship_day(self, allocated: datetime) -> date:
        """Processing takes 0–2 business days: same day when allocated before the 1 p.m. cut-off."""
        local = allocated.astimezone(self.brand.tz)
        same_day = is_business_day(local.date(), self.brand.country) and local.hour < 13
        if same_day and self.rng.random() < 0.6:
            return local.date()
        return add_business_days(
            local.date(), self.rng.choices((1, 2), weights=(75, 25))[0], self.brand.country
        )

    def prepare(self, line_ids: list[str], allocated: datetime, day: date) -> datetime:
        """Picking and packing on ``day``; returns when the parcel is packed."""
        picking = max(self.at(day, (9.0, 13.5)), allocated + self.minutes(15, 60))
        self.line_status(picking, line_ids, "picking")
        packed = picking + self.minutes(15, 75)
        return self.line_status(packed, line_ids, "packed")

    # the carrier -----------------------------------------------------------------------------------

    def scan(
        self, number: str, at: datetime, event: str, key: str, *, subtag: str = "", **kw: Any
    ) -> datetime:
        """One carrier checkpoint, as the carrier would send it: by tracking number, no order id."""
        carrier = self.service.carrier
        tag, default_subtag = _EVENT_STATUS[event]
        subtag = subtag or default_subtag
        texts = _TEXTS["fr" if self.brand.locale == "fr" and carrier in ("laposte", "dpd") else "en"]
        message = texts.get(kw.pop("text", "") or subtag) or texts[event]
        return self.add(
            at,
            key,
            "tracking.event",
            tracking_number=number,
            carrier=carrier,
            tag=tag,
            subtag=subtag,
            raw_code=_RAW_CODES[carrier][event],
            raw_message=message,
            **kw,
        )

    def parcel(
        self,
        n: int,
        line_ids: list[str],
        packed: datetime,
        day: date,
        *,
        outcome: str = "delivered",
        delay: bool = False,
        attempt: str = "",
    ) -> _Parcel:
        """Label, hand-over and transit of one parcel, ending as ``outcome``.

        ``outcome``: delivered, lost, damaged. ``attempt``: "" (delivered first time), "redeliver"
        (a failed attempt, delivered the next business day), "stuck" (a failed attempt, nothing
        since), "return" (three failed attempts, then back to the sender). ``delay``: the carrier
        reports a delay and a later estimated delivery on the way.
        """
        rng, service, brand = self.rng, self.service, self.brand
        origin, dest_tz = brand.country, self.city.timezone
        number = _TRACKING_FORMATS[service.carrier](rng)
        k = f"ship:{n}:scan"

        def scan(at: datetime, event: str, suffix: str = "", **kw: Any) -> datetime:
            moment = self.scan(number, at, event, f"{k}:{event}{suffix}", **kw)
            if result.end and result.after_end is None and moment > result.end:
                result.after_end = moment  # the first news after the scenario's event
            return moment

        label = packed + self.minutes(5, 25)
        transit = rng.randint(*service.transit)
        estimate = add_business_days(day, transit + rng.choice((0, 0, 1)), origin)
        self.add(
            label,
            f"ship:{n}:created",
            "shipment.created",
            parcel=n,
            carrier=service.carrier,
            service=service.name,
            tracking_number=number,
            tracking_url=carrier_info(service.carrier).url_for(number),
            lines=[{"line_id": i, "quantity": self._quantity(i)} for i in line_ids],
            estimated_delivery=estimate,
        )
        result = _Parcel(n, created=label)
        scan(label, "label")
        accepted = max(self.at(day, (16.5, 18.75)), label + self.minutes(30, 60))
        result.accepted = scan(accepted, "accepted", location=brand.warehouse)
        scan(accepted + self.minutes(90, 240), "departure", location=brand.warehouse)
        hub = rng.choice(service.hubs)
        first_day = add_business_days(day, 1, origin)
        arrived = scan(self.at(first_day, (1.0, 5.0)), "arrival", ":hub", location=hub)
        if outcome == "lost":
            # The parcel goes silent; the carrier declares it lost after a week of searching.
            lost_day = add_business_days(first_day, rng.randint(5, 7), origin)
            result.end = scan(self.at(lost_day, (10.0, 16.0)), "lost", location=hub)
            return result
        if outcome == "damaged":
            result.end = scan(arrived + self.minutes(60, 300), "damaged", location=hub)
            return result

        delivery_day = add_business_days(day, transit, origin)
        if delay:
            late = rng.randint(1, 3)
            new_estimate = add_business_days(max(estimate, delivery_day), late, origin)
            delivery_day = add_business_days(delivery_day, late, origin)
            reason = rng.choice(("delayed.weather", "delayed.volume", "delayed.trailer"))
            result.end = scan(
                arrived + self.minutes(60, 240),
                "delayed",
                text=reason,
                location=hub,
                estimated_delivery=new_estimate,
            )
        # Long hauls show a scan a day on the way, as carriers' "in transit" updates do.
        scan_day = first_day
        while add_business_days(scan_day, 1, origin) < delivery_day:
            scan_day = add_business_days(scan_day, 1, origin)
            scan(self.at(scan_day, (2.0, 6.0)), "moving", f":{scan_day.isoformat()}")
        place = f"{self.city.name}, {self.city.region}, {self.city.country}"
        if self.city.country != brand.country:
            scan(
                self.at(delivery_day, (0.5, 2.5), dest_tz),
                "customs",
                location=f"{self.city.name}, {self.city.country}",
            )
        scan(self.at(delivery_day, (3.0, 6.0), dest_tz), "arrival", ":local", location=place)
        result.ofd = scan(self.at(delivery_day, (7.0, 9.5), dest_tz), "ofd", location=place)
        attempts = {"": 0, "redeliver": 1, "stuck": 1, "return": 3}[attempt]
        for tried in range(1, attempts + 1):
            if tried > 1:
                scan(self.at(delivery_day, (7.0, 9.5), dest_tz), "ofd", f":{tried}", location=place)
            moment = scan(
                self.at(delivery_day, (10.5, 18.0), dest_tz), "attempt", f":{tried}", location=place
            )
            result.end = result.end or moment
            delivery_day = add_business_days(delivery_day, 1, origin)
        if attempt == "stuck":
            return result
        if attempt == "return":
            result.end = scan(self.at(delivery_day, (6.0, 9.0), dest_tz), "rts", location=place)
            return result
        if attempt == "redeliver":
            result.ofd = scan(self.at(delivery_day, (7.0, 9.5), dest_tz), "ofd", ":2", location=place)
        subtag = rng.choices(("delivered", "delivered.signed", "delivered.neighbour"), weights=(70, 20, 10))[
            0
        ]
        result.delivered = scan(
            self.at(delivery_day, (10.0, 19.5), dest_tz), "delivered", subtag=subtag, location=place
        )
        return result

    def _quantity(self, line_id: str) -> int:
        return next(int(ln["quantity"]) for ln in self.lines if ln["line_id"] == line_id)

    # scenarios -------------------------------------------------------------------------------------

    def run(self) -> None:
        """Simulate the whole journey of the scenario and set its window."""
        getattr(self, f"_{self.scenario}")()

    def _shipped(self, **kw: Any) -> _Parcel:
        confirmed = self.confirm()
        allocated = self.line_status(self.allocate(confirmed), self.line_ids, "allocated")
        day = self.ship_day(allocated)
        packed = self.prepare(self.line_ids, allocated, day)
        return self.parcel(1, self.line_ids, packed, day, **kw)

    def _delivered(self) -> None:
        parcel = self._shipped()
        self.window = (parcel.delivered, None)  # type: ignore[assignment]

    def _delivered_after_delay(self) -> None:
        parcel = self._shipped(delay=True)
        self.window = (parcel.delivered, None)  # type: ignore[assignment]

    def _delivered_after_attempt(self) -> None:
        parcel = self._shipped(attempt="redeliver")
        self.window = (parcel.delivered, None)  # type: ignore[assignment]

    def _in_transit(self) -> None:
        parcel = self._shipped()
        self.window = (parcel.created, parcel.ofd)

    def _out_for_delivery(self) -> None:
        parcel = self._shipped()
        self.window = (parcel.ofd, parcel.delivered)  # type: ignore[assignment]

    def _delayed(self) -> None:
        parcel = self._shipped(delay=True)
        self.window = (parcel.end, parcel.after_end)  # type: ignore[assignment]

    def _attempt_failed(self) -> None:
        parcel = self._shipped(attempt=self.rng.choice(("redeliver", "redeliver", "stuck")))
        self.window = (parcel.end, parcel.after_end)  # type: ignore[assignment]

    def _lost(self) -> None:
        self.window = (self._shipped(outcome="lost").end, None)  # type: ignore[assignment]

    def _stalled(self) -> None:
        # The journey of a parcel that goes silent after the hub scan; ``now`` falls in the silence,
        # in the last three days before the carrier gives up on it (5 business days after the hub
        # scan, so 4 days and some hours after it at the earliest: past the default stall threshold
        # of 48 business hours whatever the weekday, and reachable from any ``now``, weekends too).
        end = self._shipped(outcome="lost").end
        assert end is not None
        self.window = (end - timedelta(days=3), end)

    def _damaged(self) -> None:
        self.window = (self._shipped(outcome="damaged").end, None)  # type: ignore[assignment]

    def _returning(self) -> None:
        self.window = (self._shipped(attempt="return").end, None)  # type: ignore[assignment]

    def _split(self, *, second_lag: tuple[int, int]) -> tuple[_Parcel, _Parcel]:
        """Two parcels: the second part of the order ships later (a backorder from another site)."""
        ids = self.line_ids
        cut = self.rng.randint(1, len(ids) - 1)
        first, second = ids[:cut], ids[cut:]
        allocated = self.line_status(self.allocate(self.confirm()), ids, "allocated")
        day = self.ship_day(allocated)
        a = self.parcel(1, first, self.prepare(first, allocated, day), day)
        later = add_business_days(day, self.rng.randint(*second_lag), self.brand.country)
        b = self.parcel(2, second, self.prepare(second, allocated, later), later)
        return a, b

    def _delivered_split(self) -> None:
        a, b = self._split(second_lag=(0, 2))
        self.window = (max(a.delivered, b.delivered), None)  # type: ignore[type-var]

    def _partially_shipped(self) -> None:
        a, b = self._split(second_lag=(2, 4))
        self.window = (a.created, min(a.ofd, b.created))  # type: ignore[type-var]

    def _item_unavailable(self) -> None:
        ids = self.line_ids
        missing, rest = ids[-1:], ids[:-1]
        allocated = self.line_status(self.allocate(self.confirm()), rest, "allocated")
        # The warehouse finds the shelf empty when allocating; the rest of the order goes ahead.
        gone = self.line_status(
            allocated,
            missing,
            "unavailable",
            reason="Out of stock at the warehouse",
            **self._substitute(missing[0]),
        )
        day = self.ship_day(allocated)
        self.parcel(1, rest, self.prepare(rest, allocated, day), day)
        self.window = (gone, None)

    def _substitute(self, line_id: str) -> dict[str, str]:
        """The same product in another variant, when it comes in more than one: what the shop
        offers the customer instead of the missing line (no randomness: the journey stays the same)."""
        line = next(ln for ln in self.lines if ln["line_id"] == line_id)
        product = next((p for p in self.brand.products if p.sku == line["sku"]), None)
        others = [v for v in (product.variants if product else ()) if v and v != line["variant"]]
        return {"substitute": f"{line['title']} ({others[0]})"} if others else {}

    def _being_prepared(self) -> None:
        allocated = self.line_status(self.allocate(self.confirm()), self.line_ids, "allocated")
        day = self.ship_day(allocated)
        parcel = self.parcel(1, self.line_ids, self.prepare(self.line_ids, allocated, day), day)
        self.window = (allocated, parcel.created)

    def _late_to_ship(self) -> None:
        # Stock reserved, then nothing for a week: the parcel leaves five to seven business days
        # later. ``now`` falls after the handling SLA (five days after checkout: at least two
        # business days, whatever the weekday) and before it ships.
        allocated = self.line_status(self.allocate(self.confirm()), self.line_ids, "allocated")
        late = add_business_days(self.local_date(allocated), self.rng.randint(5, 7), self.brand.country)
        parcel = self.parcel(1, self.line_ids, self.prepare(self.line_ids, allocated, late), late)
        self.window = (self.placed + timedelta(days=5), parcel.created)

    def _just_placed(self) -> None:
        confirmed = self.confirm()
        allocated = self.line_status(self.allocate(confirmed), self.line_ids, "allocated")
        self.window = (self.placed, allocated)

    def _cancelled(self) -> None:
        confirmed = self.confirm()
        cancel_at = confirmed + self.minutes(10, 20 * 60)
        allocated = self.allocate(confirmed)
        if allocated < cancel_at:
            self.line_status(allocated, self.line_ids, "allocated")
        reason = self.rng.choice(
            ("Customer asked to cancel", "Payment declined", "Duplicate order", "Failed fraud check")
        )
        self.add(cancel_at, "cancelled", "order.cancelled", reason=reason)
        self.window = (cancel_at, None)

    def _pickup(self, varied_hold: bool = False) -> tuple[datetime, datetime, datetime]:
        """Click and collect at one of the shop's stores; returns (ready, collected, deadline).

        Parcels are held a week; with ``varied_hold`` five to eight days, set by the checkout hour,
        so that placing the order at another moment can put the deadline on any day of the week
        (stores open at weekends): the scenario then fits whatever day ``now`` is."""
        point = self.rng.choice(self.brand.pickup_points)
        allocated = self.line_status(self.allocate(self.confirm()), self.line_ids, "allocated")
        day = self.ship_day(allocated)
        packed = self.prepare(self.line_ids, allocated, day)
        # Store transfers arrive the next business day.
        ready_day = add_business_days(day, 1, self.brand.country)
        ready = max(self.at(ready_day, (10.0, 12.0)), packed + self.minutes(60, 120))
        ready_day = self.local_date(ready)
        hold = 5 + int(self.placed.timestamp() // 3600) % 4 if varied_hold else 7
        deadline_day = ready_day + timedelta(days=hold)
        deadline = datetime.combine(deadline_day, time(point.closes_at), tzinfo=self.brand.tz).astimezone(UTC)
        lines = [{"line_id": i, "quantity": self._quantity(i)} for i in self.line_ids]
        location = {"name": point.name, "address": point.address, "hours": point.hours}
        self.add(ready, "pickup:ready", "pickup.ready", lines=lines, location=location, deadline=deadline)
        collected_day = self.local_date(ready) + timedelta(days=self.rng.choice((0, 1, 1, 2, 3, 5)))
        collected = max(
            self.at(collected_day, (11.0, float(point.closes_at) - 0.5)), ready + self.minutes(30, 90)
        )
        return ready, collected, deadline

    def _pickup_ready(self) -> None:
        ready, collected, _deadline = self._pickup()
        if self.rng.random() < 0.5:
            self.add(collected, "pickup:collected", "pickup.collected", lines=self._all_lines())
            self.window = (ready, collected)
        else:
            self.window = (ready, ready + timedelta(days=7))  # not collected yet

    def _pickup_expiring(self) -> None:
        _ready, _collected, deadline = self._pickup(varied_hold=True)
        # Never collected; ``now`` falls in the last day before the deadline (whatever the hour),
        # when the sweep sends the reminder and the page offers to extend it or deliver it.
        self.window = (deadline - timedelta(hours=23, minutes=59), deadline - timedelta(minutes=1))

    def _pickup_collected(self) -> None:
        _, collected, _deadline = self._pickup()
        self.window = (
            self.add(collected, "pickup:collected", "pickup.collected", lines=self._all_lines()),
            None,
        )

    def _all_lines(self) -> list[dict[str, Any]]:
        return [{"line_id": i, "quantity": self._quantity(i)} for i in self.line_ids]


# --- the whole simulation -------------------------------------------------------------------------


def simulate(*, seed: int, orders: int, now: datetime) -> list[SimulatedOrder]:
    """``orders`` simulated orders for the demo shops, placed over the 30 days before ``now``.

    Deterministic for a given ``seed`` and ``now``. Orders are numbered per shop in the order they
    were placed. No event after ``now`` is included.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    rng = random.Random(seed)
    out: list[SimulatedOrder] = []
    remaining = orders
    for index, brand in enumerate(BRANDS):
        count = remaining if index == len(BRANDS) - 1 else round(orders * brand.share)
        remaining -= count
        out.extend(_brand_orders(brand, count, seed, rng, now))
    return out


def _scenarios(count: int, rng: random.Random) -> list[str]:
    names = list(SCENARIO_WEIGHTS)
    chosen = list(REQUIRED_SCENARIOS[:count])
    chosen += rng.choices(names, weights=list(SCENARIO_WEIGHTS.values()), k=count - len(chosen))
    rng.shuffle(chosen)
    return chosen


def _brand_orders(
    brand: Brand, count: int, seed: int, rng: random.Random, now: datetime
) -> Iterator[SimulatedOrder]:
    journeys: list[_Journey] = []
    for i, scenario in enumerate(_scenarios(count, rng)):
        journey = None
        for candidate in (scenario, *FALLBACKS):
            journey = _place(brand, candidate, f"{seed}:{brand.slug}:{i}", now)
            if journey is not None:
                break
        if journey is not None:
            journeys.append(journey)
    # Numbers follow the order in which customers checked out, as in a real shop.
    journeys.sort(key=lambda j: j.placed)
    for seq, journey in enumerate(journeys, start=1):
        yield _to_models(journey, seq, now)


def _place(brand: Brand, scenario: str, key: str, now: datetime) -> _Journey | None:
    """Simulate the scenario with the customer checking out at a moment that puts ``now`` inside
    its window, or ``None`` when no moment in the last 30 days does (e.g. "out for delivery" on
    a Sunday night)."""
    placer = random.Random(f"{key}:placed")
    lo, hi = 0.0, HISTORY.total_seconds() / 86400
    narrowed = False
    for _ in range(400):
        placed = _checkout_time(brand, placer, now - timedelta(days=placer.uniform(lo, hi)))
        if not now - HISTORY <= placed <= now:
            continue
        # The journey's own randomness is the same whatever the placement, so retries move the
        # same journey in time rather than drawing a new one.
        journey = _Journey(brand, random.Random(f"{key}:journey"), placed, scenario)
        journey.run()
        start, end = journey.window
        if start <= now and (end is None or now < end):
            return journey
        if not narrowed:
            narrowed = True
            # Look where the window falls relative to checkout and search around it only.
            days = 86400.0
            first = (start - placed).total_seconds() / days
            last = (end - placed).total_seconds() / days if end else hi
            lo, hi = max(0.0, first - 2.5), min(hi, max(last + 2.5, first))
    return None


#: Relative likelihood of checkout at each local hour (evenings and lunchtime are busiest).
_HOURLY = (2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 9, 10, 10, 9, 8, 8, 9, 10, 12, 13, 12, 9, 5)


def _checkout_time(brand: Brand, rng: random.Random, around: datetime) -> datetime:
    day = around.astimezone(brand.tz).date()
    hour = rng.choices(range(24), weights=_HOURLY)[0]
    moment = time(hour, rng.randrange(60), rng.randrange(60))
    return datetime.combine(day, moment, tzinfo=brand.tz).astimezone(UTC)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


def _to_models(journey: _Journey, seq: int, now: datetime) -> SimulatedOrder:
    brand, rng = journey.brand, journey.rng
    order_id = f"{brand.slug}-{seq:05d}"
    first, last = rng.choice(brand.first_names), rng.choice(brand.last_names)
    subtotal = sum((Decimal(ln["unit_price"]) * ln["quantity"] for ln in journey.lines), Decimal(0))
    shipping = Decimal(0) if subtotal >= brand.free_shipping_over else brand.shipping_fee
    phone = (
        f"+1 {rng.randint(201, 989)} 555 01{rng.randint(0, 99):02d}"  # 555-01xx: reserved for fiction
        if brand.country == "US"
        else f"+33 6 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"  # ARCEP's fiction range
    )
    order = OrderIn(
        order_id=order_id,
        number=f"#{brand.number_prefix}{1000 + seq}",
        placed_at=journey.placed,
        email=f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 99)}@{rng.choice(brand.email_domains)}",
        phone=phone,
        postal_code=journey.city.postal_code,
        country=journey.city.country,
        customer_name=f"{first} {last}",
        locale=brand.locale,
        timezone=journey.city.timezone,
        currency=brand.currency,
        total=subtotal + shipping,
        lines=[LineIn(**ln) for ln in journey.lines],
    )
    steps = sorted((s for s in journey.steps if s.at <= now), key=lambda s: (s.at, s.label))
    events = [_event(order_id, step) for step in steps]
    return SimulatedOrder(brand=brand.slug, scenario=journey.scenario, order=order, events=events)


def _event(order_id: str, step: _Step) -> Any:
    """The canonical API model for one simulated step."""
    common = {"occurred_at": step.at, "idempotency_key": f"demo:{order_id}:{step.label}"}
    data = dict(step.data)
    if step.kind == "line.status":
        return LineStatusIn(kind="line.status", order_id=order_id, **common, **data)
    if step.kind == "shipment.created":
        shipment_id = f"{order_id}-P{data.pop('parcel')}"
        lines = [ShipmentLineIn(**ln) for ln in data.pop("lines")]
        return ShipmentCreatedIn(
            kind="shipment.created", order_id=order_id, shipment_id=shipment_id, lines=lines, **common, **data
        )
    if step.kind == "tracking.event":
        # Carriers know the tracking number, not the order: the ledger routes it like a webhook.
        return TrackingEventIn(kind="tracking.event", **common, **data)
    if step.kind == "pickup.ready":
        return PickupReadyIn(
            kind="pickup.ready",
            order_id=order_id,
            lines=[ShipmentLineIn(**ln) for ln in data["lines"]],
            location=PickupLocationIn(**data["location"]),
            deadline=data["deadline"],
            **common,
        )
    if step.kind == "pickup.collected":
        lines = [ShipmentLineIn(**ln) for ln in data["lines"]]
        return PickupCollectedIn(kind="pickup.collected", order_id=order_id, lines=lines, **common)
    if step.kind == "order.cancelled":
        return OrderCancelledIn(kind="order.cancelled", order_id=order_id, **common, **data)
    raise ValueError(f"unknown step kind {step.kind!r}")
