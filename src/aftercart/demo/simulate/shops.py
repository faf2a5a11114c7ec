"""The two simulated shops: their store settings, catalogue, customers, pickup points and carriers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo


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
    #: Sent on order lines: picks the shop's care instructions printed on packing slips.
    category: str = ""


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
    #: The shop's review page (a QR code on its packing slips).
    review_url: str = ""
    #: Care instructions: (category, language, text), printed on packing slips.
    care: tuple[tuple[str, str, str], ...] = ()

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
            "NW-RJ-100",
            "Trailhead Rain Jacket",
            Decimal("189.00"),
            ("S / Moss", "M / Moss", "L / Slate"),
            category="outerwear",
        ),
        Product("NW-BL-210", "Merino Base Layer", Decimal("84.00"), ("S", "M", "L", "XL"), category="layers"),
        Product("NW-DP-030", "Summit 30L Daypack", Decimal("129.00"), ("Rust", "Black"), category="camping"),
        Product(
            "NW-HB-440",
            "Ridge Hiking Boots",
            Decimal("219.00"),
            ("US 8", "US 9", "US 10", "US 11"),
            category="footwear",
        ),
        Product("NW-SK-012", "Wool Hiking Socks (3-pack)", Decimal("36.00"), ("M", "L"), category="merino"),
        Product("NW-FL-300", "Basecamp Fleece", Decimal("98.00"), ("S", "M", "L"), category="layers"),
        Product("NW-TN-002", "Ultralight 2P Tent", Decimal("349.00"), category="camping"),
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
    review_url="https://northwind.example/reviews",
    care=(
        (
            "merino",
            "en",
            "Machine wash cold on the wool cycle, inside out. Lay flat to dry; no tumble "
            "dryer, no fabric softener.",
        ),
        (
            "merino",
            "fr",
            "Lavage en machine à froid, programme laine, sur l'envers. Séchage à plat ; "
            "pas de sèche-linge ni d'assouplissant.",
        ),
        (
            "layers",
            "en",
            "Wash at 30 °C inside out with a mild detergent. Lay flat to dry; no tumble dryer, "
            "no fabric softener.",
        ),
        (
            "layers",
            "fr",
            "Lavage à 30 °C sur l'envers avec une lessive douce. Séchage à plat ; pas de "
            "sèche-linge ni d'assouplissant.",
        ),
        (
            "outerwear",
            "en",
            "Close the zips, wash at 30 °C with a technical-fabric detergent, then tumble "
            "dry low for 20 minutes to renew the water repellency.",
        ),
        (
            "footwear",
            "en",
            "Brush off mud and let them dry at room temperature, away from radiators. "
            "Re-wax the leather every few months.",
        ),
    ),
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
        Product(
            "ML-BG-FIG", "Bougie parfumée Figuier", Decimal("42.00"), ("190 g", "420 g"), category="bougies"
        ),
        Product(
            "ML-BG-AMB", "Bougie parfumée Ambre", Decimal("42.00"), ("190 g", "420 g"), category="bougies"
        ),
        Product(
            "ML-PL-LIN", "Plaid en lin lavé", Decimal("129.00"), ("Naturel", "Terracotta"), category="linge"
        ),
        Product("ML-VS-GRE", "Vase en grès", Decimal("68.00"), ("Petit", "Grand"), category="céramique"),
        Product("ML-CF-VER", "Carafe en verre soufflé", Decimal("55.00"), category="verre"),
        Product(
            "ML-CS-VEL", "Coussin velours", Decimal("49.00"), ("Sauge", "Ocre", "Nuit"), category="linge"
        ),
        Product("ML-DF-NER", "Diffuseur Néroli", Decimal("58.00")),
        Product("ML-NP-LIN", "Nappe en lin", Decimal("95.00"), ("160 × 250", "160 × 300"), category="linge"),
        Product("ML-BL-CER", "Bol en céramique", Decimal("24.00"), ("Blanc", "Sable"), category="céramique"),
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
    review_url="https://maison-lumiere.example/avis",
    care=(
        (
            "bougies",
            "fr",
            "Laissez brûler la première fois jusqu'à ce que toute la surface soit fondue. "
            "Coupez la mèche à 5 mm avant chaque allumage ; jamais plus de 3 heures d'affilée.",
        ),
        (
            "bougies",
            "en",
            "On the first burn, let the whole surface melt. Trim the wick to 5 mm before "
            "each use; never burn for more than 3 hours at a time.",
        ),
        (
            "linge",
            "fr",
            "Lavage à 30 °C, cycle délicat, avec une lessive douce. Séchage à plat, repassage "
            "sur l'envers encore humide.",
        ),
        (
            "linge",
            "en",
            "Wash at 30 °C on a gentle cycle with mild detergent. Dry flat; iron inside out "
            "while still damp.",
        ),
        (
            "céramique",
            "fr",
            "Passe au lave-vaisselle ; évitez les chocs thermiques (pas de passage direct "
            "du réfrigérateur au four).",
        ),
    ),
)

BRANDS: tuple[Brand, ...] = (NORTHWIND, LUMIERE)
