"""The customer tracking page: lookup, signed links, the next step, timeline, language, branding."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from django.utils.translation import trans_real

from aftercart.domain.next_step import _UNKNOWN, ACTION_LABELS, NO_ESTIMATE_DETAILS, TEXTS
from aftercart.kernel.i18n import placeholders
from aftercart.orders.models import Order
from aftercart.orders.tokens import SALT, make_tracking_token, read_tracking_token
from aftercart.stores.branding import brand_theme, contrast_ratio, parse_colour
from aftercart.web.tracking.page import render_next_step_html, tracking_context

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
LANGS = ("es", "fr", "de", "pt_BR")
TOKEN_URL = re.compile(r"^/t/(?P<token>[A-Za-z0-9_\-:.]{20,})(?:\?.*)?$")

ORDER = {
    "order_id": "1001",
    "number": "#1001",
    "placed_at": "2026-07-10T09:00:00Z",
    "email": "Ana@Example.com",
    "postal_code": "SW1A 1AA",
    "currency": "GBP",
    "lines": [
        {"line_id": "L1", "sku": "JKT-M", "title": "Rain jacket", "quantity": 1},
        {"line_id": "L2", "sku": "SCK", "title": "Wool socks", "quantity": 2},
    ],
}


def ship(at="2026-07-14T15:00:00Z", lines=("L1", "L2"), estimate="2026-07-17"):
    return {
        "kind": "shipment.created",
        "order_id": "1001",
        "shipment_id": "S1",
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "lines": [{"line_id": ln, "quantity": 1 if ln == "L1" else 2} for ln in lines],
        "estimated_delivery": estimate,
        "occurred_at": at,
    }


def scan(tag, at, **extra):
    return {
        "kind": "tracking.event",
        "tracking_number": "1Z999AA10123456784",
        "carrier": "ups",
        "tag": tag,
        "occurred_at": at,
        **extra,
    }


@pytest.fixture(scope="module")
def catalogues():
    """Compiled message catalogues (they are built, not committed); language tests need them."""
    for lang in LANGS:
        po = LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            # `make messages` builds them; this keeps a bare `pytest` run honest after a .po edit.
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))
    # Catalogues load once per process; forget any loaded before these were (re)built.
    trans_real._translations = {}
    trans_real._default = None


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mid_window(monkeypatch):
    """Hold the rate limiter's clock in the middle of a window: limits count per fixed window, so a
    test whose hits straddled a window's end would see its count restart halfway."""
    import types

    from aftercart.web import ratelimit

    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: 1_800_000_000 + 300.0))


@pytest.fixture
def frozen(monkeypatch):
    """Set the clock the views read (``django.utils.timezone.now``)."""

    def freeze(iso: str) -> datetime:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
        return moment

    return freeze


@pytest.fixture
def order(api, store):
    store.branding = {"support_email": "help@acme.example", "support_phone": "+44 20 7946 0000"}
    store.save()
    assert api.post("/api/v1/orders", ORDER).status_code == 201
    return Order.objects.get(external_id="1001")


def send(api, *events):
    response = api.post("/api/v1/events/batch", {"events": list(events)})
    assert response.status_code == 202, response.content


def lookup(client, number, contact, ip="203.0.113.7", **data):
    return client.post("/track", {"number": number, "contact": contact, **data}, REMOTE_ADDR=ip)


def comparable(body: bytes) -> str:
    """A lookup page with what legitimately differs per request masked: the CSRF token (masked
    afresh on every render), the style's CSP nonce (new for every response) and the order number
    echoed back into its field."""
    text = body.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', text)
    text = re.sub(r'<style nonce="[^"]+">', '<style nonce="">', text)
    return re.sub(r'name="number" value="[^"]*"', 'name="number" value=""', text)


# --- lookup --------------------------------------------------------------------------------------


def test_lookup_form_is_labelled_and_csrf_protected(client, order):
    page = client.get("/track")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<label for="id_number">' in html and 'id="id_number"' in html
    assert '<label for="id_contact">' in html and 'aria-describedby="contact-hint"' in html
    assert "csrfmiddlewaretoken" in html
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/track", {"number": "#1001", "contact": "ana@example.com"}).status_code == 403


@pytest.mark.parametrize(
    ("number", "contact"),
    [
        ("#1001", "ana@example.com"),
        ("1001", "  ANA@Example.COM "),
        (" # 1001 ", "sw1a 1aa"),
        ("1001", "SW1A-1AA"),
    ],
)
def test_lookup_by_email_or_postal_code_redirects_to_the_signed_link(client, order, number, contact, frozen):
    frozen("2026-07-10T12:00:00Z")  # the day it was placed: not yet late to ship
    response = lookup(client, number, contact)
    assert response.status_code == 303
    match = TOKEN_URL.match(response["Location"])
    assert match, response["Location"]
    assert read_tracking_token(match.group("token")) == order
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Order received" in page.content.decode()


def test_every_kind_of_miss_gets_the_same_answer(client, order):
    wrong_email = lookup(client, "#1001", "bob@example.com")
    wrong_postal = lookup(client, "#1001", "EC1A 1BB")
    unknown_number = lookup(client, "#9999", "ana@example.com")
    empty_postal_match = lookup(client, "#1001", "---")  # normalises to "": must never match
    responses = [wrong_email, wrong_postal, unknown_number, empty_postal_match]
    assert {r.status_code for r in responses} == {200}
    bodies = {comparable(r.content) for r in responses}
    assert len(bodies) == 1
    body = bodies.pop()
    assert "We could not find an order with those details" in body
    assert 'aria-describedby="contact-hint lookup-error"' in body
    assert "bob@example.com" not in body and "EC1A" not in body, "the secret half is not echoed"


def test_the_lookup_is_rate_limited_per_ip(client, order, mid_window):
    for i in range(10):
        assert lookup(client, f"#{5000 + i}", "x@example.com").status_code == 200
    limited = lookup(client, "#1001", "ana@example.com")
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert "Too many attempts" in limited.content.decode()
    assert lookup(client, "#1001", "ana@example.com", ip="198.51.100.1").status_code == 303


def test_the_lookup_is_rate_limited_per_order_number_across_ips(client, order, mid_window, settings):
    settings.AFTERCART_LOOKUP_LIMIT_PER_ORDER = 5  # the default is 50: the bar many addresses must reach
    for i in range(5):
        assert lookup(client, "#1001", f"guess{i}@example.com", ip=f"198.51.100.{i}").status_code == 200
    # Past the order's bar, the right answer from a fresh address is refused too: guesses from many
    # addresses are capped per order (which is why that bar is high).
    assert lookup(client, "1001", "ana@example.com", ip="192.0.2.50").status_code == 429
    assert lookup(client, "#1002", "ana@example.com", ip="192.0.2.50").status_code == 200


def test_one_guessers_misses_never_lock_the_customer_out_of_their_order(client, order, mid_window):
    # One address guessing at order #1001 spends its own budget (10 misses), far below the order's
    # bar (50): the customer, elsewhere, still finds their order.
    answers = [lookup(client, "#1001", f"guess{i}@example.com").status_code for i in range(25)]
    assert answers == [200] * 10 + [429] * 15
    assert lookup(client, "#1001", "ana@example.com", ip="192.0.2.80").status_code == 303


def test_finding_the_order_is_not_a_miss(client, order, mid_window):
    # A customer opening their order again and again (or a family behind one address) is never
    # refused: only misses count.
    for _ in range(15):
        assert lookup(client, "#1001", "ana@example.com").status_code == 303
    assert [lookup(client, "#1001", f"guess{i}@example.com").status_code for i in range(11)][-2:] == [
        200,
        429,
    ]


# --- links ---------------------------------------------------------------------------------------


def test_token_round_trip_names_the_order_by_its_public_id(order):
    token = make_tracking_token(order)
    assert signing.loads(token, salt=SALT) == {"o": order.public_id, "v": 0}
    assert read_tracking_token(token) == order


def test_tampered_or_foreign_tokens_are_404(client, order):
    token = make_tracking_token(order)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    forged = signing.dumps({"o": order.public_id, "v": 0}, salt="another-purpose")
    for bad in (tampered, forged, "nonsense", "x" * 1000):
        assert read_tracking_token(bad) is None
        page = client.get(f"/t/{bad}")
        assert page.status_code == 404
        assert 'href="/track"' in page.content.decode()


def test_bumping_the_token_version_revokes_old_links(order):
    token = make_tracking_token(order)
    Order.objects.filter(pk=order.pk).update(token_version=1)
    order.refresh_from_db()
    assert read_tracking_token(token) is None
    assert read_tracking_token(make_tracking_token(order)) == order


def test_links_expire_the_configured_days_after_delivery(client, api, order, frozen, settings):
    send(api, ship(), scan("delivered", "2026-07-16T12:00:00Z"))
    url = f"/t/{make_tracking_token(order)}"
    frozen("2026-10-13T12:00:00Z")  # 89 days after delivery
    assert client.get(url).status_code == 200
    frozen("2026-10-14T12:00:01Z")  # 90 days and a second
    gone = client.get(url)
    assert gone.status_code == 410
    html = gone.content.decode()
    assert "This tracking link has expired" in html and "90 days" in html
    assert 'href="/track?store=acme"' in html
    settings.AFTERCART_TRACKING_LINK_DAYS_AFTER_DELIVERY = 365
    assert client.get(url).status_code == 200


def test_links_do_not_expire_before_delivery(client, api, order, frozen):
    send(api, ship(), scan("in_transit", "2026-07-15T08:00:00Z"))
    frozen("2027-12-01T00:00:00Z")
    assert client.get(f"/t/{make_tracking_token(order)}").status_code == 200


def test_no_sequential_ids_in_customer_urls(client, api, order):
    send(api, ship(), scan("in_transit", "2026-07-15T08:00:00Z"))
    location = lookup(client, "#1001", "ana@example.com")["Location"]
    assert TOKEN_URL.match(location)
    html = client.get(location).content.decode()
    urls = [location, *re.findall(r'(?:href|action|src)="([^"]*)"', html)]
    for url in urls:
        path = url.split("?")[0]
        assert str(order.pk) not in path.split("/"), url
        assert not re.search(rf"/t/{order.pk}\b", url)


# --- the page ------------------------------------------------------------------------------------


def test_a_lost_parcel_shows_the_headline_and_contact_with_the_order_number(client, api, order, frozen):
    send(api, ship(), scan("exception", "2026-07-16T09:00:00Z", subtag="exception.lost"))
    frozen("2026-07-17T09:00:00Z")
    response = client.get(f"/t/{make_tracking_token(order)}")
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert '<h1 id="next-step-heading">Your parcel is lost</h1>' in html
    assert "UPS cannot find your parcel" in html
    assert 'href="mailto:help@acme.example?subject=Question%20about%20order%20%231001"' in html, (
        "contact action prefilled with the order number"
    )
    assert "Contact us about this order" in html
    assert '<html lang="en">' in html
    for landmark in ("<header", "<main", "<footer", '<nav class="languages"'):
        assert landmark in html


def test_the_timeline_is_newest_first_in_the_customers_time_zone(client, api, store, catalogues):
    paris = {**ORDER, "timezone": "Europe/Paris", "locale": "fr-FR"}
    assert api.post("/api/v1/orders", paris).status_code == 201
    send(
        api,
        ship(),
        scan("in_transit", "2026-07-15T12:00:00Z", raw_message="Departed facility", location="Lyon"),
        scan("out_for_delivery", "2026-07-16T05:30:00Z", raw_message="On vehicle"),
    )
    order = Order.objects.get()
    html = client.get(f"/t/{make_tracking_token(order)}").content.decode()
    assert '<html lang="fr">' in html
    timeline = html[html.index('<ol class="timeline" reversed>') :]
    first, second = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', timeline)[:2]
    assert first[0] == "2026-07-16T07:30:00+02:00", "newest first, in Paris time"
    assert second == ("2026-07-15T14:00:00+02:00", "15 juillet 2026 14:00")
    assert "Departed facility" in timeline and "Lyon" in timeline


def test_store_time_zone_is_used_when_the_order_has_none(client, api, store, catalogues):
    store.timezone = "America/New_York"
    store.save()
    assert api.post("/api/v1/orders", ORDER).status_code == 201
    send(api, ship(), scan("in_transit", "2026-07-15T12:00:00Z"))
    html = client.get(f"/t/{make_tracking_token(Order.objects.get())}").content.decode()
    assert 'datetime="2026-07-15T08:00:00-04:00"' in html


def test_spanish_rendering_with_lang_parameter(client, api, order, frozen, catalogues):
    send(api, ship(), scan("exception", "2026-07-16T09:00:00Z", subtag="exception.lost"))
    frozen("2026-07-17T09:00:00Z")
    response = client.get(f"/t/{make_tracking_token(order)}?lang=es")
    html = response.content.decode()
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in html
    assert "Tu paquete se ha perdido" in html
    assert "UPS no encuentra tu paquete" in html
    assert "Contáctanos sobre este pedido" in html
    assert 'subject=Pregunta%20sobre%20el%20pedido%20%231001"' in html
    assert 'href="?lang=de" hreflang="de"' in html


def test_language_falls_back_from_order_locale_to_accept_language(client, api, store, catalogues, frozen):
    frozen("2026-07-10T12:00:00Z")  # the day it was placed: "order received", not late to ship
    assert api.post("/api/v1/orders", {**ORDER, "locale": "pt-BR"}).status_code == 201
    url = f"/t/{make_tracking_token(Order.objects.get())}"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    assert "Pedido recebido" in html, "the order's locale beats the browser's"
    Order.objects.all().delete()
    assert api.post("/api/v1/orders", {**ORDER, "order_id": "1002"}).status_code == 201
    url = f"/t/{make_tracking_token(Order.objects.get())}"
    assert "Bestellung eingegangen" in client.get(url, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()


def test_unavailable_item_choices_are_forms_that_record_the_answer_not_mail_links(client, api, order):
    send(
        api,
        {
            "kind": "line.status",
            "order_id": "1001",
            "line_id": "L2",
            "status": "unavailable",
            "occurred_at": "2026-07-11T10:00:00Z",
        },
    )
    html = client.get(f"/t/{make_tracking_token(order)}").content.decode()
    assert "An item in your order is unavailable" in html
    assert "I%20will%20wait%20for" not in html and "please%20refund" not in html, "one way to answer"
    assert f'action="/t/{make_tracking_token(order)}/choices"' in html
    assert 'value="wait"' in html and 'value="refund"' in html


def test_ready_for_pickup_shows_where_and_until_when_with_directions(client, api, order, frozen):
    send(
        api,
        {
            "kind": "pickup.ready",
            "order_id": "1001",
            "lines": [{"line_id": "L1"}, {"line_id": "L2"}],
            "location": {"name": "Soho", "address": "1 Main St, London", "hours": "9-18"},
            "deadline": "2026-07-20T18:00:00Z",
            "occurred_at": "2026-07-14T10:00:00Z",
        },
    )
    frozen("2026-07-15T09:00:00Z")
    html = client.get(f"/t/{make_tracking_token(order)}").content.decode()
    assert '<h1 id="next-step-heading">Ready for pickup at Soho</h1>' in html
    assert (
        "Collect it at 1 Main St, London. Opening hours: 9-18. Please collect by July 20, 2026, 6 p.m."
        in html
    )
    assert 'href="https://www.google.com/maps/search/?api=1&amp;query=1%20Main%20St%2C%20London"' in html
    assert 'data-action="get_directions">Get directions</a>' in html


def test_branding_colours_logo_and_readable_text(client, api, order):
    order.store.branding = {
        "primary_colour": "#ffcc00",
        "accent_colour": "#ff6600",
        "logo_url": "https://cdn.example/acme.png",
        "footer_links": [{"label": "Returns policy", "url": "https://acme.example/returns"}],
    }
    order.store.save()
    html = client.get(f"/t/{make_tracking_token(order)}").content.decode()
    assert "--primary: #ffcc00; --on-primary: #000000;" in html
    assert "--accent: #ff6600;" in html
    link = re.search(r"--link: (#[0-9a-f]{6});", html).group(1)
    assert contrast_ratio(parse_colour(link), (255, 255, 255)) >= 4.5
    assert '<img class="logo" src="https://cdn.example/acme.png" alt="Acme Outfitters">' in html
    assert 'href="https://acme.example/returns"' in html


def test_a_change_of_branding_shows_on_the_next_page_view(client, api, order):
    """Header and footer are rendered once per store, language and links (aftercart.web.pages):
    a new name, logo or support contact must show at once, in the language asked for."""
    url = f"/t/{make_tracking_token(order)}"
    first = client.get(url).content.decode()
    assert '<span class="store-name">Acme Outfitters</span>' in first and "help@acme.example" in first
    order.store.name = "Acme & Sons"
    order.store.branding = {**order.store.branding, "support_email": "care@acme.example"}
    order.store.save()
    second = client.get(url).content.decode()
    assert '<span class="store-name">Acme &amp; Sons</span>' in second  # escaped, like any value
    assert "care@acme.example" in second and "help@acme.example" not in second
    french = client.get(url + "?lang=fr").content.decode()
    assert 'aria-current="true">Français</a>' in french and "Acme &amp; Sons" in french
    assert 'href="?lang=fr" hreflang="fr"' in second  # the plain visit's links carry no other query


def test_unsafe_branding_is_ignored():
    theme = brand_theme({"primary_colour": "red; background: url(x)", "accent_colour": "javascript:1"})
    assert theme["primary"] == "#1f2933" and theme["accent"] == "#0b5cad"


def test_brand_text_colour_always_reaches_aa_contrast():
    for r in range(0, 256, 17):
        for g in range(0, 256, 17):
            for b in range(0, 256, 17):
                theme = brand_theme(
                    {"primary_colour": f"#{r:02x}{g:02x}{b:02x}", "accent_colour": f"#{b:02x}{r:02x}{g:02x}"}
                )
                assert (
                    contrast_ratio(parse_colour(theme["primary"]), parse_colour(theme["on_primary"])) >= 4.5
                )
                assert contrast_ratio(parse_colour(theme["accent"]), parse_colour(theme["on_accent"])) >= 4.5
                assert contrast_ratio(parse_colour(theme["link"]), (255, 255, 255)) >= 4.5


def test_tracking_context_and_next_step_html_match_the_page(client, api, order, frozen):
    send(api, ship(), scan("attempt_fail", "2026-07-16T09:00:00Z", raw_message="No one home"))
    now = frozen("2026-07-16T10:00:00Z")
    context = tracking_context(order, now, "en")
    assert context["step"]["headline"] == "UPS could not deliver your parcel"
    assert context["step"]["actions"][0]["code"] == "reschedule_delivery"
    assert context["step"]["actions"][0]["href"] == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    fragment = render_next_step_html(order, now, "en")
    assert "UPS could not deliver your parcel" in fragment
    assert fragment.strip() in client.get(f"/t/{make_tracking_token(order)}").content.decode()


# --- translations --------------------------------------------------------------------------------

DOMAIN_IDS = sorted(
    {text for pair in TEXTS.values() for text in pair}
    | set(ACTION_LABELS.values())
    | set(NO_ESTIMATE_DETAILS.values())
    | {_UNKNOWN, "the carrier", "the pickup point"}
)


@pytest.mark.parametrize("lang", ["es", "fr", "de", "pt-br"])
def test_every_domain_message_is_translated_and_keeps_its_placeholders(lang, catalogues):
    with translation.override(lang):
        for message_id in DOMAIN_IDS:
            translated = translation.gettext(message_id)
            assert translated != message_id, f"{lang}: {message_id!r} is not translated"
            assert placeholders(translated) == placeholders(message_id), f"{lang}: {message_id!r}"


@pytest.mark.parametrize("lang", LANGS)
def test_catalogues_are_complete_and_valid(lang):
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"
    with po.open("rb") as source:
        catalog = read_po(source)
    messages = [m for m in catalog if m.id]
    assert messages, "the catalogue is empty"
    untranslated = [m.id for m in messages if not m.string]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not untranslated and not fuzzy, (untranslated, fuzzy)
    problems = [(m.id, errors) for m, errors in catalog.check() if errors]
    assert not problems, problems


@pytest.mark.parametrize(
    ("lang", "named"),
    [
        ("en", "Times are shown in Mountain Time."),
        ("fr", "Heures indiquées : heure des Rocheuses."),
        ("de", "Uhrzeiten: Rocky-Mountains-Zeit."),
    ],
)
def test_the_time_zone_is_named_in_the_pages_language_not_by_its_database_key(
    client, api, store, lang, named
):
    assert api.post("/api/v1/orders", {**ORDER, "timezone": "America/Denver"}).status_code == 201
    order = Order.objects.get(external_id="1001")
    html = client.get(f"/t/{make_tracking_token(order)}?lang={lang}").content.decode()
    assert "America/Denver" not in html
    assert named in html.replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("lang", "detail"),
    [
        ("en", "The first items left us with UPS; the rest are being prepared and will follow."),
        ("fr", "Les premiers articles sont partis avec UPS ; les autres sont en préparation et suivront."),
    ],
)
def test_a_partly_shipped_order_says_so_in_words_not_a_count(client, api, order, lang, detail):
    now = datetime.now(UTC).replace(microsecond=0)
    send(api, ship(at=now.isoformat(), lines=("L1",), estimate=(now + timedelta(days=3)).date().isoformat()))
    html = client.get(f"/t/{make_tracking_token(order)}?lang={lang}").content.decode()
    assert detail in html.replace("&#x27;", "'")
    assert "1 of your parcels" not in html and "UPS : 1." not in html
