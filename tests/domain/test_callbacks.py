"""Callback signatures, URLs, back-off and retry decisions (domain.callbacks)."""

from datetime import timedelta

import pytest

from domain.callbacks import (
    AttemptResult,
    BadCallbackUrl,
    CallbackDefinition,
    Delivered,
    GiveUp,
    NoCallback,
    RetryAfter,
    RetryPolicy,
    SendTo,
    destination,
    next_step,
    same_origin,
    sign,
    url_problem,
    verify,
)

POLICY = RetryPolicy(max_attempts=5, initial_seconds=2, max_seconds=10)
SECRET = b"whsec_test"
BODY = b'{"event_id": "evt_1"}'


def test_signature_verifies_with_the_same_secret_body_and_a_recent_timestamp():
    header = sign(SECRET, 1_700_000_000, BODY)
    assert header.startswith("t=1700000000,v1=")
    assert verify(SECRET, header, BODY, now=1_700_000_030)


def test_signature_fails_for_another_body_or_secret():
    header = sign(SECRET, 1_700_000_000, BODY)
    assert not verify(SECRET, header, BODY + b" ", now=1_700_000_000)
    assert not verify(b"other", header, BODY, now=1_700_000_000)


def test_an_old_signature_is_refused_as_a_replay():
    header = sign(SECRET, 1_700_000_000, BODY)
    assert not verify(SECRET, header, BODY, now=1_700_000_000 + 301)


def test_a_malformed_signature_header_does_not_verify():
    assert not verify(SECRET, "v1=abc", BODY, now=0)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/hook", "file:///etc/passwd", "https://user:pw@example.org/", "http:///x"],
)
def test_only_http_and_https_urls_with_a_host_and_no_credentials_are_callback_urls(url):
    assert url_problem(url) is not None


@pytest.mark.parametrize(
    "url", ["https://user:s3cret@example.org/hook", "ftp://user:s3cret@example.org/hook"]
)
def test_a_refused_url_s_message_does_not_repeat_its_credentials(url):
    problem = url_problem(url)
    assert problem is not None and "s3cret" not in problem and "user" not in problem
    assert "***@example.org" in problem


def test_an_https_url_is_a_callback_url():
    assert url_problem("https://hooks.example.org/dagmaster") is None


def test_a_redirect_to_another_host_or_port_is_another_origin():
    assert same_origin("http://a.test:80/x", "http://a.test:80/y")
    assert not same_origin("http://a.test/x", "http://b.test/x")
    assert not same_origin("http://a.test:8080/x", "http://a.test:8081/x")


def test_back_off_doubles_from_the_initial_wait_up_to_the_cap():
    assert [POLICY.delay(n) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=2),
        timedelta(seconds=4),
        timedelta(seconds=8),
        timedelta(seconds=10),
    ]


@pytest.mark.parametrize("code", [200, 201, 204])
def test_a_2xx_answer_is_delivered(code):
    assert next_step(AttemptResult(attempt=1, status_code=code), POLICY) == Delivered()


@pytest.mark.parametrize("code", [500, 502, 503, 408, 429])
def test_5xx_408_and_429_are_retried_after_the_back_off(code):
    step = next_step(AttemptResult(attempt=2, status_code=code), POLICY)
    assert step == RetryAfter(delay_seconds=4)


def test_no_answer_at_all_is_retried():
    step = next_step(AttemptResult(attempt=1, error="ConnectTimeout"), POLICY)
    assert isinstance(step, RetryAfter)


@pytest.mark.parametrize("code", [400, 401, 403, 404, 410, 302])
def test_other_4xx_and_unfollowed_redirects_are_given_up_at_once(code):
    step = next_step(AttemptResult(attempt=1, status_code=code), POLICY)
    assert isinstance(step, GiveUp)
    assert "not retried" in step.reason


def test_a_retryable_failure_is_given_up_when_the_attempts_are_spent():
    step = next_step(AttemptResult(attempt=5, status_code=503), POLICY)
    assert step == GiveUp(reason="HTTP 503 after 5 attempts")


FROM_SETTING = CallbackDefinition(url_setting="ACME_HOOK_URL", secret_setting="ACME_SECRET")


def test_a_registry_url_is_where_events_go():
    fixed = CallbackDefinition(url="https://a.test/hook", secret_setting="ACME_SECRET")
    assert destination(fixed, None) == SendTo(url="https://a.test/hook")


def test_the_url_setting_s_value_is_where_events_go():
    assert destination(FROM_SETTING, "https://a.test/hook") == SendTo(url="https://a.test/hook")


@pytest.mark.parametrize("value", [None, "", "  "])
def test_an_unset_or_blank_url_setting_sends_nothing_and_names_the_setting(value):
    assert destination(FROM_SETTING, value) == NoCallback(unset_setting="ACME_HOOK_URL")


def test_a_url_setting_that_is_no_callback_url_is_refused_naming_the_setting():
    found = destination(FROM_SETTING, "ftp://a.test/hook")
    assert isinstance(found, BadCallbackUrl) and found.setting == "ACME_HOOK_URL"
    assert "only http and https" in found.problem


def test_a_platform_without_a_callback_sends_nothing():
    assert destination(None, "https://a.test/hook") == NoCallback()
