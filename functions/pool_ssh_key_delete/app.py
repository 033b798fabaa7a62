"""DELETE /v1/management/ssh-key/{ssh_key_id}."""

from nodeplane.api import Id, handler, http_resolver, problems, tenant
from nodeplane.pool import sshkeys

from aws_lambda_powertools.event_handler import Response

app = http_resolver()


@app.delete(
    "/v1/management/ssh-key/<ssh_key_id>",
    summary="Delete an SSH key",
    tags=["ssh-keys"],
    responses={204: {"description": "Deleted"}, **problems(404)},
)
def delete_ssh_key(ssh_key_id: Id) -> Response[None]:
    sshkeys.delete(tenant(app), ssh_key_id)
    return Response(status_code=204, body=None)


lambda_handler = handler(app)
