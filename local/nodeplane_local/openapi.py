"""One OpenAPI 3.1 document from every HTTP function's resolver, plus the Swagger UI page that shows it."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

from nodeplane.api.envelopes import Envelope, error_schemas
from nodeplane.api.resolver import operation as answers_of
from nodeplane_local.functions import Function
from nodeplane_local.template import HttpRoute

TITLE = "nodeplane"
VERSION = version("nodeplane")
SCHEME = "bearerAuth"
# Powertools documents these on every operation; each operation documents the statuses it really answers instead
GENERIC_SCHEMAS = ("HTTPValidationError", "ResponseValidationError", "ValidationError")
# What the HttpApi JWT authorizer answers before a function runs (API Gateway's own body)
GATEWAY_ERROR = {
    "type": "object",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
    "title": "GatewayError",
}


class OpenAPIConflict(Exception):
    """Two functions document the same operation or the same component differently."""


def merge_openapi(
    functions: dict[str, Function], routes: list[HttpRoute], servers: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION},
        "paths": {},
        "components": {},
    }
    if servers:
        doc["servers"] = servers
    owner: dict[tuple[str, str], str] = {}
    http_functions = sorted({r.function for r in routes})
    for logical in http_functions:
        app = getattr(functions[logical].module(), "app", None)
        if app is None or not hasattr(app, "get_openapi_json_schema"):
            raise OpenAPIConflict(f"{logical}: its handler module has no Powertools resolver named `app`")
        schema = json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION))
        answers = answers_of(app)
        _envelope_server_errors(schema, answers.envelope)
        _document_resolver_errors(
            schema, answers.envelope, answers.invalid, any_media_type=answers.raw_body is not None
        )
        for path, operations in (schema.get("paths") or {}).items():
            for method, operation in operations.items():
                if (path, method) in owner:
                    raise OpenAPIConflict(f"{method.upper()} {path}: documented by {owner[path, method]} and {logical}")
                owner[path, method] = logical
                doc["paths"].setdefault(path, {})[method] = operation
        for section, items in (schema.get("components") or {}).items():
            target = doc["components"].setdefault(section, {})
            for name, item in items.items():
                if name in target and target[name] != item:
                    raise OpenAPIConflict(f"components.{section}.{name} differs between functions ({logical})")
                target[name] = item
    _drop_generic_responses(doc)
    _document_auth(doc, routes)
    return doc


def _envelope_server_errors(schema: dict[str, Any], envelope: Envelope) -> None:
    """A 500 is answered in the API's own envelope (the resolver's error handler), not Powertools' shape."""
    content_type, name, schemas = error_schemas(envelope)
    for operations in (schema.get("paths") or {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("500")
            if answer and "ResponseValidationError" in json.dumps(answer):
                operation["responses"]["500"] = {
                    "description": "Internal Server Error",
                    "content": {content_type: {"schema": {"$ref": f"#/components/schemas/{name}"}}},
                }
    schema.setdefault("components", {}).setdefault("schemas", {}).update(schemas)


def _document_resolver_errors(
    schema: dict[str, Any], envelope: Envelope, invalid: int, *, any_media_type: bool = False
) -> None:
    """What the resolver answers before a handler runs, on every operation it applies to: a body it cannot read
    (400, too large 413, not JSON 415), a path id out of bounds (400), a parameter or body that does not validate
    (the operation's own ``invalid`` status)."""
    content_type, name, _ = error_schemas(envelope)
    for operations in (schema.get("paths") or {}).values():
        for operation in operations.values():
            params = {p["in"] for p in operation.get("parameters", [])}
            statuses: dict[int, str] = {}
            if "requestBody" in operation:
                statuses |= {400: "Bad Request", 413: "Content Too Large"}
                if not any_media_type:
                    statuses[415] = "Unsupported Media Type"
            if "path" in params:
                statuses[400] = "Bad Request"
            if "requestBody" in operation or params - {"path"}:
                statuses[invalid] = "Unprocessable Content" if invalid == 422 else "Bad Request"
            for status, text in statuses.items():
                current = operation["responses"].get(str(status))
                if current is None or "HTTPValidationError" in json.dumps(current):
                    operation["responses"][str(status)] = {
                        "description": text,
                        "content": {content_type: {"schema": {"$ref": f"#/components/schemas/{name}"}}},
                    }


def _drop_generic_responses(doc: dict[str, Any]) -> None:
    """Remove Powertools' generic 422/500 bodies where an operation does not answer them in that shape."""
    for operations in doc["paths"].values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            for status in list(responses):
                text = json.dumps(responses[status])
                if any(f"/{name}" in text for name in GENERIC_SCHEMAS):
                    del responses[status]
    schemas = doc["components"].get("schemas", {})
    text = json.dumps(doc["paths"])
    for name in GENERIC_SCHEMAS:
        if f"/{name}" not in text:
            schemas.pop(name, None)


def _document_auth(doc: dict[str, Any], routes: list[HttpRoute]) -> None:
    """The JWT authorizer lives in the template, not in the resolvers: say which operations need a token."""
    schemes = doc["components"].setdefault("securitySchemes", {})
    if not schemes:
        schemes[SCHEME] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    scheme = next(iter(schemes))
    for route in routes:
        methods = (
            [m.lower() for m in ("GET", "POST", "PUT", "PATCH", "DELETE")] if route.method == "ANY" else [route.method]
        )
        path = route.path.replace("+}", "}")
        for method in methods:
            operation = doc["paths"].get(path, {}).get(method.lower())
            if operation is not None and "security" not in operation:
                operation["security"] = [] if route.authorizer is None else [{scheme: list(route.scopes)}]
            if operation is not None and route.authorizer is not None:
                denied = {"401": "No or an invalid bearer token"} | ({"403": "Missing scope"} if route.scopes else {})
                for status, text in denied.items():
                    operation["responses"].setdefault(status, _gateway_error(text))
    if any(r.authorizer is not None for r in routes):
        doc["components"].setdefault("schemas", {})["GatewayError"] = GATEWAY_ERROR


def _gateway_error(description: str) -> dict[str, Any]:
    return {
        "description": f"{description} (answered by the HttpApi JWT authorizer)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GatewayError"}}},
    }


SWAGGER_FILES = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui-standalone-preset.js": "application/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}


def swagger_page() -> str:
    return """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>nodeplane API (local)</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
      persistAuthorization: true
    });
  </script>
</body>
</html>
"""


def swagger_file(root: Path, name: str) -> tuple[bytes, str] | None:
    """A file of the locally installed swagger-ui-dist package (no CDN), or None."""
    if name not in SWAGGER_FILES:
        return None
    path = root / "node_modules" / "swagger-ui-dist" / name
    if not path.is_file():
        return None
    return path.read_bytes(), SWAGGER_FILES[name]
