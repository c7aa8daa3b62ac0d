"""Rendering params, ``over`` and ``when`` values against a :class:`TemplateContext`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

from domain.templates.context import TemplateContext
from domain.templates.environment import compile_template
from domain.templates.errors import (
    TemplateRenderError,
    TemplateSandboxViolation,
    TemplateSyntaxProblem,
)
from domain.templates.views import Resolver, ResolverFailure

_FALSE_STRINGS = frozenset({"", "false", "0"})


def is_template(text: str) -> bool:
    """A string is a template iff it contains ``{{`` or ``{%``; others are literal text."""
    return "{{" in text or "{%" in text


def child_path(path: str, key: object) -> str:
    """``params.tile`` + ``x`` → ``params.tile.x``; list positions become ``[i]``."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    return f"{path}.{key}"


def render_value(
    value: Any,
    ctx: TemplateContext,
    *,
    node_id: str,
    path: str = "params",
    resolver: Resolver | None = None,
) -> Any:
    """Render every template string inside ``value`` (dicts and lists, recursively).

    - A string that is exactly one ``{{ ... }}`` (whitespace around allowed) is evaluated as
      an expression and keeps its native type; the result is converted to fresh JSON-like
      data (tuples and iterators become lists).
    - Any other template string renders to a string. Strings without ``{{``/``{%`` and
      non-string values are returned unchanged; dict keys are never rendered.
    - ``resolver`` materialises a node output that is a large-output reference (a dict with a
      string ``"$ref"``), only when a template accesses ``nodes.<id>.output``, at most once
      per node per call. Without a resolver the reference dict itself is seen. Exceptions
      from the resolver propagate unchanged.

    Raises :class:`TemplateSyntaxProblem` or :class:`TemplateRenderError` (naming ``node_id``
    and the param path, e.g. ``params.tiles[2].x``). Deterministic: same inputs, same output.
    """
    return _render(value, ctx.jinja_vars(resolver), node_id, path)


def _render(value: Any, variables: dict[str, Any], node_id: str, path: str) -> Any:
    if isinstance(value, str):
        return _evaluate(value, variables, node_id, path) if is_template(value) else value
    if isinstance(value, Mapping):
        return {k: _render(v, variables, node_id, child_path(path, k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        rendered = [
            _render(v, variables, node_id, child_path(path, i)) for i, v in enumerate(value)
        ]
        return rendered if isinstance(value, list) else tuple(rendered)
    return value


def evaluate_condition(
    expr: str | bool,
    ctx: TemplateContext,
    *,
    node_id: str,
    path: str,
    resolver: Resolver | None = None,
) -> bool:
    """Whether a branch's ``when`` holds.

    ``expr`` is rendered like a param. A native result counts by Python truthiness
    (``0``, ``None``, ``[]``, ``{}`` are false). A string result — from a text template, or a
    lone expression that yields a string — is false iff, stripped and case-folded, it is
    ``""``, ``"false"`` or ``"0"``; so ``"{{ inputs.flag }}"`` with ``flag: "False"`` is false.
    A plain boolean (YAML ``when: true``) is taken as is.
    """
    result = render_value(expr, ctx, node_id=node_id, path=path, resolver=resolver)
    if isinstance(result, str):
        return result.strip().casefold() not in _FALSE_STRINGS
    return bool(result)


def _evaluate(source: str, variables: dict[str, Any], node_id: str, path: str) -> Any:
    try:
        compiled = compile_template(source)
    except TemplateSyntaxError as exc:
        raise TemplateSyntaxProblem(
            source, exc.message or str(exc), exc.lineno, node_id=node_id, param_path=path
        ) from None
    expression = source.strip()
    try:
        return compiled.run(variables)
    except ResolverFailure as failure:
        raise failure.original from None
    except SecurityError as exc:
        raise TemplateSandboxViolation(node_id, path, expression, str(exc)) from exc
    except UndefinedError as exc:
        raise TemplateRenderError(node_id, path, expression, str(exc)) from exc
    except Exception as exc:  # any failure of user-written code is the template's fault
        reason = f"{type(exc).__name__}: {exc}"
        raise TemplateRenderError(node_id, path, expression, reason) from exc
