"""Who may call what (domain.access)."""

import base64
import json

import pytest

from domain.access import (
    OPEN,
    REVIEWER_ROLE,
    Caller,
    Rule,
    authorize,
    identify,
    identify_principal,
    read_principal,
    unidentifiable,
)

KEYS = {"ddh": b"ddh-key", "hub": b"hub-key"}
DDH = Caller(kind="platform", platform_id="ddh")
REVIEWER = Caller(kind="reviewer")


def test_a_platform_key_identifies_its_platform():
    assert identify("hub-key", KEYS, b"rev-key") == Caller(kind="platform", platform_id="hub")


def test_the_reviewer_key_identifies_a_reviewer():
    assert identify("rev-key", KEYS, b"rev-key") == REVIEWER


def test_no_key_or_an_unknown_key_identifies_nobody():
    assert identify(None, KEYS, b"rev-key") is None
    assert identify("guess", KEYS, b"rev-key") is None


def test_a_platform_without_a_key_setting_value_is_never_matched():
    assert identify("", {"ddh": b""}, None) is None


def test_nobody_is_refused_with_401():
    assert authorize(None, Rule.READ).status == 401


def test_a_platform_submits_for_itself_only():
    assert authorize(DDH, Rule.SUBMIT, "ddh") is None
    denied = authorize(DDH, Rule.SUBMIT, "hub")
    assert denied.status == 403
    assert "cannot submit for 'hub'" in denied.message


def test_a_platform_may_not_review():
    assert authorize(DDH, Rule.REVIEW).status == 403


def test_a_reviewer_reviews_but_does_not_submit():
    assert authorize(REVIEWER, Rule.REVIEW) is None
    assert authorize(REVIEWER, Rule.SUBMIT, "ddh").status == 403


def test_a_platform_reads_narrowed_to_its_own_and_a_reviewer_reads_everything():
    assert authorize(DDH, Rule.READ) is None
    assert (DDH.own_platform, REVIEWER.own_platform) == ("ddh", None)


def test_a_platform_cancels_and_reads_but_does_not_operate():
    assert authorize(DDH, Rule.CANCEL) is None
    denied = authorize(DDH, Rule.OPERATE)
    assert denied.status == 403 and "reviewers and operators" in denied.message
    assert authorize(REVIEWER, Rule.OPERATE) is None


def test_a_platform_sees_only_what_its_own_platform_owns():
    assert DDH.sees("ddh")
    assert not DDH.sees("hub")
    assert not DDH.sees(None)  # an operator's job belongs to no platform
    assert REVIEWER.sees("hub") and REVIEWER.sees(None) and OPEN.sees(None)


def test_everybody_passes_in_open_mode():
    assert all(authorize(OPEN, rule, "ddh", "open") is None for rule in Rule)


def test_nobody_in_entra_mode_is_told_what_entra_needs():
    denied = authorize(None, Rule.READ, mode="entra")
    assert denied.status == 401 and REVIEWER_ROLE in denied.message


# Entra: App Service Authentication's X-MS-CLIENT-PRINCIPAL ------------------------------

DDH_APP = "11111111-2222-3333-4444-555555555555"
APPS = {"ddh": DDH_APP, "hub": "99999999-2222-3333-4444-555555555555"}
ROLE_URI = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"


NAME_URI = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
OID_URI = "http://schemas.microsoft.com/identity/claims/objectidentifier"


def _who(caller: Caller | None) -> tuple[str, str | None] | None:
    return None if caller is None else (caller.kind, caller.platform_id)


def principal_header(claims: list[tuple[str, str]], role_typ: str = ROLE_URI) -> str:
    """The header as App Service Authentication builds it: base64 of its JSON."""
    body = {
        "auth_typ": "aad",
        "claims": [{"typ": t, "val": v} for t, v in claims],
        "name_typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "role_typ": role_typ,
    }
    return base64.b64encode(json.dumps(body).encode()).decode()


def test_a_service_principal_whose_app_id_is_a_platforms_is_that_platform():
    header = principal_header([("appid", DDH_APP.upper()), ("idtyp", "app")])
    assert _who(identify_principal(read_principal(header), APPS)) == _who(DDH)


def test_a_v2_token_names_its_app_in_azp():
    header = principal_header([("azp", APPS["hub"])])
    assert identify_principal(read_principal(header), APPS).platform_id == "hub"


def test_the_reviewer_app_role_makes_a_reviewer():
    mapped = principal_header([("appid", "other-app"), (ROLE_URI, REVIEWER_ROLE)])
    raw = principal_header([("roles", REVIEWER_ROLE)], role_typ="roles")
    for header in (mapped, raw):
        assert _who(identify_principal(read_principal(header), APPS)) == _who(REVIEWER)


def test_a_platforms_app_holding_the_reviewer_role_is_still_only_that_platform():
    header = principal_header([("appid", DDH_APP), (ROLE_URI, REVIEWER_ROLE)])
    assert _who(identify_principal(read_principal(header), APPS)) == _who(DDH)


def test_a_principal_of_no_platform_and_without_the_role_is_nobody():
    header = principal_header([("appid", "someone-else"), (ROLE_URI, "Dagmaster.Reader")])
    assert identify_principal(read_principal(header), APPS) is None


@pytest.mark.parametrize("header", [None, "", "not base64!", base64.b64encode(b"[1]").decode()])
def test_a_missing_or_malformed_principal_header_identifies_nobody(header):
    assert read_principal(header) is None
    assert identify_principal(read_principal(header), APPS) is None


# Who cannot authenticate (readyz) --------------------------------------------------------


def test_platforms_without_a_credential_are_named_and_the_others_are_not():
    found = unidentifiable(
        "keys",
        {"ddh": None, "quiet": "its api_key_setting is unset"},
        reviewer_credential=True,
        authentication_enabled=False,
    )
    assert not found.ok
    assert found.platforms == {"quiet": "its api_key_setting is unset"}
    assert found.reviewers is None and found.everybody is None


def test_keys_without_a_reviewer_key_leave_reviewers_out():
    found = unidentifiable("keys", {}, reviewer_credential=False, authentication_enabled=False)
    assert found.reviewers == "DAGMASTER_REVIEWER_KEY is unset"


def test_entra_without_app_service_authentication_identifies_nobody():
    found = unidentifiable("entra", {}, reviewer_credential=False, authentication_enabled=False)
    assert "App Service Authentication is not enabled" in found.everybody
    assert found.reviewers is None  # entra reviewers hold a role, not a key


def test_open_mode_has_nobody_to_identify():
    found = unidentifiable(
        "open", {"ddh": "x"}, reviewer_credential=False, authentication_enabled=False
    )
    assert found.ok


# via: which credential acted (an asset's history) -----------------------------------------


def test_via_names_the_credential_of_a_key_or_open_caller():
    assert [c.via for c in (DDH, REVIEWER, OPEN)] == ["platform:ddh", "reviewer", "open"]


def test_via_of_an_entra_reviewer_is_its_name_else_its_object_id():
    named = principal_header([(NAME_URI, "ana@example.org"), (ROLE_URI, REVIEWER_ROLE)])
    unnamed = principal_header([(OID_URI, "0a1b"), (ROLE_URI, REVIEWER_ROLE)])
    vias = [identify_principal(read_principal(h), APPS).via for h in (named, unnamed)]
    assert vias == ["entra:ana@example.org", "entra:0a1b"]


def test_via_of_a_platforms_entra_app_is_that_platform():
    header = principal_header([("appid", DDH_APP), (OID_URI, "0a1b")])
    caller = identify_principal(read_principal(header), APPS)
    assert (caller.via, caller.principal) == ("platform:ddh", "0a1b")
