"""The widget's pure rules: which site origins a store may list, and the Shopify HMAC."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.widget import shopify_digest, shopify_digest_matches, site_origin


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("https://shop.example.com", "https://shop.example.com"),
        ("  HTTPS://Shop.Example.com/ ", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("https://shop.example.com:8443", "https://shop.example.com:8443"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://localhost:80", "http://localhost"),
    ],
)
def test_an_origin_is_normalised(typed, origin):
    assert site_origin(typed) == origin


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "shop.example.com",  # no scheme
        "http://shop.example.com",  # cleartext on the internet
        "https://*.example.com",  # a wildcard the operator may think works
        "https://shop.example.com/thanks",  # a path frame-ancestors would read differently
        "https://shop.example.com?x=1",
        "https://shop.example.com#top",
        "https://user@shop.example.com",
        "https://shop.example.com 'unsafe-inline'",  # an attempt to widen the header
        "https://shop.example.com;script-src *",
        "https://[::1]",
        "javascript:alert(1)",
        "https://shop.example.com:99999",
        "'self'",
        "*",
    ],
)
def test_anything_but_one_origin_is_refused(typed):
    assert site_origin(typed) is None


@given(st.text(max_size=80))
def test_what_passes_is_a_plain_origin(text):
    origin = site_origin(text)
    if origin is not None:
        assert origin.startswith(("https://", "http://localhost", "http://127.0.0.1"))
        host_and_port = origin.split("://", 1)[1]
        assert not any(ch in host_and_port for ch in " ;,*'\"/?#@\\"), "nothing that could widen a header"
        assert site_origin(origin) == origin, "normalising twice changes nothing"


def test_the_digest_is_liquids_hmac_sha256_in_lower_case_hex():
    # RFC 4231, test case 2: what Liquid's hmac_sha256 prints for the same key and message.
    assert shopify_digest("Jefe", "what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_a_digest_matches_only_its_order_and_secret():
    digest = shopify_digest("s3cret", "450789469")
    assert shopify_digest_matches("s3cret", "450789469", digest)
    assert shopify_digest_matches("s3cret", "450789469", digest.upper()), "hex in either case"
    assert not shopify_digest_matches("other", "450789469", digest)
    assert not shopify_digest_matches("s3cret", "450789470", digest)
    assert not shopify_digest_matches("", "450789469", shopify_digest("", "450789469")), "no secret, no match"
    assert not shopify_digest_matches("s3cret", "450789469", digest[:-1])
