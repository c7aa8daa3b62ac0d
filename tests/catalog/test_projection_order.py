"""Property: however a job's events are batched, reordered or repeated, the projection
ends up as if they had arrived once, in seq order."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.events import EventKind as K
from domain.events import JobEvent
from tests.catalog.builders import a_job, an_event

NODE_FIELDS = {"job_id", "updated_at"}
JOB_FIELDS = {"status", "output", "error", "started_at", "completed_at"}


def lifecycle(job_id: str, attempts_per_node: list[int]) -> list[JobEvent]:
    """A plausible timeline: each node fails all but its last attempt, which completes."""
    kinds: list[tuple[K, str | None, int | None, dict]] = [(K.JOB_STARTED, None, None, {})]
    for index, attempts in enumerate(attempts_per_node):
        node = f"n{index}"
        kinds.append((K.NODE_READY, node, None, {}))
        for attempt in range(1, attempts + 1):
            kinds += [
                (K.NODE_DISPATCHED, node, attempt, {"handler": "h", "queue": "light"}),
                (K.NODE_RUNNING, node, attempt, {}),
            ]
            if attempt < attempts:
                kinds += [
                    (K.NODE_FAILED, node, attempt, {"error": {"try": attempt}}),
                    (K.NODE_RETRYING, node, attempt, {}),
                ]
        kinds.append((K.NODE_COMPLETED, node, attempts, {"output": {"node": index}}))
    kinds.append((K.JOB_COMPLETED, None, None, {"output": {"done": True}}))
    return [an_event(job_id, seq, k, n, a, **d) for seq, (k, n, a, d) in enumerate(kinds)]


def snapshot(catalog, job_id: str) -> tuple:
    nodes = [
        n.model_dump(exclude=NODE_FIELDS)
        for node in catalog.list_nodes(job_id)
        for n in catalog.list_node_attempts(job_id, node.node_id)
    ]
    return catalog.get_job(job_id).model_dump(include=JOB_FIELDS), nodes


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    attempts=st.lists(st.integers(min_value=1, max_value=3), min_size=1, max_size=4),
    data=st.data(),
)
def test_projection_is_the_same_whatever_the_delivery_order(catalog, attempts, data):
    in_order, shuffled = catalog.create_job(a_job()), catalog.create_job(a_job())
    catalog.record_events(lifecycle(in_order.job_id, attempts))
    events = lifecycle(shuffled.job_id, attempts)
    deliveries = data.draw(st.permutations(events + data.draw(st.lists(st.sampled_from(events)))))
    cut = data.draw(st.integers(min_value=0, max_value=len(deliveries)))
    for batch in (deliveries[:cut], deliveries[cut:]):
        catalog.record_events(batch)
    assert snapshot(catalog, shuffled.job_id) == snapshot(catalog, in_order.job_id)
