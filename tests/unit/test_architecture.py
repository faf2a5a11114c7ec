"""The house's shape, checked: imports inside functions cross no package boundary (they would hide
a dependency from the layers contract's reader, and from the one who wires the apps), and no module
grows past the size at which it stops being about one thing."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "aftercart"
#: Lines a module may have (migrations aside): past this it is doing more than one job.
MAX_LINES = 600


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class _FunctionImports(ast.NodeVisitor):
    """Imports of other aftercart packages made inside a function body, except in an
    ``AppConfig.ready`` (where Django wants app-loading-time imports) and under
    ``if TYPE_CHECKING`` (no import at run time)."""

    def __init__(self, module: str) -> None:
        self.module, self.found, self._depth = module, [], 0

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name == "ready" and self.module.endswith(".apps"):
            return
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if self._depth and node.level == 0 and (node.module or "").startswith("aftercart."):
            self._check(node.module or "", node.lineno)

    def visit_Import(self, node: ast.Import) -> None:
        if self._depth:
            for alias in node.names:
                if alias.name.startswith("aftercart."):
                    self._check(alias.name, node.lineno)

    def _check(self, target: str, line: int) -> None:
        source, package = _package(self.module), _package(target)
        if package != source and package not in FLOOR and source not in TOP:
            self.found.append((f"{self.module} imports {target}", line))


#: Everyone may import the floor, at any depth: nothing is hidden by importing it late.
FLOOR = frozenset({"domain", "kernel"})
#: The top of the house: nothing imports it, so its late imports hide no cycle. (Benchmarks import
#: the apps only once their child process has a database configured.)
TOP = frozenset({"commands", "benchmarks"})
#: What the restructuring still has to remove; it only ever shrinks.
KNOWN_LATE_IMPORTS: frozenset[str] = frozenset()
#: Modules allowed over the limit, with the size they may not grow past: none (keep it that way).
KNOWN_OVERSIZE: dict[str, int] = {}


def test_no_import_across_packages_inside_functions():
    found: list[tuple[str, int]] = []
    for path in _modules():
        visitor = _FunctionImports(_module_name(path))
        visitor.visit(ast.parse(path.read_text(), str(path)))
        found += visitor.found
    late = [f"{what} (line {line})" for what, line in found if what not in KNOWN_LATE_IMPORTS]
    assert late == [], "move these imports to the top of the module (and mind the layers):\n" + "\n".join(
        late
    )


def test_no_module_over_the_size_limit():
    over = {
        str(path.relative_to(SRC)): n
        for path in _modules()
        if (n := len(path.read_text().splitlines()))
        > KNOWN_OVERSIZE.get(str(path.relative_to(SRC)), MAX_LINES)
    }
    assert over == {}, f"split these along their seams (limit {MAX_LINES} lines): {over}"
