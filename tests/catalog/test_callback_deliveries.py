"""CallbackCatalog: events recorded once, handed out oldest first per asset, attempts kept."""

import json

from adapters.catalog import CallbackCatalog


def _enqueue(catalog: CallbackCatalog, event_id: str, asset_id: str = "ddh-a") -> bool:
    return catalog.enqueue(
        event_id=event_id,
        asset_id=asset_id,
        platform_id="ddh",
        event_type="version.approved",
        url="http://127.0.0.1:9/hook",
        secret_setting="DDH_CALLBACK_SECRET",
        body=json.dumps({"event_id": event_id}),
    )


def test_an_event_is_recorded_once_by_event_id(catalog_db):
    catalog = CallbackCatalog(catalog_db.pool)
    assert _enqueue(catalog, "evt_1") is True
    assert _enqueue(catalog, "evt_1") is False
    assert [d.event_id for d in catalog.list_for_asset("ddh-a")] == ["evt_1"]


def test_the_oldest_pending_event_of_the_asset_comes_next(catalog_db):
    catalog = CallbackCatalog(catalog_db.pool)
    for event_id, asset_id in [("evt_1", "ddh-a"), ("evt_2", "ddh-b"), ("evt_3", "ddh-a")]:
        _enqueue(catalog, event_id, asset_id)
    catalog.record_attempt("evt_1", 1, 204, None, "delivered")
    assert catalog.next_pending("ddh-a").event_id == "evt_3"


def test_attempts_keep_the_last_outcome_and_a_final_status_ends_the_event(catalog_db):
    catalog = CallbackCatalog(catalog_db.pool)
    _enqueue(catalog, "evt_1")
    catalog.record_attempt("evt_1", 1, 503, None, None)
    catalog.record_attempt("evt_1", 2, 404, "HTTP 404: not retried", "failed")
    catalog.record_attempt("evt_1", 3, 204, None, "delivered")  # after the end: ignored
    record = catalog.get("evt_1")
    assert (record.status, record.attempts, record.last_status_code) == ("failed", 2, 404)
    assert record.last_error == "HTTP 404: not retried"
    assert catalog.next_pending("ddh-a") is None


def test_a_runner_closes_only_when_nothing_is_pending(catalog_db):
    catalog = CallbackCatalog(catalog_db.pool)
    _enqueue(catalog, "evt_1")
    assert catalog.close_if_idle("ddh-a", 0) == "evt_1"  # it must go on
    assert catalog.runner_to_wake("ddh-a") == 0  # still open: the same runner is woken


def test_an_event_recorded_after_its_runner_closed_wakes_the_next_generation(catalog_db):
    catalog = CallbackCatalog(catalog_db.pool)
    assert catalog.close_if_idle("ddh-a", 0) is None  # closed; the instance may still be ending
    _enqueue(catalog, "evt_1")
    assert catalog.runner_to_wake("ddh-a") == 1
    assert catalog.runner_to_wake("ddh-a") == 1  # open now: later events wake the same one


def test_an_event_recorded_before_the_close_is_handed_to_the_closing_runner(catalog_db):
    catalog = CallbackCatalog(catalog_db.pool)
    assert catalog.runner_to_wake("ddh-a") == 0
    _enqueue(catalog, "evt_1")  # its wake-up kick may be lost with the ending instance
    assert catalog.close_if_idle("ddh-a", 0) == "evt_1"


def test_a_runner_of_an_older_generation_closes_nothing(catalog_db):
    catalog = CallbackCatalog(catalog_db.pool)
    catalog.close_if_idle("ddh-a", 0)
    _enqueue(catalog, "evt_1")
    assert catalog.runner_to_wake("ddh-a") == 1
    assert catalog.close_if_idle("ddh-a", 0) is None  # generation 0 ends, even with evt_1 ...
    assert catalog.runner_to_wake("ddh-a") == 1  # ... and generation 1 stays open


def test_closing_waits_for_a_wake_up_that_holds_the_runner_row(catalog_db):
    """The lock both take: a close that starts while a wake-up is deciding sees its event."""
    import threading

    catalog = CallbackCatalog(catalog_db.pool)
    catalog.runner_to_wake("ddh-a")
    result: list[str | None] = []
    with catalog_db.pool.connection() as conn:  # a wake-up in progress, holding the row
        conn.execute(b"SELECT 1 FROM callback_runners WHERE asset_id = 'ddh-a' FOR UPDATE")
        closing = threading.Thread(target=lambda: result.append(catalog.close_if_idle("ddh-a", 0)))
        closing.start()
        closing.join(timeout=0.5)
        assert closing.is_alive()  # blocked on the row
        _enqueue(catalog, "evt_1")
    closing.join(timeout=10)
    assert result == ["evt_1"]
