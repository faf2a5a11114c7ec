"""The language stores write their message templates in, and the budget every render runs within.

A store's template is rendered by the delivery worker, which sends every store's messages: what a
template may cost is everyone's business. So it is Django template syntax cut down to what a
message needs, compiled by a parser that knows nothing else:

* **variables** ``{{ name }}``, only the known plain strings, used as they are: no attribute, index
  or method lookups (``{{ customer_name.upper }}`` is refused; ``{{ customer_name|upper }}`` is not);
* **tags** :data:`ALLOWED_TAGS`: ``{% if %}`` (``elif``, ``else``, ``and``/``or``/``not``,
  comparisons, ``in``) and ``{% comment %}`` (and ``{# … #}`` comments);
* **filters** :data:`ALLOWED_FILTERS`, each linear in its input and never longer than it by more
  than its (literal) argument.

Nothing else compiles. No ``{% for %}``: every variable is a string, and a loop over a string,
nested, costs its length to the power of the nesting (a 200-character name four levels deep is 1.6
billion iterations, fine with the examples a template is checked with). No ``{% load %}``,
``{% include %}``, ``{% extends %}``, ``{% now %}`` ...; no filter that pads or formats to a size
its argument chooses (``ljust``, ``center``, ``stringformat``, ``floatformat``) or parses its input
with costly expressions (``urlize``).

Without loops a render's work is linear in the template and its values; the budget bounds it at
preview and at send alike (a counting context, no threads or signals): at most :data:`MAX_STEPS`
variable reads, at most :data:`MAX_READ` characters read, and the output within the caller's
limit. A render over it raises :class:`OverBudget`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.template import (
    Context,
    Engine,
    Library,
    Template,
    TemplateSyntaxError,
    Variable,
    defaultfilters,
    defaulttags,
)
from django.template.base import FilterExpression, Lexer, Node, Parser, Token

#: The tags a template may use, and the tags that close or divide them.
ALLOWED_TAGS = ("if", "comment")
_INNER_TAGS = frozenset({"elif", "else", "endif", "endcomment"})
#: The filters a template may use.
ALLOWED_FILTERS = ("default", "upper", "lower", "title", "capfirst", "truncatechars", "truncatewords")
#: Variable reads per render (each ``{{ x }}``, each variable in a condition or filter argument).
MAX_STEPS = 500
#: Characters read from variables per render (the sum of the lengths of what the reads returned).
MAX_READ = 200_000

_LIBRARY = Library()
for _tag in ALLOWED_TAGS:
    _LIBRARY.tag(_tag, defaulttags.register.tags[_tag])
for _filter in ALLOWED_FILTERS:
    _LIBRARY.filter(_filter, defaultfilters.register.filters[_filter])

# Renders only (context handling, autoescape off per context): what compiles is decided by
# _SandboxParser, which is given the library above and nothing else.
_ENGINE = Engine(dirs=[], app_dirs=False, libraries={}, autoescape=True)


class NotAllowed(TemplateSyntaxError):
    """Valid Django template syntax that a message template may not use, or an unknown variable."""


class OverBudget(Exception):
    """A render that went over its budget (reads, characters read, or output length)."""


class _SandboxParser(Parser):
    def __init__(self, tokens: list[Token], names: frozenset[str]) -> None:
        super().__init__(tokens, libraries={}, builtins=[_LIBRARY])
        self.names = names

    def compile_filter(self, token: str) -> FilterExpression:
        # Every expression goes through here: {{ … }}, an {% if %} operand, a filter's argument.
        expression = super().compile_filter(token)
        for variable in _variables(expression):
            lookups = variable.lookups
            if lookups is None:  # a literal: "text", 3
                continue
            if len(lookups) != 1:
                raise NotAllowed(
                    f"{variable.var!r}: variables are used as they are, without '.' lookups "
                    f"(use a filter: {{{{ {lookups[0]}|upper }}}})"
                )
            if lookups[0] not in self.names:
                known = ", ".join(sorted(self.names))
                raise NotAllowed(f"unknown variable {lookups[0]!r} (known: {known})")
        return expression

    def find_filter(self, filter_name: str) -> Any:
        if filter_name not in self.filters:
            raise NotAllowed(
                f"the filter {filter_name!r} is not allowed in a message template "
                f"(filters: {', '.join(ALLOWED_FILTERS)})"
            )
        return self.filters[filter_name]

    def invalid_block_tag(self, token: Token, command: str, parse_until: Any = None) -> None:
        if command in _INNER_TAGS:  # an {% endif %} out of place: Django says what was expected
            super().invalid_block_tag(token, command, parse_until)
        tags = ", ".join("{% " + t + " %}" for t in ALLOWED_TAGS)
        raise self.error(
            token,
            NotAllowed(
                f"line {token.lineno}: {{% {command} %}} is not allowed in a message template (tags: {tags})"
            ),
        )


def _variables(expression: FilterExpression) -> Iterator[Variable]:
    """The variables an expression reads: its own, and its filters' arguments."""
    if isinstance(expression.var, Variable):
        yield expression.var
    for _function, arguments in expression.filters:
        for is_variable, argument in arguments:
            if is_variable and isinstance(argument, Variable):
                yield argument


class _SandboxTemplate(Template):
    def __init__(self, source: str, names: frozenset[str]) -> None:
        self._names = names
        super().__init__(source, engine=_ENGINE)

    def compile_nodelist(self) -> Any:
        parser = _SandboxParser(Lexer(self.source).tokenize(), self._names)
        nodelist = parser.parse()
        self.extra_data = getattr(parser, "extra_data", {})  # as Django's own compile_nodelist
        return nodelist


def sandbox_compile(source: str, names: frozenset[str]) -> Template:
    """``source`` compiled in the message template language, where ``names`` are the variables;
    :class:`NotAllowed` for what the language leaves out, ``TemplateSyntaxError`` for what does not
    compile at all."""
    try:
        return _SandboxTemplate(source, names)
    except RecursionError:
        raise NotAllowed("the template nests {% if %} too deeply") from None


class _BudgetContext(Context):
    """A context that counts what the render reads from it, and stops it past the budget."""

    def __init__(self, values: Mapping[str, str], steps: int, read: int) -> None:
        super().__init__(dict(values), autoescape=False)
        self.steps_left = steps
        self.read_left = read
        self.over = ""

    def __getitem__(self, key: int | str | Node) -> Any:
        value = super().__getitem__(key)
        self.steps_left -= 1
        if isinstance(value, str):
            self.read_left -= len(value)
        if not self.over and self.steps_left < 0:
            self.over = f"reads variables more than {MAX_STEPS} times (the render budget)"
        elif not self.over and self.read_left < 0:
            self.over = f"reads more than {MAX_READ:,} characters of variables (the render budget)"
        if self.over:
            # {% if a == b %} swallows errors (an operator failing is False): the render goes on to
            # its end, every further read failing again, and sandbox_render raises after it.
            raise OverBudget(self.over)
        return value


def sandbox_render(template: Template, values: Mapping[str, str], *, limit: int) -> str:
    """A compiled template rendered as plain text within the budget: :class:`OverBudget` when it
    reads too much or renders longer than ``limit`` characters."""
    context = _BudgetContext(values, MAX_STEPS, MAX_READ)
    rendered = template.render(context)
    if context.over:
        raise OverBudget(context.over)
    if len(rendered) > limit:
        raise OverBudget(f"renders to {len(rendered)} characters; at most {limit}")
    return rendered
