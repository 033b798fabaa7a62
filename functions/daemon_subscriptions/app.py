"""GET /daemon/subscriptions: the task subscriptions of the operator's nodes (?node_small_id= for one)."""

from typing import Annotated, Any

from nodeplane.api import handler, http_resolver, tenant
from nodeplane.api.params import U64_MAX
from nodeplane.network import daemon

from aws_lambda_powertools.event_handler.openapi.params import Query

app = http_resolver("daemon")


@app.get("/daemon/subscriptions", summary="List subscriptions", tags=["daemon"])
def list_subscriptions(node_small_id: Annotated[int | None, Query(ge=1, le=U64_MAX)] = None) -> list[dict[str, Any]]:
    return daemon.subscriptions(tenant(app), node_small_id)


lambda_handler = handler(app)
