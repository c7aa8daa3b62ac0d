"""Static analysis of templates, for the workflow validator: syntax, references, locations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from jinja2 import meta, nodes
from jinja2.exceptions import TemplateSyntaxError

from domain.templates.environment import ENV, compile_template
from domain.templates.errors import TemplateSyntaxProblem
from domain.templates.render import child_path, is_template

CONTEXT_ROOTS: Final = frozenset({"inputs", "nodes", "job", "item", "index"})
"""The top-level names a template may use; ``item``/``index`` only inside a fan-out."""


@dataclass(frozen=True, slots=True)
class Reference:
    """One use of a top-level name: ``root`` (``inputs``, ``nodes``, ..., or an unknown name)
    and ``name``, the first key under it (input name, node id) or ``None`` if the template
    uses the root itself or subscripts it with a computed key (``inputs[k]``)."""

    root: str
    name: str | None = None


def check_syntax(text: str) -> str | None:
    """``None`` if ``text`` compiles, else Jinja's message prefixed with the line number.

    Compiling (not only parsing) also catches unknown filters and tests.
    """
    try:
        compile_template(text)
    except TemplateSyntaxError as exc:
        return f"line {exc.lineno}: {exc.message or exc}"
    return None


def references(text: str) -> set[Reference]:
    """Every top-level name ``text`` reads, with the first key under it.

    Found on the parsed AST, so it sees through filters, tests, conditions, loops and
    subscripts: ``inputs.x``, ``inputs['x']``, ``nodes.a.output.b``, ``nodes['a'].output``.
    Names the template binds itself (loop variables, ``{% set %}``) and the environment's
    globals (``range``, ``namespace``) are not references. A key named like a dict method is
    a key: ``inputs.items`` is ``Reference("inputs", "items")``, as when rendering.
    Raises :class:`TemplateSyntaxProblem` if ``text`` does not parse.
    """
    try:
        ast = ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateSyntaxProblem(text, exc.message or str(exc), exc.lineno) from None
    free = meta.find_undeclared_variables(ast)
    found: set[Reference] = set()
    _collect(ast, free, found)
    return found


def _collect(node: nodes.Node, free: set[str], found: set[Reference]) -> None:
    root = _free_name(getattr(node, "node", None), free)
    if isinstance(node, nodes.Getattr) and root is not None:
        found.add(Reference(root, node.attr))
        return
    if isinstance(node, nodes.Getitem) and root is not None:
        key = node.arg.value if isinstance(node.arg, nodes.Const) else None
        found.add(Reference(root, key if isinstance(key, str) else None))
        _collect(node.arg, free, found)
        return
    own = _free_name(node, free)
    if own is not None:
        found.add(Reference(own))
        return
    for child in node.iter_child_nodes():
        _collect(child, free, found)


def _free_name(node: nodes.Node | None, free: set[str]) -> str | None:
    if isinstance(node, nodes.Name) and node.ctx == "load" and node.name in free:
        return node.name
    return None


def iter_templates(value: Any, path: str = "params") -> Iterator[tuple[str, str]]:
    """Yield ``(param path, template)`` for every string in ``value`` containing ``{{`` or
    ``{%``, depth first in document order; paths match those in render errors."""
    if isinstance(value, str):
        if is_template(value):
            yield path, value
    elif isinstance(value, Mapping):
        for key, child in value.items():
            yield from iter_templates(child, child_path(path, key))
    elif isinstance(value, list | tuple):
        for index, child in enumerate(value):
            yield from iter_templates(child, child_path(path, index))
