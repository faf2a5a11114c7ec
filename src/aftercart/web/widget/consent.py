"""The widget's SMS opt-in form is bound to the order by a signed field, not a CSRF cookie.

Why not Django's CSRF cookie: the widget lives in an ``<iframe>`` on the store's site, another
site than ours. Browsers send a ``SameSite=Lax`` cookie (Django's default) with no cross-site
subresource or framed POST, and block third-party cookies more and more whatever their
``SameSite``; a cookie-checked form would answer 403 to every customer.

Why the signed field is enough: CSRF is a third party making the customer's browser send a
request that carries the customer's *ambient* credentials (cookies). This form carries none: what
lets it record consent is the order token in its URL, which only the customer's confirmation page
holds, and anyone holding it could post without a browser anyway. The signed field adds that the
post answers a form we rendered for this very order in the last day, so what was recorded is what
the customer was shown (the language of the wording is in it and kept with the consent), and a
stale or copied form is refused. The consent itself needs the customer to tick an unticked box.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

SALT = "aftercart.web.widget.sms-opt-in"
#: A form older than this is refused (the customer reloads the page and ticks again).
MAX_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ShownForm:
    """What the signed field says the customer was shown."""

    language: str


def form_stamp(order_public_id: str, language: str) -> str:
    """The hidden field for an order's opt-in form, shown in ``language``."""
    return signing.dumps({"o": order_public_id, "l": language}, salt=SALT)


def form_read(stamp: str, order_public_id: str) -> ShownForm | None:
    """What the form showed, or ``None`` when the field is forged, stale, or another order's."""
    if not stamp or len(stamp) > 400:
        return None
    try:
        data = signing.loads(stamp, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(data, dict) or data.get("o") != order_public_id:
        return None
    return ShownForm(language=str(data.get("l", ""))[:16])
