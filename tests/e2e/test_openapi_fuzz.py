"""schemathesis over the local runtime's merged /openapi.json: every operation of /v1, /proxy and /daemon, with a
token of the local issuer, answers no 5xx and only responses its document describes.

Fixed seed, a bounded number of examples per operation (EXAMPLES), valid and invalid inputs alike. A 5xx counts
as an answer only where the operation documents it (503 from the proxy: no node can serve the model now).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support.runtime import LocalRuntime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]  # one worker, one shared runtime

EXAMPLES = 12
SEED = 17
TENANT = "fuzz"


@pytest.fixture(scope="session")
def api_schema(runtime: LocalRuntime) -> schemathesis.BaseSchema:
    loaded = schemathesis.openapi.from_url(f"{runtime.base_url}/openapi.json")
    loaded.config.generation.update(modes=["positive", "negative"], max_examples=EXAMPLES, deterministic=True)
    return loaded


@pytest.fixture(scope="session")
def bearer(runtime: LocalRuntime) -> dict[str, str]:
    return {"Authorization": f"Bearer {runtime.token(TENANT)}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_what_its_document_says(case: schemathesis.Case, bearer: dict[str, str]) -> None:
    documented = {str(status) for status in case.operation.definition.raw.get("responses", {})}
    response = case.call(headers=bearer, timeout=60)
    checks = [response_schema_conformance]
    if not (response.status_code >= 500 and str(response.status_code) in documented):
        checks.append(not_a_server_error)
    case.validate_response(response, checks=checks)
