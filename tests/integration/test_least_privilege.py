"""Least privilege, checked both ways: each function's IAM policies in template.yaml grant exactly the AWS actions
it calls, on exactly the resources it calls them on.

The calls are recorded while every function runs on bench/world.py's state (the cold-start bench's calls): HTTP
functions on their sample event under events/, queue workers on a job the world holds, schedules on a Scheduled
Event. A call the template does not grant fails (the function would get AccessDenied in AWS); a grant no recorded
call uses fails too (it is broader than needed). Calls a sample cannot reach (another branch of the same handler)
are listed in UNSAMPLED with the reason, and count as made.

A new function: give it a sample event (scripts/make_events.py), or an entry in EVENTS below, then grant what the
failure message lists, as explicit statements (no SAM policy templates: DynamoDBCrudPolicy grants Scan, BatchWrite
and more that no handler calls).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient

from nodeplane_local.harness.aws import template
from nodeplane_local.harness.lambda_events import invoke, schedule_event, sqs_event

ROOT = Path(__file__).parents[2]

# (action, logical resource): what a function may do; a DynamoDB index is "<Table>/index"
Grant = tuple[str, str]

_FIRST_SEAL = "a fresh deployment's first chain call seals nodeplane's own wallet keys (ledger admin, purchaser)"
_CHAIN = ("kms:GenerateDataKey", "SecretsKey")
_CATALOGUE = "on a brand-new table the first offers read loads the bundled catalogue (offers.ensure_loaded)"
_SEED = "a wallet's first transaction records the coins and badges it holds (owned.seed: the ledger's owner index)"
_OWNED = ("dynamodb:Query", "LedgerTable")
_GONE = "a record of an object the chain no longer shows in the wallet is dropped (owned.revalidate)"
_DROP = ("dynamodb:DeleteItem", "NodeplaneTable")
_RELEASE = "a transaction's leases are taken and given back (owned.lease, owned.release)"
_WALLET = "a container's first transaction of a wallet reads its records; later ones use what it remembers (owned.read)"

# Calls a function makes on a path its recorded run does not take: function -> {grant: why}
UNSAMPLED: dict[str, dict[Grant, str]] = {
    **{
        fn: {
            _CHAIN: _FIRST_SEAL,
            _OWNED: _SEED,
            _DROP: _GONE,
            ("dynamodb:UpdateItem", "NodeplaneTable"): _RELEASE,
            ("dynamodb:Query", "NodeplaneTable"): _WALLET,
        }
        for fn in (
            "daemon_attestations",
            "daemon_claim_funds",
            "daemon_claim_stacks",
            "daemon_node_public_key",
            "daemon_node_register",
            "daemon_task_subscribe",
            "daemon_task_unsubscribe",
            "daemon_task_update_subscription",
            "proxy_lock",
            "proxy_public_key",
            "queue_settlement_worker",
        )
    },
    "pool_offers_list": {("dynamodb:PutItem", "NodeplaneTable"): _CATALOGUE},
    "pool_offers_metadata": {("dynamodb:PutItem", "NodeplaneTable"): _CATALOGUE},
    "pool_node_patch": {("dynamodb:DeleteItem", "NodeplaneTable"): "a rotation deletes the node's previous token"},
    "pool_nodes_list": {("dynamodb:GetItem", "NodeplaneTable"): "one page (limit or cursor) reads the counters"},
    "queue_discovery_worker": {("sqs:SendMessage", "DiscoveryQueue"): "a transient failure re-enqueues with a delay"},
    "schedule_discovery_sweeper": {
        ("dynamodb:UpdateItem", "NodeplaneTable"): "fails nodes past their discovery deadline, marks requeued ones",
        ("sqs:SendMessage", "DiscoveryQueue"): "re-enqueues discovery jobs whose message was lost",
    },
    "schedule_locks_sweeper": {
        ("dynamodb:GetItem", "NodeplaneTable"): "reads the stack of an expired lock",
        ("dynamodb:UpdateItem", "NodeplaneTable"): "releases the units of expired locks",
    },
    "schedule_settlement_sweeper": {
        ("dynamodb:UpdateItem", "NodeplaneTable"): "marks stalled settlements requeued, fails those past deadline",
        ("sqs:SendMessage", "SettlementQueue"): "re-enqueues stalled settlements",
    },
    "schedule_purchase_sweeper": {_DROP: _GONE},
    "schedule_coin_pool": {
        _CHAIN: _FIRST_SEAL,
        ("dynamodb:DeleteItem", "NodeplaneTable"): "a merge drops the records of the coins it consumed",
    },
    "schedule_chain_events_poller": {
        _CHAIN: _FIRST_SEAL,
        ("sqs:SendMessage", "SettlementQueue"): "an event that moves a settlement enqueues its next step",
    },
}


def _pending_node(world: Any) -> dict[str, Any]:
    """The sample self-managed node waiting for discovery at a closed local port: an attempt that will retry."""
    from nodeplane import clock, store
    from nodeplane.pool import items
    from nodeplane.queue import discovery_job
    from nodeplane_local.samples import NODE_SELF_MANAGED, TENANT

    store.transact(
        [
            store.update(
                items.tenant_pk(TENANT),
                items.node_sk(NODE_SELF_MANAGED),
                "SET node_status = :s, endpoint = :e, discovery_deadline = :d",
                values={":s": "PENDING", ":e": "127.0.0.1:1", ":d": int(clock.now()) + 600},
            )
        ]
    )
    return sqs_event([discovery_job(TENANT, NODE_SELF_MANAGED)])


def _settlement_job(world: Any) -> dict[str, Any]:
    from nodeplane_local.samples import STACK_CLAIMED

    return sqs_event([{"kind": "settle", "stack_small_id": STACK_CLAIMED}])


class _Killed(BaseException):
    """The purchasing request dies between recording its digest and sending the transaction."""


def _stale_purchases(world: Any) -> dict[str, Any]:
    """Two purchases whose requests died, past their leases: one after the chain bought its stack (the sweeper adopts
    it), one before its transaction was sent (the sweeper fences the digest and refunds it)."""
    import contextlib

    from nodeplane import clock
    from nodeplane.network import chainops
    from nodeplane.network.purchases import intents, saga
    from nodeplane.settings import settings
    from nodeplane_local import samples

    for request, dies in (("bought", False), ("never-sent", True)):
        order = intents.Order(samples.TENANT, 1, samples.PRICE, 1_000_000, samples.PRICE, request, 1)
        saga.begin(order)

        def record(digest: str, order: intents.Order = order, dies: bool = dies) -> None:
            saga.transact(
                [
                    intents.to_buying(order.user, order.intent_id, digest, None),
                    intents.claim_digest(digest, order.intent_id),
                ]
            )
            if dies:
                raise _Killed

        with contextlib.suppress(_Killed):
            outcome = chainops.ops().buy_stack(
                task_small_id=1,
                num_compute_units=1_000_000,
                price_cap=samples.PRICE,
                purchase_id=order.intent_id,
                before_submit=record,
            )
            assert outcome.ok, outcome.error
    clock.advance(settings().purchase_lease_seconds + 1)
    world._fresh_chain()  # the sweeper's container builds its own chain client
    return schedule_event()


# Functions without a sample under events/: the event they run on, after the world is set up for it
EVENTS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "queue_discovery_worker": _pending_node,
    "queue_settlement_worker": _settlement_job,
    "schedule_chain_events_poller": lambda world: schedule_event(),
    "schedule_coin_pool": lambda world: schedule_event(),
    "schedule_discovery_sweeper": lambda world: schedule_event(),
    "schedule_locks_sweeper": lambda world: schedule_event(),
    "schedule_purchase_sweeper": _stale_purchases,
    "schedule_offers_refresh": lambda world: schedule_event(),
    "schedule_settlement_sweeper": lambda world: schedule_event(),
}


class Recorder:
    """Every botocore call made while ``active`` names a function, as (service, operation, parameters)."""

    def __init__(self) -> None:
        self.calls: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
        self.active: str | None = None

    @contextmanager
    def recording(self, function: str) -> Iterator[None]:
        self.active = function
        self.calls.setdefault(function, [])
        try:
            yield
        finally:
            self.active = None


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()
    original = BaseClient._make_api_call

    def recording(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if rec.active is not None:
            rec.calls[rec.active].append((client.meta.service_model.service_name, operation, params))
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return rec


def _resources() -> dict[str, str]:
    """Physical name or URL or key id -> logical id, for the resources the functions' environment names."""
    by_variable = {
        "TABLE_NAME": "NodeplaneTable",
        "IDEMPOTENCY_TABLE_NAME": "IdempotencyTable",
        "LEDGER_TABLE_NAME": "LedgerTable",
        "DISCOVERY_QUEUE_URL": "DiscoveryQueue",
        "SETTLEMENT_QUEUE_URL": "SettlementQueue",
        "KMS_KEY_ID": "SecretsKey",
    }
    return {os.environ[var]: logical for var, logical in by_variable.items() if os.environ.get(var)}


def grants_of_call(service: str, operation: str, params: dict[str, Any], names: dict[str, str]) -> set[Grant]:
    """The IAM permissions one API call needs (a transaction needs each of its item actions)."""
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            kinds = {
                "Put": "PutItem",
                "Update": "UpdateItem",
                "Delete": "DeleteItem",
                "ConditionCheck": "ConditionCheckItem",
            }
            return {
                (f"dynamodb:{kinds[kind]}", names[body["TableName"]])
                for item in params["TransactItems"]
                for kind, body in item.items()
            }
        if operation == "TransactGetItems":
            return {("dynamodb:GetItem", names[item["Get"]["TableName"]]) for item in params["TransactItems"]}
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return {(f"dynamodb:{operation}", names[table]) for table in params["RequestItems"]}
        resource = names[params["TableName"]] + ("/index" if params.get("IndexName") else "")
        return {(f"dynamodb:{operation}", resource)}
    if service == "sqs":
        action = "SendMessage" if operation == "SendMessageBatch" else operation
        return {(f"sqs:{action}", names[params["QueueUrl"]])}
    if service == "kms":
        return {(f"kms:{operation}", names.get(params.get("KeyId", ""), "SecretsKey"))}
    return {(f"{service}:{operation}", "*")}


def _statement_resource(resource: Any) -> str:
    if isinstance(resource, dict) and "Fn::GetAtt" in resource and resource["Fn::GetAtt"][1] == "Arn":
        return str(resource["Fn::GetAtt"][0])
    if isinstance(resource, dict) and isinstance(resource.get("Fn::Sub"), str):
        logical, _, rest = resource["Fn::Sub"].removeprefix("${").partition(".Arn}")
        if rest == "/index/*":
            return f"{logical}/index"
    raise AssertionError(f"write resources as !GetAtt <Logical>.Arn or !Sub ${{<Table>.Arn}}/index/*, not {resource}")


def template_grants() -> dict[str, set[Grant]]:
    """functions/<name> -> what its Policies in template.yaml grant."""
    raw = template().raw["Resources"]
    out: dict[str, set[Grant]] = {}
    for logical, spec in template().functions.items():
        granted: set[Grant] = set()
        for policy in raw[logical]["Properties"].get("Policies") or []:
            assert isinstance(policy, dict) and set(policy) == {"Statement"}, (
                f"{logical}: {policy} is a SAM policy template or a managed policy; write the actions it needs as "
                "an explicit Statement (the templates grant Scan, BatchWriteItem and more that no handler calls)"
            )
            for statement in policy["Statement"]:
                assert statement.get("Effect") == "Allow" and "Condition" not in statement, (logical, statement)
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                resources = (
                    statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                )
                for action in actions:
                    assert "*" not in action, f"{logical}: {action} is a wildcard action"
                    granted |= {(action, _statement_resource(r)) for r in resources}
        out[spec.code_uri.name] = granted
    return out


def run_everything(world: Any, recorder: Recorder) -> dict[str, set[Grant]]:
    """What each function called on its recorded run, as the permissions those calls need."""
    from nodeplane_local.harness.lambda_events import Context, container

    names = _resources()
    base = world.Snapshot()
    functions = sorted(template_grants())
    samples = {p.parent.name: p for p in (ROOT / "events").glob("*/request.json")}
    for name in functions:
        assert name in samples or name in EVENTS, (
            f"functions/{name} has no sample under events/ and no entry in EVENTS: give it one so its AWS calls are "
            "recorded"
        )
        if name in samples:
            world.prepare(name, base)
            with recorder.recording(name):
                reply = invoke(name, json.loads(samples[name].read_text()))
            assert 200 <= reply.status < 300, (name, reply.body)
            continue
        base.restore()
        world._fresh_chain()
        event = EVENTS[name](world)
        with recorder.recording(name), container(name) as module:
            result = module.lambda_handler(event, Context(aws_request_id="least-privilege"))
        assert not (result or {}).get("batchItemFailures"), (name, result)
    return {fn: {g for call in recorder.calls.get(fn, []) for g in grants_of_call(*call, names)} for fn in functions}


def test_every_function_is_granted_exactly_what_it_calls(world, recorder: Recorder) -> None:
    granted = template_grants()
    used = run_everything(world, recorder)
    problems = []
    for fn in sorted(granted):
        needed = used[fn] | set(UNSAMPLED.get(fn, {}))
        missing = sorted(needed - granted[fn])
        unused = sorted(granted[fn] - needed)
        if missing:
            problems.append(
                f"functions/{fn}: calls without a grant (AccessDenied in AWS); add to its Policies: {missing}"
            )
        if unused:
            problems.append(
                f"functions/{fn}: grants no recorded call uses; remove them (or list the branch that "
                f"needs them in UNSAMPLED): {unused}"
            )
    assert not problems, "\n".join(problems)
    assert not any("IdempotencyTable" in r for grants in granted.values() for _, r in grants)  # no function uses it
