import azure.functions as func
import pytest

from config import ConsoleSettings, SettingsError
from console import security


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
