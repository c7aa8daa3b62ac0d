"""The one Jinja environment of the workflow language, and the compiled-template cache.

Why a subclass of ``ImmutableSandboxedEnvironment``:

- ``getattr``/``getitem`` on a Mapping look the *key* up first, so ``inputs.items`` is the
  input named ``items``, not ``dict.items``. Subscripts on a Mapping never fall back to
  attributes. Anything else goes through the sandbox's own checks.
- ``*`` and ``**`` are intercepted and bounded (``2 ** 10 ** 9``, ``'a' * 10 ** 9``): the
  sandbox does not limit them, and Jinja constant-folds literal arithmetic at compile time,
  i.e. inside the validator, unless the operator is intercepted.
- Globals are cut down to ``range`` (the sandbox's capped one) and ``namespace``; the
  ``random`` filter is removed because output must be deterministic on every replay.
- What the sandbox would refuse at run time is refused at compile time, i.e. by the
  validator: ``_``-attributes (``__class__``), ``|attr``, calling ``.format``/``.format_map``
  or a mutating method, and macros, ``{% call %}``, recursive or nested loops (which could
  run unbounded work without touching the sandbox).
- Every render has a work budget (`MAX_STEPS`: attribute and item lookups, calls and
  operators, each also charged the length of what it returns) and an output cap
  (`MAX_OUTPUT_CHARS`), both counted, not timed, so they decide the same on every replay.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from domain.templates.data import to_data
from domain.templates.offloaded import Offloaded, offloaded_or
from domain.templates.views import View

_KEPT_GLOBALS = frozenset({"range", "namespace"})
_REMOVED_FILTERS = ("random",)
_VIEW_METHODS = frozenset({"get", "keys", "items", "values"})
MAX_POWER_BITS = 1 << 16
MAX_REPEAT_LENGTH = 1_000_000
MAX_STEPS = 2_000_000
MAX_OUTPUT_CHARS = 1_000_000
# str.format escapes the sandbox's attribute checks; the rest mutate (what
# ImmutableSandboxedEnvironment refuses on lists, dicts, sets and deques).
_UNSAFE_CALLS = frozenset(
    [
        "format",
        "format_map",
        "mro",
        "append",
        "appendleft",
        "add",
        "clear",
        "difference_update",
        "discard",
        "extend",
        "extendleft",
        "insert",
        "pop",
        "popitem",
        "popleft",
        "remove",
        "reverse",
        "rotate",
        "setdefault",
        "sort",
        "symmetric_difference_update",
        "update",
    ]
)
_BUDGET: ContextVar[list[int] | None] = ContextVar("template_budget", default=None)


def _charge(result: Any = None) -> Any:
    """Count one step (and the length of ``result``) against the current render's budget."""
    budget = _BUDGET.get()
    if budget is not None:
        sized = isinstance(result, str | bytes | list | tuple | dict | set | frozenset | range)
        budget[0] -= 1 + (len(result) if sized else 0)
        if budget[0] < 0:
            raise SecurityError(f"the template does more than {MAX_STEPS} steps of work")
    return result


def _has_key(mapping: Mapping[Any, Any], key: Any) -> bool:
    try:
        return key in mapping
    except TypeError:  # unhashable subscript
        return False


class WorkflowSandbox(ImmutableSandboxedEnvironment):
    """Sandbox where a Mapping's keys win over its attributes; see the module docstring."""

    intercepted_binops = frozenset({"*", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        return _charge(self._getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return _charge(self._getitem(obj, argument))

    def call(self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        return _charge(super().call(__context, __obj, *args, **kwargs))

    def _getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Offloaded):
            return obj[attribute]
        if isinstance(obj, Mapping):
            if _has_key(obj, attribute):
                return offloaded_or(obj[attribute])
            if isinstance(obj, View) and attribute not in _VIEW_METHODS:
                return self.undefined(obj.missing_hint(attribute), obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def _getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Offloaded):
            return obj[argument]
        if not isinstance(obj, Mapping):
            return super().getitem(obj, argument)
        if _has_key(obj, argument):
            return offloaded_or(obj[argument])
        if isinstance(obj, View):
            return self.undefined(obj.missing_hint(argument), obj=obj, name=argument)
        return self.undefined(obj=obj, name=argument)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_power(left, right)
        elif operator == "*":
            _check_repeat(left, right)
        return _charge(super().call_binop(context, operator, left, right))


def _check_power(base: Any, exponent: Any) -> None:
    # Floats overflow on their own; only integer powers can grow without bound.
    ints = isinstance(base, int) and isinstance(exponent, int)
    if ints and abs(base) > 1 and abs(base).bit_length() * exponent > MAX_POWER_BITS:
        raise SecurityError(f"integer power with more than {MAX_POWER_BITS} bits")


def _check_repeat(left: Any, right: Any) -> None:
    for seq, times in ((left, right), (right, left)):
        repeats = isinstance(seq, str | list | tuple) and isinstance(times, int)
        if repeats and len(seq) * times > MAX_REPEAT_LENGTH:
            raise SecurityError(f"repetition longer than {MAX_REPEAT_LENGTH} items")


def _finalize(value: Any) -> Any:
    """Applied to every ``{{ }}`` in text templates: no addresses or methods in the output."""
    if isinstance(value, Undefined):
        return value
    if isinstance(value, View | Iterator):
        return to_data(value)
    if callable(value):
        return to_data(value)  # raises
    return value


def _build_environment() -> WorkflowSandbox:
    env = WorkflowSandbox(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        finalize=_finalize,
        cache_size=0,
    )
    for name in set(env.globals) - _KEPT_GLOBALS:
        del env.globals[name]
    for name in _REMOVED_FILTERS:
        del env.filters[name]
    return env


ENV = _build_environment()


@dataclass(frozen=True, slots=True)
class Compiled:
    """A compiled template: exactly one of ``native`` (a lone ``{{ }}``) or ``text``."""

    native: TemplateExpression | None
    text: Template | None

    def run(self, variables: dict[str, Any]) -> Any:
        """Native data for a lone expression, else the rendered string; `SecurityError`
        past the work budget or the output cap."""
        token = _BUDGET.set([MAX_STEPS])
        try:
            if self.native is not None:
                return _capped(to_data(self.native(variables)))
            if self.text is not None:
                return _joined(self.text.generate(variables))
        finally:
            _BUDGET.reset(token)
        raise ValueError("empty compiled template")


def _too_long(length: int) -> SecurityError:
    return SecurityError(f"the template's output is over {MAX_OUTPUT_CHARS} characters ({length})")


def _joined(parts: Iterator[str]) -> str:
    out: list[str] = []
    length = 0
    for part in parts:
        length += len(part)
        if length > MAX_OUTPUT_CHARS:
            raise _too_long(length)
        out.append(part)
    return "".join(out)


def _capped(value: Any) -> Any:
    if isinstance(value, str | list | dict) and len(value) > MAX_OUTPUT_CHARS:
        raise _too_long(len(value))
    return value


def single_expression(ast: nodes.Template) -> nodes.Expr | None:
    """The expression if the template is one ``{{ ... }}`` with only whitespace around it."""
    if len(ast.body) != 1 or not isinstance(ast.body[0], nodes.Output):
        return None
    parts = [n for n in ast.body[0].nodes if not _is_blank(n)]
    if len(parts) == 1 and not isinstance(parts[0], nodes.TemplateData):
        return parts[0]
    return None


def _is_blank(node: nodes.Node) -> bool:
    return isinstance(node, nodes.TemplateData) and not node.data.strip()


_LOADING_TAGS: dict[type[nodes.Node], str] = {
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from ... import",
}


def _reject_loading(ast: nodes.Template) -> None:
    # There is no loader: say so before anything runs rather than fail at render time.
    for node in ast.find_all(tuple(_LOADING_TAGS)):
        tag = _LOADING_TAGS[type(node)]
        raise TemplateSyntaxError(
            f"'{{% {tag} %}}' is not available in workflow templates", node.lineno
        )


def _unsafe(node: nodes.Node) -> str | None:
    """Why the sandbox (or the work bound) would refuse ``node``, or None."""
    if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
        return f"attribute '{node.attr}' is not available (names starting with _ are private)"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        key = node.arg.value
        if isinstance(key, str) and key.startswith("_"):
            return f"key '{key}' is not available (names starting with _ are private)"
    if isinstance(node, nodes.Filter) and node.name == "attr":
        return "the 'attr' filter is not available; use a.b or a['b']"
    called = node.node if isinstance(node, nodes.Call) else None
    if isinstance(called, nodes.Getattr) and called.attr in _UNSAFE_CALLS:
        return f"calling '.{called.attr}()' is not available in workflow templates"
    if isinstance(node, nodes.Macro | nodes.CallBlock):
        return "macros and '{% call %}' are not available in workflow templates"
    if isinstance(node, nodes.For) and (node.recursive or any(node.find_all(nodes.For))):
        return "recursive and nested loops are not available in workflow templates"
    return None


def _reject_unsafe(ast: nodes.Template) -> None:
    for node in ast.find_all(nodes.Node):
        reason = _unsafe(node)
        if reason:
            raise TemplateSyntaxError(reason, node.lineno)


@lru_cache(maxsize=4096)
def compile_template(source: str) -> Compiled:
    """Parse and compile ``source`` once; raises Jinja's ``TemplateSyntaxError``, also for
    ``extends``/``include``/``import`` (there is nothing to load templates from) and for what
    the sandbox would refuse at run time (see the module docstring).

    A lone expression is compiled the way ``compile_expression`` does it (assign to
    ``result``), from the already parsed AST, so its value keeps its native type.
    """
    ast = ENV.parse(source)
    _reject_loading(ast)
    _reject_unsafe(ast)
    expr = single_expression(ast)
    if expr is None:
        return Compiled(native=None, text=ENV.from_string(ast))
    body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=expr.lineno)]
    template = ENV.from_string(nodes.Template(body, lineno=1))
    return Compiled(native=TemplateExpression(template, False), text=None)
