"""Per-platform access through the real Functions handlers, in-process, on a real catalog:
with DAGMASTER_ACCESS=keys a platform sees and acts on its own assets, jobs and STAC items
only; reviewers (and operators) see everything; a platform whose key setting is unset
cannot authenticate, changes nothing in open mode, and readyz names it."""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import application.assets
import wiring
from adapters.catalog import AssetCatalog, CallbackCatalog, StacCatalog
from api import contract
from domain.access import REVIEWER_ROLE
from domain.assets import COMMAND, AssetState, asset_id_for
from tests.api.support import call
from tests.catalog.builders import a_job, a_stac_item
from tests.domain.asset_support import FIELDS, apply, finished, started, submit
from tests.support.app import app_functions
from tests.support.durable import RecordingClient

REPO = Path(__file__).resolve().parents[2]
DDH = {"X-Dagmaster-Key": "ddh-secret"}
HUB = {"X-Dagmaster-Key": "hub-secret"}
REVIEWER = {"X-Dagmaster-Key": "reviewer-secret"}
KEYS_MODE = {
    "DAGMASTER_ACCESS": "keys",
    "DAGMASTER_DDH_API_KEY": DDH["X-Dagmaster-Key"],
    "HUB_API_KEY": HUB["X-Dagmaster-Key"],
    "DAGMASTER_REVIEWER_KEY": REVIEWER["X-Dagmaster-Key"],
}


@dataclass
class World:
    """Two platforms' assets, each with a job and a STAC item; hub's asset is also public."""

    ddh_asset: str
    hub_asset: str
    ddh_job: str
    hub_job: str
    operator_job: str
    ddh_item: str
    hub_item: str
    public_item: str


def write_registry(folder: Path) -> Path:
    """ddh as shipped (key setting DAGMASTER_DDH_API_KEY), hub with HUB_API_KEY, and quiet,
    whose key setting QUIET_API_KEY nobody sets."""
    folder.mkdir()
    ddh = (REPO / "platforms" / "ddh.yaml").read_text()
    (folder / "ddh.yaml").write_text(ddh)
    for name, setting in (("hub", "HUB_API_KEY"), ("quiet", "QUIET_API_KEY")):
        text = ddh.replace("platform_id: ddh", f"platform_id: {name}")
        (folder / f"{name}.yaml").write_text(text.replace("DAGMASTER_DDH_API_KEY", setting))
    return folder


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("DAGMASTER_PLATFORMS_DIR", str(write_registry(tmp_path / "platforms")))
    for name in ("DAGMASTER_ACCESS", *KEYS_MODE, "QUIET_API_KEY", "DAGMASTER_DDH_CALLBACK_URL"):
        monkeypatch.delenv(name, raising=False)
    wiring.platforms.cache_clear()
    yield
    wiring.platforms.cache_clear()


def _asset(assets: AssetCatalog, platform_id: str, job_id: str) -> str:
    identity = {"dataset_id": f"{platform_id}-d", "resource_id": "r"}
    asset_id = asset_id_for(platform_id, FIELDS, identity)
    command = submit(asset_id=asset_id, platform_id=platform_id, identity=identity, job_id=job_id)
    state, outcome = apply(None, command)
    assets.project(state, outcome.event)
    return asset_id


@pytest.fixture
def world(catalog_db, registry, monkeypatch: pytest.MonkeyPatch) -> World:
    pool = catalog_db.pool
    assets, stac = AssetCatalog(pool), StacCatalog(pool)
    monkeypatch.setattr(wiring, "catalog", lambda: catalog_db.catalog)
    monkeypatch.setattr(wiring, "asset_catalog", lambda: assets)
    monkeypatch.setattr(wiring, "stac_catalog", lambda: stac)
    monkeypatch.setattr(wiring, "callback_catalog", lambda: CallbackCatalog(pool))
    jobs = catalog_db.catalog
    ddh_asset = _asset(assets, "ddh", "job-ddh")
    hub_asset = _asset(assets, "hub", "job-hub")
    jobs.create_job(a_job(job_id="job-ddh", asset_id=ddh_asset))
    jobs.create_job(a_job(job_id="job-hub", asset_id=hub_asset))
    jobs.create_job(a_job(job_id="job-hub-publish", asset_id=hub_asset))
    jobs.create_job(a_job(job_id="job-operator"))
    stac.upsert_item(a_stac_item("ddh-scene", "ddh", job_id="job-ddh"))
    stac.upsert_item(a_stac_item("hub-scene", "ddh", job_id="job-hub"))
    stac.upsert_item(a_stac_item(hub_asset, "public", job_id="job-hub-publish"))
    return World(
        ddh_asset,
        hub_asset,
        "job-ddh",
        "job-hub",
        "job-operator",
        "ddh-scene",
        "hub-scene",
        hub_asset,
    )


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KEYS_MODE.items():
        monkeypatch.setenv(name, value)


def _job_ids(headers: dict[str, str], **params: str) -> set[str]:
    status, page = call("list_jobs", "api/jobs", params=params, headers=headers)
    assert status == 200, page
    return {j["job_id"] for j in page["items"]}


def _job_routes(job_id: str) -> list[tuple[str, str]]:
    return [
        ("get_job", f"api/jobs/{job_id}"),
        ("get_job_nodes", f"api/jobs/{job_id}/nodes"),
        ("get_job_timeline", f"api/jobs/{job_id}/timeline"),
    ]


def _read_job(route: str, path: str, job_id: str, headers: dict[str, str]) -> int:
    status, _ = call(route, path, route_params={"job_id": job_id}, headers=headers)
    return status


# The unset key setting (the bug: it must change nothing in open mode) ---------------------


def test_an_unset_key_setting_changes_nothing_in_open_mode(world: World) -> None:
    reads = [
        call("list_platforms", "api/platforms"),
        call("list_assets", "api/assets"),
        call("get_asset", "a", route_params={"asset_id": world.ddh_asset}),
        call("get_job", "j", route_params={"job_id": world.hub_job}),
        call("list_stac_items", "api/stac/items"),
    ]
    assert [status for status, _ in reads] == [200] * 5
    assert {p["platform_id"] for p in reads[0][1]["items"]} == {"ddh", "hub", "quiet"}
    assert len(reads[1][1]["items"]) == 2 and len(reads[4][1]["items"]) == 3


def test_a_platform_whose_key_setting_is_unset_cannot_authenticate_and_others_can(
    world: World, keys: None
) -> None:
    for guess in ("", "QUIET_API_KEY", "x"):
        status, body = call("list_assets", "api/assets", headers={"X-Dagmaster-Key": guess})
        assert status == 401, body
        assert body == {"error": "a valid key is required (header x-dagmaster-key)"}
    assert call("list_assets", "api/assets", headers=DDH)[0] == 200


def test_readyz_names_the_platform_whose_key_setting_is_unset(
    world: World, keys: None, azurite, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    monkeypatch.setenv("DAGMASTER_STORAGE_CONNECTION_STRING", azurite.connection_string)
    wiring.blob_store.cache_clear()
    try:
        status, body = call("readyz", "api/readyz")
    finally:
        wiring.blob_store.cache_clear()
    assert status == 503
    assert body["checks"]["access"] == {
        "ok": False,
        "reason": "some callers cannot authenticate",
        "platforms": {"quiet": "its api_key_setting is unset"},
    }
    assert (body["checks"]["database"], body["checks"]["storage"]) == ({"ok": True},) * 2
    assert "QUIET_API_KEY" not in str(body)  # the log names the setting, the probe does not
    assert "platform quiet cannot authenticate: QUIET_API_KEY is unset" in caplog.text


def test_readyz_names_the_platforms_whose_callback_url_setting_holds_no_url(
    registry: None, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    from api.health import _check_callbacks

    assert _check_callbacks(1.0) == {"ok": True}  # unset: no callbacks, nothing wrong
    monkeypatch.setenv("DAGMASTER_DDH_CALLBACK_URL", "ddh.example.org/hooks")  # no scheme
    check = _check_callbacks(1.0)
    why = "its callback url_setting holds no valid URL"
    assert check == {
        "ok": False,
        "reason": "some platforms get no callbacks",
        "platforms": {"ddh": why, "hub": why, "quiet": why},  # all three copy ddh's entry
    }
    assert "platform ddh: DAGMASTER_DDH_CALLBACK_URL: callback url" in caplog.text


UNRESOLVED = "@Microsoft.KeyVault(VaultName=kv-dagmaster;SecretName=DAGMASTER-REVIEWER-KEY)"


def test_an_unresolved_key_vault_reference_is_nobodys_key(
    world: World, keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """App Service hands over the reference itself when it cannot resolve it: as a key it
    would be one anybody can read in the template."""
    monkeypatch.setenv("DAGMASTER_REVIEWER_KEY", UNRESOLVED)
    monkeypatch.setenv("HUB_API_KEY", UNRESOLVED.lower())
    for key in (UNRESOLVED, UNRESOLVED.lower()):
        status, _ = call("list_assets", "api/assets", headers={"X-Dagmaster-Key": key})
        assert status == 401
    assert call("list_assets", "api/assets", headers=DDH)[0] == 200


def test_readyz_names_the_callers_whose_key_is_an_unresolved_reference(
    world: World, keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.health import _check_access

    monkeypatch.setenv("HUB_API_KEY", UNRESOLVED)
    check = _check_access(1.0)
    assert check["ok"] is False
    assert check["platforms"]["hub"] == "its api_key_setting is unset"


def test_readyz_says_nothing_of_access_in_open_mode(world: World) -> None:
    from api.health import _check_access

    assert _check_access(1.0) == {"ok": True}


def _break_the_registry() -> None:
    """ddh.yaml names its key setting twice (a duplicate key): the registry does not load."""
    ddh = Path(os.environ["DAGMASTER_PLATFORMS_DIR"]) / "ddh.yaml"
    ddh.write_text(ddh.read_text() + "api_key_setting: SOMETHING\n")
    wiring.platforms.cache_clear()


def test_a_broken_registry_answers_503_naming_file_and_line_never_500(world: World) -> None:
    _break_the_registry()
    status, body = call("list_platforms", "api/platforms")
    assert status == 503
    assert "ddh.yaml:" in body["error"] and "duplicate key 'api_key_setting'" in body["error"]


def test_with_a_broken_registry_reviewers_still_work_and_platforms_get_its_error(
    world: World, keys: None
) -> None:
    _break_the_registry()
    assert call("list_jobs", "api/jobs", headers=REVIEWER)[0] == 200
    status, body = call("list_jobs", "api/jobs", headers=HUB)
    assert status == 503 and "duplicate key" in body["error"]
    from api.health import _check_access, _check_platforms

    assert _check_platforms(1.0)["ok"] is False
    assert any("duplicate key" in e for e in _check_platforms(1.0)["errors"])
    assert _check_access(1.0)["ok"] is False


# Jobs ------------------------------------------------------------------------------------


def test_a_platform_reads_its_own_assets_jobs(world: World, keys: None) -> None:
    for route, path in _job_routes(world.ddh_job):
        assert _read_job(route, path, world.ddh_job, DDH) == 200, route


def test_another_platforms_job_answers_404_on_every_job_read(world: World, keys: None) -> None:
    for job_id in (world.ddh_job, world.operator_job):
        for route, path in _job_routes(job_id):
            assert _read_job(route, path, job_id, HUB) == 404, (route, job_id)


def test_a_platform_lists_only_its_own_assets_jobs(world: World, keys: None) -> None:
    assert _job_ids(HUB) == {"job-hub", "job-hub-publish"}
    assert _job_ids(HUB, asset_id=world.ddh_asset) == set()
    assert _job_ids(REVIEWER) == {"job-ddh", "job-hub", "job-hub-publish", "job-operator"}


def test_a_platform_cannot_cancel_another_platforms_job(world: World, keys: None) -> None:
    client = RecordingClient()
    client.started.append(("job", world.ddh_job, None))
    status, body = call(
        "cancel_job",
        f"api/jobs/{world.ddh_job}/cancel",
        method="POST",
        route_params={"job_id": world.ddh_job},
        client=client,
        headers=HUB,
    )
    assert (status, body["error"]) == (404, f"unknown job '{world.ddh_job}'")
    assert client.events == []


def test_a_platform_cancels_its_own_assets_job(world: World, keys: None) -> None:
    client = RecordingClient()
    client.started.append(("job", world.ddh_job, None))
    status, body = call(
        "cancel_job",
        "c",
        method="POST",
        route_params={"job_id": world.ddh_job},
        client=client,
        headers=DDH,
    )
    assert status == 202, body
    assert [event for _, event, _ in client.events] == ["cancel"]


def _post(route: str, body: dict[str, Any], headers: dict[str, str], **kw: Any) -> Any:
    return call(route, "p", method="POST", body=body, headers=headers, **kw)


def test_approval_nodes_and_direct_job_submission_are_for_reviewers(
    world: World, keys: None
) -> None:
    client = RecordingClient()
    params = {"job_id": world.ddh_job, "node_id": "review"}
    decision = {"approved": True, "by": "ddh"}
    job = {"workflow_id": "echo_test", "inputs": {}}
    for platform in (DDH, HUB):  # its own asset's job, and another platform's
        decided = _post("approve_node", decision, platform, route_params=params, client=client)
        submitted = _post("submit_job", job, platform, client=client)
        assert (decided[0], submitted[0]) == (403, 403)
    assert "reviewers and operators" in submitted[1]["error"]
    assert client.started == [] and client.events == []
    unknown = {"workflow_id": "no_such_workflow", "inputs": {}}
    by_reviewer = _post("submit_job", unknown, REVIEWER, client=client)
    assert by_reviewer[0] == 404, by_reviewer  # past access: the workflow is unknown


# Assets and the registry -----------------------------------------------------------------


def test_a_platform_cannot_read_or_delete_another_platforms_asset(world: World, keys: None) -> None:
    params = {"asset_id": world.ddh_asset}
    client = RecordingClient()
    read = call("get_asset", "a", route_params=params, headers=HUB)
    withdraw = {"reason": "mine now", "by": "hub"}
    delete = call(
        "delete_asset",
        "a",
        method="DELETE",
        route_params=params,
        body=withdraw,
        client=client,
        headers=HUB,
    )
    listed = call("list_assets", "api/assets", params={"platform_id": "ddh"}, headers=HUB)
    assert (read[0], delete[0], listed[1]["items"]) == (404, 403, [])
    assert client.started == []


def test_a_platform_sees_only_its_own_registry_entry(world: World, keys: None) -> None:
    _, page = call("list_platforms", "api/platforms", headers=HUB)
    assert [p["platform_id"] for p in page["items"]] == ["hub"]
    status, _ = call("get_platform", "p", route_params={"platform_id": "ddh"}, headers=HUB)
    assert status == 404
    _, everything = call("list_platforms", "api/platforms", headers=REVIEWER)
    assert len(everything["items"]) == 3


# STAC ------------------------------------------------------------------------------------


def _item_ids(headers: dict[str, str]) -> set[str]:
    status, page = call("list_stac_items", "api/stac/items", headers=headers)
    assert status == 200, page
    return {i["item_id"] for i in page["items"]}


def test_a_platform_lists_its_own_stac_items_and_the_public_collection(
    world: World, keys: None
) -> None:
    assert _item_ids(DDH) == {world.ddh_item, world.public_item}
    assert _item_ids(HUB) == {world.hub_item, world.public_item}
    assert _item_ids(REVIEWER) == {world.ddh_item, world.hub_item, world.public_item}


def test_another_platforms_stac_item_is_404_and_a_public_item_is_visible_to_all(
    world: World, keys: None
) -> None:
    def item(collection: str, item_id: str, headers: dict[str, str]) -> int:
        params = {"collection": collection, "item_id": item_id}
        return call("get_stac_item", "s", route_params=params, headers=headers)[0]

    assert item("ddh", world.hub_item, DDH) == 404
    assert item("ddh", world.hub_item, HUB) == 200
    assert [item("public", world.public_item, h) for h in (DDH, HUB, REVIEWER)] == [200] * 3


# Every keyed route -----------------------------------------------------------------------

app_functions()  # registers every route in the contract
KEYED = sorted(
    (op for op in contract.OPERATIONS if op.keyed and op.name != "openapi_document"),
    key=lambda op: op.name,
)


@pytest.mark.parametrize("op", KEYED, ids=[op.name for op in KEYED])
def test_every_keyed_route_refuses_a_caller_without_a_credential(
    op: contract.Operation, registry, keys: None
) -> None:
    [info] = [i for i in app_functions().http if i.name == op.name]
    durable = any(b.get("type") == "durableClient" for b in info.bindings)
    params = {name: "x" for name in re.findall(r"{(\w+)}", op.route)}
    status, body = call(
        op.name,
        op.route,
        method=op.method.upper(),
        route_params=params,
        body={},
        client=RecordingClient() if durable else None,
        headers={"X-Dagmaster-Key": "nobody's"},
    )
    assert status == 401, (op.name, body)


# Entra (DAGMASTER_ACCESS=entra): the caller is App Service Authentication's principal ------

DDH_APP = "0f5c2a8e-1b7d-4e39-9a61-3c2d8e4f7a10"
HUB_APP = "7d9e4b21-6c3a-4f85-b0d2-9e1a5c7f3b64"
ROLE_URI = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"


def principal(*claims: tuple[str, str]) -> dict[str, str]:
    """The headers App Service Authentication sends for a token with ``claims``."""
    body = {
        "auth_typ": "aad",
        "claims": [{"typ": t, "val": v} for t, v in claims],
        "name_typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "role_typ": ROLE_URI,
    }
    return {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps(body).encode()).decode()}


@pytest.fixture
def entra(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """ddh and hub with app registrations; App Service Authentication enabled."""
    folder = Path(os.environ["DAGMASTER_PLATFORMS_DIR"])
    for name, app in (("ddh", DDH_APP), ("hub", HUB_APP)):
        path = folder / f"{name}.yaml"
        path.write_text(path.read_text() + f"entra_app_id: {app}\n")
    wiring.platforms.cache_clear()
    monkeypatch.setenv("DAGMASTER_ACCESS", "entra")
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")


def test_entra_a_platforms_service_principal_sees_only_its_own_asset_and_jobs(
    world: World, entra: None
) -> None:
    hub = principal(("appid", HUB_APP), ("idtyp", "app"))
    theirs = call("get_asset", "a", route_params={"asset_id": world.ddh_asset}, headers=hub)
    mine = call("get_asset", "a", route_params={"asset_id": world.hub_asset}, headers=hub)
    assert (theirs[0], mine[0]) == (404, 200)
    assert _job_ids(hub) == {"job-hub", "job-hub-publish"}
    assert _read_job("get_job", "j", world.ddh_job, hub) == 404


def test_entra_a_platform_submits_for_itself_only(world: World, entra: None) -> None:
    body = {
        "platform_id": "ddh",
        "identifiers": {"dataset_id": "d", "resource_id": "r"},
        "data_type": "raster",
        "source": {"container": "raw", "blob_path": "a.tif"},
    }
    hub = principal(("azp", HUB_APP))
    status, answer = _post("platform_submit", body, hub, client=RecordingClient())
    assert status == 403 and "cannot submit for 'ddh'" in answer["error"]


def test_entra_the_reviewer_role_reviews_and_reads_everything(
    world: World, entra: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(application.assets, "WAIT_SECONDS", 0.0)  # answer "pending" at once
    reviewer = principal(
        ("appid", "04b07795-8ddb-461a-bbee-02f9e1bf7b46"), (ROLE_URI, REVIEWER_ROLE)
    )
    assert _job_ids(reviewer) == {"job-ddh", "job-hub", "job-hub-publish", "job-operator"}
    client = RecordingClient()
    approve = {"reason": "fine", "by": "ana"}
    params = {"asset_id": world.ddh_asset, "ordinal": "1"}
    status, _ = _post("approve_version", approve, reviewer, route_params=params, client=client)
    assert status == 202
    assert [name for name, _, _ in client.started] == ["asset_command"]
    ddh = principal(("appid", DDH_APP))
    by_platform = _post("approve_version", approve, ddh, route_params=params, client=client)
    assert by_platform[0] == 403
    assert len(client.started) == 1


def test_entra_a_principal_of_no_platform_or_role_or_none_at_all_is_401(
    world: World, entra: None
) -> None:
    for headers in ({}, principal(("appid", "someone-else")), {"X-MS-CLIENT-PRINCIPAL": "%%"}):
        status, body = call("list_assets", "api/assets", headers=headers)
        assert status == 401, headers
        assert REVIEWER_ROLE in body["error"]


def test_entra_without_app_service_authentication_trusts_no_principal_header(
    world: World, entra: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEBSITE_AUTH_ENABLED")
    forged = principal(("appid", HUB_APP), (ROLE_URI, REVIEWER_ROLE))
    assert call("list_assets", "api/assets", headers=forged)[0] == 401
    from api.health import _check_access

    check = _check_access(1.0)
    assert check["ok"] is False and "WEBSITE_AUTH_ENABLED" in check["everybody"]


def test_entra_readyz_names_the_platform_without_an_app_registration(
    world: World, entra: None
) -> None:
    from api.health import _check_access

    assert _check_access(1.0)["platforms"] == {"quiet": "no entra_app_id"}


def test_a_platform_reads_only_the_public_collection_s_document_and_reviewers_every_one(
    world: World, keys: None
):
    stac = wiring.stac_catalog()
    for collection in ("ddh", "public"):
        document = {"id": collection}
        stac.upsert_collection(collection, lambda _, d=document: d, f"http://x/{collection}")

    def read(collection: str, headers: dict[str, str]) -> int:
        route = {"collection": collection}
        path = f"api/stac/collections/{collection}"
        return call("get_stac_collection", path, route_params=route, headers=headers)[0]

    assert (read("ddh", DDH), read("public", DDH)) == (404, 200)
    assert (read("ddh", REVIEWER), read("public", REVIEWER)) == (200, 200)


# Who acted and with which credential: `by` and `via` in an asset's history ---------------

SUBMISSION = {
    "platform_id": "ddh",
    "identifiers": {"dataset_id": "d-via", "resource_id": "r"},
    "data_type": "raster",
    "source": {"container": "raw", "blob_path": "a.tif"},
}


def _processed(assets: AssetCatalog) -> tuple[str, AssetState]:
    """A ddh asset whose version 1 completed processing (it awaits review)."""
    identity = {"dataset_id": "d-review", "resource_id": "r"}
    asset_id = asset_id_for("ddh", FIELDS, identity)
    first = submit(asset_id=asset_id, identity=identity, job_id="job-review")
    state, outcome = apply(None, first, started("job-review"), finished("job-review"))
    assets.project(state, outcome.event)
    return asset_id, state


def _recorded(
    client: RecordingClient, state: AssetState | None, headers: dict[str, str]
) -> dict[str, Any]:
    """Decide the command the handler started as the entity does, project its revision as
    `asset_command` does, and read it back: the newest item of GET .../history."""
    ((_, _, message),) = client.started
    outcome = apply(state, COMMAND.validate_python(message["command"]))[1]
    assert outcome.ok and outcome.state is not None, outcome.refusal
    wiring.asset_catalog().project(outcome.state, outcome.event)
    params = {"asset_id": message["asset_id"]}
    status, history = call("asset_history", "h", route_params=params, headers=headers)
    assert status == 200, history
    return history["items"][-1]


@pytest.fixture
def pending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(application.assets, "WAIT_SECONDS", 0.0)  # answer "pending" at once


def test_a_platform_keys_submission_records_via_its_platform(
    world: World, keys: None, pending: None
) -> None:
    client = RecordingClient()
    assert _post("platform_submit", SUBMISSION, DDH, client=client)[0] == 202
    item = _recorded(client, None, DDH)
    assert (item["action"], item["by"], item["via"]) == (
        "submitted",
        "platform:ddh",
        "platform:ddh",
    )


def test_a_reviewer_keys_approval_records_via_reviewer_and_the_claimed_by(
    world: World, keys: None, pending: None
) -> None:
    asset_id, state = _processed(wiring.asset_catalog())
    client, params = RecordingClient(), {"asset_id": asset_id, "ordinal": "1"}
    body = {"reason": "fine", "by": "ana"}
    assert _post("approve_version", body, REVIEWER, route_params=params, client=client)[0] == 202
    item = _recorded(client, state, REVIEWER)
    assert (item["action"], item["by"], item["via"]) == ("approved", "ana", "reviewer")


def test_entra_a_body_by_cannot_override_the_signed_in_principal(
    world: World, entra: None, pending: None
) -> None:
    asset_id, state = _processed(wiring.asset_catalog())
    ana = principal(
        ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "ana@example.org"),
        (ROLE_URI, REVIEWER_ROLE),
    )
    headers = {**ana, "X-MS-CLIENT-PRINCIPAL-NAME": "ana@example.org"}
    client, params = RecordingClient(), {"asset_id": asset_id, "ordinal": "1"}
    body = {"reason": "fine", "by": "the boss"}
    assert _post("approve_version", body, headers, route_params=params, client=client)[0] == 202
    item = _recorded(client, state, headers)
    assert (item["by"], item["via"]) == ("ana@example.org", "entra:ana@example.org")


def test_open_mode_records_via_open(world: World, pending: None) -> None:
    asset_id, state = _processed(wiring.asset_catalog())
    client, params = RecordingClient(), {"asset_id": asset_id, "ordinal": "1"}
    body = {"reason": "fine", "by": "ana"}
    assert _post("approve_version", body, {}, route_params=params, client=client)[0] == 202
    item = _recorded(client, state, {})
    assert (item["by"], item["via"]) == ("ana", "open")
