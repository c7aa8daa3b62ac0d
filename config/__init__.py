"""dagmaster's configuration: every environment variable it reads, typed, in `config.settings`.

Read settings only through these classes (``StorageSettings.from_env()``); `config.SETTINGS`
is the catalogue of them all as plain data. See `config.settings` for how to add one.
"""

from config.base import EnvSettings, Reader, Setting, SettingsError, setting
from config.settings import (
    SETTINGS,
    SETTINGS_CLASSES,
    AccessSettings,
    AppSettings,
    CallbackSettings,
    CatalogSettings,
    CatalogSource,
    ConsoleSettings,
    ContainerSettings,
    DevhostEnvSettings,
    HandlerSettings,
    LogSettings,
    StorageSettings,
    TaskQueueSettings,
    WorkerSettings,
    markdown_table,
    registry_settings,
    shipped_settings,
)

__all__ = [
    "SETTINGS",
    "SETTINGS_CLASSES",
    "AccessSettings",
    "AppSettings",
    "CallbackSettings",
    "CatalogSettings",
    "CatalogSource",
    "ConsoleSettings",
    "ContainerSettings",
    "DevhostEnvSettings",
    "EnvSettings",
    "HandlerSettings",
    "LogSettings",
    "Reader",
    "Setting",
    "SettingsError",
    "StorageSettings",
    "TaskQueueSettings",
    "WorkerSettings",
    "markdown_table",
    "registry_settings",
    "setting",
    "shipped_settings",
]
