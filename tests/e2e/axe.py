"""axe-core (Deque, MPL-2.0, vendored from the npm registry beside this file) run in a Playwright
page: the WCAG 2 A/AA rules over the page as rendered.

The script is evaluated through the browser's debugging protocol, which the page's strict CSP does
not govern, so no page needs to allow it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

AXE = Path(__file__).with_name("vendor") / "axe-4.14.1.min.js"


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(
    page: Any, tags: tuple[str, ...] = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
) -> list[dict[str, Any]]:
    """The page's violations: ``[{"id", "impact", "help", "nodes": [target, ...]}]`` (empty: it passes)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source() + "\n;undefined")
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))",
        list(tags),
    )
    return list(result)
