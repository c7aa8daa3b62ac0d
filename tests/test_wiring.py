"""`wiring` builds each long-lived object once per process, from the settings, on first use."""

from collections.abc import Iterator

import pytest

import wiring
from config import SettingsError

CONN = "DAGMASTER_STORAGE_CONNECTION_STRING"


def account(name: str) -> str:
    return f"DefaultEndpointsProtocol=http;AccountName={name};AccountKey=a2V5;"


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("DAGMASTER_STORAGE_ACCOUNT_URL", raising=False)
    wiring.reset()
    yield
    wiring.reset()


def test_each_adapter_is_built_once_and_shared(monkeypatch):
    monkeypatch.setenv(CONN, account("first1"))
    assert wiring.blob_store() is wiring.blob_store()
    assert wiring.json_blobs() is wiring.json_blobs()
    assert wiring.json_blobs()._store is wiring.blob_store()


def test_reset_reads_the_settings_again(monkeypatch):
    monkeypatch.setenv(CONN, account("first1"))
    assert wiring.blob_store().default_account == "first1"
    monkeypatch.setenv(CONN, account("second2"))
    assert wiring.blob_store().default_account == "first1"
    wiring.reset()
    assert wiring.blob_store().default_account == "second2"


def test_a_missing_setting_fails_the_first_use_naming_it(monkeypatch):
    monkeypatch.delenv(CONN, raising=False)
    with pytest.raises(SettingsError, match=f"{CONN} is not set"):
        wiring.blob_store()


def test_workflows_are_the_shipped_ones_unless_the_setting_names_folders(monkeypatch, tmp_path):
    monkeypatch.delenv("DAGMASTER_WORKFLOWS_DIR", raising=False)
    assert "raster_ingest" in {wid for wid, _ in wiring.workflows().workflows}
    monkeypatch.setenv("DAGMASTER_WORKFLOWS_DIR", str(tmp_path))
    wiring.reset()
    assert list(wiring.workflows().workflows) == []


def test_platforms_are_the_shipped_registry_unless_the_setting_names_folders(monkeypatch, tmp_path):
    monkeypatch.delenv("DAGMASTER_PLATFORMS_DIR", raising=False)
    assert "ddh" in wiring.platforms().platforms
    (tmp_path / "acme.yaml").write_text(
        "platform_id: acme\nname: Acme\nidentity: [id]\n"
        "data_types: {raster: {workflow_id: raster_ingest}}\n"
    )
    monkeypatch.setenv("DAGMASTER_PLATFORMS_DIR", str(tmp_path))
    wiring.reset()
    assert list(wiring.platforms().platforms) == ["acme"]
