"""The read-only ``nodes`` mapping of a template context, and large outputs in templates.

A big node output reaches the orchestrator as a stub holding references (see
`domain.offload`). Without a resolver (the orchestrator: it cannot read blobs) a reference
is seen as an :class:`Offloaded` value: reading a key or position inside it gives a longer
reference, ``|length`` works, and passing it to a param hands the reference on to the
activity or worker, which reads the blob. With a resolver (tests, tools), ``nodes.<id>.output``
is materialised on first access instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from domain.offload import is_ref
from domain.templates.data import to_data
from domain.templates.offloaded import offloaded_or

Resolver = Callable[[dict[str, Any]], Any]
"""Materialises one large-output reference into the output it stands for."""


class ResolverFailure(Exception):
    """Carries an exception raised by a resolver through Jinja, to be re-raised unwrapped."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(repr(original))
        self.original = original


class View(Mapping[str, Any]):
    """Read-only mapping placed in the context; says what is missing in its own words."""

    __slots__ = ()

    def missing_hint(self, key: object) -> str:
        """What a template is told when it reads ``key`` and it is not there."""
        return f"no key {key!r}"

    def __repr__(self) -> str:
        return repr(to_data(self))


class NodeView(View):
    """``nodes.<id>``: one key, ``output``, materialised through the resolver on first access."""

    __slots__ = ("_node_id", "_output", "_resolved", "_resolver")

    def __init__(self, node_id: str, output: Any, resolver: Resolver | None) -> None:
        self._node_id = node_id
        self._output = output
        self._resolver = resolver
        self._resolved = False

    def __getitem__(self, key: str) -> Any:
        if key != "output":
            raise KeyError(key)
        if not self._resolved:
            if self._resolver is not None and is_ref(self._output):
                try:
                    self._output = self._resolver(self._output)
                except Exception as exc:
                    raise ResolverFailure(exc) from exc
            else:
                self._output = offloaded_or(self._output)
            self._resolved = True
        return self._output

    def __iter__(self) -> Iterator[str]:
        return iter(("output",))

    def __len__(self) -> int:
        return 1

    def missing_hint(self, key: object) -> str:
        return f"'nodes.{self._node_id}' has no attribute {key!r} (only 'output')"


class NodesView(View):
    """``nodes``: completed upstream node id → :class:`NodeView`."""

    __slots__ = ("_outputs", "_resolver", "_views")

    def __init__(self, outputs: Mapping[str, Any], resolver: Resolver | None) -> None:
        self._outputs = outputs
        self._resolver = resolver
        self._views: dict[str, NodeView] = {}

    def __getitem__(self, node_id: str) -> NodeView:
        if node_id not in self._views:
            if node_id not in self._outputs:
                raise KeyError(node_id)
            self._views[node_id] = NodeView(node_id, self._outputs[node_id], self._resolver)
        return self._views[node_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._outputs)

    def __len__(self) -> int:
        return len(self._outputs)

    def missing_hint(self, key: object) -> str:
        return f"no completed upstream node {key!r} in 'nodes'"
