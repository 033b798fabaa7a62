"""GET /daemon/claimed_stacks: the settlement tickets of all the operator's nodes (seed 004 fields)."""

from pydantic import BaseModel

from nodeplane.api import handler, http_resolver, tenant
from nodeplane.network import settlement

app = http_resolver("daemon")


class ClaimedStack(BaseModel):
    stack_small_id: int
    stack_id: str
    selected_node_id: int
    num_claimed_compute_units: int
    settlement_time: str
    attestation_status: str
    requested_attestation_nodes: str
    received_attestations: int
    required_attestations: int
    settlement_complete: bool


@app.get("/daemon/claimed_stacks", summary="Claimed stacks of all my nodes", tags=["daemon"])
def claimed_stacks() -> list[ClaimedStack]:
    return [ClaimedStack.model_validate(s) for s in settlement.claimed_stacks(tenant(app))]


lambda_handler = handler(app)
