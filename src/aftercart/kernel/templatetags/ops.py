"""The back office's shell: the navigation with the current section marked, and small filters the
operator pages share (a relative age in words)."""

from __future__ import annotations

import re
from datetime import datetime

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

register = template.Library()

_HREF = re.compile(r'<a href="(?P<href>/ops/[^"]*)"')


def nav_links(html: str) -> list[str]:
    """Every back-office link the navigation holds, in order (the accessibility test walks them)."""
    return [m.group("href") for m in _HREF.finditer(html)]


def current_link(links: list[str], path: str) -> str | None:
    """The link of the section ``path`` is in: the longest link that is a prefix of it (``/ops/``
    itself only when nothing longer matches)."""
    best: str | None = None
    for href in links:
        base = href.rstrip("/") or "/"
        inside = path in (href, base) or path.startswith(base.rstrip("/") + "/")
        if inside and (best is None or len(href) > len(best)):
            best = href
    return best


@register.simple_tag(takes_context=True)
def ops_nav(context: template.Context) -> SafeString:
    """``ops/_nav.html`` with ``aria-current="page"`` on the current section's link: each app adds
    a plain ``<li><a href="/ops/...">`` line and is marked without doing anything else."""
    request = context.get("request")
    html = str(render_to_string("ops/_nav.html", request=request))
    path = getattr(request, "path", "")
    current = current_link(nav_links(html), path)
    if current is not None:
        html = html.replace(f'<a href="{current}"', f'<a href="{current}" aria-current="page"', 1)
    return mark_safe(html)


@register.filter
def ago(value: datetime | None, now: datetime | None = None) -> str:
    """ "3 days ago" / "in 2 hours": a moment relative to now, in words."""
    if value is None:
        return ""
    now = now or timezone.now()
    if value <= now:
        return f"{timesince(value, now, depth=1)} ago"
    return f"in {timesince(now, value, depth=1)}"
