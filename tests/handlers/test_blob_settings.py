import pytest

from config.settings import SettingsError, StorageSettings

ENV_ACCOUNT_URL = "DAGMASTER_STORAGE_ACCOUNT_URL"
ENV_ALLOWED_ACCOUNTS = "DAGMASTER_STORAGE_ALLOWED_ACCOUNTS"
ENV_CONNECTION_STRING = "DAGMASTER_STORAGE_CONNECTION_STRING"
ENV_SAS_TTL = "DAGMASTER_STORAGE_SAS_TTL_MINUTES"

CONN = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"


def test_missing_storage_settings_name_both_variables():
    with pytest.raises(SettingsError) as raised:
        StorageSettings.from_env({})
    assert ENV_CONNECTION_STRING in str(raised.value)
    assert ENV_ACCOUNT_URL in str(raised.value)


def test_connection_string_and_account_url_together_are_refused():
    env = {ENV_CONNECTION_STRING: CONN, ENV_ACCOUNT_URL: "https://acct.blob.core.windows.net"}
    with pytest.raises(SettingsError, match="exactly one"):
        StorageSettings.from_env(env)


def test_account_url_must_be_https():
    with pytest.raises(SettingsError, match="https"):
        StorageSettings.from_env({ENV_ACCOUNT_URL: "http://acct.blob.core.windows.net"})


def test_extra_accounts_need_managed_identity():
    with pytest.raises(SettingsError, match=ENV_ACCOUNT_URL):
        StorageSettings.from_env({ENV_CONNECTION_STRING: CONN, ENV_ALLOWED_ACCOUNTS: "other1"})


def test_managed_identity_settings_read_extra_accounts_and_ttl():
    settings = StorageSettings.from_env(
        {
            ENV_ACCOUNT_URL: "https://main1.blob.core.windows.net",
            ENV_ALLOWED_ACCOUNTS: "archive1, archive2",
            ENV_SAS_TTL: "30",
        }
    )
    assert settings.extra_allowed_accounts == ("archive1", "archive2")
    assert settings.sas_ttl_minutes == 30


def test_connection_string_is_not_shown_in_settings_repr():
    settings = StorageSettings.from_env({ENV_CONNECTION_STRING: CONN})
    assert "a2V5" not in repr(settings)
