"""The access settings: link base, probe timeout, allowed containers."""

from __future__ import annotations

import pytest

from config.settings import AccessSettings, ContainerSettings, SettingsError


def test_probe_timeout_defaults_to_three_seconds() -> None:
    assert AccessSettings.from_env({}).probe_timeout_seconds == 3


def test_links_come_from_the_configured_base_url() -> None:
    settings = AccessSettings.from_env(
        {"DAGMASTER_PUBLIC_BASE_URL": "https://dm.example.org/", "WEBSITE_HOSTNAME": "x.net"}
    )
    assert settings.link("/api/jobs/1") == "https://dm.example.org/api/jobs/1"


def test_links_default_to_the_host_name_azure_sets() -> None:
    azure = AccessSettings.from_env({"WEBSITE_HOSTNAME": "dm.azurewebsites.net"})
    assert azure.link("/api/jobs/1") == "https://dm.azurewebsites.net/api/jobs/1"
    local = AccessSettings.from_env({"WEBSITE_HOSTNAME": "127.0.0.1:7071"})
    assert local.link("/api/jobs/1") == "http://127.0.0.1:7071/api/jobs/1"


def test_links_are_relative_without_a_configured_name() -> None:
    assert AccessSettings.from_env({}).link("/api/jobs/1") == "/api/jobs/1"


def test_an_engine_container_cannot_be_allowed() -> None:
    with pytest.raises(SettingsError, match=r"DAGMASTER_INPUT_CONTAINERS=.*engine's own"):
        ContainerSettings.from_env({"DAGMASTER_INPUT_CONTAINERS": "raw,dagmaster-outputs"})


def test_a_base_url_must_be_absolute() -> None:
    with pytest.raises(SettingsError, match="DAGMASTER_PUBLIC_BASE_URL"):
        AccessSettings.from_env({"DAGMASTER_PUBLIC_BASE_URL": "dm.example.org"})
