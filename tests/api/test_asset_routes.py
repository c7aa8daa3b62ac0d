"""Asset routes called in-process as the host finds them, on input refused before any
entity or catalog is reached."""

import pytest

from tests.api.support import call
from tests.support.durable import RecordingClient

ASSET = f"ddh-{'0' * 32}"


@pytest.mark.parametrize("ordinal", ["²", "0", "-1", "1.5", "01", "9" * 12])
def test_a_version_number_that_is_not_1_2_3_is_a_400(ordinal):
    client = RecordingClient()
    status, body = call(
        "approve_version",
        f"api/assets/{ASSET}/versions/{ordinal}/approve",
        method="POST",
        route_params={"asset_id": ASSET, "ordinal": ordinal},
        body={"reason": "x", "by": "ana"},
        client=client,
    )
    assert status == 400, body
    assert "ordinal" in body["error"]
    assert client.started == []


@pytest.mark.parametrize("asset_id", ["\\", "@asset@x", "ddh-1", f"DDH-{'0' * 32}"])
def test_an_asset_id_dagmaster_cannot_have_made_is_a_404_before_any_command(asset_id):
    client = RecordingClient()
    status, body = call(
        "delete_asset",
        f"api/assets/{asset_id}",
        method="DELETE",
        route_params={"asset_id": asset_id},
        body={"reason": "x", "by": "ana"},
        client=client,
    )
    assert status == 404 and "unknown asset" in body["error"]
    assert client.started == []


def test_a_reviewer_body_is_strict_and_needs_a_reason():
    for body, field in [({"by": "ana"}, "reason"), ({"reason": "x", "by": 5}, "by")]:
        status, answer = call(
            "clear_asset",
            f"api/assets/{ASSET}/clearance/cleared",
            method="POST",
            route_params={"asset_id": ASSET},
            body=body,
            client=RecordingClient(),
        )
        assert status == 400 and field in answer["fields"], answer


def test_a_publication_retry_needs_no_reason_and_sends_the_retry_command(monkeypatch):
    import application.assets

    monkeypatch.setattr(application.assets, "WAIT_SECONDS", 0.0)  # answer "pending" at once
    client = RecordingClient()
    status, answer = call(
        "retry_publication",
        f"api/assets/{ASSET}/publication/retry",
        method="POST",
        route_params={"asset_id": ASSET},
        body={"by": "ana", "request_id": "retry-1"},
        client=client,
    )
    assert status == 202 and answer["status"] == "pending", answer
    [(name, _, message)] = client.started
    assert name == "asset_command"
    assert (message["command"]["kind"], message["command"]["reason"]) == ("retry_publication", None)


def test_a_publication_retry_body_is_strict():
    status, answer = call(
        "retry_publication",
        f"api/assets/{ASSET}/publication/retry",
        method="POST",
        route_params={"asset_id": ASSET},
        body={"by": "ana", "reason": ""},
        client=RecordingClient(),
    )
    assert status == 400 and "reason" in answer["fields"], answer
