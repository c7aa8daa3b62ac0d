"""The width of a fan-out, checked against the engine's cap: at submit, for a fan-out whose
``over`` reads only the job's inputs, and by the evaluator for every fan-out."""

from __future__ import annotations

from typing import Any

from domain import templates
from domain.models import FanOutNode, WorkflowDefinition


def too_wide(node_id: str, width: int, cap: int) -> str:
    return (
        f"fan-out '{node_id}' would have {width} children; at most {cap} are allowed "
        "(DAGMASTER_MAX_FAN_OUT): split the work, e.g. into fewer, larger items"
    )


def known_widths(definition: WorkflowDefinition, inputs: dict[str, Any]) -> dict[str, int]:
    """The width of every fan-out whose ``over`` reads only ``inputs`` (and ``job``), by
    node id. Fan-outs over upstream outputs, or whose ``over`` fails, are left out: the
    evaluator decides those when they run."""
    widths: dict[str, int] = {}
    ctx = templates.TemplateContext(
        inputs=inputs,
        job=templates.TemplateJob(
            id="", workflow_id=definition.workflow_id, version=definition.version
        ),
    )
    for node in definition.nodes:
        if not isinstance(node, FanOutNode):
            continue
        if isinstance(node.over, str):
            refs = templates.references(node.over) if "{" in node.over else set()
            if any(r.root not in {"inputs", "job"} for r in refs):
                continue
        try:
            items = templates.render_value(node.over, ctx, node_id=node.id, path="over")
        except templates.TemplateProblem:
            continue
        if isinstance(items, list):
            widths[node.id] = len(items)
    return widths


def input_feeding(node: FanOutNode) -> str | None:
    """The input a fan-out's ``over`` reads, when it reads exactly one."""
    if not isinstance(node.over, str):
        return None
    names = {r.name for r in templates.references(node.over) if r.root == "inputs"}
    return next(iter(names)) if len(names) == 1 and None not in names else None
