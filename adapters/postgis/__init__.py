"""PostGIS for vector tables: where it is, and the few statements dagmaster runs on it.

    DAGMASTER_POSTGIS_URL     a libpq URL of a PostgreSQL with PostGIS, or ``catalog`` for the
                              job catalog's own connection (Azure: the same Flexible Server,
                              with Entra ID tokens; PostGIS allow-listed on the server)
    DAGMASTER_VECTOR_SCHEMA   the schema vector tables live in (default ``geo``)
    DAGMASTER_VECTOR_PUBLIC_SCHEMA, DAGMASTER_VECTOR_READER_ROLE
                              where published views go, and who may read them

See `adapters.postgis.tables` for the table layout and the chunk-load contract,
`adapters.postgis.views` for the published views and `adapters.postgis.local` for the
throwaway cluster tests and the demo start.
"""

from adapters.postgis.settings import PostgisSettings, PostgisUnconfigured, connect

__all__ = ["PostgisSettings", "PostgisUnconfigured", "connect"]
