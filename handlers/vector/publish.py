"""What publishing means for vector data: a stable view per asset, in the public schema.

A vector version's STAC item names its table (the ``data`` asset, media type
`TABLE_MEDIA_TYPE`). Publishing points ``<DAGMASTER_VECTOR_PUBLIC_SCHEMA>.<asset_view>`` at
that table (`adapters.postgis.views`) and the public item's ``data`` asset at the view, so
readers keep one name across versions and never see an unreviewed one. Unpublishing drops
the view and nothing else. `handlers.publish` calls these around its blob copies.
"""

from __future__ import annotations

from typing import Any

import wiring
from adapters.postgis.views import drop_view, publish_view
from domain.assets import asset_view
from handlers.vector.load import postgis
from handlers.vector.stac import TABLE_MEDIA_TYPE, href_table, table_href


def table_asset(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """The item's vector table asset, or None (a raster item, or no item)."""
    asset = ((item or {}).get("assets") or {}).get("data")
    return asset if isinstance(asset, dict) and asset.get("type") == TABLE_MEDIA_TYPE else None


def publish_table(item: dict[str, Any], asset_id: str, ordinal: int) -> str | None:
    """Make the asset's public view show the table ``item`` names and point the item's
    ``data`` asset at it; the view's ``schema.name``, or None when ``item`` has no table."""
    asset = table_asset(item)
    source = href_table(asset["href"]) if asset and isinstance(asset.get("href"), str) else None
    if asset is None or source is None:
        return None
    settings = wiring.postgis_settings()
    view = asset_view(asset_id)
    with postgis() as (conn, _):
        publish_view(
            conn,
            settings.public_schema,
            view,
            schema=source[0],
            table=source[1],
            reader_role=settings.reader_role,
        )
    name = f"{settings.public_schema}.{view}"
    asset["href"] = table_href(name)
    asset["title"] = f"PostGIS view {name} (version {ordinal})"
    return name


def unpublish_table(item: dict[str, Any] | None, asset_id: str) -> bool:
    """Drop the asset's public view if the public ``item`` is a table's; True if dropped."""
    if table_asset(item) is None:
        return False
    settings = wiring.postgis_settings()
    with postgis() as (conn, _):
        return drop_view(conn, settings.public_schema, asset_view(asset_id))
