"""How a customer's e-mail address and phone number are compared: the one normalisation.

Consent, the frequency cap, the shopper's order lookup and the privacy export and erasure must all
agree on who "this customer" is, however the address was typed on each order (``Ana@Example.com``,
``+44 20 7946 0000``) or arrives in a webhook (Twilio sends E.164): e-mail addresses compare
lower-cased and stripped, phone numbers in E.164 read in the order's (else the store's) country.
"""

from __future__ import annotations

import phonenumbers


def email_key(raw: str) -> str:
    """An e-mail address as it is compared and stored: stripped, lower-cased ("" for none).

    Lower-casing the local part is not what RFC 5321 promises, but it is what every mailbox
    provider does, and two orders of ``Ana@`` and ``ana@`` are the same customer."""
    return (raw or "").strip().lower()[:254]


def phone_key(raw: str, region: str = "") -> str:
    """A phone number in E.164 (``+447946000000``), read in ``region`` when it is national ("" for
    none). A number that does not parse as a valid one is kept as typed without spaces: a choice
    still applies to that exact string (and such a number cannot be texted anyway)."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        parsed = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return "".join(raw.split())[:254]
    if phonenumbers.is_valid_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return "".join(raw.split())[:254]
