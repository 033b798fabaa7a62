"""The development harness the tests and the benches share (never imported by the layer, nor deployed).

One module for each kind of thing; the names below are re-exported here:

- ``lambda_events``: the events Lambda delivers (HTTP API 2.0, SQS, EventBridge schedules) and in-process
  invocation through the local runtime's warm containers (``http_event``, ``invoke``, ``load_function``, …).
- ``aws``: the template's tables, queues and key on a test engine, by the runtime's own ``provision()``.
- ``chain``: a local ledger on DynamoDB Local and wallets that sign through the chain-access port.
- ``network``: the inference network's chain events and market, operators, stacks, lock requests.
- ``fakes``: ``FakeChain``, a ChainOps that keeps the ``atoma::db`` contract's rules.
- ``sshd``: a real OpenSSH server on 127.0.0.1.
- ``sui_rpc``: the Sui GraphQL stand-in over a local ledger, every function pointed at it (import it from its
  module: it loads the GraphQL server, so it is not re-exported here).
"""

from __future__ import annotations

from nodeplane_local.harness.aws import create_tables, environment, template
from nodeplane_local.harness.chain import CLOCK_MS, Wallets, create_ledger_table, ddb_client, new_ledger
from nodeplane_local.harness.fakes import FakeChain
from nodeplane_local.harness.lambda_events import (
    QUEUE_ARN,
    Context,
    Reply,
    container,
    drain,
    http_event,
    invoke,
    load_function,
    received_event,
    schedule_event,
    sqs_event,
    sqs_message,
)
from nodeplane_local.harness.network import chain_event, hold_operator_key, inner, register_operator
from nodeplane_local.harness.sshd import SshdMissing, SshServer, new_client_key

__all__ = [
    "CLOCK_MS",
    "QUEUE_ARN",
    "Context",
    "FakeChain",
    "Reply",
    "SshServer",
    "SshdMissing",
    "Wallets",
    "chain_event",
    "container",
    "create_ledger_table",
    "create_tables",
    "ddb_client",
    "drain",
    "environment",
    "hold_operator_key",
    "http_event",
    "inner",
    "invoke",
    "load_function",
    "new_client_key",
    "new_ledger",
    "received_event",
    "register_operator",
    "schedule_event",
    "sqs_event",
    "sqs_message",
    "template",
]
