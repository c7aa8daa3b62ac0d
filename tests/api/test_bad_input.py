"""Bad input is a 4xx naming the field, never a 500, and stores nothing."""

import base64
import json

import pytest

import wiring
from domain.storage import ContainerPolicy
from tests.api.support import call
from tests.catalog.builders import a_job
from tests.support.durable import RecordingClient


@pytest.fixture
def api(catalog, catalog_db, monkeypatch):
    from adapters.catalog import StacCatalog

    monkeypatch.setattr(wiring, "catalog", lambda: catalog)
    monkeypatch.setattr(wiring, "stac_catalog", lambda: StacCatalog(catalog_db.pool))
    containers = ContainerPolicy(frozenset({"raw"}), frozenset({"cogs", "vectors"}))
    monkeypatch.setattr(wiring, "container_policy", lambda: containers)
    return catalog


def submit(body, client=None):
    return call(
        "submit_job", "api/jobs", method="POST", body=body, client=client or RecordingClient()
    )


def nothing_stored(catalog) -> bool:
    return catalog.list_jobs().items == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"workflow_id": "echo_test", "inputs": {"message": "a\u0000b"}}, "inputs.message"),
        ({"workflow_id": "echo_test", "inputs": {"a\u0000": 1}}, "inputs.a\u0000"),
        ({"workflow_id": "echo_test", "request_id": "r\u0000"}, "request_id"),
        ({"workflow_id": "echo_test", "asset_id": "\u0000"}, "asset_id"),
        ({"workflow_id": "echo_test", "inputs": {"message": ["\ud800"]}}, "inputs.message.0"),
    ],
)
def test_text_postgresql_cannot_store_is_a_400_naming_the_field(api, body, field):
    client = RecordingClient()
    status, answer = submit(body, client)
    assert status == 400
    assert field in answer["fields"]
    assert nothing_stored(api) and client.started == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"workflow_id": "echo_test", "inputs": {"message": NaN}}', "NaN is not JSON"),
        (b'{"workflow_id": "echo_test", "inputs": {"n": -Infinity}}', "-Infinity is not JSON"),
        (b"[" * 100_000, "nested deeper than 64 levels"),
        (b'{"inputs": ' * 100 + b"1" + b"}" * 100, "nested deeper than 64 levels"),
        (b'{"workflow_id": "\xff"}', "malformed JSON body"),
    ],
)
def test_json_that_is_not_plain_json_is_a_400(api, raw, message):
    status, answer = submit(raw)
    assert status == 400
    assert message in answer["error"]
    assert nothing_stored(api)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"workflow_id": "echo_test", "input": {"message": "x"}}, "input"),
        ({"workflow_id": "echo_test", "version": "1"}, "version"),
        ({"workflow_id": "echo_test", "version": True}, "version"),
        ({"workflow_id": 7}, "workflow_id"),
    ],
)
def test_the_submit_body_is_strict_and_names_the_bad_field(api, body, field):
    status, answer = submit(body)
    assert status == 400
    assert field in answer["fields"]
    assert nothing_stored(api)


def test_a_body_over_the_size_limit_is_a_413_naming_the_setting(api):
    body = {"workflow_id": "echo_test", "inputs": {"message": "x" * (1024 * 1024)}}
    status, answer = submit(body)
    assert status == 413
    assert "DAGMASTER_MAX_BODY_BYTES" in answer["error"]
    assert nothing_stored(api)


def test_an_echoed_input_is_cut_short_in_the_error(api):
    body = {"workflow_id": "size_routing", "inputs": {"size_bytes": "x" * 50_000}}
    status, answer = submit(body)
    assert status == 400
    text = answer["fields"]["inputs.size_bytes"]
    assert len(text) < 200 and text.endswith("(50002 characters)")


def test_any_long_error_text_is_cut_short(api):
    status, answer = call("list_jobs", "api/jobs", params={"cursor": "x" * 5000})
    assert status == 400
    assert len(answer["error"]) < 400 and answer["error"].endswith("characters in all)")


def test_the_same_request_id_with_another_body_is_a_409_naming_the_conflict(api):
    client = RecordingClient()
    first = {"workflow_id": "echo_test", "inputs": {"message": "a"}, "request_id": "r-1"}
    assert submit(first, client)[0] == 202
    status, answer = submit({**first, "inputs": {"message": "b"}}, client)
    assert status == 409
    assert "request_id 'r-1'" in answer["error"] and "other inputs" in answer["error"]
    status, answer = submit({**first, "workflow_id": "size_routing"}, client)
    assert status == 409
    assert "workflow_id 'echo_test', not 'size_routing'" in answer["error"]
    assert len(api.list_jobs().items) == 1 and len(client.started) == 1


def test_the_same_request_id_with_the_same_body_returns_the_same_job(api):
    client = RecordingClient()
    body = {"workflow_id": "echo_test", "inputs": {"message": "a"}, "request_id": "r-2"}
    first, second = submit(body, client), submit(body, client)
    assert first == second and first[0] == 202


@pytest.mark.parametrize(
    ("route", "path", "params", "route_params", "field"),
    [
        ("list_jobs", "api/jobs", {"workflow_id": "\u0000"}, {}, "workflow_id"),
        ("list_jobs", "api/jobs", {"asset_id": "a\u0000"}, {}, "asset_id"),
        ("list_jobs", "api/jobs", {"cursor": "\u0000"}, {}, "cursor"),
        ("get_job", "api/jobs/a%00b", {}, {"job_id": "a\u0000b"}, "job_id"),
        ("list_stac_items", "api/stac/items", {"collection": "\u0000"}, {}, "collection"),
        ("list_stac_items", "api/stac/items", {"job_id": "\u0000"}, {}, "job_id"),
        (
            "get_stac_item",
            "api/stac/collections/c/items/x",
            {},
            {"collection": "c", "item_id": "x\u0000"},
            "item_id",
        ),
    ],
)
def test_a_nul_in_a_query_or_path_parameter_is_a_400_naming_it(
    api, route, path, params, route_params, field
):
    status, answer = call(route, path, params=params, route_params=route_params)
    assert status == 400
    assert answer["fields"] == {field: "contains a NUL character"}


def _cursor_of(*keys) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(keys)).encode()).decode()


@pytest.mark.parametrize(
    ("route", "path"), [("list_jobs", "api/jobs"), ("list_stac_items", "api/stac/items")]
)
def test_a_cursor_hiding_a_nul_is_a_400(api, route, path):
    cursor = _cursor_of("2026-01-01T00:00:00+00:00", "a\u0000", "b\u0000")
    status, answer = call(route, path, params={"cursor": cursor})
    assert status == 400
    assert "Invalid cursor" in answer["error"]


@pytest.mark.parametrize("value", ["", "x", "1.5"])
def test_a_non_integer_after_seq_is_a_400_naming_it(api, value):
    job = api.create_job(a_job())
    status, answer = call(
        "get_job_timeline",
        f"api/jobs/{job.job_id}/timeline",
        params={"after_seq": value},
        route_params={"job_id": job.job_id},
    )
    assert status == 400
    assert "after_seq" in answer["fields"]


@pytest.mark.parametrize("value", ["", "latest", "0"])
def test_a_bad_workflow_version_is_a_400_naming_it(api, value):
    status, answer = call(
        "get_workflow",
        "api/workflows/echo_test",
        params={"version": value},
        route_params={"workflow_id": "echo_test"},
    )
    assert status == 400
    assert "version" in answer["fields"]


@pytest.mark.parametrize("body", [{"by": 5}, {"by": "ops", "why": "typo"}])
def test_the_cancel_body_is_strict(api, body):
    job = api.create_job(a_job())
    status, answer = call(
        "cancel_job",
        f"api/jobs/{job.job_id}/cancel",
        method="POST",
        body=body,
        route_params={"job_id": job.job_id},
        client=RecordingClient(),
    )
    assert status == 400
    assert set(answer["fields"]) <= {"by", "why"}


def test_cancel_of_a_job_whose_instance_was_purged_is_a_404(api):
    job = api.create_job(a_job())
    status, answer = call(
        "cancel_job",
        f"api/jobs/{job.job_id}/cancel",
        method="POST",
        route_params={"job_id": job.job_id},
        client=RecordingClient(),  # knows no instance: as after terminate and purge
    )
    assert status == 404
    assert answer["error"] == f"job '{job.job_id}' has no Durable instance (it was purged)"


@pytest.mark.parametrize("approved", ["false", "no", 0])
def test_an_approval_that_is_not_a_boolean_is_a_400_not_an_approval(api, approved):

    job = api.create_job(a_job())
    client = RecordingClient()
    status, answer = call(
        "approve_node",
        f"api/jobs/{job.job_id}/approve/review",
        method="POST",
        body={"approved": approved, "by": "ana"},
        route_params={"job_id": job.job_id, "node_id": "review"},
        client=client,
    )
    assert status == 400
    assert "approved" in answer["fields"]
    assert client.events == []


@pytest.mark.parametrize("value", ["0.5", "yesterday", "2026-13-01"])
def test_a_created_filter_that_is_not_an_iso_time_is_a_400(api, value):
    status, answer = call("list_jobs", "api/jobs", params={"created_to": value})
    assert status == 400
    assert "created_to" in answer["fields"]


@pytest.fixture
def fan_out_cap_3(monkeypatch):
    from application.limits import limits

    monkeypatch.setenv("DAGMASTER_MAX_FAN_OUT", "3")
    limits.cache_clear()
    yield
    limits.cache_clear()


def test_a_fan_out_wider_than_the_cap_is_refused_at_submit_naming_the_input(api, fan_out_cap_3):
    client = RecordingClient()
    status, answer = submit(
        {"workflow_id": "fan_out_test", "inputs": {"numbers": [1, 2, 3, 4]}}, client
    )
    assert status == 400
    assert "would have 4 children; at most 3" in answer["fields"]["inputs.numbers"]
    assert nothing_stored(api) and client.started == []


def test_the_fan_out_cap_travels_with_the_job(api, fan_out_cap_3):
    client = RecordingClient()
    status, _ = submit({"workflow_id": "fan_out_test", "inputs": {"numbers": [1, 2, 3]}}, client)
    assert status == 202
    assert client.started[0][2]["engine"]["max_fan_out"] == 3


def test_an_input_a_later_node_would_refuse_is_a_400_before_any_work(api):
    client = RecordingClient()
    body = {
        "workflow_id": "raster_ingest",
        "inputs": {"container": "raw", "blob_path": "a.tif", "collection": "not a valid id!"},
    }
    status, answer = submit(body, client)
    assert status == 400
    assert answer["fields"]["inputs.collection"].startswith(
        "node 'stac' would refuse it as 'collection': String should match pattern"
    )
    assert nothing_stored(api) and client.started == []


def test_a_number_too_large_for_a_float_is_a_400_naming_the_field(api):
    status, answer = submit(b'{"workflow_id": "echo_test", "inputs": {"message": 1e400}}')
    assert status == 400
    assert "inputs.message" in answer["fields"]
    assert nothing_stored(api)


@pytest.mark.parametrize("params", [{"after_seq": str(10**30)}, {"cursor": _cursor_of(10**30)}])
def test_a_seq_beyond_any_timeline_is_a_400(api, params):
    job = api.create_job(a_job())
    status, answer = call(
        "get_job_timeline", "t", params=params, route_params={"job_id": job.job_id}
    )
    assert status == 400
    assert set(answer["fields"]) & {"after_seq", "cursor"}
