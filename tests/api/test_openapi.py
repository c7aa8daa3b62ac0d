"""The OpenAPI document: generated from the route table, served, and copied into the README."""

from pathlib import Path

from api.contract import OPERATIONS, openapi, readme_block, readme_copy
from tests.api.support import call
from tests.support.app import app_functions

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_api_route_of_the_app_is_in_the_document():
    routes = {
        (info.trigger["route"], str(getattr(method, "value", method)).lower())
        for info in app_functions().http
        for method in info.trigger.get("methods") or []
    }
    documented = {
        (path.lstrip("/"), method) for path, ops in openapi()["paths"].items() for method in ops
    }
    assert {r for r in routes if r[0].startswith("api/")} == documented


def test_the_document_is_openapi_3_1_with_a_schema_for_every_answer():
    document = openapi()
    assert document["openapi"] == "3.1.0"
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            for status, answer in op["responses"].items():
                if status == "401":  # the Functions host answers it, without a body
                    continue
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.rsplit("/", 1)[1] in document["components"]["schemas"], (path, status)
            assert "400" in op["responses"], (method, path)


def test_request_bodies_forbid_unknown_fields():
    schemas = openapi()["components"]["schemas"]
    bodies = {op.body.__name__ for op in OPERATIONS if op.body is not None}
    assert bodies == {
        "JobSubmission",
        "CancelRequest",
        "ApprovalRequest",
        "SubmitBody",
        "ReviewBody",
        "RetryBody",
    }
    assert all(schemas[name]["additionalProperties"] is False for name in bodies)


def test_the_document_is_served_at_api_openapi_json():
    status, body = call("openapi_document", "api/openapi.json")
    assert status == 200
    assert body == openapi()


def test_the_readme_copy_is_current():
    copy = readme_copy(README.read_text())
    assert copy is not None, "README.md lost its OpenAPI section markers"
    assert copy == readme_block(openapi()), (
        "README.md's OpenAPI copy is stale: run .venv/bin/dagmaster openapi --readme README.md"
    )


def test_keyed_routes_name_the_function_key_and_probes_do_not():
    paths = openapi()["paths"]
    assert paths["/api/jobs"]["post"]["security"] == [{"functionKey": []}]
    assert "401" in paths["/api/jobs"]["post"]["responses"]
    assert "security" not in paths["/api/readyz"]["get"]
