"""The local runtime runs many warm containers in one process; a request must never read another's event.

Powertools' resolver keeps the event being resolved on a class shared by every router of the process: 20 requests
resolved at once by 20 different apps each read back their own tenant and query, once the runtime has isolated it.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from nodeplane_local.functions import isolate_router_state
from tests.support.lambda_events import http_event


def _resolve_at_once(n: int) -> dict[int, dict[str, Any]]:
    answers: dict[int, dict[str, Any]] = {}
    start = threading.Barrier(n)

    def serve(i: int) -> None:
        app = APIGatewayHttpResolver()  # a container's own app, as each warm container has

        @app.get("/who")
        def who() -> dict[str, Any]:
            time.sleep(0.02)  # the other requests' resolvers run meanwhile
            claims = app.current_event.request_context.authorizer.jwt_claim or {}
            return {"tenant": claims.get("sub"), "i": app.current_event.get_query_string_value("i")}

        event = http_event("GET", "/who", query={"i": str(i)}, tenant=f"tenant-{i}")
        start.wait()
        answers[i] = json.loads(app.resolve(event, None)["body"])

    threads = [threading.Thread(target=serve, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_concurrent_requests_each_read_their_own_event() -> None:
    isolate_router_state()
    isolate_router_state()  # idempotent
    answers = _resolve_at_once(20)
    assert answers == {i: {"tenant": f"tenant-{i}", "i": str(i)} for i in range(20)}
