"""Who may call what (domain.access)."""

from domain.access import Caller, Rule, authorize, identify

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
