"""Writing GDAL VRT XML: a window of one raster, or a mosaic of tiles."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from affine import Affine
from rasterio.io import DatasetReader

from handlers.raster.grid import Window

_GDAL_TYPES = {
    "uint8": "Byte",
    "int8": "Int8",
    "uint16": "UInt16",
    "int16": "Int16",
    "uint32": "UInt32",
    "int32": "Int32",
    "uint64": "UInt64",
    "int64": "Int64",
    "float32": "Float32",
    "float64": "Float64",
}


@dataclass(frozen=True)
class VrtBand:
    dtype: str
    nodata: float | None
    description: str
    color_interp: str


@dataclass(frozen=True)
class VrtSource:
    """Pixels ``src`` of the file at ``path`` land on ``dst`` of the VRT."""

    path: str
    relative: bool
    src: Window
    dst: Window


@dataclass(frozen=True)
class VrtGrid:
    width: int
    height: int
    crs_wkt: str | None
    transform: Affine


def bands_of(src: DatasetReader) -> list[VrtBand]:
    """The band layout of an open raster, to be reproduced by a VRT."""
    return [
        VrtBand(dtype, nodata, desc or "", interp.name.capitalize())
        for dtype, nodata, desc, interp in zip(
            src.dtypes, src.nodatavals, src.descriptions, src.colorinterp, strict=True
        )
    ]


def render_vrt(grid: VrtGrid, bands: Sequence[VrtBand], sources: Sequence[VrtSource]) -> str:
    """A VRT that reads every band of every source into its destination window."""
    root = ET.Element("VRTDataset", rasterXSize=str(grid.width), rasterYSize=str(grid.height))
    if grid.crs_wkt:
        ET.SubElement(root, "SRS").text = grid.crs_wkt
    t = grid.transform
    ET.SubElement(root, "GeoTransform").text = ", ".join(
        repr(v) for v in (t.c, t.a, t.b, t.f, t.d, t.e)
    )
    for bidx, band in enumerate(bands, start=1):
        _band(root, bidx, band, sources)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode")


def _band(root: ET.Element, bidx: int, band: VrtBand, sources: Sequence[VrtSource]) -> None:
    elem = ET.SubElement(root, "VRTRasterBand", dataType=_GDAL_TYPES[band.dtype], band=str(bidx))
    if band.description:
        ET.SubElement(elem, "Description").text = band.description
    if band.nodata is not None:
        ET.SubElement(elem, "NoDataValue").text = _number(band.nodata)
    ET.SubElement(elem, "ColorInterp").text = band.color_interp
    for source in sources:
        simple = ET.SubElement(elem, "SimpleSource")
        name = ET.SubElement(
            simple, "SourceFilename", relativeToVRT="1" if source.relative else "0"
        )
        name.text = source.path
        ET.SubElement(simple, "SourceBand").text = str(bidx)
        ET.SubElement(simple, "SrcRect", _rect(source.src))
        ET.SubElement(simple, "DstRect", _rect(source.dst))


def _rect(w: Window) -> dict[str, str]:
    return {
        "xOff": str(w.col_off),
        "yOff": str(w.row_off),
        "xSize": str(w.width),
        "ySize": str(w.height),
    }


def _number(value: float) -> str:
    if math.isnan(value):
        return "nan"
    return repr(int(value)) if float(value).is_integer() else repr(value)
