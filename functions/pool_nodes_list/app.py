"""GET /v1/nodes: all the caller's nodes (filtered by type or provider), or one page of them with ``limit`` and
``cursor``; ``total`` and the ``X-Total-Count`` header count every matching node."""

from typing import Annotated, Literal

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.pool import nodes
from nodeplane.pool.models import NodeType
from nodeplane.pool.models.nodes import NodesListResponse

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

app = http_resolver()


@app.get(
    "/v1/nodes",
    summary="List the nodes of the pool",
    tags=["nodes"],
    description=__doc__,
    responses=documented(
        "problem",
        200,
        "List of nodes in the node pool",
        400,
        422,
        headers={
            "X-Total-Count": "Total number of nodes matching the filters",
            "X-Next-Cursor": "The cursor of the next page (only when one page was asked for and more remain)",
        },
    ),
)
def list_nodes(
    node_type: Annotated[NodeType | None, Query()] = None,
    provider: Annotated[str | None, Query(max_length=32, description="cloud nodes of this provider, e.g. aws")] = None,
    sort_field: Annotated[Literal["CREATED_AT", "HOSTNAME"], Query()] = "CREATED_AT",
    order_by: Annotated[Literal["ASC", "DESC"], Query()] = "ASC",
    limit: Annotated[int | None, Query(ge=1, le=1000, description="one page of this many nodes")] = None,
    cursor: Annotated[str | None, Query(max_length=1024, description="the next page (next_cursor)")] = None,
) -> Response[NodesListResponse]:
    page, total, next_cursor = nodes.list_nodes(
        tenant(app),
        node_type=node_type,
        provider=provider,
        sort_field=sort_field,
        order_by=order_by,
        limit=limit,
        cursor=cursor,
    )
    body = NodesListResponse.model_validate({"nodes": page, "total": total, "next_cursor": next_cursor})
    headers = {"X-Total-Count": str(total)}
    if next_cursor:
        headers["X-Next-Cursor"] = next_cursor
    return Response(status_code=200, content_type="application/json", body=body, headers=headers)


lambda_handler = handler(app)
