"""Load workflow YAML and report every problem at once, each with file, line and node id.

    load_workflow_text(text, source)   -> WorkflowDefinition   (or WorkflowValidationError)
    load_workflow_file(path)           -> WorkflowDefinition
    load_workflow_dir(paths)           -> WorkflowSet          (cross-file checks too)
    load_workflows(paths)              -> WorkflowSet          (the valid ones, and `problems`)

YAML is composed once with the safe loader, checked (no duplicate keys; aliases may not
expand the document past `MAX_YAML_NODES`, so an alias bomb is refused at once) and then
constructed like `yaml.safe_load`; the composed nodes keep the line of every mapping key and
sequence item so that Pydantic's error locations map back to lines.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from domain.models import NodeDefinition, SubWorkflowNode, WorkflowDefinition
from domain.validation import InvalidNode, Issue, check_workflow

Location = tuple[str | int, ...]
_NODE = TypeAdapter(NodeDefinition)
MAX_YAML_NODES = 100_000
"""Most nodes a workflow document may have with every alias expanded."""


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    node_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        node = f" node '{self.node_id}':" if self.node_id else ""
        return f"{where}:{node} {self.message}"


class WorkflowValidationError(ValueError):
    """All the problems of one or more workflow files."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"invalid workflow ({count}):\n" + "\n".join(f"  {p}" for p in problems))


def _expanded_size(root: yaml.Node, source: str) -> int:
    """How many nodes ``root`` has with aliases expanded, counted once per distinct node."""
    sizes: dict[int, int] = {}
    pending: set[int] = set()

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in pending:
            line = node.start_mark.line + 1
            raise WorkflowValidationError([Problem(source, line, None, "YAML alias to itself")])
        pending.add(id(node))
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_YAML_NODES:
                break
        pending.discard(id(node))
        sizes[id(node)] = total
        return total

    return size(root)


def _duplicate_keys(root: yaml.Node, source: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                stack.append(value)
                if not isinstance(key, yaml.ScalarNode) or key.tag.endswith(":merge"):
                    continue
                line = key.start_mark.line + 1
                if key.value in first:
                    message = f"duplicate key '{key.value}' (first on line {first[key.value]})"
                    problems.append(Problem(source, line, None, message))
                first.setdefault(key.value, line)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(problems, key=lambda p: p.line or 0)


def _compose(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """The document's data and its node tree; `WorkflowValidationError` for duplicate keys
    or a document that aliases expand past `MAX_YAML_NODES`."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        if _expanded_size(root, source) > MAX_YAML_NODES:
            raise WorkflowValidationError(
                [
                    Problem(
                        source,
                        None,
                        None,
                        f"YAML: the document expands to more than {MAX_YAML_NODES} nodes "
                        "(aliases repeating aliases?); write it out plainly",
                    )
                ]
            )
        duplicates = _duplicate_keys(root, source)
        if duplicates:
            raise WorkflowValidationError(duplicates)
        return loader.construct_document(root), root
    finally:
        loader.dispose()


def _line_map(root: yaml.Node | None) -> dict[Location, int]:
    """The 1-based line of every key and item, by its path from the document root."""
    lines: dict[Location, int] = {}

    def walk(node: yaml.Node, path: Location) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, key.value)
                lines[sub] = key.start_mark.line + 1
                walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    if root is not None:
        walk(root, ())
    return lines


class _Locator:
    def __init__(self, source: str, data: dict[str, Any], lines: dict[Location, int]) -> None:
        self.source = source
        self.lines = lines
        raw_nodes = data.get("nodes")
        self.raw_nodes: list[Any] = raw_nodes if isinstance(raw_nodes, list) else []
        self.index_of: dict[str, int] = {}
        for i, raw in enumerate(self.raw_nodes):
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                self.index_of.setdefault(raw["id"], i)

    def line(self, loc: Location) -> int | None:
        """The line of the longest prefix of ``loc`` present in the YAML."""
        present = tuple(p for p in loc if not self._is_synthetic(p))
        for end in range(len(present), -1, -1):
            if present[:end] in self.lines:
                return self.lines[present[:end]]
        return None

    @staticmethod
    def _is_synthetic(part: str | int) -> bool:
        # Pydantic adds the discriminator tag and union member names to locations.
        return part in {
            "start",
            "end",
            "task",
            "conditional",
            "fan_out",
            "fan_in",
            "approval",
            "sub_workflow",
            "list[str]",
            "AnyOf",
        } and not isinstance(part, int)

    def from_pydantic(self, loc: Location, message: str) -> Problem:
        node_id = None
        if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
            raw = self.raw_nodes[loc[1]] if loc[1] < len(self.raw_nodes) else None
            node_id = raw.get("id") if isinstance(raw, dict) else None
            node_id = node_id if isinstance(node_id, str) else f"#{loc[1] + 1}"
        inner = loc[2:] if node_id is not None else loc
        field = ".".join(str(p) for p in inner if not self._is_synthetic(p))
        text = f"{field}: {message}" if field else message
        return Problem(self.source, self.line(loc), node_id, text)

    def from_issue(self, issue: Issue) -> Problem:
        if issue.node_id is None:
            return Problem(self.source, self.line(issue.field), None, issue.message)
        index = self.index_of.get(issue.node_id)
        loc: Location = ("nodes", index, *issue.field) if index is not None else ("nodes",)
        return Problem(self.source, self.line(loc), issue.node_id, issue.message)


def _pydantic_message(error: Any) -> str:
    msg = str(error["msg"])
    if error["type"] == "extra_forbidden":
        return "unknown field"
    return msg.removeprefix("Value error, ")


def _structural(
    data: dict[str, Any], locator: _Locator
) -> tuple[WorkflowDefinition | None, list[Problem]]:
    try:
        return WorkflowDefinition.model_validate(data), []
    except ValidationError as exc:
        return None, [
            locator.from_pydantic(tuple(e["loc"]), _pydantic_message(e))
            for e in exc.errors(include_url=False)
        ]


def _parsed_nodes(raw_nodes: list[Any]) -> list[NodeDefinition | InvalidNode]:
    """Every node: validated, or, when it has structural errors (reported separately), a
    placeholder keeping its id and dependencies so graph checks do not cascade."""
    parsed: list[NodeDefinition | InvalidNode] = []
    for raw in raw_nodes:
        try:
            parsed.append(_NODE.validate_python(raw))
        except ValidationError:
            placeholder = InvalidNode.from_raw(raw)
            if placeholder is not None:
                parsed.append(placeholder)
    return parsed


def read_yaml(text: str, source: str) -> tuple[Any, dict[Location, int]]:
    """The document's data (`yaml.safe_load` semantics) and the 1-based line of every key and
    item by its path; YAML syntax errors, duplicate keys, alias bombs and too deep nesting are
    a `WorkflowValidationError` naming the line. Other YAML files (the platform registry)
    read the same way."""
    try:
        data, root = _compose(text, source)
        return data, _line_map(root)
    except RecursionError:
        problem = Problem(source, None, None, "YAML nested too deeply")
        raise WorkflowValidationError([problem]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise WorkflowValidationError(
            [Problem(source, line, None, f"YAML syntax: {reason}")]
        ) from exc


def load_workflow_text(
    text: str, source: str = "<string>", *, handlers: Collection[str] | None = None
) -> WorkflowDefinition:
    """Parse and validate one workflow; raise `WorkflowValidationError` listing every problem."""
    data, lines = read_yaml(text, source)
    if not isinstance(data, dict):
        raise WorkflowValidationError(
            [Problem(source, 1, None, "a workflow file must be a YAML mapping")]
        )
    locator = _Locator(source, data, lines)
    definition, problems = _structural(data, locator)
    nodes = _parsed_nodes(locator.raw_nodes)
    raw_inputs = data.get("inputs")
    defaults = data.get("defaults")
    issues = check_workflow(
        nodes,
        input_names=raw_inputs.keys() if isinstance(raw_inputs, dict) else (),
        default_queue=isinstance(defaults, dict) and defaults.get("queue") is not None,
        handlers=handlers,
    )
    problems += [locator.from_issue(issue) for issue in issues]
    if problems or definition is None:
        raise WorkflowValidationError(sorted(problems, key=lambda p: (p.line or 0, p.message)))
    return definition


def load_workflow_file(
    path: Path | str, *, handlers: Collection[str] | None = None
) -> WorkflowDefinition:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkflowValidationError([Problem(str(path), None, None, str(exc))]) from exc
    return load_workflow_text(text, str(path), handlers=handlers)


@dataclass
class WorkflowSet:
    """Workflows by (id, version), with where each came from."""

    workflows: dict[tuple[str, int], WorkflowDefinition] = field(default_factory=dict)
    sources: dict[tuple[str, int], str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # of the files left out

    def get(self, workflow_id: str, version: int | None = None) -> WorkflowDefinition:
        """The given version, or the latest when ``version`` is None; KeyError if absent."""
        if version is not None:
            return self.workflows[(workflow_id, version)]
        versions = [v for (wid, v) in self.workflows if wid == workflow_id]
        if not versions:
            raise KeyError(workflow_id)
        return self.workflows[(workflow_id, max(versions))]

    def latest(self) -> list[WorkflowDefinition]:
        ids = sorted({wid for wid, _ in self.workflows})
        return [self.get(wid) for wid in ids]


def workflow_files(paths: Iterable[Path | str]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted([*p.rglob("*.yaml"), *p.rglob("*.yml")])
        else:
            files.append(p)
    return files


def load_workflow_dir(
    paths: Iterable[Path | str], *, handlers: Collection[str] | None = None
) -> WorkflowSet:
    """Load every workflow under ``paths``; raise `WorkflowValidationError` listing every
    problem of every file (see `load_workflows`)."""
    result = load_workflows(paths, handlers=handlers)
    if result.problems:
        raise WorkflowValidationError(result.problems)
    return result


def load_workflows(
    paths: Iterable[Path | str], *, handlers: Collection[str] | None = None
) -> WorkflowSet:
    """Every valid workflow under ``paths``, and in ``problems`` why the others were left
    out: a file's own problems, an (id, version) pair defined twice (the second is left
    out), a `sub_workflow` node naming a workflow not in the set (its workflow is left out).
    One broken file never hides the valid ones."""
    result = WorkflowSet()
    for file in workflow_files(paths):
        try:
            definition = load_workflow_file(file, handlers=handlers)
        except WorkflowValidationError as exc:
            result.problems += exc.problems
            continue
        key = (definition.workflow_id, definition.version)
        if key in result.workflows:
            result.problems.append(
                Problem(
                    str(file),
                    None,
                    None,
                    f"workflow '{key[0]}' version {key[1]} is also defined in "
                    f"{result.sources[key]}",
                )
            )
            continue
        result.workflows[key] = definition
        result.sources[key] = str(file)
    _drop_missing_sub_workflows(result)
    return result


def find_workflow_file(directory: Path | str, workflow_id: str, version: int | None = None) -> Path:
    """The file defining ``workflow_id`` (the given or the highest version) under
    ``directory``, found without validating the other files. KeyError if none."""
    best: tuple[int, Path] | None = None
    for file in workflow_files([directory]):
        try:
            data, _ = _compose(file.read_text(encoding="utf-8"), str(file))
        except (OSError, yaml.YAMLError, WorkflowValidationError, RecursionError):
            continue
        if not isinstance(data, dict) or data.get("workflow_id") != workflow_id:
            continue
        found = data.get("version")
        if not isinstance(found, int) or (version is not None and found != version):
            continue
        if best is None or found > best[0]:
            best = (found, file)
    if best is None:
        raise KeyError(workflow_id)
    return best[1]


def _drop_missing_sub_workflows(found: WorkflowSet) -> None:
    """Leave out every workflow with a `sub_workflow` node naming a workflow not in the set,
    until none is left (leaving one out can orphan another)."""
    while problems := _sub_workflow_problems(found):
        found.problems += [problem for _, problem in problems]
        for key, _ in problems:
            found.workflows.pop(key, None)
            found.sources.pop(key, None)


def _sub_workflow_problems(found: WorkflowSet) -> list[tuple[tuple[str, int], Problem]]:
    problems: list[tuple[tuple[str, int], Problem]] = []
    for key, definition in found.workflows.items():
        for node in definition.nodes:
            if not isinstance(node, SubWorkflowNode):
                continue
            try:
                found.get(node.workflow_id, node.version)
            except KeyError:
                version = f" version {node.version}" if node.version else ""
                problem = Problem(
                    found.sources[key],
                    None,
                    node.id,
                    f"sub_workflow '{node.workflow_id}'{version} is not defined",
                )
                problems.append((key, problem))
    return problems
