"""``AssetCatalog``: the asset read model (platforms, assets, versions, revisions, B2B
requests) in PostgreSQL.

The `asset` entities are the truth; `project` writes what one of them answered. It is
idempotent and never moves backwards: the asset row and its versions are written only when
the entity revision is newer than the stored one, and revisions are keyed
(asset_id, revision), so a replayed, retried or late projection changes nothing.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from pydantic import AwareDatetime, BaseModel, JsonValue

from adapters.catalog.paging import decode_position, encode_position
from domain.assets import AssetEvent, AssetState
from domain.platforms import PlatformDefinition

MAX_PAGE = 1000


class AssetRecord(BaseModel):
    asset_id: str
    platform_id: str
    identity: dict[str, str]
    title: str | None
    metadata: dict[str, JsonValue]
    revision: int
    clearance: str
    public_ordinal: int | None
    publication: dict[str, JsonValue] | None = None
    deleted: bool
    latest_ordinal: int | None
    latest_processing: str | None
    latest_approval: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class AssetVersionRecord(BaseModel):
    asset_id: str
    ordinal: int
    version_label: str | None
    request_id: str
    data_type: str
    workflow_id: str
    source: dict[str, JsonValue]
    processing: str
    approval: str
    job_id: str
    jobs: list[str]
    outputs: dict[str, JsonValue] | None
    error: dict[str, JsonValue] | None
    submitted_at: AwareDatetime
    submitted_by: str
    reviewed_at: AwareDatetime | None
    reviewed_by: str | None
    review_reason: str | None
    updated_at: AwareDatetime
    revision: int


class AssetRevisionRecord(BaseModel):
    asset_id: str
    revision: int
    at: AwareDatetime
    by: str
    via: str | None = None
    action: str
    reason: str | None
    ordinal: int | None
    command_id: str
    details: dict[str, JsonValue]


class ApiRequestRecord(BaseModel):
    platform_id: str
    request_id: str
    body_hash: str
    asset_id: str
    instance_id: str
    ordinal: int | None
    job_id: str | None
    outcome: dict[str, JsonValue] | None
    received_at: AwareDatetime
    answered_at: AwareDatetime | None


class AssetPage(BaseModel):
    items: list[AssetRecord]
    next_cursor: str | None


_ASSET_COLUMNS = (
    "asset_id, platform_id, identity, title, metadata, revision, clearance, public_ordinal, "
    "publication, deleted, latest_ordinal, latest_processing, latest_approval, created_at, "
    "updated_at"
)
_VERSION_COLUMNS = (
    "asset_id, ordinal, version_label, request_id, data_type, workflow_id, source, processing, "
    "approval, job_id, jobs, outputs, error, submitted_at, submitted_by, reviewed_at, "
    "reviewed_by, review_reason, updated_at, revision"
)
_REQUEST_COLUMNS = (
    "platform_id, request_id, body_hash, asset_id, instance_id, ordinal, job_id, outcome, "
    "received_at, answered_at"
)
_UPSERT_PLATFORM = """
INSERT INTO platforms (platform_id, name, active, identity, version_label, data_types)
VALUES (%(platform_id)s, %(name)s, %(active)s, %(identity)s, %(version_label)s, %(data_types)s)
ON CONFLICT (platform_id) DO UPDATE SET
    name = EXCLUDED.name, active = EXCLUDED.active, identity = EXCLUDED.identity,
    version_label = EXCLUDED.version_label, data_types = EXCLUDED.data_types, updated_at = now()
WHERE (platforms.name, platforms.active, platforms.identity, platforms.version_label,
       platforms.data_types)
      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.active, EXCLUDED.identity,
                        EXCLUDED.version_label, EXCLUDED.data_types)
"""
_UPSERT_ASSET = f"""
INSERT INTO assets AS a ({_ASSET_COLUMNS}, identity_key)
VALUES (%(asset_id)s, %(platform_id)s, %(identity)s, %(title)s, %(metadata)s, %(revision)s,
        %(clearance)s, %(public_ordinal)s, %(publication)s, %(deleted)s, %(latest_ordinal)s,
        %(latest_processing)s, %(latest_approval)s, %(created_at)s, %(updated_at)s,
        %(identity_key)s)
ON CONFLICT (asset_id) DO UPDATE SET
    title = EXCLUDED.title, metadata = EXCLUDED.metadata, revision = EXCLUDED.revision,
    clearance = EXCLUDED.clearance, public_ordinal = EXCLUDED.public_ordinal,
    publication = EXCLUDED.publication,
    deleted = EXCLUDED.deleted, latest_ordinal = EXCLUDED.latest_ordinal,
    latest_processing = EXCLUDED.latest_processing, latest_approval = EXCLUDED.latest_approval,
    updated_at = EXCLUDED.updated_at, projected_at = now()
WHERE a.revision < EXCLUDED.revision
RETURNING asset_id
"""
_UPSERT_VERSION = f"""
INSERT INTO asset_versions AS v ({_VERSION_COLUMNS})
VALUES (%(asset_id)s, %(ordinal)s, %(version_label)s, %(request_id)s, %(data_type)s,
        %(workflow_id)s, %(source)s, %(processing)s, %(approval)s, %(job_id)s, %(jobs)s,
        %(outputs)s, %(error)s, %(submitted_at)s, %(submitted_by)s, %(reviewed_at)s,
        %(reviewed_by)s, %(review_reason)s, %(updated_at)s, %(revision)s)
ON CONFLICT (asset_id, ordinal) DO UPDATE SET
    processing = EXCLUDED.processing, approval = EXCLUDED.approval, job_id = EXCLUDED.job_id,
    jobs = EXCLUDED.jobs, outputs = EXCLUDED.outputs, error = EXCLUDED.error,
    reviewed_at = EXCLUDED.reviewed_at, reviewed_by = EXCLUDED.reviewed_by,
    review_reason = EXCLUDED.review_reason, updated_at = EXCLUDED.updated_at,
    revision = EXCLUDED.revision
WHERE v.revision < EXCLUDED.revision
"""
_INSERT_REVISION = """
INSERT INTO asset_revisions (asset_id, revision, at, by, via, action, reason, ordinal,
                             command_id, details)
VALUES (%(asset_id)s, %(revision)s, %(at)s, %(by)s, %(via)s, %(action)s, %(reason)s,
        %(ordinal)s, %(command_id)s, %(details)s)
ON CONFLICT (asset_id, revision) DO NOTHING
"""
_FILTERS = {
    "platform_id": "platform_id = %(platform_id)s",
    "clearance": "clearance = %(clearance)s",
    "approval": "latest_approval = %(approval)s",
    "processing": "latest_processing = %(processing)s",
    "deleted": "deleted = %(deleted)s",
}


def _asset_params(state: AssetState) -> dict[str, Any]:
    latest = state.versions[-1] if state.versions else None
    return {
        "asset_id": state.asset_id,
        "platform_id": state.platform_id,
        "identity": Jsonb(state.identity),
        "identity_key": state.identity_key,
        "title": state.title,
        "metadata": Jsonb(state.metadata),
        "revision": state.revision,
        "clearance": state.clearance.value,
        "public_ordinal": state.public_ordinal,
        "publication": (
            None if state.publication is None else Jsonb(state.publication.model_dump(mode="json"))
        ),
        "deleted": state.deleted,
        "latest_ordinal": latest.ordinal if latest else None,
        "latest_processing": latest.processing.value if latest else None,
        "latest_approval": latest.approval.value if latest else None,
        "created_at": state.created_at,
        "updated_at": state.updated_at,
    }


def _version_params(state: AssetState) -> list[dict[str, Any]]:
    rows = []
    for v in state.versions:
        row = v.model_dump(mode="json")
        for key in ("source", "outputs", "error"):
            row[key] = None if row[key] is None else Jsonb(row[key])
        row.update(asset_id=state.asset_id, revision=state.revision)
        row.update(submitted_at=v.submitted_at, reviewed_at=v.reviewed_at, updated_at=v.updated_at)
        rows.append(row)
    return rows


class AssetCatalog:
    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def sync_platforms(self, platforms: list[PlatformDefinition]) -> None:
        """Upsert every registry entry (an entry removed from the registry stays, inactive
        only if the registry says so: assets keep their platform row)."""
        rows = [
            {
                "platform_id": p.platform_id,
                "name": p.name,
                "active": p.active,
                "identity": p.identity,
                "version_label": p.version_label,
                "data_types": Jsonb(
                    {k: v.model_dump(mode="json") for k, v in p.data_types.items()}
                ),
            }
            for p in platforms
        ]
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.executemany(_UPSERT_PLATFORM.encode(), rows)

    def project(self, state: AssetState, event: AssetEvent | None = None) -> bool:
        """Write the entity's ``state`` (and the revision ``event`` that made it) unless a
        newer revision is stored; True if the asset row moved. Raises
        `psycopg.errors.UniqueViolation` if another asset has the same platform identity."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if event is not None:
                params = event.model_dump()
                params["details"] = Jsonb(event.model_dump(mode="json")["details"])
                cur.execute(_INSERT_REVISION.encode(), params)
            moved = cur.execute(_UPSERT_ASSET.encode(), _asset_params(state)).fetchone()
            if moved is None:
                return False
            cur.executemany(_UPSERT_VERSION.encode(), _version_params(state))
        return True

    def get_asset(self, asset_id: str) -> AssetRecord | None:
        query = f"SELECT {_ASSET_COLUMNS} FROM assets WHERE asset_id = %s"
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(query.encode(), (asset_id,)).fetchone()
        return None if row is None else AssetRecord.model_validate(row)

    def list_assets(
        self,
        *,
        platform_id: str | None = None,
        clearance: str | None = None,
        approval: str | None = None,
        processing: str | None = None,
        deleted: bool | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> AssetPage:
        """Assets newest first (created_at, then asset_id), filtered; ``approval`` and
        ``processing`` are those of each asset's latest version."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"Invalid limit {limit!r}: must be within 1..{MAX_PAGE}.")
        params: dict[str, Any] = {
            "platform_id": platform_id,
            "clearance": clearance,
            "approval": approval,
            "processing": processing,
            "deleted": deleted,
        }
        conds = [sql.SQL(_FILTERS[k]) for k, v in params.items() if v is not None]
        if cursor is not None:
            params["c_at"], (params["c_id"],) = decode_position(cursor, 1)
            conds.append(sql.SQL("(created_at, asset_id) < (%(c_at)s, %(c_id)s)"))
        params["limit"] = limit + 1
        query = sql.SQL(
            "SELECT {} FROM assets WHERE {} ORDER BY created_at DESC, asset_id DESC LIMIT %(limit)s"
        ).format(sql.SQL(_ASSET_COLUMNS), sql.SQL(" AND ").join(conds or [sql.SQL("TRUE")]))
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(query, params).fetchall()
        items = [AssetRecord.model_validate(r) for r in rows[:limit]]
        last = items[-1] if len(rows) > limit else None
        return AssetPage(
            items=items,
            next_cursor=None if last is None else encode_position(last.created_at, last.asset_id),
        )

    def versions(self, asset_id: str) -> list[AssetVersionRecord]:
        query = (
            f"SELECT {_VERSION_COLUMNS} FROM asset_versions WHERE asset_id = %s ORDER BY ordinal"
        )
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(query.encode(), (asset_id,)).fetchall()
        return [AssetVersionRecord.model_validate(r) for r in rows]

    def revisions(self, asset_id: str) -> list[AssetRevisionRecord]:
        query = (
            "SELECT asset_id, revision, at, by, via, action, reason, ordinal, command_id, "
            "details "
            "FROM asset_revisions WHERE asset_id = %s ORDER BY revision"
        )
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(query.encode(), (asset_id,)).fetchall()
        return [AssetRevisionRecord.model_validate(r) for r in rows]

    def begin_request(
        self, platform_id: str, request_id: str, body_hash: str, asset_id: str, instance_id: str
    ) -> tuple[ApiRequestRecord, bool]:
        """Record a B2B request once; (the stored request, whether this call recorded it).
        Safe under concurrent retries: exactly one insert wins."""
        insert = f"""
            INSERT INTO api_requests (platform_id, request_id, body_hash, asset_id, instance_id)
            VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING {_REQUEST_COLUMNS}"""
        select = (
            f"SELECT {_REQUEST_COLUMNS} FROM api_requests "
            "WHERE platform_id = %s AND request_id = %s"
        )
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                insert.encode(), (platform_id, request_id, body_hash, asset_id, instance_id)
            ).fetchone()
            if row is not None:
                return ApiRequestRecord.model_validate(row), True
            row = cur.execute(select.encode(), (platform_id, request_id)).fetchone()
        assert row is not None  # inserted by the winner, never deleted
        return ApiRequestRecord.model_validate(row), False

    def answer_request(
        self,
        platform_id: str,
        request_id: str,
        outcome: dict[str, Any],
        ordinal: int | None,
        job_id: str | None,
    ) -> None:
        update = """
            UPDATE api_requests SET outcome = %s, ordinal = %s, job_id = %s, answered_at = now()
             WHERE platform_id = %s AND request_id = %s AND answered_at IS NULL"""
        with self._pool.connection() as conn:
            conn.execute(
                update.encode(), (Jsonb(outcome), ordinal, job_id, platform_id, request_id)
            )

    def requests(self, request_id: str) -> list[ApiRequestRecord]:
        """Every platform's request with this id (normally one)."""
        query = (
            f"SELECT {_REQUEST_COLUMNS} FROM api_requests "
            "WHERE request_id = %s ORDER BY platform_id"
        )
        with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(query.encode(), (request_id,)).fetchall()
        return [ApiRequestRecord.model_validate(r) for r in rows]
