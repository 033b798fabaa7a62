"""API Gateway HTTP API behaviour: route selection, payload 2.0 events, and mapping a result back to HTTP."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from nodeplane_local.template import ACCOUNT_ID, API_ID, HttpRoute

MAX_BODY_BYTES = 10 * 1024 * 1024  # HTTP API's payload limit
DOMAIN = f"{API_ID}.execute-api.localhost"

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "application/x-www-form")


@dataclass(frozen=True)
class Match:
    route: HttpRoute
    path_parameters: dict[str, str]


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/") if path.strip("/") else []


def _match_one(route: HttpRoute, segments: list[str]) -> dict[str, str] | None:
    pattern = _segments(route.path)
    params: dict[str, str] = {}
    for i, part in enumerate(pattern):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[i:]
            if not rest:
                return None
            params[part[1:-2]] = "/".join(unquote(s) for s in rest)
            return params
        if i >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            if not segments[i]:
                return None
            params[part[1:-1]] = unquote(segments[i])
        elif part != segments[i]:
            return None
    return params if len(pattern) == len(segments) else None


def _specificity(route: HttpRoute) -> tuple[Any, ...]:
    # API Gateway prefers literal segments over {param} over {greedy+}, and an exact method over ANY
    kinds = []
    for part in _segments(route.path):
        if part.endswith("+}"):
            kinds.append(2)
        elif part.startswith("{"):
            kinds.append(1)
        else:
            kinds.append(0)
    return (*kinds, 3), route.method == "ANY"


def match_route(routes: list[HttpRoute], method: str, path: str) -> Match | None:
    segments = _segments(path)
    candidates = []
    for route in routes:
        if route.method not in (method.upper(), "ANY"):
            continue
        params = _match_one(route, segments)
        if params is not None:
            candidates.append((_specificity(route), route, params))
    if not candidates:
        return None
    _, route, params = min(candidates, key=lambda c: c[0])
    return Match(route, params)


def _is_text(content_type: str | None) -> bool:
    if not content_type:
        return True
    ct = content_type.lower()
    return ct.startswith(_TEXT_TYPES) or "+json" in ct or "+xml" in ct


def build_event(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    match: Match,
    authorizer: dict[str, Any] | None,
    protocol: str = "HTTP/1.1",
    now: float | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload format 2.0 event, as the service builds it."""
    now = time.time() if now is None else now
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lname = name.lower()
        if lname == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        merged[lname] = f"{merged[lname]},{value}" if lname in merged else value
    merged.setdefault("x-forwarded-for", source_ip)
    merged.setdefault("x-forwarded-proto", "http")
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    request_id = base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": merged,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": merged.get("host", DOMAIN),
        "domainPrefix": merged.get("host", DOMAIN).split(".")[0],
        "http": {
            "method": method.upper(),
            "path": unquote(raw_path),
            "protocol": protocol,
            "sourceIp": source_ip,
            "userAgent": merged.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": match.route.route_key,
        "stage": "$default",
        "time": dt.datetime.fromtimestamp(now, dt.UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    event["requestContext"] = context
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    if body:
        if _is_text(merged.get("content-type")):
            try:
                event["body"] = body.decode("utf-8")
                event["isBase64Encoded"] = False
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(body).decode()
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


@dataclass
class HttpResult:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    request_id: str | None = None  # sent back as apigw-requestid, like the service


def json_result(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> HttpResult:
    return HttpResult(status, [("content-type", "application/json"), *(headers or [])], json.dumps(payload).encode())


def map_result(result: Any) -> HttpResult:
    """Payload 2.0 response rules: a dict with statusCode is taken apart; anything else is a JSON 200."""
    if not (isinstance(result, dict) and "statusCode" in result):
        body = result if isinstance(result, str) else json.dumps(result)
        return HttpResult(200, [("content-type", "application/json")], body.encode())
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        return json_result(502, {"message": "Internal Server Error"})
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), ",".join(map(str, value)) if isinstance(value, list) else str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.append((str(name), ",".join(map(str, values))))
    for cookie in result.get("cookies") or []:
        headers.append(("set-cookie", str(cookie)))
    raw = result.get("body")
    if raw is None:
        payload = b""
    elif result.get("isBase64Encoded"):
        payload = base64.b64decode(raw)
    else:
        payload = (raw if isinstance(raw, str) else json.dumps(raw)).encode()
    return HttpResult(status, headers, payload)
