"""The asset read model (``AssetCatalog``) on the real embedded PostgreSQL."""

import psycopg
import pytest

from adapters.catalog import AssetCatalog
from domain.platforms import load_platform_dir
from tests.domain.asset_support import apply, approve, processed, reject, submit
from tests.domain.test_platforms import REPO


@pytest.fixture
def assets(catalog_db) -> AssetCatalog:
    return AssetCatalog(catalog_db.pool)


def _project_all(assets, state, *commands):
    """Apply and project each command; the last outcome."""
    outcome = None
    for command in commands:
        state, outcome = apply(state, command)
        assets.project(outcome.state, outcome.event)
    return state, outcome


def test_projection_writes_the_asset_its_versions_and_one_revision_per_change(assets):
    state, _ = _project_all(assets, None, submit(), approve())  # approve is refused: queued

    row = assets.get_asset(state.asset_id)
    assert (row.revision, row.latest_processing, row.latest_approval) == (1, "queued", "pending")
    assert [v.ordinal for v in assets.versions(state.asset_id)] == [1]
    assert [r.action for r in assets.revisions(state.asset_id)] == ["submitted"]


def test_an_older_revision_never_overwrites_a_newer_one(assets):
    old = processed()
    new, outcome = apply(old, approve())
    assets.project(new, outcome.event)

    assert assets.project(old) is False
    assert assets.get_asset(new.asset_id).revision == new.revision
    assert assets.versions(new.asset_id)[0].approval == "approved"


def test_projecting_the_same_outcome_twice_writes_it_once(assets):
    state, outcome = apply(processed(), reject())
    assert assets.project(state, outcome.event) is True
    assert assets.project(state, outcome.event) is False
    assert [r.action for r in assets.revisions(state.asset_id)] == ["rejected"]


def test_revisions_are_append_only(assets, catalog_db):
    state, outcome = apply(None, submit())
    assets.project(state, outcome.event)
    with (
        pytest.raises(psycopg.errors.RaiseException, match="append-only"),
        catalog_db.pool.connection() as conn,
    ):
        conn.execute("UPDATE asset_revisions SET by = 'mallory'")


def test_platform_identity_is_unique_by_constraint(assets):
    state, _ = apply(None, submit())
    assets.project(state)
    twin = state.model_copy(update={"asset_id": "ddh-" + "0" * 32})
    with pytest.raises(psycopg.errors.UniqueViolation, match="assets_identity_unique"):
        assets.project(twin)


def test_listing_filters_by_latest_version_and_pages_without_overlap(assets):
    ids = []
    for n in range(5):
        command = submit(identity={"dataset_id": f"d{n}", "resource_id": "r"})
        state, outcome = apply(None, command)
        assets.project(state, outcome.event)
        ids.append(state.asset_id)

    first = assets.list_assets(processing="queued", limit=3)
    second = assets.list_assets(processing="queued", limit=3, cursor=first.next_cursor)
    # newest first: the entity's creation times grow with each command here
    assert [a.asset_id for a in first.items + second.items] == ids[::-1]
    assert second.next_cursor is None
    assert assets.list_assets(approval="approved").items == []


def test_a_b2b_request_is_recorded_once_and_answered_once(assets):
    _, created = assets.begin_request("ddh", "r-1", "hash-a", "ddh-x", "inst")
    again, created_again = assets.begin_request("ddh", "r-1", "hash-b", "ddh-x", "inst")
    assert (created, created_again) == (True, False)
    assert again.body_hash == "hash-a"

    assets.answer_request("ddh", "r-1", {"ok": True}, 1, "job-1")
    assets.answer_request("ddh", "r-1", {"ok": False}, 2, "job-2")
    [stored] = assets.requests("r-1")
    assert (stored.outcome, stored.ordinal, stored.job_id) == ({"ok": True}, 1, "job-1")


def test_registry_is_projected_and_reprojecting_it_is_a_no_op(assets, catalog_db):
    registry = load_platform_dir([REPO / "platforms"])
    assets.sync_platforms(registry.all())
    assets.sync_platforms(registry.all())
    with catalog_db.pool.connection() as conn:
        rows = conn.execute("SELECT platform_id, identity, version_label FROM platforms").fetchall()
    assert rows == [("ddh", ["dataset_id", "resource_id"], "version_id")]
