"""App Service Authentication (authsettingsV2) on the Function app: an Entra token on every
API route but the anonymous probes, the console left to send browsers to the sign-in page,
and none of it without an app registration."""

from __future__ import annotations

from typing import get_args

from tree_sitter import Node

from config.settings import PlatformAccessSettings
from tests.infra.bicep import INFRA, declared_params, object_properties, parse, string_value, walk
from tests.infra.contract import function_app_values

FUNCTION_APP = INFRA / "app" / "functionapp.bicep"


def _auth_resource() -> Node:
    for node in parse(FUNCTION_APP).root_node.children:
        if node.type == "resource_declaration" and string_value(node.children[2]) == (
            "Microsoft.Web/sites/config@2024-04-01"
        ):
            return node
    raise AssertionError("functionapp.bicep declares no Microsoft.Web/sites/config resource")


def _excluded_paths() -> set[str]:
    for node in walk(_auth_resource()):
        if node.type == "object" and "excludedPaths" in object_properties(node):
            array = object_properties(node)["excludedPaths"]
            return {string_value(n) or "" for n in array.children if n.type == "string"}
    raise AssertionError("no globalValidation.excludedPaths in the authsettingsV2 resource")


def test_only_the_anonymous_probes_of_the_api_are_left_open():
    import function_app  # noqa: F401  (registers every route)
    from api.contract import OPERATIONS

    anonymous = {f"/{op.route}" for op in OPERATIONS if not op.keyed}
    assert anonymous, "no anonymous API route found: has api.contract changed?"
    assert {p for p in _excluded_paths() if p.startswith("/api/")} == anonymous


def test_the_console_and_the_durable_api_keep_their_own_guards():
    # The console redirects a browser that is not signed in itself; the worker raises events
    # on the Durable HTTP API with the extension's system key, not with a token.
    assert {"/ui", "/ui/*", "/runtime/webhooks/durabletask/*"} <= _excluded_paths()


def test_every_other_request_needs_a_token_and_gets_401_without_one():
    text = _auth_resource().text.decode()
    assert "requireAuthentication: true" in text
    assert "unauthenticatedClientAction: 'Return401'" in text
    assert "name: 'authsettingsV2'" in text


def test_there_is_no_app_service_authentication_without_a_client_id():
    resource = _auth_resource()
    condition = next(c for c in resource.children if c.type == "if_statement")
    assert condition.text is not None and b"!empty(authClientId)" in condition.text
    assert not declared_params(parse(FUNCTION_APP))["authClientId"].required
    assert not declared_params(parse(INFRA / "main.bicep"))["authClientId"].required


def test_callers_are_named_by_their_token_exactly_when_one_is_required():
    value = function_app_values(INFRA)["DAGMASTER_ACCESS"]
    assert value.type == "ternary_expression"
    condition, when_empty, otherwise = (c for c in value.children if c.type not in ("?", ":"))
    assert condition.text == b"empty(authClientId)"
    modes = (string_value(when_empty), string_value(otherwise))
    assert modes == ("keys", "entra")
    assert set(modes) <= set(get_args(PlatformAccessSettings.model_fields["mode"].annotation))
