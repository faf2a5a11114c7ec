"""The process caches: every one is registered (:mod:`aftercart.kernel.caches`), and one reset
empties them all."""

from __future__ import annotations

import importlib
import pkgutil

import aftercart
from aftercart.kernel.caches import caches_registered, caches_reset

#: Pure caches (values depend on the arguments alone) need no reset and are not registered.
_PURE = ("aftercart.domain", "aftercart.demo")
_SKIPPED_MODULES = ("aftercart.wsgi", "aftercart.gunicorn_conf", "aftercart.cli")


def _modules():
    for info in pkgutil.walk_packages(aftercart.__path__, "aftercart."):
        if ".migrations" in info.name or info.name in _SKIPPED_MODULES:
            continue
        yield importlib.import_module(info.name)


def test_every_memoised_function_outside_the_domain_is_registered():
    modules = list(_modules())  # imported first: a module registers its caches when imported
    registered = list(caches_registered().values())
    missing = []
    for module in modules:
        if module.__name__.startswith(_PURE):
            continue
        for name, value in vars(module).items():
            clear = getattr(value, "cache_clear", None)
            if clear is None or getattr(value, "__module__", None) != module.__name__:
                continue
            if not any(clear == known for known in registered):
                missing.append(f"{module.__name__}.{name}")
    assert missing == [], "register these with aftercart.kernel.caches.cache_register"
    assert {
        "orders.state_cache",
        "orders.windows.models",
        "stores.detection_rules",
        "web.pages.frame_parts",
        "stores.branding.theme",
        "kernel.db.insert_statements",
        "kernel.db.update_statements",
        "notifications.consolidate_sql",
    } <= set(caches_registered())


def test_one_reset_empties_every_cache():
    from aftercart.domain.projection import OrderState
    from aftercart.orders import state_cache, windows
    from aftercart.stores.branding import _theme, brand_theme
    from aftercart.stores.detection_rules import _rules, rules_for

    state_cache._put([(1, (3, 0), OrderState(order_ref="O1"), [])])
    windows._models[1] = (0.0, None, None)
    rules_for("GB")
    brand_theme({"primary_colour": "#112233"})
    assert _theme.cache_info().currsize and _rules.cache_info().currsize

    caches_reset()

    assert state_cache.take(1, (3, 0)) is None
    assert windows._models == {}
    assert _theme.cache_info().currsize == 0
    assert _rules.cache_info().currsize == 0
