"""Which care text an item gets: keys forgiving of case and spelling, the customer's language first,
then its base language, then the store's."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aftercart.domain.care import care_text, category_key, language_candidates, language_key

TEXTS = {
    ("knitwear", "fr"): "Laver à 30 °C.",
    ("knitwear", "pt"): "Lavar a 30 °C.",
    ("knitwear", "en"): "Wash at 30 °C.",
    ("candles", "de"): "Docht kürzen.",
}


def test_keys_ignore_case_spacing_and_underscores():
    assert category_key("  Knit   Wear ") == category_key("knit wear") == "knit wear"
    assert language_key("pt_BR") == language_key("pt-BR") == "pt-br"
    assert language_key("not a language") == language_key("") == ""


def test_the_customers_language_then_its_base_then_the_stores():
    assert language_candidates("pt-BR", "en") == ("pt-br", "pt", "en")
    assert care_text(TEXTS, "Knitwear", "fr", "en") == ("fr", "Laver à 30 °C.")
    assert care_text(TEXTS, "knitwear", "pt_BR", "en") == ("pt", "Lavar a 30 °C.")
    assert care_text(TEXTS, "knitwear", "it", "en") == ("en", "Wash at 30 °C.")
    assert care_text(TEXTS, "candles", "fr", "en") is None  # neither French nor the store's English
    assert care_text(TEXTS, "", "fr", "en") is None


@given(st.text(max_size=20), st.text(max_size=20), st.text(max_size=20))
def test_a_text_is_only_ever_one_the_store_wrote_for_that_category(category, wanted, fallback):
    found = care_text(TEXTS, category, wanted, fallback)
    if found is not None:
        language, text = found
        assert TEXTS[(category_key(category), language)] == text
        assert language in language_candidates(wanted, fallback)
