import pytest

from config import AppSettings, SettingsError


def test_limits_have_defaults():
    settings = AppSettings.from_env({})
    assert (settings.max_body_bytes, settings.max_fan_out) == (1024 * 1024, 10_000)


def test_limits_are_read_from_their_settings():
    env = {"DAGMASTER_MAX_BODY_BYTES": "2048", "DAGMASTER_MAX_FAN_OUT": "5"}
    settings = AppSettings.from_env(env)
    assert (settings.max_body_bytes, settings.max_fan_out) == (2048, 5)


def test_a_malformed_limit_names_its_setting():
    with pytest.raises(SettingsError, match="DAGMASTER_MAX_FAN_OUT"):
        AppSettings.from_env({"DAGMASTER_MAX_FAN_OUT": "0"})
