"""What keeps the console safe: its response headers, cross-site request protection for
its forms, and who the acting user is.

- Every page carries a Content-Security-Policy that allows only the app's own scripts,
  styles and requests (no inline script, no inline style, no framing).
- Forms are protected by a double-submit token: a random value in an HttpOnly,
  SameSite=Strict cookie that every form echoes in a hidden field; a POST whose field does
  not match its cookie, or whose ``Origin`` / ``Sec-Fetch-Site`` says it came from another
  site, is refused with 403.
- The acting user: with ``DAGMASTER_CONSOLE_AUTH=app_service`` (the default on Azure, where
  ``WEBSITE_INSTANCE_ID`` is set), App Service Authentication must be enabled
  (``WEBSITE_AUTH_ENABLED=True``, set by the platform) and the user is the
  ``X-MS-CLIENT-PRINCIPAL-NAME`` header it injects (it strips that header from clients);
  without it the page sends the browser to the sign-in page. With
  ``DAGMASTER_CONSOLE_AUTH=local`` (the default elsewhere, e.g. on devhost) the header is
  read when present and the user is otherwise ``local``.
- Who may use it: with ``DAGMASTER_ACCESS=entra`` only reviewers and operators, i.e. a
  principal holding the app role ``Dagmaster.Reviewer`` in App Service Authentication's
  ``X-MS-CLIENT-PRINCIPAL`` (and not a platform's app); anyone else gets 403. In the other
  modes every signed-in user may (restrict them in Entra: user assignment on the app).
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote, urlsplit

import azure.functions as func

import wiring
from config import ConsoleSettings
from config.settings import PlatformAccessSettings
from domain.access import OPEN, REVIEWER_ROLE, Caller, identify_principal, read_principal
from domain.access import PRINCIPAL_HEADER as CLIENT_PRINCIPAL_HEADER

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
CSRF_COOKIE = "dagmaster_csrf"
CSRF_FIELD = "csrf"
PRINCIPAL_HEADER = "x-ms-client-principal-name"
LOCAL_USER = "local"


class Forbidden(Exception):
    """A console POST that failed the cross-site check."""


class SignInRequired(Exception):
    """App Service Authentication named no user: the browser must sign in first."""


class AuthNotConfigured(Exception):
    """``app_service`` mode, but App Service Authentication is not enabled on the app."""


def acting_user(req: func.HttpRequest, settings: ConsoleSettings | None = None) -> str:
    """Who is using the console (see the module docstring)."""
    settings = settings or ConsoleSettings.from_env()
    name = (req.headers.get(PRINCIPAL_HEADER) or "").strip()
    if settings.mode == "local":
        return name or LOCAL_USER
    if not settings.auth_enabled:
        raise AuthNotConfigured(
            "DAGMASTER_CONSOLE_AUTH=app_service but App Service Authentication is not enabled "
            "on this app (WEBSITE_AUTH_ENABLED is not True): enable it, see console/README.md"
        )
    if not name:
        raise SignInRequired()
    return name


def require_reviewer(
    req: func.HttpRequest,
    access: PlatformAccessSettings | None = None,
    *,
    user: str = LOCAL_USER,
    console: ConsoleSettings | None = None,
) -> Caller:
    """The console's caller (its credential is what an asset's history records as ``via``);
    raise `Forbidden` unless it may use the console (see the module docstring). Outside
    ``entra`` mode: the user App Service Authentication signed in, or in ``local`` console
    mode nobody vouched for (`OPEN`)."""
    access = access or PlatformAccessSettings.from_env()
    if access.mode != "entra":
        console = console or ConsoleSettings.from_env()
        return Caller(kind="reviewer", principal=user) if console.mode != "local" else OPEN
    apps = {p.platform_id: p.entra_app_id for p in wiring.platforms().all() if p.entra_app_id}
    principal = read_principal(req.headers.get(CLIENT_PRINCIPAL_HEADER))
    caller = identify_principal(principal, apps)
    if caller is None or caller.kind != "reviewer":
        raise Forbidden(
            "the console is for reviewers and operators: sign in with an account holding "
            f"the app role {REVIEWER_ROLE}"
        )
    return caller


def sign_in_url(req: func.HttpRequest) -> str:
    parts = urlsplit(req.url)
    back = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"/.auth/login/aad?post_login_redirect_uri={quote(back, safe='')}"


def _cookies(req: func.HttpRequest) -> SimpleCookie:
    jar = SimpleCookie()
    with contextlib.suppress(CookieError):  # a malformed cookie header is no token
        jar.load(req.headers.get("cookie") or "")
    return jar


def csrf_token(req: func.HttpRequest) -> tuple[str, str | None]:
    """The request's token and, when it had none, the ``Set-Cookie`` value that gives it one."""
    morsel = _cookies(req).get(CSRF_COOKIE)
    if morsel is not None and len(morsel.value) >= 32:
        return morsel.value, None
    token = secrets.token_urlsafe(32)
    secure = "; Secure" if urlsplit(req.url).scheme == "https" else ""
    return token, f"{CSRF_COOKIE}={token}; Path=/ui; HttpOnly; SameSite=Strict{secure}"


def check_csrf(req: func.HttpRequest, form: Mapping[str, str]) -> None:
    """Raise `Forbidden` unless the POST is same-origin and echoes its cookie's token."""
    if (req.headers.get("sec-fetch-site") or "same-origin") not in ("same-origin", "none"):
        raise Forbidden("cross-site request refused")
    origin = req.headers.get("origin")
    if origin and origin != "null":
        expected = req.headers.get("x-forwarded-host") or req.headers.get("host") or ""
        if urlsplit(origin).netloc.lower() != expected.lower():
            raise Forbidden(f"request from origin {origin!r} refused")
    morsel = _cookies(req).get(CSRF_COOKIE)
    given = form.get(CSRF_FIELD, "")
    if morsel is None or not given or not hmac.compare_digest(morsel.value, given):
        raise Forbidden("missing or stale form token: reload the page and try again")
