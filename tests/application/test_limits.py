import pytest

from application.limits import Limits


def test_limits_have_defaults():
    assert Limits.from_env({}) == Limits(max_body_bytes=1024 * 1024, max_fan_out=10_000)


def test_limits_are_read_from_their_settings():
    env = {"DAGMASTER_MAX_BODY_BYTES": "2048", "DAGMASTER_MAX_FAN_OUT": "5"}
    assert Limits.from_env(env) == Limits(max_body_bytes=2048, max_fan_out=5)


def test_a_malformed_limit_names_its_setting():
    with pytest.raises(ValueError, match="DAGMASTER_MAX_FAN_OUT: Input should be greater"):
        Limits.from_env({"DAGMASTER_MAX_FAN_OUT": "0"})
