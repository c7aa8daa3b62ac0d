from pathlib import Path

import pytest

from config.settings import CatalogSettings, CatalogSource, SettingsError


def test_database_url_wins_over_everything():
    env = {"DATABASE_URL": "postgresql://x/y", "DAGMASTER_PG_ENTRA": "true", "PGHOST": "h"}
    assert CatalogSettings.from_env(env).source is CatalogSource.DATABASE_URL


def test_entra_switch_with_host_and_user_selects_entra():
    env = {"DAGMASTER_PG_ENTRA": "true", "PGHOST": "srv.postgres.database.azure.com", "PGUSER": "u"}
    assert CatalogSettings.from_env(env).source is CatalogSource.ENTRA


def test_pghost_without_entra_switch_stays_embedded():
    assert CatalogSettings.from_env({"PGHOST": "h", "PGUSER": "u"}).source is CatalogSource.EMBEDDED


def test_entra_switch_without_host_names_the_missing_settings():
    with pytest.raises(SettingsError, match="PGHOST and PGUSER"):
        CatalogSettings.from_env({"DAGMASTER_PG_ENTRA": "true"})


def test_embedded_data_lives_under_data_dir():
    settings = CatalogSettings.from_env({"DAGMASTER_DATA_DIR": "/srv/dm"})
    assert settings.pgdata == Path("/srv/dm/pgdata")


def test_default_data_dir_is_dot_dagmaster_in_cwd():
    assert CatalogSettings.from_env({}).pgdata == Path(".dagmaster/pgdata")


def test_empty_variables_count_as_unset():
    assert CatalogSettings.from_env({"DATABASE_URL": ""}).source is CatalogSource.EMBEDDED
