"""GET /v1/management/ssh-keys: the caller's SSH keys (names only)."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.pool import sshkeys
from nodeplane.pool.models.sshkeys import SshKeysListResponse

from aws_lambda_powertools.event_handler.openapi.params import Query

app = http_resolver()


@app.get(
    "/v1/management/ssh-keys",
    summary="List SSH keys",
    tags=["ssh-keys"],
    description=__doc__,
    responses=documented("problem", 200, "The caller's SSH keys", 400, 422),
)
def list_ssh_keys(
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> SshKeysListResponse:
    keys, _ = sshkeys.list_keys(tenant(app), limit, cursor)
    return SshKeysListResponse.model_validate({"ssh_keys": keys, "total": len(keys)})


lambda_handler = handler(app)
