"""Accessibility checks with axe-core (vendored under ``tests/e2e/vendor/``, MPL-2.0, a test-only
asset: it is never served by the app).

``assert_no_axe_violations(page)`` runs axe on the page as it is and fails with every violation, its
rule, help text and the offending elements. The page's CSP refuses inline scripts, so the source is
added with ``page.add_script_tag(content=...)`` in a context made with ``bypass_csp=True`` (see
:func:`axe_context`), which only this injection needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_SOURCE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"

#: WCAG 2.1 A and AA, and the best practices a back office can be held to.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_context(browser: Any, *, width: int = 1280, height: int = 900, mobile: bool = False) -> Any:
    """A browser context axe can be injected into (CSP bypassed), at a desktop or phone size."""
    options: dict[str, Any] = {
        "viewport": {"width": width, "height": height},
        "locale": "en-GB",
        "bypass_csp": True,
    }
    if mobile:
        options.update(device_scale_factor=1, is_mobile=True, has_touch=True)
    context = browser.new_context(**options)
    context.set_default_timeout(15_000)
    return context


def axe_violations(page: Any, *, tags: list[str] | None = None) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the debugging protocol, which the page's CSP does not govern.
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "async (tags) => await window.axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        tags or TAGS,
    )
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violation: rule, impact, help, and up to five offending elements."""
    out = []
    for v in violations:
        nodes = "\n".join(
            f"    {' '.join(n['target'])}: {n.get('failureSummary', '').splitlines()[-1:] or ''}"
            for n in v["nodes"][:5]
        )
        out.append(f"- {v['id']} ({v.get('impact')}): {v['help']} [{len(v['nodes'])} element(s)]\n{nodes}")
    return "\n".join(out)


def assert_no_axe_violations(page: Any, *, tags: list[str] | None = None) -> None:
    """Fail with every axe violation on the page (URL in the message)."""
    violations = axe_violations(page, tags=tags)
    assert not violations, f"axe found {len(violations)} violation(s) on {page.url}:\n{describe(violations)}"
