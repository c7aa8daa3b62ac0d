"""Who may call what: platforms act on their own assets only, reviewers act on all.

A caller is identified by one credential, depending on ``DAGMASTER_ACCESS``:

- ``keys``: a key in the header ``X-Dagmaster-Key``. A platform's key is held by the app
  setting its registry entry names (``api_key_setting``); the reviewers' (and operators')
  key by ``DAGMASTER_REVIEWER_KEY``. `identify`.
- ``entra``: the client principal App Service Authentication hands the app
  (``X-MS-CLIENT-PRINCIPAL``, base64 JSON ``{auth_typ, claims: [{typ, val}], name_typ,
  role_typ}``). A principal whose application id (claim ``appid``, v1 tokens, or ``azp``,
  v2) is a registry entry's ``entra_app_id`` is that platform; one holding the app role
  `REVIEWER_ROLE` is a reviewer. `read_principal`, `identify_principal`.
- ``open`` (local runs): everybody is let through, unnarrowed.

    rule      platform                                  reviewer (and operator)
    submit    its own platform_id only                  no
    read      its own requests, assets, jobs, STAC      everything
              items, registry entry; the public STAC
              collection
    cancel    the jobs of its own assets                every job
    review    no                                        approve, reject, reprocess,
                                                        clearance, delete, approval nodes
    operate   no                                        any workflow (POST /api/jobs)

What a platform reads is narrowed where the answer is built (`Caller.sees`): another
platform's request, asset or job is unknown to it (404), listings leave them out.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

KEY_HEADER = "x-dagmaster-key"
PRINCIPAL_HEADER = "x-ms-client-principal"
REVIEWER_ROLE = "Dagmaster.Reviewer"
# Where a token's application id is: v1 access tokens say appid, v2 tokens azp.
APP_ID_CLAIMS = ("appid", "azp")
# Who a principal is: its name (the principal's name_typ, else these), else its object id.
NAME_CLAIMS = ("name", "preferred_username")
OBJECT_ID_CLAIMS = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid")
# App Service maps a token's `roles` to the principal's role_typ (this URI by default).
ROLE_CLAIMS = ("roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role")

Mode = Literal["open", "keys", "entra"]


class Rule(StrEnum):
    SUBMIT = "submit"
    READ = "read"
    CANCEL = "cancel"
    REVIEW = "review"
    OPERATE = "operate"


class Caller(BaseModel):
    kind: Literal["open", "platform", "reviewer"]
    platform_id: str | None = None
    # The Entra principal App Service Authentication vouched for (`ClientPrincipal.label`);
    # None for a key or in open mode, where nobody is named.
    principal: str | None = None

    @property
    def via(self) -> str:
        """The credential that acted, for an asset's history: ``platform:<id>`` (its key or
        Entra app), ``entra:<name or oid>`` (an Entra user or role holder), ``reviewer`` (the
        reviewer key) or ``open``."""
        if self.kind == "platform":
            return f"platform:{self.platform_id}"
        if self.kind == "reviewer":
            return f"entra:{self.principal}" if self.principal else "reviewer"
        return "open"

    @property
    def own_platform(self) -> str | None:
        """The one platform whose assets this caller may see (None: no restriction)."""
        return self.platform_id if self.kind == "platform" else None

    def sees(self, owner: str | None) -> bool:
        """Whether this caller may see what belongs to platform ``owner`` (None: to no
        platform, e.g. a job submitted by an operator)."""
        return self.own_platform is None or owner == self.own_platform


OPEN = Caller(kind="open")
REVIEWER = Caller(kind="reviewer")


class Denied(BaseModel):
    status: Literal[401, 403]
    message: str


def identify(
    key: str | None, platform_keys: Mapping[str, bytes], reviewer_key: bytes | None
) -> Caller | None:
    """The caller a key belongs to (None: no key, or one nobody holds). Constant-time
    comparisons, every key compared; a platform whose key is empty is never matched."""
    if not key:
        return None
    given, found = key.encode(), None
    if reviewer_key and hmac.compare_digest(given, reviewer_key):
        found = REVIEWER
    for platform_id, expected in sorted(platform_keys.items()):
        if expected and hmac.compare_digest(given, expected):
            found = Caller(kind="platform", platform_id=platform_id)
    return found


class Claim(BaseModel):
    model_config = ConfigDict(extra="ignore")

    typ: str
    val: str


class ClientPrincipal(BaseModel):
    """The decoded ``X-MS-CLIENT-PRINCIPAL`` of App Service Authentication."""

    model_config = ConfigDict(extra="ignore")

    auth_typ: str | None = None
    claims: list[Claim] = []
    name_typ: str | None = None
    role_typ: str | None = None

    def values(self, *types: str) -> list[str]:
        wanted = {t.lower() for t in types if t}
        return [c.val for c in self.claims if c.typ.lower() in wanted]

    @property
    def app_id(self) -> str | None:
        """The application the token was issued to (appid, else azp)."""
        for claim in APP_ID_CLAIMS:
            if found := self.values(claim):
                return found[0]
        return None

    @property
    def label(self) -> str:
        """Who it is, for the record: its name, else its object id, else its application id."""
        for found in (
            self.values(self.name_typ or "", *NAME_CLAIMS),
            self.values(*OBJECT_ID_CLAIMS),
            [self.app_id] if self.app_id else [],
        ):
            if found:
                return found[0]
        return "unnamed"

    @property
    def roles(self) -> set[str]:
        return set(self.values(*ROLE_CLAIMS, self.role_typ or ""))


def read_principal(header: str | None) -> ClientPrincipal | None:
    """The principal of an ``X-MS-CLIENT-PRINCIPAL`` header (None: absent or not one)."""
    if not header:
        return None
    try:
        raw = base64.b64decode(header.strip() + "=" * (-len(header.strip()) % 4), validate=True)
        return ClientPrincipal.model_validate(json.loads(raw))
    except (binascii.Error, ValueError, ValidationError):
        return None


def identify_principal(
    principal: ClientPrincipal | None, platform_apps: Mapping[str, str]
) -> Caller | None:
    """The caller an Entra principal is: the platform whose ``entra_app_id`` is its
    application id (the narrower identity wins: a platform's app holding the reviewer role
    is still that platform), else a reviewer if it holds `REVIEWER_ROLE`, else nobody."""
    if principal is None:
        return None
    app_id = (principal.app_id or "").lower()
    for platform_id, expected in sorted(platform_apps.items()):
        if app_id and expected and app_id == expected.lower():
            return Caller(kind="platform", platform_id=platform_id, principal=principal.label)
    if REVIEWER_ROLE in principal.roles:
        return Caller(kind="reviewer", principal=principal.label)
    return None


CREDENTIAL = {
    "keys": f"a valid key is required (header {KEY_HEADER})",
    "entra": "an Entra token of a registered platform's app, or of a principal with the app "
    f"role {REVIEWER_ROLE}, is required (App Service Authentication)",
    "open": "",
}


def authorize(
    caller: Caller | None, rule: Rule, platform_id: str | None = None, mode: Mode = "keys"
) -> Denied | None:
    """None if ``caller`` may do ``rule`` (``platform_id``: the platform a submission names).

    READ and CANCEL only need a caller: what they reach is narrowed by `Caller.sees`."""
    if caller is None:
        return Denied(status=401, message=CREDENTIAL[mode])
    if caller.kind == "open" or rule in (Rule.READ, Rule.CANCEL):
        return None
    if rule is Rule.SUBMIT:
        if caller.kind != "platform":
            return Denied(status=403, message="submissions need a platform's credential")
        if platform_id != caller.platform_id:
            return Denied(
                status=403,
                message=f"this caller is platform '{caller.platform_id}': it cannot submit "
                f"for '{platform_id}'",
            )
        return None
    if caller.kind != "reviewer":
        what = "running workflows directly" if rule is Rule.OPERATE else "reviewing"
        return Denied(
            status=403,
            message=f"{what} is for reviewers and operators (the reviewer key, or the app "
            f"role {REVIEWER_ROLE}); a platform acts through /api/platform/submit",
        )
    return None


class Unidentifiable(BaseModel):
    """Who cannot be identified with the current settings, and why (for readyz and the log)."""

    platforms: dict[str, str] = {}
    reviewers: str | None = None
    everybody: str | None = None

    @property
    def ok(self) -> bool:
        return not (self.platforms or self.reviewers or self.everybody)


def unidentifiable(
    mode: Mode,
    credentials: Mapping[str, str | None],
    *,
    reviewer_credential: bool,
    authentication_enabled: bool,
) -> Unidentifiable:
    """Which callers cannot authenticate: each platform of ``credentials`` (platform id to
    why it has no credential, None: it has one), reviewers without a reviewer key (keys), and
    everybody when entra runs without App Service Authentication."""
    if mode == "open":
        return Unidentifiable()
    missing = {p: why for p, why in sorted(credentials.items()) if why is not None}
    reviewers = None
    if mode == "keys" and not reviewer_credential:
        reviewers = "DAGMASTER_REVIEWER_KEY is unset"
    everybody = None
    if mode == "entra" and not authentication_enabled:
        everybody = "App Service Authentication is not enabled (WEBSITE_AUTH_ENABLED)"
    return Unidentifiable(platforms=missing, reviewers=reviewers, everybody=everybody)
