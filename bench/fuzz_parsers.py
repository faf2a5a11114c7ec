"""Coverage-guided fuzzing of one parser with atheris (libFuzzer), seeded from real payloads.

    pip install -e '.[fuzz]'
    PYTHONPATH=src .venv/bin/python bench/fuzz_parsers.py ups -max_total_time=120 -rss_limit_mb=2048

Targets: ``ups``, ``fedex``, ``usps``, ``dhl_express``, ``canadapost`` (raw responses),
``easypost``, ``aftership``, ``shopify`` (JSON bodies), ``canonical`` (the REST API's event models).
The bytes libFuzzer mutates are decoded as the parser's input (JSON targets parse them first: what is
not JSON is skipped, as the webhook views refuse it before parsing). Any exception other than the
target's own clean rejection is a crash, written by libFuzzer as ``crash-<sha1>``: add it to the
matching hypothesis fuzzer in ``tests/fuzz/test_parser_fuzz.py`` as an ``@example``, then fix it.
Seeds come from tests/fixtures and ../shared/data; libFuzzer's figures (``cov``: edges covered,
``ft``: features, ``corp``: corpus size, ``exec/s``) are what docs/testing.md records.
Not run in CI (atheris is an optional dependency, `.[fuzz]`): CI runs the hypothesis fuzzers.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import atheris

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

# Only our code is instrumented: karrio's generated schemas would take minutes and are not ours.
with atheris.instrument_imports(include=["aftercart"]):
    from pydantic import TypeAdapter, ValidationError

    from aftercart.integrations.aftership import AfterShipPayloadError
    from aftercart.integrations.aftership import parse_webhook as aftership_parse
    from aftercart.integrations.canonical.schemas import EventIn, event_fact
    from aftercart.integrations.carriers import PARSERS
    from aftercart.integrations.easypost import parse_payload as easypost_parse
    from aftercart.integrations.shopify import ShopifyError, parse_rest


def _json(parse: Callable[[Any], object], *clean: type[Exception]) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        try:
            body = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError):
            return
        with contextlib.suppress(*clean):
            parse(body)

    return target


_EVENTS = TypeAdapter(EventIn)


def _canonical(body: Any) -> None:
    event_fact(_EVENTS.validate_python(body))


TARGETS: dict[str, tuple[Callable[[bytes], None], list[Path]]] = {
    **{
        slug: (lambda data, parse=parse: parse(data), [SHARED / "carrier_tracking" / "karrio" / slug])  # type: ignore[misc]
        for slug, parse in PARSERS.items()
    },
    "easypost": (_json(easypost_parse), [SHARED / "easypost"]),
    "aftership": (_json(aftership_parse, AfterShipPayloadError), [ROOT / "tests" / "fixtures" / "aftership"]),
    "shopify": (_json(parse_rest, ShopifyError), [SHARED / "shopify"]),
    "canonical": (_json(_canonical, ValidationError), [ROOT / "tests" / "fixtures" / "canonical"]),
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: fuzz_parsers.py {{{','.join(sorted(TARGETS))}}} [libFuzzer flags]")
    target, seeds = TARGETS[sys.argv[1]]
    corpus = Path(tempfile.mkdtemp(prefix=f"fuzz-{sys.argv[1]}-"))
    for folder in seeds:
        for i, file in enumerate(sorted(folder.rglob("*.*")) if folder.is_dir() else []):
            if file.suffix in (".json", ".xml"):
                (corpus / f"seed-{i}{file.suffix}").write_bytes(file.read_bytes())
    atheris.Setup([sys.argv[0], *sys.argv[2:], str(corpus)], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
