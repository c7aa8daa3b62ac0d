"""Vector sources uploaded to the session's Azurite, and one way to run the whole load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from adapters.blob import BlobStore
from handlers.base import LocalContext
from tests.handlers.conftest import INPUTS
from tests.handlers.helpers import run


def upload(store: BlobStore, local: Path, blob_path: str | None = None) -> dict[str, str]:
    path = blob_path or f"vector/{local.name}"
    store.upload_file(store.ref(INPUTS, path), local)
    return {"container": INPUTS, "blob_path": path}


def load_all(
    source: dict[str, Any], table: str, chunk_size: int, job_id: str = "job-1", **extra: Any
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """validate -> plan -> every chunk -> finalize, as the workflow runs them."""
    ctx = LocalContext(job_id=job_id)
    validation = run("vector_validate", {**source, **extra}, ctx)
    target = {
        "table": table,
        "target_srid": 4326,
        "geometry_type": validation["geometry_type"],
        "has_z": validation["has_z"],
        "fields": validation["fields"],
    }
    plan = run(
        "vector_plan_chunks",
        {**target, "feature_count": validation["feature_count"], "chunk_size": chunk_size},
        ctx,
    )
    chunks = [
        run(
            "vector_load_chunk",
            {
                **source,
                **target,
                "layer": validation["layer"],
                "source_srid": validation["source_srid"],
                "chunk": chunk,
            },
            ctx,
        )
        for chunk in plan["chunks"]
    ]
    final = run(
        "vector_finalize",
        {
            "table": table,
            "feature_count": validation["feature_count"],
            "target_srid": 4326,
            "geometry_type": validation["geometry_type"],
            "chunks": chunks,
        },
        ctx,
    )
    return validation, plan, chunks, final


def rows(url: str, schema: str, table: str, columns: str = "*") -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        query = sql.SQL("SELECT " + columns + " FROM {}.{} ORDER BY ogc_fid").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        return conn.execute(query).fetchall()
