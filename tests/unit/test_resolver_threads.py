"""Two requests resolved at the same moment on two threads of one process (the local runtime's warm containers)
each see their own route, body and caller: Powertools keeps the current request on a class shared by every
resolver, nodeplane's resolver keeps it per thread."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel

from nodeplane.api import http_resolver, tenant
from nodeplane_local.harness.lambda_events import Context, http_event


class Echo(BaseModel):
    value: str


def _app(barrier: threading.Barrier) -> Any:
    app = http_resolver("daemon")

    @app.post("/daemon/echo")
    def echo(request: Annotated[Echo, Body()]) -> dict[str, str]:
        barrier.wait(timeout=10)  # both requests are inside their handlers now
        return {"tenant": tenant(app), "value": request.value}

    return app


def test_concurrent_requests_on_two_resolvers_keep_their_own_event() -> None:
    barrier = threading.Barrier(2)
    apps = [_app(barrier), _app(barrier)]
    answers: dict[int, Any] = {}

    def run(i: int) -> None:
        event = http_event("POST", "/daemon/echo", body={"value": f"v{i}"}, tenant=f"tenant-{i}")
        answers[i] = apps[i].resolve(event, Context())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    import json

    assert {i: json.loads(a["body"]) for i, a in answers.items()} == {
        0: {"tenant": "tenant-0", "value": "v0"},
        1: {"tenant": "tenant-1", "value": "v1"},
    }
