"""The template's tables, queues and KMS key on a test engine (moto or DynamoDB Local), created by the local
runtime's own provisioning under a prefix of their own, so tests sharing an engine never meet."""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Any

from nodeplane_local import provision
from nodeplane_local.engines import REPO_ROOT
from nodeplane_local.template import Template, parse_template, physical_ids

# the dead-letter queues are no function's variable: tests read them to see what was given up on
_DLQ_VARIABLES = {"DISCOVERY_DLQ_URL": "DiscoveryDlq", "SETTLEMENT_DLQ_URL": "SettlementDlq"}


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


@lru_cache(maxsize=1)
def template() -> Template:
    """The checkout's template.yaml, parsed once."""
    return parse_template(REPO_ROOT / "template.yaml")


def create_tables(ddb: Any, prefix: str | None = None) -> dict[str, str]:
    """Only the tables (for benches that fill a table of their own); returns logical id -> table name."""
    physical = physical_ids(template(), ddb.meta.endpoint_url, {}, prefix or _prefix())
    provision.create_tables(ddb, template(), physical)
    return {logical: physical[logical].ref for logical in template().tables}


def environment(ddb: Any, sqs: Any, kms: Any) -> dict[str, str]:
    """Resources for one test run and the variables that name them, as the template gives them to every function."""
    physical = provision.provision(template(), ddb=ddb, sqs=sqs, kms=kms, prefix=_prefix())
    env = {}
    for fn in template().functions.values():
        for name, value in fn.environment.items():
            if isinstance(value, dict) and value.get("Ref") in physical:
                env[name] = physical[value["Ref"]].ref
    return env | {name: physical[logical].ref for name, logical in _DLQ_VARIABLES.items()}
