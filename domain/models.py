"""The workflow language: what authors write in `workflows/*.yaml` (the `*Definition` models).

Structural rules live here (types, required fields, unknown fields); rules that need the
whole graph (cycles, reachability, template references) live in `domain.validation`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.durations import Duration

NODE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
WORKFLOW_ID = re.compile(r"^[a-z][a-z0-9_-]*$")


class Strict(BaseModel):
    """Unknown fields are errors: a typo must not silently change what a workflow does."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class InputType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    ARRAY = "array"
    OBJECT = "object"


_PYTHON_TYPES: dict[InputType, tuple[type, ...]] = {
    InputType.STRING: (str,),
    InputType.INTEGER: (int,),
    InputType.NUMBER: (int, float),
    InputType.BOOLEAN: (bool,),
    InputType.ARRAY: (list,),
    InputType.OBJECT: (dict,),
}


def value_has_type(value: Any, kind: InputType) -> bool:
    """JSON typing: a bool is not an integer, an integer is a number."""
    if isinstance(value, bool) and kind is not InputType.BOOLEAN:
        return False
    return isinstance(value, _PYTHON_TYPES[kind])


class StoragePurpose(StrEnum):
    """What a string input naming a storage container is for; the app allows containers
    per purpose (`DAGMASTER_INPUT_CONTAINERS`, `DAGMASTER_OUTPUT_CONTAINERS`)."""

    INPUT = "input"  # read from
    OUTPUT = "output"  # written to


class InputDefinition(Strict):
    type: InputType
    required: bool = False
    default: Any = None
    enum: list[Any] | None = None
    description: str | None = None
    storage: StoragePurpose | None = None  # the input names a container, checked on submit

    @model_validator(mode="after")
    def _default_and_enum_fit_type(self) -> InputDefinition:
        for value in self.enum or []:
            if not value_has_type(value, self.type):
                raise ValueError(f"enum value {value!r} is not of type {self.type}")
        if self.default is not None:
            if not value_has_type(self.default, self.type):
                raise ValueError(f"default {self.default!r} is not of type {self.type}")
            if self.enum is not None and self.default not in self.enum:
                raise ValueError(f"default {self.default!r} is not one of enum {self.enum}")
        if self.required and self.default is not None:
            raise ValueError("an input with a default cannot also be required")
        if self.storage is not None and self.type is not InputType.STRING:
            raise ValueError(f"a storage input names a container: type string, not {self.type}")
        return self


class Queue(StrEnum):
    LIGHT = "light"  # an activity function in the Functions app
    HEAVY = "heavy"  # the container worker, over the task queue


class RetryPolicy(Strict):
    max_attempts: int = Field(default=1, ge=1, le=100)
    initial_interval: Duration = timedelta(seconds=1)
    backoff_coefficient: float = Field(default=2.0, ge=1.0, le=100.0)
    max_interval: Duration = timedelta(minutes=5)
    non_retryable: list[str] = Field(default_factory=list)

    def delay_before(self, attempt: int) -> timedelta:
        """The back-off wait before ``attempt`` (2, 3, ...): initial * coefficient^(n-2), capped."""
        seconds = self.initial_interval.total_seconds() * self.backoff_coefficient ** (attempt - 2)
        return min(timedelta(seconds=seconds), self.max_interval)

    def retry_delay(self, kind: str, retryable: bool, attempt: int) -> float | None:
        """Seconds to wait before retrying after ``attempt`` failed, or None: no retry."""
        if not retryable or kind in self.non_retryable or attempt >= self.max_attempts:
            return None
        return self.delay_before(attempt + 1).total_seconds()


NO_RETRY = RetryPolicy()


class Defaults(Strict):
    queue: Queue | None = None
    retry: RetryPolicy | None = None
    timeout: Duration | None = None


class AnyOf(Strict):
    any_of: list[str] = Field(min_length=1)


Dependencies = Annotated[list[str], Field(min_length=1)] | AnyOf


class NodeBase(Strict):
    id: str
    description: str | None = None

    @field_validator("id")
    @classmethod
    def _id_is_a_name(cls, value: str) -> str:
        if not NODE_ID.match(value):
            raise ValueError(
                f"invalid node id {value!r}: use letters, digits, '_' and '-', "
                "starting with a letter or '_'"
            )
        return value

    def dependency_ids(self) -> list[str]:
        deps = getattr(self, "depends_on", [])
        return list(deps.any_of) if isinstance(deps, AnyOf) else list(deps)

    def joins_any(self) -> bool:
        return isinstance(getattr(self, "depends_on", None), AnyOf)


class DependentNode(NodeBase):
    depends_on: Dependencies


class StartNode(NodeBase):
    type: Literal["start"]


class EndNode(DependentNode):
    """Ends the job. ``result`` (templated) is the job's output; by default the outputs of
    the end node's completed dependencies, by node id."""

    type: Literal["end"]
    result: Any = None


class TaskDefinition(Strict):
    """What runs: a handler on a queue, with templated params, a retry policy and a timeout."""

    handler: str
    queue: Queue | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    retry: RetryPolicy | None = None
    timeout: Duration | None = None


class TaskNode(DependentNode, TaskDefinition):
    type: Literal["task"]


class Branch(Strict):
    when: str | None = None
    default: bool = False
    next: str

    @model_validator(mode="after")
    def _when_or_default(self) -> Branch:
        if self.default and self.when is not None:
            raise ValueError("a branch has either 'when' or 'default: true', not both")
        if not self.default and self.when is None:
            raise ValueError("a branch needs 'when' (or 'default: true')")
        return self


class ConditionalNode(DependentNode):
    type: Literal["conditional"]
    branches: list[Branch] = Field(min_length=1)

    @field_validator("branches")
    @classmethod
    def _one_default_last(cls, branches: list[Branch]) -> list[Branch]:
        defaults = [i for i, b in enumerate(branches) if b.default]
        if len(defaults) > 1:
            raise ValueError("at most one branch can be the default")
        if defaults and defaults[0] != len(branches) - 1:
            raise ValueError("the default branch must be the last one")
        return branches


class FanOutNode(DependentNode):
    """One child per item of ``over``: children are ``<id>[0]``, ``<id>[1]``, ..."""

    type: Literal["fan_out"]
    over: Any
    max_parallel: int | None = Field(default=None, ge=1)
    task: TaskDefinition


class Aggregate(StrEnum):
    COLLECT = "collect"  # the list of outputs
    CONCAT = "concat"  # the outputs (lists) joined into one list
    SUM = "sum"  # the numeric sum
    FIRST = "first"
    LAST = "last"


class FanInNode(DependentNode):
    type: Literal["fan_in"]
    aggregate: Aggregate = Aggregate.COLLECT
    select: str | None = Field(
        default=None, description="dotted path picked from each child output before aggregating"
    )


class ApprovalNode(DependentNode):
    """Waits for the external event ``event`` carrying {approved, by, reason}."""

    type: Literal["approval"]
    event: str | None = None
    timeout: Duration

    def event_name(self) -> str:
        return self.event or f"approval:{self.id}"


class SubWorkflowNode(DependentNode):
    type: Literal["sub_workflow"]
    workflow_id: str
    version: int | None = Field(default=None, ge=1)
    inputs: dict[str, Any] = Field(default_factory=dict)
    timeout: Duration | None = None


NodeDefinition = Annotated[
    StartNode
    | EndNode
    | TaskNode
    | ConditionalNode
    | FanOutNode
    | FanInNode
    | ApprovalNode
    | SubWorkflowNode,
    Field(discriminator="type"),
]


class OnFailure(StrEnum):
    FAIL_FAST = "fail_fast"  # the first node that fails for good fails the job
    CONTINUE = "continue"  # independent branches carry on; downstream of the failure is skipped


class WorkflowDefinition(Strict):
    workflow_id: str
    version: int = Field(ge=1)
    description: str | None = None
    inputs: dict[str, InputDefinition] = Field(default_factory=dict)
    defaults: Defaults = Defaults()
    timeout: Duration | None = None
    on_failure: OnFailure = OnFailure.FAIL_FAST
    nodes: list[NodeDefinition] = Field(min_length=1)

    @field_validator("workflow_id")
    @classmethod
    def _workflow_id_is_a_name(cls, value: str) -> str:
        if not WORKFLOW_ID.match(value):
            raise ValueError(
                f"invalid workflow_id {value!r}: lower-case letters, digits, '_' and '-'"
            )
        return value

    def node(self, node_id: str) -> NodeDefinition:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def queue_of(self, spec: TaskDefinition) -> Queue:
        queue = spec.queue or self.defaults.queue
        if queue is None:  # the validator rejects this; guard against unvalidated models
            raise ValueError(f"handler '{spec.handler}' has no queue and defaults.queue is unset")
        return queue

    def retry_of(self, spec: TaskDefinition) -> RetryPolicy:
        return spec.retry or self.defaults.retry or NO_RETRY

    def timeout_of(self, spec: TaskDefinition) -> timedelta | None:
        return spec.timeout or self.defaults.timeout
