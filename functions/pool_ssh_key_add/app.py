"""POST /v1/management/ssh-keys: store an SSH private key (encrypted; never returned)."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.pool import sshkeys
from nodeplane.pool.models.sshkeys import SshKeyCreateRequest, SshKeyCreateResponse

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver()


@app.post(
    "/v1/management/ssh-keys",
    status_code=201,
    summary="Add an SSH key",
    tags=["ssh-keys"],
    description=__doc__,
    responses=documented("problem", 201, "The key was stored", 400, 409, 422),
)
def add_ssh_key(request: Annotated[SshKeyCreateRequest, Body()]) -> SshKeyCreateResponse:
    key_id = sshkeys.add(tenant(app), request.name, request.private_key_b64, request.scope)
    return SshKeyCreateResponse(ssh_key_id=key_id)


lambda_handler = handler(app)
