"""The DAG evaluator: from a pinned definition, the node states and new results, decide
what happens next. Pure and deterministic: the orchestrator calls it on every replay.

    evaluator = Evaluator(definition)
    state, step = evaluator.start(job, inputs, now)       # the first decisions
    step = evaluator.step(state, [results...], now)       # mutates ``state``, returns decisions

Rules (README.md, "The workflow language"): all-of dependencies; a skipped, failed or
cancelled dependency skips the node (skips propagate); an `any_of` join runs once every
dependency is final and at least one completed; a conditional takes its first true branch
(or the default) and skips the other targets; a fan-out makes children `id[0]`, `id[1]`, ...
at most `max_parallel` in flight; a fan-in aggregates in index order. A node that fails for
good fails the job at once (`on_failure: fail_fast`) or only its downstream (`continue`).
Work per call is proportional to what changed, not to the size of the job.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from domain import templates
from domain.batch import events_per_child
from domain.decisions import (
    ApprovalReceived,
    BatchFinished,
    BatchResult,
    BatchStartMessage,
    CancelRequested,
    Dispatch,
    Finish,
    JobTimedOut,
    NodeCompleted,
    NodeFailed,
    NodeStarted,
    Result,
    RetryDue,
    RunBatch,
    RunHeavyTask,
    RunLightTask,
    RunSubWorkflow,
    RunTask,
    ScheduleRetry,
    Step,
    WaitForApproval,
    dispatch_details,
)
from domain.errors import ErrorInfo
from domain.events import EventKind, JobEvent, event_output
from domain.fan_in import AggregateError, aggregate
from domain.fan_out import too_wide
from domain.graph import Graph
from domain.models import (
    NO_RETRY,
    ApprovalNode,
    ConditionalNode,
    EndNode,
    FanInNode,
    FanOutNode,
    NodeDefinition,
    OnFailure,
    Queue,
    RetryPolicy,
    StartNode,
    SubWorkflowNode,
    TaskDefinition,
    TaskNode,
    WorkflowDefinition,
)
from domain.offload import is_ref, ref_items
from domain.state import JobInfo, JobState, NodeState
from domain.status import JobStatus, NodeStatus, check_job_transition, check_node_transition

_IN_FLIGHT = frozenset(
    {NodeStatus.DISPATCHED, NodeStatus.RUNNING, NodeStatus.WAITING, NodeStatus.RETRYING}
)
_NODE_EVENT = {
    NodeStatus.READY: EventKind.NODE_READY,
    NodeStatus.DISPATCHED: EventKind.NODE_DISPATCHED,
    NodeStatus.RUNNING: EventKind.NODE_RUNNING,
    NodeStatus.RETRYING: EventKind.NODE_RETRYING,
    NodeStatus.WAITING: EventKind.NODE_WAITING,
    NodeStatus.COMPLETED: EventKind.NODE_COMPLETED,
    NodeStatus.FAILED: EventKind.NODE_FAILED,
    NodeStatus.SKIPPED: EventKind.NODE_SKIPPED,
    NodeStatus.TIMED_OUT: EventKind.NODE_TIMED_OUT,
    NodeStatus.CANCELLED: EventKind.NODE_CANCELLED,
}
_JOB_EVENT = {
    JobStatus.RUNNING: EventKind.JOB_STARTED,
    JobStatus.COMPLETED: EventKind.JOB_COMPLETED,
    JobStatus.FAILED: EventKind.JOB_FAILED,
    JobStatus.CANCELLED: EventKind.JOB_CANCELLED,
}


def child_id(fan_out_id: str, index: int) -> str:
    return f"{fan_out_id}[{index}]"


def job_created_event(job: JobInfo, now: datetime, data: dict[str, Any] | None = None) -> JobEvent:
    """The first event of every timeline (seq 0), written when the job is submitted."""
    return JobEvent(job_id=job.id, seq=0, kind=EventKind.JOB_CREATED, at=now, data=data or {})


class _Run:
    """One evaluation: the state it mutates, the step it fills, and the clock it stamps."""

    def __init__(self, state: JobState, now: datetime) -> None:
        self.state = state
        self.now = now
        self.step = Step()
        self.settled: deque[str] = deque()  # nodes that became final; dependents to examine

    def emit(
        self,
        kind: EventKind,
        node_id: str | None = None,
        attempt: int | None = None,
        /,
        **data: Any,
    ) -> None:
        state = self.state
        event = JobEvent(
            job_id=state.job.id,
            seq=state.seq,
            kind=kind,
            at=self.now,
            node_id=node_id,
            attempt=attempt,
            data=data,
        )
        state.seq += 1
        self.step.events.append(event)

    def set_status(
        self, node_id: str, new: NodeStatus, /, *, silent: bool = False, **data: Any
    ) -> NodeState:
        """Move a node on (checked) and record the event, unless ``silent``: a fan-out batch
        records its children's events itself."""
        node = self.state.nodes[node_id]
        check_node_transition(node_id, node.status, new)
        self.state.counts[node.status] -= 1
        self.state.counts[new] += 1
        node.status = new
        if not silent:
            self.emit(_NODE_EVENT[new], node_id, node.attempt or None, **data)
        if new.is_final:
            self.settled.append(node_id)
        return node

    def set_job_status(self, new: JobStatus, /, **data: Any) -> None:
        check_job_transition(self.state.job.id, self.state.status, new)
        self.state.status = new
        self.emit(_JOB_EVENT[new], **data)


class Evaluator:
    """Decisions for one pinned workflow definition (build once per orchestration)."""

    def __init__(
        self,
        definition: WorkflowDefinition,
        *,
        batch_threshold: int | None = None,
        batch_size: int = 100,
        max_fan_out: int | None = None,
    ) -> None:
        """``batch_threshold``: a fan-out with more children than this runs them in batches of
        ``batch_size`` (sub-orchestrations); None never batches. A fan-out wider than
        ``max_fan_out`` fails (non-retryable) before any child is created."""
        self.definition = definition
        self.batch_threshold = batch_threshold
        self.batch_size = batch_size
        self.max_fan_out = max_fan_out
        self.graph = Graph(definition.nodes)
        self.nodes: dict[str, NodeDefinition] = self.graph.nodes
        self.order = {nid: i for i, nid in enumerate(self.nodes)}
        start = [n.id for n in definition.nodes if isinstance(n, StartNode)]
        if len(start) != 1:
            raise ValueError("the definition was not validated: it needs exactly one start")
        self.start_id = start[0]

    # --- entry points -------------------------------------------------------------------

    def start(self, job: JobInfo, inputs: dict[str, Any], now: datetime) -> tuple[JobState, Step]:
        state = JobState(job=job, inputs=inputs)
        for nid in self.nodes:
            state.nodes[nid] = NodeState()
        state.counts[NodeStatus.PENDING] = len(self.nodes)
        run = _Run(state, now)
        run.set_job_status(JobStatus.RUNNING)
        self._activate(run, self.start_id)
        self._propagate(run)
        return state, run.step

    def step(self, state: JobState, results: Iterable[Result], now: datetime) -> Step:
        """Apply ``results`` in order; stale ones (an old attempt, a final node) are ignored."""
        run = _Run(state, now)
        for result in results:
            if state.status.is_final:
                break
            self._apply(run, result)
            self._propagate(run)
        return run.step

    # --- results ------------------------------------------------------------------------

    def _apply(self, run: _Run, result: Result) -> None:
        if isinstance(result, CancelRequested):
            self._abort(run, JobStatus.CANCELLED, None, reason=result.reason, by=result.by)
            return
        if isinstance(result, BatchFinished):
            self._batch_finished(run, result.result)
            return
        if isinstance(result, JobTimedOut):
            error = ErrorInfo(
                kind="job_timeout", message="the job exceeded its timeout", retryable=False
            )
            self._abort(run, JobStatus.FAILED, error, reason="job timed out")
            return
        node = run.state.nodes.get(result.node_id)
        if node is None or node.status.is_final:
            return
        if isinstance(result, RetryDue):
            if node.status is NodeStatus.RETRYING and node.attempt + 1 == result.attempt:
                self._dispatch(run, result.node_id)
            return
        if node.status not in _IN_FLIGHT - {NodeStatus.RETRYING}:
            return
        if isinstance(result, ApprovalReceived):
            self._approval(run, result)
        elif result.attempt != node.attempt:
            return
        elif isinstance(result, NodeCompleted):
            node.output = result.output
            run.set_status(result.node_id, NodeStatus.COMPLETED, **event_output(result.output))
        elif isinstance(result, NodeStarted):
            if node.status is NodeStatus.DISPATCHED:  # a redelivery starts it again: no event
                run.set_status(result.node_id, NodeStatus.RUNNING, delivery=result.delivery)
        else:
            self._failed(run, result)

    def _approval(self, run: _Run, result: ApprovalReceived) -> None:
        node = run.state.nodes[result.node_id]
        decision: dict[str, Any] = {
            "approved": result.approved,
            "by": result.by,
            "reason": result.reason,
        }
        if result.approved:
            node.output = decision
            run.set_status(result.node_id, NodeStatus.COMPLETED, **decision)
            return
        why = f"rejected by {result.by or 'unknown'}" + (
            f": {result.reason}" if result.reason else ""
        )
        node.error = ErrorInfo(kind="rejected", message=why, retryable=False)
        self._fail_for_good(run, result.node_id, NodeStatus.FAILED)

    def _failed(self, run: _Run, result: NodeFailed) -> None:
        node = run.state.nodes[result.node_id]
        node.error = result.error
        policy = self._retry_policy(result.node_id)
        delay = policy.retry_delay(result.error.kind, result.error.retryable, node.attempt)
        if delay is not None:
            run.set_status(
                result.node_id,
                NodeStatus.RETRYING,
                error=result.error.model_dump(),
                next_attempt=node.attempt + 1,
                delay_seconds=delay,
            )
            run.step.retries.append(
                ScheduleRetry(node_id=result.node_id, attempt=node.attempt + 1, delay_seconds=delay)
            )
            return
        final = NodeStatus.TIMED_OUT if result.timed_out else NodeStatus.FAILED
        self._fail_for_good(run, result.node_id, final)

    def _fail_for_good(
        self, run: _Run, node_id: str, final: NodeStatus, *, silent: bool = False
    ) -> None:
        node = run.state.nodes[node_id]
        error = node.error.model_dump() if node.error else {}
        run.set_status(node_id, final, silent=silent, error=error)
        if self.definition.on_failure is OnFailure.FAIL_FAST:
            message = f"node '{node_id}' {final.value.replace('_', ' ')}"
            if node.error:
                message += f": {node.error.message}"
            kind = node.error.kind if node.error else "failed"
            self._abort(
                run,
                JobStatus.FAILED,
                ErrorInfo(kind=kind, message=message, retryable=False),
                reason=message,
            )

    def _abort(
        self,
        run: _Run,
        status: JobStatus,
        error: ErrorInfo | None,
        *,
        reason: str | None,
        by: str | None = None,
    ) -> None:
        """End the job now: in-flight nodes are cancelled, pending ones skipped (failure) or
        cancelled (cancel request). A batch's children are cancelled here without events:
        the batch, stopped, records the end of those it actually cancels (others may have
        completed there already)."""
        pending_to = NodeStatus.CANCELLED if status is JobStatus.CANCELLED else NodeStatus.SKIPPED
        for nid, node in run.state.nodes.items():
            if node.status in _IN_FLIGHT and self._in_batch(run.state, node):
                node.reason = reason
                run.set_status(nid, NodeStatus.CANCELLED, silent=True)
            elif node.status in _IN_FLIGHT:
                run.step.abandon.append(nid)
                node.reason = reason
                run.set_status(nid, NodeStatus.CANCELLED, reason=reason)
            elif not node.status.is_final:
                node.reason = reason
                run.set_status(nid, pending_to, reason=reason)
                if pending_to is NodeStatus.SKIPPED:
                    run.step.skipped[nid] = reason or ""
        run.settled.clear()
        run.state.error = error
        data: dict[str, Any] = {"reason": reason} if reason else {}
        if by:
            data["by"] = by
        if error:
            data["error"] = error.model_dump()
        run.set_job_status(status, **data)
        run.step.finished = Finish(status=status, error=error)

    def _in_batch(self, state: JobState, node: NodeState) -> bool:
        """Whether ``node`` is a child of a fan-out that runs its children in batches."""
        if node.parent is None or self.batch_threshold is None:
            return False
        return (state.nodes[node.parent].children or 0) > self.batch_threshold

    # --- propagation --------------------------------------------------------------------

    def _propagate(self, run: _Run) -> None:
        """Examine the dependents of every node that became final, until nothing changes."""
        while run.settled and not run.state.status.is_final:
            nid = run.settled.popleft()
            node = run.state.nodes[nid]
            if node.parent is not None:
                self._child_settled(run, node.parent)
                continue
            for dependent in self.graph.dependents[nid]:
                if run.state.nodes[dependent].status is NodeStatus.PENDING:
                    self._examine(run, dependent)
        if not run.state.status.is_final and run.state.open_nodes() == 0:
            self._finish(run)

    def _examine(self, run: _Run, node_id: str) -> None:
        definition = self.nodes[node_id]
        deps = self.graph.dependencies[node_id]
        states = [run.state.nodes[d] for d in deps]
        if not all(s.status.is_final for s in states):
            return
        usable = [d for d in deps if self._usable(run.state, d, node_id)]
        if definition.joins_any():
            blocked = None if usable else "no dependency of the any_of join completed"
        else:
            missing = [d for d in deps if d not in usable]
            blocked = self._blocked_reason(run.state, missing[0], node_id) if missing else None
        if blocked:
            run.state.nodes[node_id].reason = blocked
            run.step.skipped[node_id] = blocked
            run.set_status(node_id, NodeStatus.SKIPPED, reason=blocked)
        else:
            self._activate(run, node_id)

    def _usable(self, state: JobState, dep: str, node_id: str) -> bool:
        dep_state = state.nodes[dep]
        if dep_state.status is not NodeStatus.COMPLETED:
            return False
        dep_def = self.nodes[dep]
        if isinstance(dep_def, ConditionalNode) and node_id in self.graph.branch_targets(dep):
            return dep_state.branch == node_id
        return True

    def _blocked_reason(self, state: JobState, dep: str, node_id: str) -> str:
        status = state.nodes[dep].status
        if status is NodeStatus.COMPLETED:
            return f"branch not taken by conditional '{dep}'"
        return f"dependency '{dep}' {status.value.replace('_', ' ')}"

    def _finish(self, run: _Run) -> None:
        ends = [nid for nid, n in self.nodes.items() if isinstance(n, EndNode)]
        done = [nid for nid in ends if run.state.nodes[nid].status is NodeStatus.COMPLETED]
        if not done:
            error = ErrorInfo(
                kind="end_not_reached",
                retryable=False,
                message="no end node completed: "
                + ", ".join(f"'{e}' {run.state.nodes[e].reason or 'skipped'}" for e in ends),
            )
            run.state.error = error
            run.set_job_status(JobStatus.FAILED, error=error.model_dump())
            run.step.finished = Finish(status=JobStatus.FAILED, error=error)
            return
        output = (
            run.state.nodes[done[0]].output
            if len(done) == 1
            else {e: run.state.nodes[e].output for e in done}
        )
        job = run.state.job
        provenance = {
            "workflow_id": job.workflow_id,
            "version": job.version,
            "hash": job.workflow_hash,
            "job_id": job.id,
            "completed_at": run.now.isoformat(),
        }
        run.state.output = output
        run.set_job_status(JobStatus.COMPLETED, output={"result": output, "provenance": provenance})
        run.step.finished = Finish(status=JobStatus.COMPLETED, output=output, provenance=provenance)

    # --- activation ---------------------------------------------------------------------

    def _activate(self, run: _Run, node_id: str) -> None:
        run.set_status(node_id, NodeStatus.READY)
        definition = self.nodes[node_id]
        try:
            match definition:
                case StartNode():
                    self._complete(run, node_id, None)
                case EndNode():
                    self._complete(run, node_id, self._end_result(run.state, definition))
                case ConditionalNode():
                    self._choose(run, definition)
                case FanOutNode():
                    self._fan_out(run, definition)
                case FanInNode():
                    self._fan_in(run, definition)
                case TaskNode() | ApprovalNode() | SubWorkflowNode():
                    self._dispatch(run, node_id)
        except (templates.TemplateRenderError, AggregateError) as exc:
            node = run.state.nodes[node_id]
            kind = (
                "template_error"
                if isinstance(exc, templates.TemplateRenderError)
                else "aggregate_error"
            )
            node.error = ErrorInfo(kind=kind, message=str(exc), retryable=False)
            self._fail_for_good(run, node_id, NodeStatus.FAILED)

    def _complete(self, run: _Run, node_id: str, output: Any) -> None:
        run.state.nodes[node_id].output = output
        run.set_status(node_id, NodeStatus.COMPLETED, **event_output(output))

    def _context(self, state: JobState, node: NodeState | None = None) -> templates.TemplateContext:
        outputs = {
            nid: state.nodes[nid].output
            for nid in self.nodes
            if state.nodes[nid].status is NodeStatus.COMPLETED
        }
        extra: dict[str, Any] = {}
        if node is not None and node.parent is not None:
            extra = {"item": node.item, "index": node.index}
        job = templates.TemplateJob(
            id=state.job.id, workflow_id=state.job.workflow_id, version=state.job.version
        )
        return templates.TemplateContext(inputs=state.inputs, nodes=outputs, job=job, **extra)

    def _end_result(self, state: JobState, node: EndNode) -> Any:
        if node.result is not None:
            return templates.render_value(
                node.result, self._context(state), node_id=node.id, path="result"
            )
        return {
            d: state.nodes[d].output
            for d in node.dependency_ids()
            if state.nodes[d].status is NodeStatus.COMPLETED
        }

    def _choose(self, run: _Run, node: ConditionalNode) -> None:
        ctx = self._context(run.state)
        chosen: str | None = None
        for i, branch in enumerate(node.branches):
            if branch.default or templates.evaluate_condition(
                branch.when or "", ctx, node_id=node.id, path=f"branches.{i}.when"
            ):
                chosen = branch.next
                break
        run.state.nodes[node.id].branch = chosen or ""
        run.step.choices[node.id] = chosen
        self._complete(run, node.id, {"branch": chosen})

    def _fan_out(self, run: _Run, node: FanOutNode) -> None:
        items = templates.render_value(
            node.over, self._context(run.state), node_id=node.id, path="over"
        )
        if is_ref(items):  # a list kept in blob storage: each child gets a reference to its item
            items = ref_items(items) or items
        if not isinstance(items, list):
            raise templates.TemplateRenderError(
                node.id, "over", str(node.over), f"must be a list, got {type(items).__name__}"
            )
        parent = run.state.nodes[node.id]
        if self.max_fan_out is not None and len(items) > self.max_fan_out:
            message = too_wide(node.id, len(items), self.max_fan_out)
            parent.error = ErrorInfo(kind="fan_out_too_wide", message=message, retryable=False)
            self._fail_for_good(run, node.id, NodeStatus.FAILED)
            return
        parent.children = len(items)
        run.step.fan_outs[node.id] = len(items)
        if not items:
            self._complete(run, node.id, [])
            return
        for index, item in enumerate(items):
            run.state.nodes[child_id(node.id, index)] = NodeState(
                parent=node.id, index=index, item=item
            )
        run.state.counts[NodeStatus.PENDING] += len(items)
        if self.batch_threshold is not None and len(items) > self.batch_threshold:
            batches = -(-len(items) // self.batch_size)
            run.set_status(node.id, NodeStatus.DISPATCHED, children=len(items), batches=batches)
            self._dispatch_batches(run, node, batches)
        else:
            run.set_status(node.id, NodeStatus.DISPATCHED, children=len(items))
            self._fill_slots(run, node)

    def _dispatch_batches(self, run: _Run, node: FanOutNode, batches: int) -> None:
        """Render every child now and hand them out in batches, each with a reserved range of
        event numbers (the batch records its children's events itself)."""
        parent = run.state.nodes[node.id]
        count = parent.children or 0
        parent.next_child = parent.in_flight = count
        policy = self.definition.retry_of(node.task)
        per_batch = max(1, (node.max_parallel or count) // batches)
        for number in range(batches):
            children: list[RunTask] = []
            for index in range(
                number * self.batch_size, min(count, (number + 1) * self.batch_size)
            ):
                dispatch = self._batch_child(run, child_id(node.id, index))
                if dispatch is not None:
                    children.append(dispatch)
                if run.state.status.is_final:
                    return
            if not children:
                continue
            span = len(children) * events_per_child(policy)
            batch = BatchStartMessage(
                job_id=run.state.job.id,
                batch_id=f"{node.id}@{number}",
                children=children,
                retry=policy,
                max_parallel=min(per_batch, len(children)),
                seq_base=run.state.seq,
                seq_span=span,
            )
            run.state.seq += span
            run.step.dispatch.append(RunBatch(node_id=batch.batch_id, batch=batch))

    def _batch_child(self, run: _Run, cid: str) -> RunTask | None:
        node = run.state.nodes[cid]
        run.set_status(cid, NodeStatus.READY, silent=True)
        fan_out = self.nodes[node.parent or cid]
        assert isinstance(fan_out, FanOutNode)
        try:
            dispatch = self._run_task(run.state, cid, node, fan_out.task)
        except templates.TemplateRenderError as exc:
            node.attempt = 1
            node.error = ErrorInfo(kind="template_error", message=str(exc), retryable=False)
            self._fail_for_good(run, cid, NodeStatus.FAILED)
            return None
        run.set_status(cid, NodeStatus.DISPATCHED, silent=True)
        return dispatch

    def _batch_finished(self, run: _Run, result: BatchResult) -> None:
        for outcome in result.outcomes:
            node = run.state.nodes.get(outcome.node_id)
            if node is None or node.status.is_final or run.state.status.is_final:
                continue
            node.attempt = outcome.attempts
            if outcome.status == "completed":
                node.output = outcome.output
                run.set_status(outcome.node_id, NodeStatus.COMPLETED, silent=True)
            else:
                node.error = outcome.error
                final = {
                    "timed_out": NodeStatus.TIMED_OUT,
                    "cancelled": NodeStatus.CANCELLED,
                }.get(outcome.status, NodeStatus.FAILED)
                self._fail_for_good(run, outcome.node_id, final, silent=True)
            self._propagate(run)

    def _fill_slots(self, run: _Run, node: FanOutNode) -> None:
        parent = run.state.nodes[node.id]
        assert parent.children is not None
        limit = node.max_parallel or parent.children
        while parent.next_child < parent.children and parent.in_flight < limit:
            if run.state.status.is_final:
                return
            cid = child_id(node.id, parent.next_child)
            parent.next_child += 1
            parent.in_flight += 1
            run.set_status(cid, NodeStatus.READY)
            self._dispatch(run, cid)

    def _child_settled(self, run: _Run, parent_id: str) -> None:
        node = self.nodes[parent_id]
        assert isinstance(node, FanOutNode)
        parent = run.state.nodes[parent_id]
        parent.in_flight -= 1
        parent.finished += 1
        self._fill_slots(run, node)
        if parent.finished < (parent.children or 0) or parent.status.is_final:
            return
        children = [run.state.nodes[child_id(parent_id, i)] for i in range(parent.children or 0)]
        failed = [i for i, c in enumerate(children) if c.status is not NodeStatus.COMPLETED]
        if failed:
            parent.error = ErrorInfo(
                kind="children_failed",
                retryable=False,
                message=f"{len(failed)} of {len(children)} children did not "
                f"complete (first: {child_id(parent_id, failed[0])})",
            )
            self._fail_for_good(run, parent_id, NodeStatus.FAILED)
            return
        self._complete(run, parent_id, [c.output for c in children])

    def _fan_in(self, run: _Run, node: FanInNode) -> None:
        source = run.state.nodes[node.dependency_ids()[0]].output
        value = aggregate(node.aggregate, list(source or []), node.select)
        run.step.aggregates[node.id] = value
        self._complete(run, node.id, value)

    def _spec(self, node_id: str) -> TaskDefinition | None:
        state_parent = node_id.split("[", 1)[0]
        definition = self.nodes[state_parent]
        if isinstance(definition, FanOutNode):
            return definition.task
        return definition if isinstance(definition, TaskNode) else None

    def _retry_policy(self, node_id: str) -> RetryPolicy:
        spec = self._spec(node_id)
        return self.definition.retry_of(spec) if spec is not None else NO_RETRY

    def _dispatch(self, run: _Run, node_id: str) -> None:
        node = run.state.nodes[node_id]
        node.attempt += 1
        node.error = None
        definition = self.nodes[node.parent or node_id]
        try:
            dispatch = self._build_dispatch(run.state, node_id, node, definition)
        except templates.TemplateRenderError as exc:
            node.error = ErrorInfo(kind="template_error", message=str(exc), retryable=False)
            self._fail_for_good(run, node_id, NodeStatus.FAILED)
            return
        waiting = isinstance(dispatch, WaitForApproval)
        status = NodeStatus.WAITING if waiting else NodeStatus.DISPATCHED
        run.set_status(node_id, status, **dispatch_details(dispatch))
        run.step.dispatch.append(dispatch)

    def _build_dispatch(
        self, state: JobState, node_id: str, node: NodeState, definition: NodeDefinition
    ) -> Dispatch:
        if isinstance(definition, ApprovalNode):
            return WaitForApproval(
                node_id=node_id,
                attempt=node.attempt,
                event_name=definition.event_name(),
                timeout_seconds=definition.timeout.total_seconds(),
            )
        if isinstance(definition, SubWorkflowNode):
            inputs = templates.render_value(
                definition.inputs, self._context(state), node_id=node_id, path="inputs"
            )
            timeout = definition.timeout.total_seconds() if definition.timeout else None
            return RunSubWorkflow(
                node_id=node_id,
                attempt=node.attempt,
                workflow_id=definition.workflow_id,
                workflow_version=definition.version,
                inputs=inputs,
                timeout_seconds=timeout,
            )
        spec = definition.task if isinstance(definition, FanOutNode) else definition
        assert isinstance(spec, TaskDefinition)
        return self._run_task(state, node_id, node, spec)

    def _run_task(
        self, state: JobState, node_id: str, node: NodeState, spec: TaskDefinition
    ) -> RunTask:
        params = templates.render_value(
            spec.params, self._context(state, node), node_id=node_id, path="params"
        )
        timeout = self.definition.timeout_of(spec)
        run_on = RunHeavyTask if self.definition.queue_of(spec) is Queue.HEAVY else RunLightTask
        return run_on(
            node_id=node_id,
            attempt=node.attempt,
            handler=spec.handler,
            params=params,
            timeout_seconds=timeout.total_seconds() if timeout else None,
        )
