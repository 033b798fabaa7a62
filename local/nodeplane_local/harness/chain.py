"""A local ledger on DynamoDB Local, and wallets that build and sign atoma::db transactions through the port."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from nodeplane.chain.access import ChainAccess, ExecutedTransaction, ObjectRef, shared_object
from nodeplane.chain.contract import SUI_COIN_TYPE
from nodeplane.chain.keys import Keypair
from nodeplane.chain.ledger import LocalLedger
from nodeplane.chain.transactions import CallSpec, build_atoma_transaction
from nodeplane_local import provision
from nodeplane_local.harness.aws import template

CLOCK_MS = 1_700_000_000_000


def ddb_client(endpoint: str, **kwargs: Any) -> Any:
    """The runtime's DynamoDB client for ``endpoint``; ``kwargs`` (e.g. a botocore ``config``) make a tuned one."""
    return provision.client("dynamodb", endpoint, **kwargs)


def create_ledger_table(client: Any, name: str | None = None) -> str:
    """The template's LedgerTable under ``name`` (a fresh one by default)."""
    name = name or f"ledger-{uuid.uuid4().hex[:8]}"
    provision.create_table(client, template(), "LedgerTable", name)
    return name


def new_ledger(client: Any, admin: Keypair, **kwargs: Any) -> LocalLedger:
    ledger = LocalLedger(client, create_ledger_table(client), admin_address=admin.address, **kwargs)
    ledger.genesis()
    return ledger


@dataclass
class Wallets:
    """Builds and signs atoma::db transactions with nothing but the chain-access port."""

    chain: ChainAccess
    package: str
    db_id: str

    def gas(self, kp: Keypair) -> ObjectRef:
        coins = self.chain.owned_objects(kp.address, SUI_COIN_TYPE)
        return max(coins, key=lambda c: c.balance or 0).ref

    def build(self, kp: Keypair, function: str, pure: Any = (), objects: Any = (), **gas: Any) -> bytes:
        return build_atoma_transaction(
            package=self.package,
            atoma_db=shared_object(self.chain, self.db_id),
            sender=kp.address,
            calls=[CallSpec(function, list(pure), list(objects))],
            gas_payment=[gas.pop("gas_payment", None) or self.gas(kp)],
            gas_price=gas.pop("gas_price", None) or self.chain.epoch().reference_gas_price,
            random_initial_shared_version=shared_object(self.chain, "0x8", mutable=False).initial_shared_version,
            **gas,
        )

    def send(self, kp: Keypair, function: str, pure: Any = (), objects: Any = ()) -> ExecutedTransaction:
        tx = self.build(kp, function, pure, objects)
        return self.chain.execute(tx, [kp.sign_transaction(tx)])
