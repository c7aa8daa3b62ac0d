"""Pydantic models shared by the raster handlers (params in, results out)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BlobLocation(BaseModel):
    """A blob in the configured storage account; validated again by the blob adapter."""

    model_config = ConfigDict(extra="forbid")

    container: str = Field(min_length=3, max_length=63)
    blob_path: str = Field(min_length=1, max_length=1024)


class StoredBlob(BaseModel):
    """Where a handler wrote something: container, path and canonical (unsigned) URL."""

    container: str
    blob_path: str
    url: str
    size_bytes: int


class CogValidation(BaseModel):
    """rio-cogeo's ``cog_validate`` verdict, as data."""

    is_valid: bool
    errors: list[str]
    warnings: list[str]


class TileWindow(BaseModel):
    """One tile of a raster grid: a pixel window and its bounds in the raster's CRS."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0)
    col_off: int = Field(ge=0)
    row_off: int = Field(ge=0)
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    bounds: tuple[float, float, float, float] | None = None
