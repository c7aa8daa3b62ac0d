"""Every setting dagmaster reads from its environment, and `SETTINGS`, the catalogue of them.

The Functions app (app settings), the container worker (container environment) and devhost
read configuration only through these classes; nothing else reads ``os.environ``
(`tests/test_settings_catalogue.py` checks it, and that the README's settings table and
`local.settings.json.example` agree with `SETTINGS`).

Using the catalogue: ``SETTINGS`` is a tuple of `config.base.Setting` (name, meaning,
readers, required, default, secret), plain data: filter it by reader
(``[s for s in SETTINGS if "app" in s.readers]``) to list what a deployment of the Functions
app or of the worker must or may set; ``markdown_table()`` renders it for the README.

Adding a setting:

1. Add a field to the class of the component that reads it (or add a class to
   `SETTINGS_CLASSES`), declared with `setting`::

       max_children: int = setting(
           "DAGMASTER_FAN_OUT_MAX_CHILDREN",
           "children one fan-out node may create",
           readers=APP,
           default=10_000,
           ge=1,
       )

   Without ``default`` the setting is required: a missing one is a start-up error naming it.
   A comma-separated list is a `CommaList` field; a credential takes ``secret=True``.
2. Read it with ``YourSettings.from_env()`` (in tests ``YourSettings.from_env({...})``, or
   build ``YourSettings(field=...)`` directly).
3. Run ``dagmaster settings`` and paste its table into the README between the ``settings``
   markers; put it in `local.settings.json.example` too if a local run needs it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self
from urllib.parse import urlparse

from pydantic import SecretStr, field_validator, model_validator

from config.base import (
    CommaList,
    EnvSettings,
    Reader,
    Setting,
    SettingsError,
    named_value,
    setting,
)
from domain.storage import ContainerPolicy

if TYPE_CHECKING:
    from collections.abc import Iterable

    from domain.platforms import PlatformDefinition

APP: tuple[Reader, ...] = ("app",)
WORKER: tuple[Reader, ...] = ("worker",)
APP_AND_WORKER: tuple[Reader, ...] = ("app", "worker")
ALL: tuple[Reader, ...] = ("app", "worker", "devhost")
DEVHOST: tuple[Reader, ...] = ("devhost",)

CONNECTION_STRING = "DAGMASTER_STORAGE_CONNECTION_STRING"
ACCOUNT_URL = "DAGMASTER_STORAGE_ACCOUNT_URL"
ALLOWED_ACCOUNTS = "DAGMASTER_STORAGE_ALLOWED_ACCOUNTS"
DEFAULT_QUEUE_NAME = "dagmaster-heavy-tasks"
BACKENDS = ("storage", "servicebus")
_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")


class StorageSettings(EnvSettings):
    """The storage account: blobs (inputs, outputs, payloads, checkpoints) and storage queues.

    Exactly one of the connection string (Azurite, account key: SAS tokens signed with the
    key) and the account URL (managed identity: user-delegation SAS) is set.
    """

    connection_string: SecretStr | None = setting(
        CONNECTION_STRING,
        f"storage account connection string (Azurite locally, or an account key); or set "
        f"{ACCOUNT_URL} instead",
        readers=APP_AND_WORKER,
        default=None,
        secret=True,
    )
    account_url: str | None = setting(
        ACCOUNT_URL,
        "blob endpoint https://<account>.blob.core.windows.net, reached with the managed "
        f"identity (DefaultAzureCredential); or set {CONNECTION_STRING} instead",
        readers=APP_AND_WORKER,
        default=None,
    )
    queue_url: str | None = setting(
        "DAGMASTER_STORAGE_QUEUE_URL",
        f"queue endpoint for storage queues with the managed identity ({ACCOUNT_URL})",
        readers=APP_AND_WORKER,
        default=None,
    )
    extra_allowed_accounts: CommaList = setting(
        ALLOWED_ACCOUNTS,
        "comma list of further storage accounts whose blob URLs are accepted (managed "
        "identity only; the configured account is always allowed)",
        readers=APP_AND_WORKER,
        default=(),
    )
    sas_ttl_minutes: int = setting(
        "DAGMASTER_STORAGE_SAS_TTL_MINUTES",
        "lifetime of the SAS URLs handed to GDAL and clients, in minutes",
        readers=APP_AND_WORKER,
        default=60,
        ge=5,
        le=7 * 24 * 60,
    )

    @field_validator("extra_allowed_accounts")
    @classmethod
    def _account_names(cls, accounts: tuple[str, ...]) -> tuple[str, ...]:
        for account in accounts:
            if not _ACCOUNT.match(account):
                raise ValueError(
                    f"has {account!r}, not a storage account name (3-24 lowercase letters or "
                    "digits)"
                )
        return accounts

    @model_validator(mode="after")
    def _exactly_one_source(self) -> Self:
        if self.connection_string is None and self.account_url is None:
            raise ValueError(
                f"{CONNECTION_STRING} is not set: set it (Azurite locally, or an account key), "
                f"or set {ACCOUNT_URL} to use a managed identity"
            )
        if self.connection_string is not None and self.account_url is not None:
            raise ValueError(
                f"set exactly one of {CONNECTION_STRING} (Azurite, account key) or "
                f"{ACCOUNT_URL} (managed identity)"
            )
        if self.account_url is not None:
            parsed = urlparse(self.account_url)
            if parsed.scheme != "https" or not parsed.hostname:
                raise ValueError(f"{ACCOUNT_URL} must be an https URL, got {self.account_url!r}")
        if self.connection_string is not None and self.extra_allowed_accounts:
            raise ValueError(
                f"{ALLOWED_ACCOUNTS} needs managed identity ({ACCOUNT_URL}): an account "
                "key only signs for its own account"
            )
        return self


class TaskQueueSettings(EnvSettings):
    """Which queue carries heavy tasks to the container worker; the choice is always explicit."""

    backend: Literal["storage", "servicebus"] = setting(
        "DAGMASTER_TASK_QUEUE",
        "the heavy-task queue: 'storage' (Storage queues, Azurite locally) or 'servicebus'",
        readers=APP_AND_WORKER,
    )
    queue_name: str = setting(
        "DAGMASTER_TASK_QUEUE_NAME",
        "name of the heavy-task queue (its poison queue is <name>-poison)",
        readers=APP_AND_WORKER,
        default=DEFAULT_QUEUE_NAME,
    )
    max_deliveries: int = setting(
        "DAGMASTER_TASK_QUEUE_MAX_DELIVERIES",
        "deliveries of a task before it is dead-lettered (keep it below the Service Bus "
        "queue's maxDeliveryCount)",
        readers=APP_AND_WORKER,
        default=5,
        ge=1,
    )
    servicebus_namespace: str | None = setting(
        "DAGMASTER_SERVICEBUS_NAMESPACE",
        "fully-qualified Service Bus namespace (ns.servicebus.windows.net), reached with the "
        "managed identity",
        readers=APP_AND_WORKER,
        default=None,
    )
    servicebus_connection_string: str | None = setting(
        "DAGMASTER_SERVICEBUS_CONNECTION_STRING",
        "Service Bus connection string, instead of the namespace and managed identity",
        readers=APP_AND_WORKER,
        default=None,
        secret=True,
    )
    storage: StorageSettings

    @field_validator("backend", mode="before")
    @classmethod
    def _known_backend(cls, value: object) -> object:
        if value not in BACKENDS:
            raise ValueError("is not a task queue: use 'storage' or 'servicebus'")
        return value

    @model_validator(mode="after")
    def _backend_reachable(self) -> Self:
        if self.backend == "servicebus" and not (
            self.servicebus_namespace or self.servicebus_connection_string
        ):
            raise ValueError(
                "DAGMASTER_SERVICEBUS_NAMESPACE is not set: DAGMASTER_TASK_QUEUE=servicebus needs "
                "the fully-qualified namespace (managed identity) or "
                "DAGMASTER_SERVICEBUS_CONNECTION_STRING"
            )
        storage = self.storage
        if self.backend == "storage" and not (storage.connection_string or storage.queue_url):
            raise ValueError(
                "DAGMASTER_STORAGE_QUEUE_URL is not set: DAGMASTER_TASK_QUEUE=storage with a "
                f"managed identity needs the queue endpoint (or set {CONNECTION_STRING})"
            )
        return self


class CatalogSource(StrEnum):
    DATABASE_URL = "DATABASE_URL"
    ENTRA = "entra"
    EMBEDDED = "embedded"


class CatalogSettings(EnvSettings):
    """Where the job catalog's PostgreSQL is. Three sources, tried in this order:

    1. ``DATABASE_URL``: any libpq URL or key/value string, used as is.
    2. Azure Database for PostgreSQL with Microsoft Entra ID: ``DAGMASTER_PG_ENTRA=true`` with
       ``PGHOST`` and ``PGUSER``; the password is an access token fetched per connection.
    3. Otherwise an embedded PostgreSQL (PyPI ``pgserver``) under ``$DAGMASTER_DATA_DIR/pgdata``.

    ``PGHOST`` alone never switches to Azure: the Entra switch must be explicit, so a stray
    libpq variable cannot send the catalog somewhere unexpected.
    """

    database_url: str | None = setting(
        "DATABASE_URL",
        "the job catalog's PostgreSQL (libpq URL or key/value string); wins over the others",
        readers=APP_AND_WORKER,
        default=None,
        secret=True,
    )
    entra: bool = setting(
        "DAGMASTER_PG_ENTRA",
        "true: Azure Database for PostgreSQL with Entra ID tokens (needs PGHOST and PGUSER)",
        readers=APP_AND_WORKER,
        default=False,
    )
    pg_host: str | None = setting(
        "PGHOST", "PostgreSQL server, with DAGMASTER_PG_ENTRA", readers=APP_AND_WORKER, default=None
    )
    pg_user: str | None = setting(
        "PGUSER",
        "Entra principal name, with DAGMASTER_PG_ENTRA",
        readers=APP_AND_WORKER,
        default=None,
    )
    pg_database: str = setting(
        "PGDATABASE",
        "database name, with DAGMASTER_PG_ENTRA",
        readers=APP_AND_WORKER,
        default="postgres",
    )
    pg_port: int = setting(
        "PGPORT", "server port, with DAGMASTER_PG_ENTRA", readers=APP_AND_WORKER, default=5432
    )
    data_dir: Path = setting(
        "DAGMASTER_DATA_DIR",
        "local state: the embedded PostgreSQL (pgdata/) when no other catalog is set, and "
        "devhost's Azurite scratch; the worker uses the app's embedded catalog only if set",
        readers=ALL,
        default=Path(".dagmaster"),
    )
    pool_min_size: int = setting(
        "DAGMASTER_PG_POOL_MIN",
        "connections the catalog pool keeps open",
        readers=APP_AND_WORKER,
        default=1,
        ge=0,
    )
    pool_max_size: int = setting(
        "DAGMASTER_PG_POOL_MAX",
        "connections the catalog pool may open",
        readers=APP_AND_WORKER,
        default=8,
        ge=1,
    )
    connect_timeout: float = setting(
        "DAGMASTER_PG_CONNECT_TIMEOUT",
        "seconds to wait for a catalog connection",
        readers=APP_AND_WORKER,
        default=10.0,
        gt=0,
    )

    @model_validator(mode="after")
    def _entra_needs_host_and_user(self) -> Self:
        if self.database_url is None and self.entra:
            missing = [n for n, v in (("PGHOST", self.pg_host), ("PGUSER", self.pg_user)) if not v]
            if missing:
                raise ValueError(
                    f"DAGMASTER_PG_ENTRA=true needs {' and '.join(missing)} "
                    "(the Azure Database for PostgreSQL server and the Entra principal name)"
                )
        return self

    @property
    def source(self) -> CatalogSource:
        if self.database_url is not None:
            return CatalogSource.DATABASE_URL
        if self.entra:
            return CatalogSource.ENTRA
        return CatalogSource.EMBEDDED

    @property
    def named(self) -> bool:
        """Whether the environment names a catalog (the worker starts no embedded one)."""
        return bool({"database_url", "data_dir"} & self.model_fields_set) or self.entra

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"


class CallbackSettings(EnvSettings):
    """How the worker raises its result event on the orchestration (Durable HTTP API)."""

    base_url: str = setting(
        "DAGMASTER_DURABLE_BASE_URL",
        "the Functions app origin the worker raises events on, e.g. "
        "https://app.azurewebsites.net (http://localhost:7071 locally)",
        readers=WORKER,
    )
    system_key: str | None = setting(
        "DAGMASTER_DURABLE_SYSTEM_KEY",
        "the durabletask extension's system key (code=) for the Durable HTTP API; needed when "
        "the app requires keys (Azure, devhost --require-keys), checked at start-up",
        readers=WORKER,
        default=None,
        secret=True,
    )
    task_hub: str | None = setting(
        "DAGMASTER_DURABLE_TASK_HUB",
        "task hub to address when a message's reply_to names none",
        readers=WORKER,
        default=None,
    )
    max_attempts: int = setting(
        "DAGMASTER_WORKER_CALLBACK_ATTEMPTS",
        "raise-event attempts before giving up",
        readers=WORKER,
        default=6,
        ge=1,
    )
    backoff_initial_seconds: float = setting(
        "DAGMASTER_WORKER_CALLBACK_BACKOFF_SECONDS",
        "first wait between raise-event attempts, doubled up to 30 s",
        readers=WORKER,
        default=1.0,
        ge=0,
    )
    backoff_max_seconds: float = 30.0
    request_timeout_seconds: float = 30.0


class WorkerSettings(EnvSettings):
    """The container worker's settings (its task queue, callback and optional catalog)."""

    queue: TaskQueueSettings
    callback: CallbackSettings
    concurrency: int = setting(
        "DAGMASTER_WORKER_CONCURRENCY",
        "tasks at a time, one process each",
        readers=WORKER,
        default=1,
        ge=1,
    )
    handlers_modules: CommaList = setting(
        "DAGMASTER_WORKER_HANDLERS_MODULES",
        "comma list of modules whose import registers the worker's handlers",
        readers=WORKER,
        default=("handlers",),
    )
    visibility_timeout_seconds: float = setting(
        "DAGMASTER_WORKER_VISIBILITY_TIMEOUT_SECONDS",
        "message invisibility (lock renewal) period, renewed every third of it",
        readers=WORKER,
        default=60.0,
        ge=3,
    )
    poll_seconds: float = setting(
        "DAGMASTER_WORKER_POLL_SECONDS",
        "idle wait between receives",
        readers=WORKER,
        default=1.0,
        ge=0.01,
    )
    task_memory_mb: int | None = setting(
        "DAGMASTER_WORKER_TASK_MEMORY_MB",
        "address-space limit of each task process, in MB (unset: none)",
        readers=WORKER,
        default=None,
        ge=16,
    )
    progress_sink: str | None = setting(
        "DAGMASTER_WORKER_PROGRESS_SINK",
        "module:factory of a progress sink (unset: the job catalog if one is named, else the log)",
        readers=WORKER,
        default=None,
    )
    catalog: CatalogSettings | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **values: object) -> Self:
        """As `EnvSettings.from_env`; the catalog only when the environment names one."""
        if "catalog" not in values:
            try:
                catalog = CatalogSettings.from_env(env)
            except SettingsError as exc:
                raise SettingsError(f"job catalog settings: {exc}") from None
            values["catalog"] = catalog if catalog.named else None
        return super().from_env(env, **values)


class LogSettings(EnvSettings):
    log_level: str = setting(
        "DAGMASTER_LOG_LEVEL",
        "the worker's log level (DEBUG, INFO, WARNING, ...)",
        readers=WORKER,
        default="INFO",
    )


class HandlerSettings(EnvSettings):
    """What the handler library reads, wherever it runs (activity or worker)."""

    handlers_modules: CommaList = setting(
        "DAGMASTER_HANDLERS_MODULES",
        "comma list of modules outside handlers/ whose import registers more handlers (the "
        "app validates workflows against them: name them for the app and the worker alike)",
        readers=APP_AND_WORKER,
        default=(),
    )
    stac_index: str | None = setting(
        "DAGMASTER_STAC_INDEX",
        "'catalog': stac_item upserts every item into the job catalog's stac_items table; "
        "'none' or unset: items are not indexed",
        readers=APP_AND_WORKER,
        default=None,
    )
    gdal_cachemax: str | None = setting(
        "GDAL_CACHEMAX",
        "GDAL's block cache; a plain MB count is also the COG writer's cache (unset: 256 MB)",
        readers=APP_AND_WORKER,
        default=None,
    )


class PublishSettings(EnvSettings):
    """Where publishing puts an asset's public copy (the publish_asset and unpublish_asset
    handlers)."""

    container: str = setting(
        "DAGMASTER_PUBLIC_CONTAINER",
        "blob container of the public copies of published assets (its own container, so "
        "that its access can be opened without opening anything else)",
        readers=APP_AND_WORKER,
        default="public",
    )
    collection: str = setting(
        "DAGMASTER_PUBLIC_STAC_COLLECTION",
        "STAC collection (in the catalog's STAC index) of published assets' items",
        readers=APP_AND_WORKER,
        default="public",
    )


class OutboundSettings(EnvSettings):
    """Signed callbacks to B2B platforms (the URL and the secret's setting name are in the
    platform registry; see domain.callbacks)."""

    max_attempts: int = setting(
        "DAGMASTER_CALLBACK_MAX_ATTEMPTS",
        "attempts to deliver one callback event before it is given up",
        readers=APP,
        default=10,
        ge=1,
    )
    backoff_seconds: float = setting(
        "DAGMASTER_CALLBACK_BACKOFF_SECONDS",
        "wait after a callback's first failed attempt, doubled after each further one",
        readers=APP,
        default=10.0,
        ge=0,
    )
    backoff_max_seconds: float = setting(
        "DAGMASTER_CALLBACK_BACKOFF_MAX_SECONDS",
        "longest wait between two attempts of one callback",
        readers=APP,
        default=900.0,
        ge=0,
    )
    timeout_seconds: float = setting(
        "DAGMASTER_CALLBACK_TIMEOUT_SECONDS",
        "how long one callback POST may take (connect and read)",
        readers=APP,
        default=10.0,
        gt=0,
    )

    def secret(self, setting_name: str, env: Mapping[str, str] | None = None) -> bytes:
        """The signing secret held by the app setting a registry entry names."""
        value = named_value(setting_name, env)
        if value is None:
            raise SettingsError(
                f"{setting_name} is not set (the platform registry names it as a callback "
                "secret: set it in the app settings)"
            )
        return value.encode()

    def callback_url(self, setting_name: str, env: Mapping[str, str] | None = None) -> str | None:
        """The callback URL held by the app setting a registry entry names (``url_setting``);
        None if unset or blank."""
        return named_value(setting_name, env)


class PostgisSettings(EnvSettings):
    """Where vector tables live (`adapters.postgis`): read by the vector handlers."""

    url: str | None = setting(
        "DAGMASTER_POSTGIS_URL",
        "libpq URL of a PostgreSQL with PostGIS for vector tables, or 'catalog' for the job "
        "catalog's own connection (Azure: the Flexible Server with Entra ID); unset: "
        "vector_ingest fails naming this setting",
        readers=APP_AND_WORKER,
        default=None,
        secret=True,
    )
    schema_name: str = setting(
        "DAGMASTER_VECTOR_SCHEMA",
        "the schema vector tables are created in",
        readers=APP_AND_WORKER,
        default="geo",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
    )
    public_schema: str = setting(
        "DAGMASTER_VECTOR_PUBLIC_SCHEMA",
        "the schema of published vector data: publish_asset makes one read-only view per "
        "asset there (<platform>_<32 hex>) over its published version's table",
        readers=APP_AND_WORKER,
        default="dagmaster_public",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
    )
    reader_role: str | None = setting(
        "DAGMASTER_VECTOR_READER_ROLE",
        "an existing PostgreSQL role that publish_asset grants USAGE on the public schema "
        "and SELECT on each published view (nothing on the tables); unset: no grant",
        readers=APP_AND_WORKER,
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_.@-]{0,62}$",
    )
    pg_bin: Path = setting(
        "DAGMASTER_PG_BIN",
        "the PostgreSQL 15 binaries of the local PostGIS cluster (tests and demo only)",
        readers=DEVHOST,
        default=Path("/usr/lib/postgresql/15/bin"),
    )


class PlatformAccessSettings(EnvSettings):
    """Per-platform access to the API (domain.access): platforms' keys are held by the app
    settings their registry entries name (``api_key_setting``); with Entra, their app
    registrations' client ids are in the registry (``entra_app_id``)."""

    mode: Literal["open", "keys", "entra"] = setting(
        "DAGMASTER_ACCESS",
        "'keys': every API call needs a platform's or the reviewers' key (X-Dagmaster-Key) "
        "and a platform sees only its own assets and jobs; 'entra': the same, the caller "
        "identified by App Service Authentication's X-MS-CLIENT-PRINCIPAL (only with "
        "authentication enforced); 'open': no such check (local runs only)",
        readers=APP,
        default="open",
    )
    reviewer_key: SecretStr | None = setting(
        "DAGMASTER_REVIEWER_KEY",
        "the key of reviewers and operators with DAGMASTER_ACCESS=keys (approve, reject, "
        "reprocess, clearance, delete, approval nodes, POST /api/jobs, reading everything)",
        readers=APP,
        default=None,
        secret=True,
    )

    def platform_key(self, setting_name: str, env: Mapping[str, str] | None = None) -> bytes:
        """The key held by the app setting a registry entry names (empty: unset)."""
        value = named_value(setting_name, env)
        return value.encode() if value else b""


class AppSettings(EnvSettings):
    """What only the Functions app reads."""

    workflows_dirs: str | None = setting(
        "DAGMASTER_WORKFLOWS_DIR",
        "folders of workflow YAML, separated by the OS path separator (unset: the app's "
        "workflows/)",
        readers=APP,
        default=None,
    )
    platforms_dirs: str | None = setting(
        "DAGMASTER_PLATFORMS_DIR",
        "folders of the platform registry (one YAML file per B2B platform), separated by the "
        "OS path separator (unset: the app's platforms/)",
        readers=APP,
        default=None,
    )
    max_body_bytes: int = setting(
        "DAGMASTER_MAX_BODY_BYTES",
        "largest HTTP request body the API reads; a larger one is a 413",
        readers=APP,
        default=1024 * 1024,
        ge=1024,
    )
    max_fan_out: int = setting(
        "DAGMASTER_MAX_FAN_OUT",
        "most children one fan-out may create: checked at submit when the inputs give the "
        "width, and when the fan-out runs",
        readers=APP,
        default=10_000,
        ge=1,
    )


class ConsoleSettings(EnvSettings):
    """What the operator console reads (`console/README.md`: App Service Authentication)."""

    auth: Literal["app_service", "local"] | None = setting(
        "DAGMASTER_CONSOLE_AUTH",
        "who acts in the console: 'app_service' (the X-MS-CLIENT-PRINCIPAL-NAME of App Service "
        "Authentication, which must be enabled) or 'local' (that header if present, else "
        "'local'); unset: app_service on Azure (WEBSITE_INSTANCE_ID set), else local",
        readers=APP,
        default=None,
    )
    instance_id: str | None = setting(
        "WEBSITE_INSTANCE_ID",
        "set by Azure on every instance of the app: the console then defaults to app_service",
        readers=APP,
        default=None,
    )
    auth_enabled: bool = setting(
        "WEBSITE_AUTH_ENABLED",
        "set by Azure (True) when App Service Authentication is enabled; the console in "
        "app_service mode refuses to serve without it",
        readers=APP,
        default=False,
    )

    @property
    def mode(self) -> Literal["app_service", "local"]:
        if self.auth is not None:
            return self.auth
        return "app_service" if self.instance_id else "local"


CLIENT_SIGNAL_FAULTS = ("duplicate", "reorder")


ENGINE_CONTAINER_PREFIX = "dagmaster-"
INPUT_CONTAINERS = "DAGMASTER_INPUT_CONTAINERS"
OUTPUT_CONTAINERS = "DAGMASTER_OUTPUT_CONTAINERS"
_CONTAINER = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


class ContainerSettings(EnvSettings):
    """The storage containers jobs may name, per purpose: checked on submit against the
    workflow's `storage: input|output` inputs, and again by the handlers (which read from
    either kind and write to output containers only). The engine's own containers
    (``dagmaster-*``) are never allowed."""

    input_containers: CommaList = setting(
        INPUT_CONTAINERS,
        "comma list of containers a workflow input declared `storage: input` may name (and "
        "handlers may read from)",
        readers=APP_AND_WORKER,
        default=(),
    )
    output_containers: CommaList = setting(
        OUTPUT_CONTAINERS,
        "comma list of containers a workflow input declared `storage: output` may name (the "
        "only ones handlers write to; they may read from them too)",
        readers=APP_AND_WORKER,
        default=(),
    )

    @field_validator("input_containers", "output_containers")
    @classmethod
    def _not_the_engines(cls, containers: tuple[str, ...]) -> tuple[str, ...]:
        for name in containers:
            if not _CONTAINER.match(name):
                raise ValueError(f"has {name!r}, not a container name")
            if name.startswith(ENGINE_CONTAINER_PREFIX):
                raise ValueError(f"has {name!r}, one of the engine's own containers")
        return containers

    @property
    def policy(self) -> ContainerPolicy:
        return ContainerPolicy(frozenset(self.input_containers), frozenset(self.output_containers))


class AccessSettings(EnvSettings):
    """How the app's responses and probes present it to anonymous or outside callers."""

    public_base_url: str | None = setting(
        "DAGMASTER_PUBLIC_BASE_URL",
        "base of the links in responses (Location, links), e.g. https://dm.example.org "
        "(unset: from WEBSITE_HOSTNAME; never from the request's Host header)",
        readers=APP,
        default=None,
    )
    website_hostname: str | None = setting(
        "WEBSITE_HOSTNAME",
        "set by Azure (and devhost, as Core Tools does): the app's own host name, the base "
        "of links when DAGMASTER_PUBLIC_BASE_URL is unset (https; http for localhost)",
        readers=APP,
        default=None,
    )
    probe_timeout_seconds: float = setting(
        "DAGMASTER_PROBE_TIMEOUT_SECONDS",
        "the longest each readyz dependency check may take",
        readers=APP,
        default=3.0,
        gt=0,
        le=60,
    )
    reconcile_schedule: str = setting(
        "DAGMASTER_RECONCILE_SCHEDULE",
        "NCRONTAB schedule of reconcile_jobs, which marks jobs whose Durable instance ended "
        "unseen (terminated, failed outside the orchestrator, purged); read at start-up",
        readers=APP,
        default="0 */1 * * * *",
    )

    @field_validator("public_base_url")
    @classmethod
    def _absolute_url(cls, url: str | None) -> str | None:
        if url is not None:
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query:
                raise ValueError(f"is {url!r}: expected an http(s) URL without a query")
            return url.rstrip("/")
        return url

    def link(self, path: str) -> str:
        """An absolute link to ``path`` (``/api/...``) when a base is known, else ``path``."""
        if self.public_base_url:
            return self.public_base_url + path
        if self.website_hostname:
            local = self.website_hostname.split(":")[0] in {"localhost", "127.0.0.1"}
            return f"{'http' if local else 'https'}://{self.website_hostname}{path}"
        return path


class DevhostEnvSettings(EnvSettings):
    """What devhost takes from the environment, as the Functions host does."""

    site_name: str | None = setting(
        "WEBSITE_SITE_NAME",
        "set by Azure: the task hub name when host.json names none, as in the Durable extension",
        readers=DEVHOST,
        default=None,
    )
    client_signal_faults: CommaList = setting(
        "DEVHOST_CLIENT_SIGNAL_FAULTS",
        "test knob: client signals to entities are queued twice (duplicate) and/or run out "
        "of order (reorder), as Azure may deliver them",
        readers=DEVHOST,
        default=(),
    )

    @field_validator("client_signal_faults")
    @classmethod
    def _known_faults(cls, faults: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(f.lower() for f in faults)
        unknown = [n for n in names if n not in CLIENT_SIGNAL_FAULTS]
        if unknown:
            raise ValueError(
                f"has {', '.join(repr(n) for n in unknown)}: use "
                f"{' and/or '.join(CLIENT_SIGNAL_FAULTS)}, comma-separated"
            )
        return names


# Read by the Azure Functions host itself, not by our code; deployed with the app.
HOST_SETTINGS: tuple[Setting, ...] = (
    Setting(
        name="FUNCTIONS_WORKER_RUNTIME",
        meaning="the Functions language worker: python",
        readers=("host",),
        required=True,
    ),
    Setting(
        name="AzureWebJobsStorage",
        meaning="the Functions host's storage (Durable task hub, timers); "
        "UseDevelopmentStorage=true for Azurite",
        readers=("host",),
        required=True,
        secret=True,
    ),
    Setting(
        name="AzureWebJobsFeatureFlags",
        meaning="EnableWorkerIndexing for the Python v2 programming model",
        readers=("host",),
    ),
)

SETTINGS_CLASSES: tuple[type[EnvSettings], ...] = (
    StorageSettings,
    TaskQueueSettings,
    CatalogSettings,
    CallbackSettings,
    WorkerSettings,
    LogSettings,
    HandlerSettings,
    PublishSettings,
    OutboundSettings,
    PlatformAccessSettings,
    PostgisSettings,
    AppSettings,
    ContainerSettings,
    AccessSettings,
    ConsoleSettings,
    DevhostEnvSettings,
)

SETTINGS: tuple[Setting, ...] = HOST_SETTINGS + tuple(
    entry for cls in SETTINGS_CLASSES for entry in cls.catalogue()
)


SHIPPED_PLATFORMS = Path(__file__).resolve().parents[1] / "platforms"


def registry_settings(platforms: Iterable[PlatformDefinition]) -> tuple[Setting, ...]:
    """The app settings a platform registry names (data, not code): each platform's API key,
    callback URL and callback signing secret. None is required: without its key a platform
    cannot authenticate (readyz names it), without its URL it gets no callbacks, without its
    secret its callbacks fail."""
    found: list[Setting] = []
    for p in platforms:
        if p.api_key_setting:
            meaning = (
                f"platform {p.platform_id}'s API key (X-Dagmaster-Key) with "
                "DAGMASTER_ACCESS=keys; named by its registry entry (api_key_setting)"
            )
            found.append(Setting(name=p.api_key_setting, meaning=meaning, readers=APP, secret=True))
        if p.callback is not None and p.callback.url_setting:
            meaning = (
                f"platform {p.platform_id}'s callback URL (http or https); named by its "
                "registry entry (callback.url_setting); unset: it gets no callbacks"
            )
            found.append(Setting(name=p.callback.url_setting, meaning=meaning, readers=APP))
        if p.callback is not None:
            meaning = (
                f"platform {p.platform_id}'s callback signing secret; named by its registry "
                "entry (callback.secret_setting)"
            )
            found.append(
                Setting(name=p.callback.secret_setting, meaning=meaning, readers=APP, secret=True)
            )
    return tuple(found)


def shipped_settings() -> tuple[Setting, ...]:
    """`SETTINGS` and the settings the shipped registry (``platforms/``) names: what the
    README's table and the Bicep settings contract list."""
    from domain.platforms import load_platform_dir

    return SETTINGS + registry_settings(load_platform_dir([SHIPPED_PLATFORMS]).all())


def markdown_table(settings: tuple[Setting, ...] | None = None) -> str:
    """The README's settings table (default: `shipped_settings`)."""
    settings = shipped_settings() if settings is None else settings
    rows = [
        "| setting | read by | default | meaning |",
        "|---|---|---|---|",
    ]
    for s in settings:
        default = "**required**" if s.required else (f"`{s.default}`" if s.default else "unset")
        secret = " (secret)" if s.secret else ""
        meaning = s.meaning.replace("|", "\\|")
        rows.append(f"| `{s.name}` | {', '.join(s.readers)} | {default} | {meaning}{secret} |")
    return "\n".join(rows) + "\n"
