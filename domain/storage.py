"""Which storage containers a job may name: inputs declared `storage: input | output` are
checked against the containers the app allows for that purpose, before anything starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.inputs import InputError
from domain.models import StoragePurpose, WorkflowDefinition


@dataclass(frozen=True)
class ContainerPolicy:
    """The containers allowed per purpose. Reading is allowed from either kind (a handler
    reads back what an earlier node wrote); writing only to output containers."""

    input_containers: frozenset[str]
    output_containers: frozenset[str]

    def allowed(self, purpose: StoragePurpose) -> frozenset[str]:
        if purpose is StoragePurpose.OUTPUT:
            return self.output_containers
        return self.input_containers

    def may_read(self, container: str) -> bool:
        return container in self.input_containers | self.output_containers

    def may_write(self, container: str) -> bool:
        return container in self.output_containers


def check_storage_inputs(
    definition: WorkflowDefinition, inputs: dict[str, Any], policy: ContainerPolicy
) -> None:
    """Raise `InputError` naming every storage input whose container is not allowed."""
    problems: dict[str, str] = {}
    for name, spec in definition.inputs.items():
        value = inputs.get(name)
        if spec.storage is None or value is None:
            continue
        allowed = policy.allowed(spec.storage)
        if value not in allowed:
            listed = ", ".join(sorted(allowed)) or "none configured"
            problems[name] = (
                f"container {value!r} is not an allowed {spec.storage.value} container "
                f"(allowed: {listed})"
            )
    if problems:
        raise InputError(problems)
