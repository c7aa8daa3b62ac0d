"""What a template can see: ``inputs``, ``nodes``, ``job`` and, in fan-out children, ``item``
and ``index``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from domain.templates.offloaded import offloaded_or
from domain.templates.views import NodesView, Resolver


class _NoItem:
    """Sentinel: the context is not a fan-out child (``None`` is a legitimate item)."""

    _instance: _NoItem | None = None

    def __new__(cls) -> _NoItem:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<no item>"


NO_ITEM: Final = _NoItem()


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateJob:
    """``job`` in templates: ``job.id``, ``job.workflow_id``, ``job.version``."""

    id: str
    workflow_id: str
    version: int

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "workflow_id": self.workflow_id, "version": self.version}


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateContext:
    """Everything a node's templates may reference.

    ``nodes`` maps each *completed upstream* node id to its output (or to a large-output
    reference, see :func:`domain.templates.render_value`). ``item``/``index`` are set only
    for fan-out children; elsewhere referencing them is an undefined-name error.
    The mappings are read, never modified, and never aliased by render results.
    """

    inputs: Mapping[str, Any] = field(default_factory=dict)
    nodes: Mapping[str, Any] = field(default_factory=dict)
    job: TemplateJob
    item: Any = NO_ITEM
    index: int | None = None

    def for_item(self, item: Any, index: int) -> TemplateContext:
        """The context of the fan-out child number ``index`` (0-based) over ``item``."""
        return replace(self, item=item, index=index)

    def jinja_vars(self, resolver: Resolver | None = None) -> dict[str, Any]:
        """The top-level names of the Jinja context; node outputs resolve lazily."""
        variables: dict[str, Any] = {
            "inputs": self.inputs,
            "nodes": NodesView(self.nodes, resolver),
            "job": self.job.as_dict(),
        }
        if self.item is not NO_ITEM:
            variables["item"] = offloaded_or(self.item)
        if self.index is not None:
            variables["index"] = self.index
        return variables
