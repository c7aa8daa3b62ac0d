"""The template engine of the workflow language: Jinja2 in a sandbox, strict, deterministic.

Templates sit in node ``params`` (any string inside nested dicts/lists), in a conditional
branch's ``when`` and in a fan-out's ``over``. They see ``inputs``, ``nodes.<id>.output``,
``job`` (``id``, ``workflow_id``, ``version``) and, in fan-out children, ``item`` and
``index``. Rules:

- A value that is exactly one ``{{ ... }}`` keeps its native type (list, int, dict, ...);
  any other template renders to a string; everything else passes through unchanged.
- Keys win over methods: ``inputs.items`` is the input named ``items``. Use ``|items`` or
  ``|dictsort`` to iterate a mapping whose keys may shadow its methods.
- Undefined names and keys are errors, never empty strings.
- Sandboxed (``ImmutableSandboxedEnvironment``): no dunder access, no ``str.format``
  escapes, no mutation of inputs; globals are only ``range`` and ``namespace``; the
  non-deterministic ``random`` filter is gone.

Public API::

    TemplateContext(inputs=..., nodes=..., job=TemplateJob(id=, workflow_id=, version=),
                    item=..., index=...)            .for_item(item, index), .jinja_vars()
    render_value(value, ctx, *, node_id, path="params", resolver=None) -> Any
    evaluate_condition(expr, ctx, *, node_id, path, resolver=None) -> bool
    check_syntax(text) -> str | None
    references(text) -> set[Reference]             Reference(root, name); CONTEXT_ROOTS
    iter_templates(value, path="params") -> Iterator[tuple[str, str]]
    TemplateProblem > TemplateSyntaxProblem, TemplateRenderError > TemplateSandboxViolation

Pure: no I/O, clock, randomness or environment reads; one module-level environment and a
cache of compiled templates, neither of which changes any result.
"""

from domain.templates.analysis import (
    CONTEXT_ROOTS,
    Reference,
    check_syntax,
    iter_templates,
    references,
)
from domain.templates.context import TemplateContext, TemplateJob
from domain.templates.errors import (
    TemplateProblem,
    TemplateRenderError,
    TemplateSandboxViolation,
    TemplateSyntaxProblem,
)
from domain.templates.render import evaluate_condition, render_value
from domain.templates.views import Resolver

__all__ = [
    "CONTEXT_ROOTS",
    "Reference",
    "Resolver",
    "TemplateContext",
    "TemplateJob",
    "TemplateProblem",
    "TemplateRenderError",
    "TemplateSandboxViolation",
    "TemplateSyntaxProblem",
    "check_syntax",
    "evaluate_condition",
    "iter_templates",
    "references",
    "render_value",
]
