from typer.testing import CliRunner

from adapters.catalog.cli import db_app
from tests.support.postgres import fresh_catalog

runner = CliRunner()


def test_db_upgrade_then_status_shows_every_migration_applied(embedded_pg):
    with fresh_catalog(embedded_pg, migrated=False) as db:
        env = {"DATABASE_URL": db.url}
        first = runner.invoke(db_app, ["upgrade"], env=env)
        second = runner.invoke(db_app, ["upgrade"], env=env)
        shown = runner.invoke(db_app, ["status"], env=env)
    assert first.exit_code == 0 and first.output.startswith("applied 0001, 0002, 0003")
    assert second.output.strip() == "schema is up to date"
    assert "pending" not in shown.output and "0003  job_nodes" in shown.output


def test_db_upgrade_with_unreachable_database_fails_naming_the_setting():
    env = {"DATABASE_URL": "postgresql://u@127.0.0.1:1/db", "DAGMASTER_PG_CONNECT_TIMEOUT": "2"}
    result = runner.invoke(db_app, ["upgrade"], env=env)
    assert result.exit_code == 1
    assert "DATABASE_URL" in result.output
