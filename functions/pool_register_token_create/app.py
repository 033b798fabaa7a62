"""POST /v1/management/self-register-token: a new one-time register token (the old one stops working)."""

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.pool import agents
from nodeplane.pool.models.nodes import SelfRegisterTokenResponse

app = http_resolver(invalid=400)


@app.post(
    "/v1/management/self-register-token",
    summary="Create a self-register token",
    tags=["nodes"],
    description=__doc__,
    responses=documented("problem", 200, "A new register token", 400),
)
def generate_self_register_token() -> SelfRegisterTokenResponse:
    return SelfRegisterTokenResponse(register_token=agents.new_register_token(tenant(app)))


lambda_handler = handler(app)
