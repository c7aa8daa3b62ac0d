"""Pydantic models of the vector handlers: what ``vector_validate`` found, and the pieces of
it that the later nodes take as params (so the workflow passes them on by template)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from adapters.postgis.settings import IDENTIFIER

TABLE_PATTERN = IDENTIFIER.pattern
GEOMETRY_TYPES = ("MultiPoint", "MultiLineString", "MultiPolygon")


class FieldInfo(BaseModel):
    """A source field and the column it loads into (renamed only if it clashes)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    column: str
    dtype: str = Field(description="numpy dtype GDAL reads the field as")
    pg_type: str


class LayerInfo(BaseModel):
    name: str
    geometry_type: str | None


class ChunkRange(BaseModel):
    """Features ``offset .. offset+count`` of the layer, loaded as chunk ``index``."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0)
    offset: int = Field(ge=0)
    count: int = Field(gt=0)


class TableTarget(BaseModel):
    """Which table to load, and its geometry column's type."""

    model_config = ConfigDict(extra="forbid")

    table: str = Field(pattern=TABLE_PATTERN, description="a lower-case SQL identifier")
    target_srid: int = Field(default=4326, gt=0)
    geometry_type: str = Field(pattern="^(" + "|".join(GEOMETRY_TYPES) + ")$")
    has_z: bool = False
    fields: list[FieldInfo]


def safe_identifier(name: str) -> bool:
    return re.fullmatch(TABLE_PATTERN, name) is not None
