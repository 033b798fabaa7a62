"""GET and POST /daemon/registration_policy: whether the operator's nodes must sign a ``timestamp`` in every
address registration (then a registration without one, such as a replay of an old one, is refused)."""

from typing import Annotated

from nodeplane.api import documented, handler, http_resolver, tenant
from nodeplane.network import operators, registration
from nodeplane.network.models.daemon import RegistrationPolicy

from aws_lambda_powertools.event_handler.openapi.params import Body

app = http_resolver("daemon")


@app.get(
    "/daemon/registration_policy",
    summary="The registration policy of my nodes",
    tags=["daemon"],
    description=__doc__,
    responses=documented("daemon", 200, "The policy", 403),
)
def get_policy() -> RegistrationPolicy:
    return RegistrationPolicy.model_validate(registration.policy(operators.address_of(tenant(app))))


@app.post(
    "/daemon/registration_policy",
    summary="Require signed timestamps in my nodes' registrations",
    tags=["daemon"],
    description=__doc__,
    responses=documented("daemon", 200, "The policy now in force", 403, 422),
)
def set_policy(request: Annotated[RegistrationPolicy, Body()]) -> RegistrationPolicy:
    address = operators.address_of(tenant(app))
    return RegistrationPolicy.model_validate(registration.set_policy(address, request.require_timestamp))


lambda_handler = handler(app)
