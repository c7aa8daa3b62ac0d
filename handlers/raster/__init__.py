"""Geospatial handlers (rasterio + GDAL): importing this package registers them.

raster_validate   describe a raster from its metadata (HTTP range reads)
create_cog        convert to a Cloud Optimized GeoTIFF and validate it
plan_tiles        split a raster into tile windows (a fan-out list)
cog_tile          convert one tile window to its own COG
mosaic            a VRT and/or a STAC Collection over the tile COGs
stac_item         a validated STAC Item for a COG, stored next to it
"""

from handlers.raster import cog, mosaic, stac, tiles, validate

__all__ = ["cog", "mosaic", "stac", "tiles", "validate"]
