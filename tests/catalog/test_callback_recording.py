"""Which version events are recorded for delivery (activities.callbacks.record): DDH's
callback URL is the app setting its shipped registry entry names."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

import activities.callbacks
import wiring
from activities.callbacks import record
from adapters.catalog import CallbackCatalog
from domain.callbacks import EventType, VersionEvent
from domain.platforms import load_platform_dir

REPO = Path(__file__).resolve().parents[2]
URL_SETTING = "DAGMASTER_DDH_CALLBACK_URL"


def an_event(event_id: str = "evt_1") -> VersionEvent:
    return VersionEvent(
        event_id=event_id,
        type=EventType.APPROVED,
        occurred_at=datetime(2026, 12, 1, tzinfo=UTC),
        platform_id="ddh",
        asset_id="ddh-a",
        identifiers={"dataset_id": "d", "resource_id": "r"},
        state={"approval": "approved"},
    )


@pytest.fixture
def callbacks(catalog_db, monkeypatch: pytest.MonkeyPatch) -> CallbackCatalog:
    catalog = CallbackCatalog(catalog_db.pool)
    shipped = load_platform_dir([REPO / "platforms"])
    monkeypatch.setattr(wiring, "platforms", lambda: shipped)
    monkeypatch.setattr(wiring, "callback_catalog", lambda: catalog)
    monkeypatch.setattr(activities.callbacks, "_UNSET_LOGGED", set())
    monkeypatch.delenv(URL_SETTING, raising=False)
    return catalog


def test_an_event_is_recorded_for_the_url_its_url_setting_holds(callbacks, monkeypatch):
    monkeypatch.setenv(URL_SETTING, "https://ddh.example.org/hooks")

    assert record([an_event()]) == {"ddh-a"}
    delivery = callbacks.get("evt_1")
    assert delivery is not None and delivery.url == "https://ddh.example.org/hooks"
    assert delivery.secret_setting == "DAGMASTER_DDH_CALLBACK_SECRET"


def test_with_the_url_setting_unset_nothing_is_recorded_and_the_debug_log_says_so_once(
    callbacks, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.DEBUG, logger="dagmaster.callbacks"):
        assert record([an_event("evt_1"), an_event("evt_2")]) == set()

    assert callbacks.list_for_asset("ddh-a") == []
    assert caplog.text.count(f"platform ddh gets none: {URL_SETTING} is unset") == 1


def test_an_invalid_url_in_the_url_setting_records_nothing_and_logs_the_setting(
    callbacks, monkeypatch, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setenv(URL_SETTING, "ftp://ddh.example.org/hooks")

    assert record([an_event()]) == set()
    assert callbacks.list_for_asset("ddh-a") == []
    assert f"not recorded: {URL_SETTING} holds no callback URL" in caplog.text
    assert "only http and https" in caplog.text
