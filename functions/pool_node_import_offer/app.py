"""POST /v1/node/import/offer/{offer_id}: add cloud nodes from an offer (no VM starts yet)."""

from typing import Annotated

from nodeplane.api import Id, handler, http_resolver, problems, tenant
from nodeplane.pool import nodes
from nodeplane.pool.models.nodes import NodeImportResponse

from aws_lambda_powertools.event_handler.openapi.params import Query

app = http_resolver()


@app.post(
    "/v1/node/import/offer/<offer_id>",
    status_code=201,
    summary="Import nodes from an offer",
    tags=["nodes"],
    responses=problems(400, 404, 409, 422),
)
def import_node_from_offer(
    offer_id: Id,
    hostname: Annotated[str | None, Query(max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-_]*$")] = None,
    amount: Annotated[int, Query(ge=1, le=nodes.MAX_IMPORT_AMOUNT)] = 1,
) -> NodeImportResponse:
    ids = nodes.import_from_offer(tenant(app), offer_id, hostname or None, amount)
    return NodeImportResponse(node_ids=ids, total=len(ids))


lambda_handler = handler(app)
