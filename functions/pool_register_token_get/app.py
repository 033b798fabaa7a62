"""GET /v1/management/self-register-token: the current one-time register token."""

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.pool import agents
from nodeplane.pool.models.nodes import SelfRegisterTokenResponse

app = http_resolver()


@app.get(
    "/v1/management/self-register-token",
    summary="Get the self-register token",
    tags=["nodes"],
    description=__doc__,
    responses=documented("problem", 200, "The current register token", 404),
)
def get_self_register_token() -> SelfRegisterTokenResponse:
    return SelfRegisterTokenResponse(register_token=agents.current_register_token(tenant(app)))


lambda_handler = handler(app)
