"""`GET /api/openapi.json`: the OpenAPI 3.1 document of every route in `api.contract`."""

from __future__ import annotations

import azure.functions as func
from pydantic import JsonValue, RootModel

from api import contract
from api.http import json_errors, json_response

bp = func.Blueprint()


class OpenApiDocument(RootModel[dict[str, JsonValue]]):
    """An OpenAPI 3.1 document."""


@contract.route(bp, "GET", "api/openapi.json", OpenApiDocument)
@json_errors
async def openapi_document(req: func.HttpRequest) -> func.HttpResponse:
    """This API's OpenAPI 3.1 document, generated from its request and response models."""
    return json_response(contract.openapi())
