import base64
import json
from pathlib import Path

import azure.functions as func
import pytest

import wiring
from config import ConsoleSettings, SettingsError
from config.settings import PlatformAccessSettings
from console import security
from domain.access import REVIEWER_ROLE

REPO = Path(__file__).resolve().parents[2]


def _request(headers=None, url="http://localhost:7071/ui/jobs/j/cancel"):
    return func.HttpRequest("POST", url, headers=headers or {}, body=b"")


def _settings(**env: str) -> ConsoleSettings:
    return ConsoleSettings.from_env(env)


def test_locally_the_user_is_the_principal_header_or_local():
    assert security.acting_user(_request(), _settings()) == "local"
    named = _request({"X-MS-CLIENT-PRINCIPAL-NAME": "ana@example.org"})
    assert security.acting_user(named, _settings()) == "ana@example.org"


def test_on_azure_the_console_refuses_to_run_without_app_service_authentication():
    named = _request({"X-MS-CLIENT-PRINCIPAL-NAME": "ana@example.org"})
    with pytest.raises(security.AuthNotConfigured, match="WEBSITE_AUTH_ENABLED"):
        security.acting_user(named, _settings(WEBSITE_INSTANCE_ID="a1b2"))


def test_on_azure_the_user_comes_from_app_service_authentication_or_must_sign_in():
    settings = _settings(WEBSITE_INSTANCE_ID="a1b2", WEBSITE_AUTH_ENABLED="True")
    named = _request({"X-MS-CLIENT-PRINCIPAL-NAME": "ana@example.org"})
    assert security.acting_user(named, settings) == "ana@example.org"
    with pytest.raises(security.SignInRequired):
        security.acting_user(_request(), settings)
    assert security.sign_in_url(_request(url="https://x/ui/jobs?status=failed")) == (
        "/.auth/login/aad?post_login_redirect_uri=%2Fui%2Fjobs%3Fstatus%3Dfailed"
    )


def test_the_mode_can_be_set_either_way_and_an_unknown_one_is_an_error_naming_it():
    assert _settings(DAGMASTER_CONSOLE_AUTH="local", WEBSITE_INSTANCE_ID="a1b2").mode == "local"
    assert _settings(DAGMASTER_CONSOLE_AUTH="app_service").mode == "app_service"
    with pytest.raises(SettingsError, match="DAGMASTER_CONSOLE_AUTH"):
        _settings(DAGMASTER_CONSOLE_AUTH="open")


def test_a_request_without_a_token_cookie_gets_one_that_only_same_site_requests_send():
    token, cookie = security.csrf_token(_request(url="https://app.example/ui/"))
    assert len(token) >= 32
    assert cookie == f"dagmaster_csrf={token}; Path=/ui; HttpOnly; SameSite=Strict; Secure"
    again, none = security.csrf_token(_request({"Cookie": f"dagmaster_csrf={token}"}))
    assert (again, none) == (token, None)


@pytest.mark.parametrize(
    ("headers", "form"),
    [
        ({}, {"csrf": "x" * 43}),
        ({"Cookie": "dagmaster_csrf=" + "a" * 43}, {"csrf": "b" * 43}),
        ({"Cookie": "dagmaster_csrf=" + "a" * 43}, {}),
        (
            {"Cookie": "dagmaster_csrf=" + "a" * 43, "Host": "app", "Origin": "https://evil"},
            {"csrf": "a" * 43},
        ),
        (
            {"Cookie": "dagmaster_csrf=" + "a" * 43, "Sec-Fetch-Site": "cross-site"},
            {"csrf": "a" * 43},
        ),
    ],
    ids=["no-cookie", "mismatch", "no-field", "other-origin", "cross-site"],
)
def test_a_post_that_fails_the_cross_site_check_is_refused(headers, form):
    with pytest.raises(security.Forbidden):
        security.check_csrf(_request(headers), form)


def test_a_same_origin_post_echoing_its_cookie_passes():
    headers = {"Cookie": "dagmaster_csrf=" + "a" * 43, "Host": "app", "Origin": "https://app"}
    security.check_csrf(_request(headers), {"csrf": "a" * 43})


ENTRA = PlatformAccessSettings.from_env({"DAGMASTER_ACCESS": "entra"})
ROLE_URI = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"


def _principal(*claims: tuple[str, str]) -> dict[str, str]:
    body = {"auth_typ": "aad", "claims": [{"typ": t, "val": v} for t, v in claims]}
    return {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps(body).encode()).decode()}


def test_with_entra_access_the_console_is_for_the_reviewer_role_only():
    reviewer = _request(_principal(("roles", REVIEWER_ROLE)))
    security.require_reviewer(reviewer, ENTRA)
    for headers in ({}, _principal(("roles", "Dagmaster.Reader"))):
        with pytest.raises(security.Forbidden, match=REVIEWER_ROLE):
            security.require_reviewer(_request(headers), ENTRA)


def test_a_platforms_app_holding_the_reviewer_role_may_not_use_the_console(tmp_path, monkeypatch):
    app = "0f5c2a8e-1b7d-4e39-9a61-3c2d8e4f7a10"
    ddh = (REPO / "platforms" / "ddh.yaml").read_text() + f"entra_app_id: {app}\n"
    (tmp_path / "ddh.yaml").write_text(ddh)
    monkeypatch.setenv("DAGMASTER_PLATFORMS_DIR", str(tmp_path))
    wiring.platforms.cache_clear()
    try:
        platform = _request(_principal(("appid", app), (ROLE_URI, REVIEWER_ROLE)))
        with pytest.raises(security.Forbidden):
            security.require_reviewer(platform, ENTRA)
    finally:
        wiring.platforms.cache_clear()


def test_without_entra_access_the_console_checks_no_role():
    keys = PlatformAccessSettings.from_env({"DAGMASTER_ACCESS": "keys"})
    security.require_reviewer(_request(), keys)
    security.require_reviewer(_request(), PlatformAccessSettings.from_env({}))
