"""Where ``stac_item`` indexes the items it writes: the catalog's PostgreSQL, or nowhere.

    DAGMASTER_STAC_INDEX   ``catalog``: upsert every item into the job catalog's
                           ``stac_items`` table (connection from the catalog settings:
                           DATABASE_URL, Entra or the embedded server, see
                           `config.settings.CatalogSettings`); ``none`` or unset: do not index.

The same index keeps the collection documents that writers register (``stac_collections``,
`StacCatalog.upsert_collection`; the vector items' collections, `handlers.vector.collection`).

Opt-in, because a container worker normally has no database settings and would otherwise
start an embedded PostgreSQL of its own. Handler tests therefore need no database; tests of
the indexing set the variable (and point `wiring` at their catalog).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from adapters.catalog.models import CollectionExtent, StacCollectionRecord, StacItemRecord
from config.settings import HandlerSettings
from handlers.base import NonRetryableError, RetryableError

ENV_STAC_INDEX = "DAGMASTER_STAC_INDEX"


class StacItemIndex(Protocol):
    def upsert_item(self, record: StacItemRecord) -> object: ...

    def upsert_collection(
        self,
        collection: str,
        document: Callable[[CollectionExtent | None], dict[str, Any]],
        href: str,
    ) -> StacCollectionRecord: ...


class CatalogStacIndex:
    """The catalog's ``StacCatalog``; a database failure is a retryable handler error."""

    def upsert_item(self, record: StacItemRecord) -> object:
        import psycopg

        import wiring
        from adapters.catalog import CatalogError

        try:
            return wiring.stac_catalog().upsert_item(record)
        except (CatalogError, psycopg.Error) as exc:
            raise RetryableError(
                f"indexing STAC item {record.collection}/{record.item_id} failed: {exc}",
                kind="catalog_unavailable",
            ) from exc

    def upsert_collection(
        self,
        collection: str,
        document: Callable[[CollectionExtent | None], dict[str, Any]],
        href: str,
    ) -> StacCollectionRecord:
        """The collection's document over its indexed items (`StacCatalog.upsert_collection`)."""
        import psycopg

        import wiring
        from adapters.catalog import CatalogError

        try:
            return wiring.stac_catalog().upsert_collection(collection, document, href)
        except (CatalogError, psycopg.Error) as exc:
            raise RetryableError(
                f"indexing STAC collection {collection} failed: {exc}",
                kind="catalog_unavailable",
            ) from exc


def stac_index() -> StacItemIndex | None:
    """The index the settings name (None: items are not indexed)."""
    mode = (HandlerSettings.from_env().stac_index or "").lower()
    if mode in ("", "none"):
        return None
    if mode == "catalog":
        return CatalogStacIndex()
    raise NonRetryableError(
        f"invalid {ENV_STAC_INDEX} {mode!r}: expected 'catalog' or 'none'",
        kind="invalid_settings",
    )
