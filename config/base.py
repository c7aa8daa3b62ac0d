"""How dagmaster reads settings: one `EnvSettings` base (pydantic-settings), one `setting` field.

Every field declared with `setting` is one environment variable: its name is the field's
alias, its meaning the field's description, and who reads it is recorded with it, so the
catalogue (`config.settings.SETTINGS`) is derived from the classes and cannot drift from them.

``Cls.from_env()`` reads ``os.environ``; ``Cls.from_env({...})`` reads only that mapping
(tests); ``Cls(field=...)`` reads nothing from the environment. Blank values count as unset.
Any problem raises `SettingsError` naming the variable and, for a missing one, its meaning.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

# app: the Functions app; worker: the container worker; devhost: devhost and the `dagmaster`
# dev tools; host: the Azure Functions host itself (not read by our code, but deployed with it).
Reader = Literal["app", "worker", "devhost", "host"]

_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("dagmaster_environ", default=None)


class SettingsError(ValueError):
    """A setting is missing or invalid (a start-up error); the message names the variable."""


class Setting(BaseModel):
    """One environment variable as the catalogue lists it.

    ``default`` is spelled as the environment would spell it (None: unset, or required).
    ``secret`` settings belong in Key Vault references, never in plain app settings.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    meaning: str
    readers: tuple[Reader, ...]
    required: bool = False
    default: str | None = None
    secret: bool = False


def setting(
    name: str,
    meaning: str,
    *,
    readers: tuple[Reader, ...],
    default: Any = PydanticUndefined,
    secret: bool = False,
    **constraints: Any,
) -> Any:
    """A field read from the environment variable ``name``; without ``default`` it is required.

    ``constraints`` are `pydantic.Field` constraints (``ge=1``, ``le=...``).
    """
    extra: dict[str, Any] = {"readers": list(readers), "secret": secret}
    return Field(
        default, validation_alias=name, description=meaning, json_schema_extra=extra, **constraints
    )


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


# A comma-separated list in the environment ("a, b"), a tuple in Python.
CommaList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_commas)]


_log = logging.getLogger(__name__)

# What App Service hands the app when it cannot resolve a Key Vault reference: the reference
# itself. Read as a value it would be a well-known "secret" (a reviewer key anybody can
# read in the template), so it counts as unset.
_KEY_VAULT_REFERENCE = re.compile(r"^@Microsoft\.KeyVault\(", re.IGNORECASE)
_unresolved_logged: set[str] = set()


def _usable(name: str, value: str) -> str:
    """``value`` stripped; empty if it is an unresolved Key Vault reference (logged once per
    setting and process)."""
    value = value.strip()
    if _KEY_VAULT_REFERENCE.match(value):
        if name in _unresolved_logged:
            return ""
        _unresolved_logged.add(name)
        _log.warning(
            "app setting %s is a Key Vault reference App Service could not resolve: treated "
            "as unset (check the app identity's Key Vault Secrets User role and the secret)",
            name,
        )
        return ""
    return value


class _Environment(EnvSettingsSource):
    """The variables of one mapping, for the fields declared with `setting` only."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls, case_sensitive=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        usable = {k: _usable(k, v) for k, v in self._environ.items()}
        return {k: v for k, v in usable.items() if v}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if not isinstance(field.validation_alias, str):
            return None, field_name, False
        return super().get_field_value(field, field_name)


class EnvSettings(BaseSettings):
    """Base of every settings class. Nested `EnvSettings` fields are read from the same env."""

    model_config = SettingsConfigDict(
        frozen=True, validate_by_name=True, validate_by_alias=True, extra="ignore"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        environ = _ENVIRON.get()
        if environ is None:
            return (init_settings,)
        return (init_settings, _Environment(settings_cls, environ))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **values: Any) -> Self:
        """The settings in ``env`` (default ``os.environ``); ``values`` override fields.

        Every problem is reported at once: this class's own first, then its nested settings'.
        """
        environ = os.environ if env is None else env
        nested_problems: list[str] = []
        failed: set[str] = set()
        for name, field in cls.model_fields.items():
            kind = field.annotation
            if name not in values and isinstance(kind, type) and issubclass(kind, EnvSettings):
                try:
                    values[name] = kind.from_env(environ)
                except SettingsError as exc:
                    nested_problems.append(str(exc))
                    failed.add(name)
        token = _ENVIRON.set(environ)
        try:
            settings = cls(**values)
        except ValidationError as exc:
            raise SettingsError(
                "; ".join([*describe(cls, exc, failed), *nested_problems])
            ) from None
        finally:
            _ENVIRON.reset(token)
        if nested_problems:
            raise SettingsError("; ".join(nested_problems))
        return settings

    @classmethod
    def catalogue(cls) -> tuple[Setting, ...]:
        """The environment variables this class reads (its `setting` fields)."""
        return tuple(
            _entry(field)
            for field in cls.model_fields.values()
            if isinstance(field.validation_alias, str)
        )


def _entry(field: FieldInfo) -> Setting:
    extra = field.json_schema_extra
    assert isinstance(extra, dict) and isinstance(field.validation_alias, str)
    default = field.get_default(call_default_factory=True)
    return Setting(
        name=field.validation_alias,
        meaning=field.description or "",
        readers=tuple(extra["readers"]),  # type: ignore[arg-type]
        required=field.is_required(),
        default=None if field.is_required() else env_spelling(default),
        secret=bool(extra.get("secret")),
    )


def env_spelling(value: object) -> str | None:
    """How a default would be written in the environment."""
    if value is None or value == ():
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


_REASONS = {
    "int_parsing": "is not a number",
    "float_parsing": "is not a number",
    "int_from_float": "is not a whole number",
    "bool_parsing": "is not true or false",
}


def describe(cls: type[EnvSettings], exc: ValidationError, skip: set[str]) -> list[str]:
    """Every problem of ``exc``, each naming its variable; fields in ``skip`` are left out."""
    aliases = {
        name: f.validation_alias
        for name, f in cls.model_fields.items()
        if isinstance(f.validation_alias, str)
    }
    meanings = {f.validation_alias: f.description for f in cls.model_fields.values()}
    problems: list[str] = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        if not loc:
            problems.append(str(error.get("ctx", {}).get("error", error["msg"])))
            continue
        if str(loc[0]) in skip:
            continue
        name = aliases.get(str(loc[0]), str(loc[0]))
        problems.append(_problem(name, error, meanings.get(name)))
    return problems


def _problem(name: str, error: Any, meaning: str | None) -> str:
    kind = error["type"]
    if kind == "missing":
        return f"{name} is not set: {meaning}" if meaning else f"{name} is not set"
    ctx = error.get("ctx") or {}
    if kind in _REASONS:
        reason = _REASONS[kind]
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {"greater_than_equal": "at least", "greater_than": "more than"}
        words |= {"less_than_equal": "at most", "less_than": "less than"}
        limit = next(iter(ctx.values()))
        reason = f"must be {words[kind]} {limit}"
    elif kind == "value_error":
        reason = str(ctx.get("error", error["msg"]))
    else:
        reason = error["msg"]
    return f"{name}='{error['input']}' {reason}"


def named_value(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The value of an app setting whose name is data, not code (a platform registry entry
    names the setting holding its callback secret); None if unset, blank or an unresolved
    Key Vault reference."""
    value = _usable(name, (os.environ if env is None else env).get(name, ""))
    return value or None
