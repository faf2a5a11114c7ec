"""Start-up checks: every enabled channel of every store has the settings it needs.

A misconfigured channel would otherwise show up only as failed deliveries hours later; as a system
check it stops ``runserver``/``migrate``/the worker at start-up with the store and key named.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.checks import Error, register
from django.db import DatabaseError

from aftercart.domain.messaging import Channel
from aftercart.domain.milestones import Milestone
from aftercart.notifications.channels import REQUIRED_SETTINGS


@register("aftercart")
def check_channel_configs(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """One error per enabled ``ChannelConfig`` lacking a required setting or holding a bad one.

    Runs with every command's checks (``runserver``, ``worker``, ``check``): one small query. Not
    under Django's ``database`` tag, which only ``migrate`` and ``check --database`` would run.
    """
    from aftercart.notifications.models import ChannelConfig

    try:
        rows = list(
            ChannelConfig.objects.filter(enabled=True)
            .select_related("store")
            .values_list("pk", "store__slug", "channel", "settings", "milestones")
        )
    except DatabaseError:
        # Before the first migrate the table does not exist yet: nothing to check.
        return []
    errors: list[Error] = []
    for pk, slug, channel, values, milestones in rows:
        for problem in channel_config_problems(channel, values) + journey_problems(milestones):
            errors.append(
                Error(
                    f"Store {slug!r}: {channel} channel {problem}.",
                    hint="Fix or disable it in the admin (Notifications › Channel configs).",
                    obj=f"ChannelConfig #{pk}",
                    id="aftercart.notifications.E001",
                )
            )
    return errors


def journey_problems(milestones: Any) -> list[str]:
    """What is wrong with a channel's journey (its milestone list; null means the defaults)."""
    if milestones is None:
        return []
    if not isinstance(milestones, list):
        return ["milestones must be a list of milestone names"]
    known = {m.value for m in Milestone}
    return [f"milestones name unknown milestone {m!r}" for m in milestones if m not in known]


def channel_config_problems(channel: str, values: Any) -> list[str]:
    """What is wrong with one channel's settings (empty: nothing)."""
    try:
        kind = Channel(channel)
    except ValueError:
        return [f"is unknown (one of {', '.join(c.value for c in REQUIRED_SETTINGS)})"]
    if not isinstance(values, dict):
        return ["settings must be a JSON object"]
    problems = [f"lacks setting {key!r}" for key in REQUIRED_SETTINGS.get(kind, ()) if not values.get(key)]
    if kind is Channel.WEBHOOK:
        url, secret = str(values.get("url") or ""), str(values.get("secret") or "")
        if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
            problems.append(f"url {url!r} is not an http(s) URL")
        if secret and not secret.startswith("whsec_"):
            problems.append("secret must start with 'whsec_' (Standard Webhooks)")
        elif secret:
            from standardwebhooks import Webhook

            try:
                Webhook(secret)
            except Exception:
                problems.append("secret is not valid base64 after 'whsec_'")
    if kind is Channel.SMS and values.get("account_sid") and not str(values["account_sid"]).startswith("AC"):
        problems.append("account_sid must start with 'AC'")
    return problems
