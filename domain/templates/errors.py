"""Errors raised by the template engine.

::

    TemplateProblem                      catch this for any template failure
    ├── TemplateSyntaxProblem            the text is not valid Jinja (found before anything runs)
    └── TemplateRenderError              evaluation failed: undefined name or key, type error,
        │                                a filter raised, the result is not JSON-like data
        └── TemplateSandboxViolation     the template reached for something the sandbox forbids

Every message names where the template sits (node id and param path, when known), quotes the
template and ends with the reason, e.g.
``node 'cog', param 'params.tile.x': {{ item.xx }}: 'dict object' has no attribute 'xx'``.
Exceptions raised by a large-output resolver are *not* wrapped: they propagate unchanged.
"""

from __future__ import annotations


def _location(node_id: str | None, param_path: str | None) -> str:
    if node_id is None:
        return "" if param_path is None else f"param {param_path!r}: "
    if param_path is None:
        return f"node {node_id!r}: "
    return f"node {node_id!r}, param {param_path!r}: "


class TemplateProblem(Exception):
    """Base of every error raised by ``domain.templates``."""


class TemplateSyntaxProblem(TemplateProblem):
    """``expression`` is not valid Jinja; ``message`` is Jinja's, ``lineno`` is 1-based."""

    def __init__(
        self,
        expression: str,
        message: str,
        lineno: int | None,
        *,
        node_id: str | None = None,
        param_path: str | None = None,
    ) -> None:
        self.expression = expression
        self.message = message
        self.lineno = lineno
        self.node_id = node_id
        self.param_path = param_path
        super().__init__(
            f"{_location(node_id, param_path)}{expression}: syntax error at line {lineno}: "
            f"{message}"
        )

    def __reduce__(self) -> tuple[object, ...]:
        kwargs = {"node_id": self.node_id, "param_path": self.param_path}
        return (_rebuild_syntax, (self.expression, self.message, self.lineno, kwargs))


def _rebuild_syntax(
    expression: str, message: str, lineno: int | None, kwargs: dict[str, str | None]
) -> TemplateSyntaxProblem:
    return TemplateSyntaxProblem(expression, message, lineno, **kwargs)


class TemplateRenderError(TemplateProblem):
    """Evaluating ``expression`` (the param at ``param_path`` of ``node_id``) failed."""

    def __init__(self, node_id: str, param_path: str, expression: str, reason: str) -> None:
        self.node_id = node_id
        self.param_path = param_path
        self.expression = expression
        self.reason = reason
        super().__init__(f"{_location(node_id, param_path)}{expression}: {reason}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.node_id, self.param_path, self.expression, self.reason))


class TemplateSandboxViolation(TemplateRenderError):
    """The template tried to reach an unsafe attribute or call (Jinja's ``SecurityError``)."""
