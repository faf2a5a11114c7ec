"""The console and the helpdesk sidebar are touchpoints too: for every next-step code, the order's
page names the code and shows the headline, its suggested reply carries the headline in the
customer's language, and the sidebar's JSON gives the same code and headline.

Scenarios, the clock and the expected headlines come from ``test_next_step_consistency`` (one table
of cases for every touchpoint).
"""

from __future__ import annotations

import html
import re
import time

import pytest
from django.contrib.auth import get_user_model

from aftercart.orders.selectors import order_view
from aftercart.support.console.sidebar import sidebar_secret, sidebar_signature
from tests.integration.test_next_step_consistency import (  # noqa: F401 (fixtures)
    LANGS,
    NOW,
    SCENARIOS,
    catalogues,
    expected_headline,
    frozen,
    ingest,
)

pytestmark = pytest.mark.django_db
DATA_STEP = re.compile(r'<section class="card step"[^>]*data-step="([^"]+)"')
HEADLINE = re.compile(r'<h2 id="step-title">.*?</h2>\s*<p><strong>(.*?)</strong></p>', re.S)
REPLY = re.compile(r"<h2 id=\"suggested-title\">.*?<textarea[^>]*>(.*?)</textarea>", re.S)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_console_and_sidebar_show_the_same_next_step(scenario, lang, client, store, frozen, catalogues):  # noqa: F811
    code, facts = SCENARIOS[scenario]
    order = ingest(store, facts, lang)
    _, step = order_view(order, NOW)
    english = expected_headline(code, step.params, "en")
    customers = expected_headline(code, step.params, lang)

    client.force_login(get_user_model().objects.create_user("agent", is_staff=True))
    page = client.get(f"/ops/support/orders/{order.pk}").content.decode()
    assert DATA_STEP.search(page).group(1) == code.value
    assert html.unescape(HEADLINE.search(page).group(1)) == english  # the agent reads English
    reply = html.unescape(REPLY.search(page).group(1))
    assert customers in reply, f"{scenario} [{lang}]: {customers!r} not in the suggested reply {reply!r}"

    params = {
        "store": store.slug,
        "email": "ana@example.com",
        "ticket": "",
        "expires": str(int(time.time()) + 60),
    }
    params["sig"] = sidebar_signature(sidebar_secret(store), params)
    [shown] = client.get(f"/ops/support/sidebar/{store.slug}.json", params).json()["orders"]
    assert (shown["next_step"]["code"], shown["next_step"]["headline"]) == (code.value, english)
