"""Vector handlers (GDAL/OGR via pyogrio, shapely 2, PostGIS): importing registers them.

vector_validate      describe a source (layers, features, geometry types, CRS, fields)
vector_plan_chunks   feature ranges of the requested size; creates the job's empty table
vector_load_chunk    read, repair, reproject, cast and COPY one chunk (heavy queue)
vector_finalize      primary key, spatial index, ANALYZE, row count check, extent
vector_stac_item     a STAC Item for the table, stored and indexed, and its collection's
                     document (`collection`)

`publish` is what publish_asset and unpublish_asset do for a vector version: the asset's
public view over the version's table.
"""

from handlers.vector import load, stac, validate

__all__ = ["load", "stac", "validate"]
