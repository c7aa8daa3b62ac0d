"""Start-up configuration: explicit queue choice, clear errors naming the missing setting."""

from __future__ import annotations

import subprocess
import sys

import pytest

from adapters.catalog import CatalogSettings
from adapters.taskqueue import SettingsError, TaskQueueSettings
from config.settings import WorkerSettings
from container_worker.worker import Worker
from tests.worker.support import REPO

STORAGE = {"DAGMASTER_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"}
WORKER = {**STORAGE, "DAGMASTER_TASK_QUEUE": "storage", "DAGMASTER_DURABLE_BASE_URL": "http://h"}


def test_missing_queue_choice_is_an_error_naming_the_setting():
    with pytest.raises(SettingsError, match="DAGMASTER_TASK_QUEUE is not set"):
        TaskQueueSettings.from_env(STORAGE)


def test_unknown_queue_choice_quotes_the_bad_value():
    with pytest.raises(SettingsError, match="DAGMASTER_TASK_QUEUE='rabbitmq' is not a task queue"):
        TaskQueueSettings.from_env({**STORAGE, "DAGMASTER_TASK_QUEUE": "rabbitmq"})


def test_service_bus_needs_a_namespace_or_connection_string():
    with pytest.raises(SettingsError, match="DAGMASTER_SERVICEBUS_NAMESPACE"):
        TaskQueueSettings.from_env({**STORAGE, "DAGMASTER_TASK_QUEUE": "servicebus"})

    settings = TaskQueueSettings.from_env(
        {
            **STORAGE,
            "DAGMASTER_TASK_QUEUE": "servicebus",
            "DAGMASTER_SERVICEBUS_NAMESPACE": "ns.servicebus.windows.net",
        }
    )
    assert settings.servicebus_namespace == "ns.servicebus.windows.net"


def test_blob_storage_is_required_for_either_queue():
    with pytest.raises(SettingsError, match="DAGMASTER_STORAGE_CONNECTION_STRING is not set"):
        TaskQueueSettings.from_env({"DAGMASTER_TASK_QUEUE": "servicebus"})


def test_storage_queue_with_managed_identity_needs_the_queue_endpoint():
    env = {
        "DAGMASTER_TASK_QUEUE": "storage",
        "DAGMASTER_STORAGE_ACCOUNT_URL": "https://acct.blob.core.windows.net",
    }
    with pytest.raises(SettingsError, match="DAGMASTER_STORAGE_QUEUE_URL is not set"):
        TaskQueueSettings.from_env(env)


def test_worker_needs_the_durable_base_url():
    env = {k: v for k, v in WORKER.items() if k != "DAGMASTER_DURABLE_BASE_URL"}
    with pytest.raises(SettingsError, match="DAGMASTER_DURABLE_BASE_URL is not set"):
        WorkerSettings.from_env(env)


def test_worker_defaults_and_overrides():
    defaults = WorkerSettings.from_env(WORKER)
    assert (defaults.concurrency, defaults.handlers_modules) == (1, ("handlers",))
    assert defaults.queue.queue_name == "dagmaster-heavy-tasks"

    tuned = WorkerSettings.from_env(
        {
            **WORKER,
            "DAGMASTER_WORKER_CONCURRENCY": "4",
            "DAGMASTER_WORKER_HANDLERS_MODULES": "handlers, extra.handlers",
        }
    )
    assert (tuned.concurrency, tuned.handlers_modules) == (4, ("handlers", "extra.handlers"))


def test_non_numeric_setting_quotes_the_bad_value():
    with pytest.raises(SettingsError, match="DAGMASTER_WORKER_CONCURRENCY='many' is not a number"):
        WorkerSettings.from_env({**WORKER, "DAGMASTER_WORKER_CONCURRENCY": "many"})


def test_handlers_module_that_cannot_be_imported_stops_the_start():
    settings = WorkerSettings.from_env(
        {**WORKER, "DAGMASTER_WORKER_HANDLERS_MODULES": "no_such_module"}
    )
    with pytest.raises(SettingsError, match="'no_such_module', which cannot be imported"):
        Worker.from_settings(settings)


def test_worker_has_no_job_catalog_unless_the_settings_name_one():
    assert WorkerSettings.from_env(WORKER).catalog is None
    assert WorkerSettings.from_env({**WORKER, "PGHOST": "db.example"}).catalog is None


@pytest.mark.parametrize(
    ("name", "value"),
    [("DATABASE_URL", "postgresql://db/x"), ("DAGMASTER_DATA_DIR", "/srv/dagmaster")],
)
def test_catalog_setting_gives_the_worker_the_apps_job_catalog(name, value):
    catalog = WorkerSettings.from_env({**WORKER, name: value}).catalog
    assert catalog is not None
    assert catalog == CatalogSettings.from_env({name: value})


def test_unreachable_job_catalog_stops_the_start_naming_the_setting():
    url = "postgresql://nobody@127.0.0.1:9/x?connect_timeout=1"
    settings = WorkerSettings.from_env({**WORKER, "DATABASE_URL": url})
    with pytest.raises(SettingsError, match=r"progress sink: Cannot connect .* from DATABASE_URL"):
        Worker.from_settings(settings)


def test_cli_exits_2_naming_the_missing_setting():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "container_worker", "--concurrency", "2"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert "DAGMASTER_TASK_QUEUE is not set" in done.stderr
