"""The route table of the HTTP API and the OpenAPI 3.1 document generated from it.

Every API route registers here as it is declared, with the models of its query, body and
responses; `openapi()` builds the document from their pydantic JSON schemas (nothing is
written by hand), served at `GET /api/openapi.json` and copied into the README.

Adding a route is one line in place of ``@bp.route(...)``::

    @contract.route(bp, "GET", "api/things/{thing_id}", ThingView, query=ThingQuery)
    @json_errors
    async def get_thing(req: func.HttpRequest) -> func.HttpResponse: ...

``body=`` names the request body model of a POST (``body_required=False`` if it may be left
out), ``status=`` the success code when it is not 200, ``errors=`` the 4xx codes it answers
besides 400 (and 413 with a body, 503), ``auth_level=`` as for ``bp.route``. The handler's
docstring is the operation's summary (first paragraph) and description. Then refresh the
README copy::

    .venv/bin/dagmaster openapi --readme README.md

`tests/api/test_openapi.py` fails while the README copy is stale, and the schemathesis run
in `tests/contract/` calls every registered route against its schema.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import azure.functions as func
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

TITLE = "dagmaster"
VERSION = "1"
_REF = "#/components/schemas/{model}"


class ErrorBody(BaseModel):
    """Every error answer: what is wrong, and for bad fields each one by name."""

    error: str
    fields: dict[str, str] | None = Field(
        default=None, description="bad fields by dotted path, e.g. inputs.size_bytes"
    )


@dataclass(frozen=True)
class Operation:
    method: str
    route: str
    response: type[BaseModel]
    status: int = 200
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_required: bool = True
    errors: tuple[int, ...] = ()
    keyed: bool = True
    name: str = ""
    doc: str = ""
    tags: tuple[str, ...] = field(default=())


OPERATIONS: list[Operation] = []
_ERROR_TEXT = {
    400: "bad input, each field named",
    401: "no or wrong function key; with DAGMASTER_ACCESS=keys or entra, no valid caller "
    "credential (X-Dagmaster-Key, or App Service Authentication)",
    403: "the caller (a platform) may not do this: reviewers' and operators' action, or "
    "another platform's submission",
    404: "unknown job, workflow, node or item",
    409: "the state does not allow it, or a request_id reused with another body",
    413: "request body too large",
    503: "a dependency (the catalog) is unavailable",
}


def route(
    bp: Any,
    method: str,
    path: str,
    response: type[BaseModel],
    *,
    status: int = 200,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    errors: tuple[int, ...] = (),
    auth_level: func.AuthLevel | None = None,
) -> Callable[[Any], Any]:
    """``bp.route(route=path, methods=[method])``, recorded in `OPERATIONS` with its models."""

    def decorate(fn: Any) -> Any:
        # Below a binding decorator (durable_client_input) the SDK hands over its
        # FunctionBuilder, which has no public way to the user function and its docstring.
        target = fn._function._func if hasattr(fn, "_function") else fn
        OPERATIONS.append(
            Operation(
                method=method.lower(),
                route=path,
                response=response,
                status=status,
                query=query,
                body=body,
                body_required=body_required,
                errors=tuple(sorted({400, 503, *errors, *((413,) if body else ())})),
                keyed=auth_level is not func.AuthLevel.ANONYMOUS,
                name=target.__name__,
                doc=inspect.getdoc(target) or "",
                tags=(path.split("/")[1],),
            )
        )
        extra = {} if auth_level is None else {"auth_level": auth_level}
        return bp.route(route=path, methods=[method], **extra)(fn)

    return decorate


def _parameters(op: Operation, schemas: dict[tuple[str, Mode], Any]) -> list[dict[str, Any]]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", op.route)
    ]
    if op.query is not None:
        schema = schemas[op.query.__name__, "validation"]
        required = set(schema.get("required", []))
        for name, prop in schema["properties"].items():
            item = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if "description" in prop:
                item["description"] = prop["description"]
            params.append(item)
    return params


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": ref}}}


Mode = Literal["validation", "serialization"]
Refs = dict[tuple[str, Mode], str]


def _operation(op: Operation, refs: Refs, schemas: dict[tuple[str, Mode], Any]) -> dict[str, Any]:
    summary, _, description = op.doc.partition("\n\n")
    ok = _json(refs[op.response.__name__, "serialization"])
    responses: dict[str, Any] = {str(op.status): {"description": "success", "content": ok}}
    error = _json(refs["ErrorBody", "serialization"])
    for code in op.errors:
        responses[str(code)] = {"description": _ERROR_TEXT[code], "content": error}
    spec: dict[str, Any] = {
        "operationId": op.name,
        "tags": list(op.tags),
        "summary": " ".join(summary.split()) or op.name,
        "parameters": _parameters(op, schemas),
        "responses": responses,
    }
    if op.keyed:
        spec["security"] = [{"functionKey": []}]
        responses["401"] = {"description": _ERROR_TEXT[401]}
    if description:
        spec["description"] = description
    if op.body is not None:
        body = _json(refs[op.body.__name__, "validation"])
        spec["requestBody"] = {"required": op.body_required, "content": body}
    return spec


def openapi(operations: list[Operation] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``operations`` (default: every registered route)."""
    ops = sorted(OPERATIONS if operations is None else operations, key=lambda o: o.route)
    inputs = {m for o in ops for m in (o.query, o.body) if m is not None}
    outputs = {o.response for o in ops} | {ErrorBody}
    keyed: list[tuple[type[BaseModel], Mode]] = [
        (m, "validation") for m in sorted(inputs, key=lambda m: m.__name__)
    ]
    keyed += [(m, "serialization") for m in sorted(outputs, key=lambda m: m.__name__)]
    refs_by_key, defs = models_json_schema(keyed, ref_template=_REF)
    components = defs.get("$defs", {})
    refs = {(model.__name__, mode): ref["$ref"] for (model, mode), ref in refs_by_key.items()}
    plain = {key: components[ref.rsplit("/", 1)[1]] for key, ref in refs.items()}
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        paths.setdefault("/" + op.route, {})[op.method] = _operation(op, refs, plain)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "functionKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "x-functions-key",
                    "description": "a function key (Azure; devhost with --require-keys)",
                }
            },
        },
    }


README_BEGIN = "<!-- openapi:begin (generated: .venv/bin/dagmaster openapi --readme README.md) -->"
README_END = "<!-- openapi:end -->"


def readme_block(document: dict[str, Any]) -> str:
    """The README's copy of ``document``, between its markers."""
    text = json.dumps(document, indent=1, ensure_ascii=False)
    lines = [README_BEGIN, "<details><summary>openapi.json</summary>", "", "```json", text]
    return "\n".join([*lines, "```", "", "</details>", README_END])


def readme_copy(readme: str) -> str | None:
    """The block between the markers in ``readme`` (markers included), or None."""
    start, end = readme.find(README_BEGIN), readme.find(README_END)
    if start < 0 or end < start:
        return None
    return readme[start : end + len(README_END)]


def with_readme_copy(readme: str, document: dict[str, Any]) -> str:
    """``readme`` with its copy replaced by ``document`` (a README without one is an error)."""
    current = readme_copy(readme)
    if current is None:
        raise ValueError(f"the README has no '{README_BEGIN}' ... '{README_END}' section")
    return readme.replace(current, readme_block(document))
