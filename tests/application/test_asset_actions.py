"""The actions read from the projected asset are those the machine gives the entity's state."""

from adapters.catalog.assets import AssetRecord, AssetVersionRecord
from application.assets import actions
from domain.asset_machine import asset_actions
from domain.assets import AssetState
from tests.domain.asset_support import apply, delete, public, publication_done


def _records(state: AssetState) -> tuple[AssetRecord, list[AssetVersionRecord]]:
    latest = state.versions[-1]
    asset = AssetRecord.model_validate(
        {
            **state.model_dump(mode="json"),
            "latest_ordinal": latest.ordinal,
            "latest_processing": latest.processing.value,
            "latest_approval": latest.approval.value,
        }
    )
    rows = [
        AssetVersionRecord.model_validate(
            {**v.model_dump(mode="json"), "asset_id": state.asset_id, "revision": state.revision}
        )
        for v in state.versions
    ]
    return asset, rows


def test_a_projected_failed_publication_offers_its_retry():
    state, _ = publication_done(public(), ok=False)
    assert actions(*_records(state)) == asset_actions(state)
    assert "publication:retry" in actions(*_records(state))


def test_a_projected_deleted_asset_with_a_failed_unpublish_offers_only_the_retry():
    state, _ = publication_done(public())
    state, _ = publication_done(apply(state, delete())[0], ok=False)
    assert actions(*_records(state)) == ["publication:retry"]
