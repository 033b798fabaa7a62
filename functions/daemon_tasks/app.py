"""GET /daemon/tasks: every task of the network (deprecated ones included), as the node daemon lists them."""

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network import daemon
from nodeplane.network.models.daemon import Task

app = http_resolver("daemon")


@app.get(
    "/daemon/tasks",
    summary="List tasks",
    tags=["daemon"],
    description=__doc__,
    responses=documented("daemon", 200, "The tasks"),
)
def list_tasks() -> list[Task]:
    tenant(app)
    return [Task.model_validate(t) for t in daemon.tasks()]


lambda_handler = handler(app)
