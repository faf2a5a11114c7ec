"""The one webhook signature check, in each sender's scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from aftercart.integrations.aftership import parse as aftership
from aftercart.integrations.shopify import parse as shopify
from aftercart.integrations.signatures import HmacScheme

SECRET, BODY = "s3cret", b'{"id": 1}'
DIGEST = hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()


def test_base64_and_hex():
    assert HmacScheme("X-Sig", "base64").verify(SECRET, BODY, base64.b64encode(DIGEST).decode())
    assert HmacScheme("X-Sig", "hex").verify(SECRET, BODY, DIGEST.hex())
    assert HmacScheme("X-Sig", "hex").verify(SECRET, BODY, f" {DIGEST.hex().upper()} ")
    # Each scheme reads only its own encoding.
    assert not HmacScheme("X-Sig", "hex").verify(SECRET, BODY, base64.b64encode(DIGEST).decode())
    assert not HmacScheme("X-Sig", "base64").verify(SECRET, BODY, DIGEST.hex())


@pytest.mark.parametrize("scheme", [HmacScheme("X-Sig", "base64"), HmacScheme("X-Sig", "hex")])
@pytest.mark.parametrize(
    "secret,signature", [("", "x"), (SECRET, None), (SECRET, ""), (SECRET, "not*encoded")]
)
def test_nothing_valid_without_a_secret_or_a_well_formed_signature(scheme, secret, signature):
    assert not scheme.verify(secret, BODY, signature)


def test_a_different_body_or_secret_does_not_verify():
    good = base64.b64encode(DIGEST).decode()
    scheme = HmacScheme("X-Sig")
    assert scheme.verify(SECRET, BODY, good)
    assert not scheme.verify(SECRET, BODY + b" ", good)
    assert not scheme.verify("other", BODY, good)


def test_the_adapters_schemes():
    good = base64.b64encode(DIGEST).decode()
    assert HmacScheme("X-Shopify-Hmac-Sha256", "base64") == shopify.SIGNATURE
    assert HmacScheme("aftership-hmac-sha256", "base64") == aftership.SIGNATURE
    assert shopify.verify_hmac(SECRET, BODY, good) and aftership.verify_signature(SECRET, BODY, good)
