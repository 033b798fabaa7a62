"""Request bodies the resolver refuses before any handler code runs, and the JSON parser it reads the rest with.

A body is accepted only as JSON text: at most ``max_body_bytes``, valid base64 when API Gateway encoded it, valid
UTF-8, sent as ``application/json``, and shallow enough to parse. Anything else is a 4xx in the API's envelope,
never an exception inside a handler.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from nodeplane.errors import BadRequest

MEDIA_TYPE = "application/json"


class Refused(Exception):
    """A body the API will not read: its status and a sentence saying why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def check(event: dict[str, Any], limit: int) -> dict[str, Any]:
    """The event with its body as text (base64 undone), or ``Refused`` for a body the API cannot read."""
    body = event.get("body")
    if body is None or body == "":
        return event
    if len(body) > limit:
        raise Refused(413, f"request body exceeds {limit} bytes")
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise Refused(400, "request body is marked base64 but does not decode as base64") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Refused(400, f"request body is not valid UTF-8 (byte {exc.start})") from None
        event = {**event, "body": text, "isBase64Encoded": False}
    else:
        text = body
    if not text:
        return event
    content_type = _header(event, "content-type")
    if _media_type(content_type) != MEDIA_TYPE:
        sent = f"it was sent as {content_type!r}" if content_type else "it was sent without a Content-Type"
        raise Refused(415, f"request bodies must be {MEDIA_TYPE} (Content-Type: {MEDIA_TYPE}); {sent}")
    return event


def loads(text: str | bytes | bytearray) -> Any:
    """``json.loads``, with what it cannot represent refused as a bad request (malformed JSON is left to the
    validation, which answers it as ``json_invalid``)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise BadRequest("request body is not valid JSON (nested too deeply)") from None
    except ValueError:  # an integer literal beyond Python's 4,300-digit limit
        raise BadRequest("request body is not valid JSON (a number has too many digits)") from None
