"""Start-up check: the configured return label provider exists (a typo would otherwise surface
only when the first return is approved)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from aftercart.integrations.labels.providers import PROVIDERS


@register("aftercart")
def label_provider_known(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    name = str(getattr(settings, "AFTERCART_RETURN_LABEL_PROVIDER", "manual") or "manual")
    if name in PROVIDERS:
        return []
    return [
        Error(
            f"AFTERCART_RETURN_LABEL_PROVIDER is {name!r}, which is not a label provider.",
            hint=f"Use one of: {', '.join(sorted(PROVIDERS))}.",
            id="aftercart.E301",
        )
    ]
