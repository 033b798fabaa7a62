"""HTTP plumbing shared by every handler; handlers import these names from here.

- ``resolver``: ``http_resolver()`` (validation, error envelopes) and ``handler()`` (the Lambda entry point);
- ``envelopes``: the error body of each API family and the `/v1` problem models (``problems()``);
- ``identity``: ``claims()`` and ``tenant()`` of a caller the HttpApi authorizer verified, ``request_key()``;
- ``auth``: routes outside that authorizer verify a bearer token themselves;
- ``params``: bounds of path parameters (``Id``, ``small_id()``); ``bodies``: what is refused before a handler runs.
"""

from nodeplane.api.envelopes import Envelope, documented, error_body, error_response, errors, problems
from nodeplane.api.identity import claims, request_key, tenant
from nodeplane.api.params import Id, small_id
from nodeplane.api.resolver import handler, http_resolver

__all__ = [
    "Envelope",
    "Id",
    "claims",
    "documented",
    "error_body",
    "error_response",
    "errors",
    "handler",
    "http_resolver",
    "problems",
    "request_key",
    "small_id",
    "tenant",
]
