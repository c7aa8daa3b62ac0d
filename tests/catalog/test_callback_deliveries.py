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
