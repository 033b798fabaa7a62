"""POST /v1/management/self-register-token: a new one-time register token (the old one stops working)."""

from nodeplane.api import handler, http_resolver, problems, tenant
from nodeplane.pool import agents
from nodeplane.pool.models.nodes import SelfRegisterTokenResponse

app = http_resolver()


@app.post(
    "/v1/management/self-register-token",
    summary="Create a self-register token",
    tags=["nodes"],
    responses=problems(400),
)
def generate_self_register_token() -> SelfRegisterTokenResponse:
    return SelfRegisterTokenResponse(register_token=agents.new_register_token(tenant(app)))


lambda_handler = handler(app)
