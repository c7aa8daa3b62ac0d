"""Reading Bicep without the Bicep CLI: tree-sitter-bicep syntax trees, and the checks on them.

Every check returns a list of problems (``file:line: what``), empty when all is well, so a
test shows every problem at once and a deliberately broken copy can show that each check
finds what it should.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tree_sitter_bicep
from tree_sitter import Language, Node, Parser, Tree

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
# Module sources that are not local files (registries, template specs).
_REMOTE_PREFIXES = ("br:", "br/", "ts:", "ts/")


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_bicep.language()))


def parse(path: Path) -> Tree:
    return _parser().parse(path.read_bytes())


def bicep_files(root: Path = INFRA) -> list[Path]:
    return sorted(root.rglob("*.bicep"))


def where(path: Path, node: Node) -> str:
    return f"{path}:{node.start_point[0] + 1}"


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from walk(child)


def text(node: Node) -> str:
    return node.text.decode() if node.text is not None else ""


def string_value(node: Node) -> str | None:
    """The value of a plain string literal (no interpolation), else None."""
    if node.type != "string":
        return None
    parts = [c for c in node.children if c.type not in ("'",)]
    if any(c.type != "string_content" for c in parts):
        return None
    return "".join(text(c) for c in parts)


def syntax_problems(path: Path) -> list[str]:
    """ERROR and MISSING nodes: what tree-sitter-bicep could not parse."""
    problems = []
    for node in walk(parse(path).root_node):
        if node.type == "ERROR":
            problems.append(f"{where(path, node)}: cannot parse {text(node)[:60]!r}")
        elif node.is_missing:
            problems.append(f"{where(path, node)}: missing {node.type!r}")
    return problems


def object_properties(obj: Node) -> dict[str, Node]:
    """The properties of an object literal: key -> value node."""
    found = {}
    for prop in obj.children:
        if prop.type != "object_property":
            continue
        key_node, value = prop.children[0], prop.children[-1]
        key = string_value(key_node) if key_node.type == "string" else text(key_node)
        if key is not None:
            found[key] = value
    return found


def _body(node: Node) -> Node | None:
    """The object of a resource or module declaration: `= {`, `= if (...) {`, `= [for ...]`."""
    for child in node.children:
        if child.type == "object":
            return child
        if child.type in ("if_statement", "for_statement"):
            return _body(child)
    return None


@dataclass(frozen=True)
class Param:
    name: str
    required: bool


def declared_params(tree: Tree) -> dict[str, Param]:
    """A module's parameters; optional ones have a default or a nullable type."""
    params = {}
    for node in tree.root_node.children:
        if node.type != "parameter_declaration":
            continue
        name = text(node.children[1])
        has_default = any(c.type == "=" for c in node.children)
        nullable = any(n.type == "nullable_type" for n in walk(node))
        params[name] = Param(name, required=not (has_default or nullable))
    return params


def declared_outputs(tree: Tree) -> set[str]:
    return {
        text(node.children[1])
        for node in tree.root_node.children
        if node.type == "output_declaration"
    }


@dataclass(frozen=True)
class ModuleUse:
    symbol: str
    source: str
    target: Path
    node: Node


def module_uses(path: Path, tree: Tree) -> list[ModuleUse]:
    uses = []
    for node in tree.root_node.children:
        if node.type != "module_declaration":
            continue
        source = string_value(node.children[2]) or ""
        if source.startswith(_REMOTE_PREFIXES):
            continue
        uses.append(ModuleUse(text(node.children[1]), source, path.parent / source, node))
    return uses


def module_problems(path: Path) -> list[str]:
    """Local modules exist, get only the params they declare and every required one, and
    every `<module>.outputs.<name>` read in this file is an output the module declares."""
    tree = parse(path)
    problems: list[str] = []
    outputs_of: dict[str, set[str]] = {}
    for use in module_uses(path, tree):
        if not use.target.is_file():
            problems.append(f"{where(path, use.node)}: module {use.symbol}: no file {use.source}")
            continue
        target = parse(use.target)
        outputs_of[use.symbol] = declared_outputs(target)
        declared = declared_params(target)
        body = _body(use.node)
        params_node = object_properties(body).get("params") if body is not None else None
        passed = set(object_properties(params_node)) if params_node is not None else set()
        for name in sorted(passed - set(declared)):
            problems.append(
                f"{where(path, use.node)}: module {use.symbol} ({use.source}) has no param {name!r}"
            )
        required = {p.name for p in declared.values() if p.required}
        for name in sorted(required - passed):
            problems.append(
                f"{where(path, use.node)}: module {use.symbol} ({use.source}) needs param {name!r}"
            )
    for node in walk(tree.root_node):
        read = _output_read(node)
        if read is None or read[0] not in outputs_of:
            continue
        symbol, output = read
        if output not in outputs_of[symbol]:
            problems.append(f"{where(path, node)}: module {symbol} has no output {output!r}")
    return problems


def _output_read(node: Node) -> tuple[str, str] | None:
    """(module symbol, output) for a `<symbol>.outputs.<output>` expression, else None."""
    if node.type != "member_expression" or len(node.children) < 3:
        return None
    inner, prop = node.children[0], node.children[-1]
    if inner.type != "member_expression" or len(inner.children) < 3:
        return None
    base, middle = inner.children[0], inner.children[-1]
    if base.type != "identifier" or text(middle) != "outputs":
        return None
    return text(base), text(prop)


def variable(tree: Tree, name: str) -> Node | None:
    for node in tree.root_node.children:
        if node.type == "variable_declaration" and text(node.children[1]) == name:
            return node.children[-1]
    return None


def variables(tree: Tree) -> dict[str, Node]:
    return {
        text(node.children[1]): node.children[-1]
        for node in tree.root_node.children
        if node.type == "variable_declaration"
    }
