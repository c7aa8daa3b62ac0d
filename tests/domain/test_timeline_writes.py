"""`domain.timeline_writes`: when buffered timeline events must go out before a wait."""

import pytest

from domain.jobs import ORCHESTRATOR_REVISION, EngineOptions
from domain.timeline_writes import WRITES_BEFORE_WAITS, NewWork, write_before_waiting

ONLY_WAITS = NewWork(waits=2)


def test_new_waits_alone_write_the_buffer_first_when_a_write_is_in_flight():
    assert write_before_waiting(
        ONLY_WAITS, buffered=True, write_in_flight=True, revision=WRITES_BEFORE_WAITS
    )


def test_waits_scheduled_with_an_activity_do_not_hold_the_next_write_back():
    new = NewWork(waits=2, activities=1)  # a heavy task's dispatch, a light handler
    assert not write_before_waiting(new, buffered=True, write_in_flight=True, revision=2)


@pytest.mark.parametrize(
    ("new", "buffered", "write_in_flight"),
    [
        (NewWork(), True, True),  # nothing new: the buffer goes out when the write completes
        (ONLY_WAITS, False, True),  # nothing to write
        (ONLY_WAITS, True, False),  # the buffer was just handed to a write of its own
    ],
)
def test_otherwise_the_orchestration_waits_for_nothing(new, buffered, write_in_flight):
    assert not write_before_waiting(
        new, buffered=buffered, write_in_flight=write_in_flight, revision=2
    )


def test_jobs_started_before_revision_2_keep_the_schedule_their_history_recorded():
    assert not write_before_waiting(ONLY_WAITS, buffered=True, write_in_flight=True, revision=1)


def test_a_start_message_without_a_revision_is_revision_1_and_new_jobs_write_before_waits():
    assert EngineOptions.model_validate({}).orchestrator_revision == 1
    assert ORCHESTRATOR_REVISION >= WRITES_BEFORE_WAITS
