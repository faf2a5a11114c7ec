"""Start-up check: the configured return label provider exists (a typo would otherwise surface
only when the first return is approved)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from aftercart.integrations.labels.providers import PROVIDERS
from aftercart.returns.services.labels import BOUGHT_LATER


@register("aftercart")
def label_provider_known(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    name = str(getattr(settings, "AFTERCART_RETURN_LABEL_PROVIDER", "manual") or "manual")
    if name in PROVIDERS or name in BOUGHT_LATER:
        return []
    return [
        Error(
            f"AFTERCART_RETURN_LABEL_PROVIDER is {name!r}, which is not a label provider.",
            hint=f"Use one of: {', '.join(sorted({*PROVIDERS, *BOUGHT_LATER}))}.",
            id="aftercart.E301",
        )
    ]
