"""GET /daemon/tasks: the network's tasks (deprecated ones included)."""

from typing import Any

from nodeplane.api import handler, http_resolver, tenant
from nodeplane.network import daemon

app = http_resolver("daemon")


@app.get("/daemon/tasks", summary="List tasks", tags=["daemon"])
def list_tasks() -> list[dict[str, Any]]:
    tenant(app)
    return daemon.tasks()


lambda_handler = handler(app)
