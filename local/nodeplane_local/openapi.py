"""One OpenAPI 3.1 document from every HTTP function's resolver, plus the Swagger UI page that shows it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nodeplane_local.functions import Function
from nodeplane_local.template import HttpRoute

TITLE = "nodeplane"
VERSION = "1.0.0"
SCHEME = "bearerAuth"


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
    _document_auth(doc, routes)
    return doc


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
