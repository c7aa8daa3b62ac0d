"""POSTing one signed callback: http(s) only, a short timeout, redirects only within the
same origin (307/308, which keep the method and body), at most a few."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx

from domain.callbacks import AttemptResult, same_origin, url_problem

_MAX_REDIRECTS = 3


def post(
    url: str, body: bytes, headers: dict[str, str], timeout: float, attempt: int
) -> AttemptResult:
    """The attempt's result: the final HTTP status, or the error that stopped it."""
    if (problem := url_problem(url)) is not None:
        return AttemptResult(attempt=attempt, status_code=None, error=problem)
    target = url
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for _ in range(_MAX_REDIRECTS + 1):
            try:
                response = client.post(target, content=body, headers=headers)
            except httpx.HTTPError as exc:
                return AttemptResult(attempt=attempt, error=f"{type(exc).__name__}: {exc}")
            location = response.headers.get("location")
            if response.status_code not in (307, 308) or not location:
                return AttemptResult(attempt=attempt, status_code=response.status_code)
            following = urljoin(target, location)
            if not same_origin(url, following):
                return AttemptResult(
                    attempt=attempt,
                    status_code=response.status_code,
                    error=f"redirect to another origin not followed: {following}",
                )
            target = following
    return AttemptResult(
        attempt=attempt, status_code=response.status_code, error="too many redirects"
    )
