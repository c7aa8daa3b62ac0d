"""The platform registry: which B2B platforms may submit, what identifies their assets,
which workflow each data type runs. Data in the repository (``platforms/*.yaml``), loaded
and validated like workflows: every problem of every file at once, with file and line.

    load_platform_dir([Path("platforms")], workflows={"raster_ingest", ...}) -> PlatformRegistry
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.callbacks import CallbackDefinition, url_problem
from domain.loader import Problem, WorkflowValidationError, read_yaml

_NAME = r"^[a-z][a-z0-9_]*$"
_GUID = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"


class DataTypeDefinition(BaseModel):
    """What a submission of one data type runs: a workflow, with fixed inputs of the
    platform's (the submission's ``source`` adds ``container`` and ``blob_path``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    workflow_id: str = Field(min_length=1)
    version: int | None = Field(default=None, ge=1)
    inputs: dict[str, Any] = Field(default_factory=dict)
    asset_table_input: str | None = Field(
        default=None,
        description="the workflow input that gets the version's own table name "
        "(`domain.assets.asset_table`): vector data loads into one table per version",
    )


class PlatformDefinition(BaseModel):
    """One registry entry, as written in ``platforms/<id>.yaml``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    platform_id: str = Field(pattern=_NAME, max_length=40)
    name: str = Field(min_length=1)
    active: bool = True
    identity: list[str] = Field(min_length=1)
    version_label: str | None = Field(default=None, pattern=_NAME)
    data_types: dict[str, DataTypeDefinition] = Field(min_length=1)
    # Signed callbacks on every version event (see domain.callbacks); none: nothing is sent.
    callback: CallbackDefinition | None = None
    # The app setting holding this platform's API key (DAGMASTER_ACCESS=keys); none: no key.
    api_key_setting: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    # The client id of this platform's Entra app registration (DAGMASTER_ACCESS=entra).
    entra_app_id: str | None = Field(default=None, pattern=_GUID)

    @model_validator(mode="after")
    def _fields_are_distinct(self) -> PlatformDefinition:
        problems = [f"identity field {f!r} is not a name" for f in self.identity if not _ok(f)]
        url = self.callback.url if self.callback is not None else None
        if url is not None and (bad := url_problem(url)):
            problems.append(bad)
        if len(set(self.identity)) != len(self.identity):
            problems.append("identity fields must be distinct")
        if self.version_label in self.identity:
            problems.append(f"version_label {self.version_label!r} is also an identity field")
        problems += [f"data type {d!r} is not a name" for d in self.data_types if not _ok(d)]
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _ok(name: str) -> bool:
    return re.fullmatch(_NAME, name) is not None


class PlatformValidationError(ValueError):
    """All the problems of the registry files."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(
            f"invalid platform registry ({count}):\n" + "\n".join(f"  {p}" for p in problems)
        )


@dataclass
class PlatformRegistry:
    platforms: dict[str, PlatformDefinition] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def get(self, platform_id: str) -> PlatformDefinition:
        """The entry; KeyError if there is none."""
        return self.platforms[platform_id]

    def all(self) -> list[PlatformDefinition]:
        return [self.platforms[k] for k in sorted(self.platforms)]


def _line(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def load_platform_text(
    text: str, source: str = "<string>", *, workflows: Collection[str] | None = None
) -> PlatformDefinition:
    """Parse and validate one entry; ``workflows`` (the known workflow ids) checks that each
    data type names one. Raises `PlatformValidationError` listing every problem."""
    try:
        data, lines = read_yaml(text, source)
    except WorkflowValidationError as exc:
        raise PlatformValidationError(exc.problems) from exc
    if not isinstance(data, dict):
        raise PlatformValidationError(
            [Problem(source, 1, None, "a platform file must be a YAML mapping")]
        )
    problems: list[Problem] = []
    definition = None
    try:
        definition = PlatformDefinition.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors(include_url=False):
            loc = tuple(e["loc"])
            where = ".".join(map(str, loc))
            message = "unknown field" if e["type"] == "extra_forbidden" else e["msg"]
            message = message.removeprefix("Value error, ")
            text_ = f"{where}: {message}" if where else message
            problems.append(Problem(source, _line(lines, loc), None, text_))
    raw_types = data.get("data_types")
    if workflows is not None and isinstance(raw_types, dict):
        for name, entry in raw_types.items():
            wid = entry.get("workflow_id") if isinstance(entry, dict) else None
            if isinstance(wid, str) and wid not in workflows:
                loc = ("data_types", name, "workflow_id")
                known = ", ".join(sorted(workflows))
                problems.append(
                    Problem(
                        source,
                        _line(lines, loc),
                        None,
                        f"data_types.{name}.workflow_id: unknown workflow {wid!r} (known: {known})",
                    )
                )
    if problems or definition is None:
        raise PlatformValidationError(sorted(problems, key=lambda p: (p.line or 0, p.message)))
    return definition


def load_platform_dir(
    paths: Iterable[Path | str], *, workflows: Collection[str] | None = None
) -> PlatformRegistry:
    """Every ``*.yaml`` entry under ``paths``; platform ids must be unique across files."""
    registry = PlatformRegistry()
    problems: list[Problem] = []
    for path in map(Path, paths):
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
        for file in files:
            try:
                entry = load_platform_text(
                    file.read_text(encoding="utf-8"), str(file), workflows=workflows
                )
            except PlatformValidationError as exc:
                problems += exc.problems
                continue
            except OSError as exc:
                problems.append(Problem(str(file), None, None, str(exc)))
                continue
            if entry.platform_id in registry.platforms:
                other = registry.sources[entry.platform_id]
                problems.append(
                    Problem(
                        str(file), 1, None, f"platform '{entry.platform_id}' is also in {other}"
                    )
                )
                continue
            registry.platforms[entry.platform_id] = entry
            registry.sources[entry.platform_id] = str(file)
    if problems:
        raise PlatformValidationError(problems)
    return registry
