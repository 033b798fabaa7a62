"""Node operators' Sui keys: imported once, stored envelope-encrypted, never returned (items ``OPERATOR#``,
``OPKEY#`` and ``CHAINKEY#`` in items.py); and who operates which network node.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from nodeplane import clock, store
from nodeplane.errors import BadRequest, Conflict, Forbidden, NotFound
from nodeplane.network import items
from nodeplane.security import kms
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed

if TYPE_CHECKING:
    from nodeplane.chain.keys import Keypair


def _context(address: str) -> dict[str, str]:
    return {"purpose": "sui-key", "address": address}


def import_key(tenant: str, keystore: str) -> str:
    """Store an operator's key (Sui keystore base64 or suiprivkey1…); returns its Sui address."""
    from nodeplane.chain.keys import Keypair
    from nodeplane.chain.signers import seal_keystore

    try:
        pair = Keypair.from_keystore(keystore.strip())
    except Exception as exc:
        raise BadRequest("keystore is not a Sui private key (base64 flag||key or suiprivkey1…)") from exc
    address = pair.address
    sealed = seal_keystore(kms(), settings().kms_key_id, pair.to_keystore(), _context(address))
    try:
        store.transact(
            [
                store.put(
                    {
                        "pk": items.operator_key_pk(address),
                        "sk": "KEY",
                        "tenant": tenant,
                        "scheme": pair.flag,
                        "sealed": sealed,
                        "created_at": clock.iso(),
                    },
                    condition="attribute_not_exists(pk) OR tenant = :t",
                    values={":t": tenant},
                    label="key",
                ),
                store.put({"pk": items.operator_pk(tenant), "sk": "SUI", "sui_address": address}),
            ]
        )
    except TransactionFailed as exc:
        raise Conflict("this key is registered by another operator") from exc
    return address


def address_of(tenant: str) -> str:
    item = store.get(items.operator_pk(tenant), "SUI")
    if not item:
        raise Forbidden("import your operator key first (POST /daemon/keys)")
    return str(item["sui_address"])


def operator_address(tenant: str) -> str | None:
    """The Sui address whose key ``tenant`` imported, lower-case; None before any import."""
    item = store.get(items.operator_pk(tenant), "SUI")
    return str(item["sui_address"]).lower() if item and item.get("sui_address") else None


# (table, address) -> the operator's sealed key item: imported keys are never deleted (a re-import by the same
# operator seals the same key again), so once seen it is kept per container; an absent key is always read again
_sealed: dict[tuple[str, str], dict[str, Any]] = {}


def _key_item(address: str) -> dict[str, Any] | None:
    key = (settings().table_name, address.lower())
    if key not in _sealed:
        item = store.get(items.operator_key_pk(address.lower()), "KEY")
        if item is None:
            return None
        _sealed[key] = item
    return _sealed[key]


def holds_operator_key(address: str) -> bool:
    """Whether nodeplane can sign for ``address``."""
    return _key_item(address) is not None


_node_addresses: dict[tuple[str, int], str] = {}


def node_address(node_small_id: int) -> str:
    """The node's Sui address; immutable once registered (the registration's sender), so cached per container."""
    key = (settings().table_name, node_small_id)
    if key not in _node_addresses:
        node = store.get(items.node_pk(node_small_id), "NODE")
        if not node or not node.get("sui_address"):
            return ""
        _node_addresses[key] = str(node["sui_address"]).lower()
    return _node_addresses[key]


def operator_node_ids(address: str) -> list[int]:
    """The network nodes ``address`` registered, in id order."""
    return [int(i["node_small_id"]) for i in operator_nodes(address)]


def operator_nodes(address: str) -> list[dict[str, Any]]:
    """The network node items ``address`` registered (small id, badge id, ...), in id order."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        rows, cursor = store.query(
            "gsi2pk", items.operator_nodes_pk(address), sk_name="gsi2sk", index="gsi2", limit=100, cursor=cursor
        )
        found.extend(rows)
        if not cursor:
            return found


def check_owned(address: str | None, node_small_id: int) -> None:
    """404 unless ``address`` registered the node (as :func:`owned_node`, from the per-container address cache)."""
    if not address or node_address(node_small_id) != address.lower():
        raise NotFound(f"node {node_small_id} is not one of this operator's nodes")


def owned_node(address: str | None, node_small_id: int) -> dict[str, Any]:
    """The network node, if ``address`` registered it (404 otherwise: other operators' nodes are not shown)."""
    node = store.get(items.node_pk(node_small_id), "NODE")
    if not node or not address or str(node.get("sui_address", "")).lower() != address:
        raise NotFound(f"node {node_small_id} is not one of this operator's nodes")
    return node


def keypair(address: str) -> Keypair:
    """The operator's key, decrypted for one signature."""
    from nodeplane.chain.keys import Keypair
    from nodeplane.chain.signers import open_keystore

    item = _key_item(address)
    if not item:
        raise Forbidden(f"nodeplane holds no key for {address}")
    return Keypair.from_keystore(open_keystore(kms(), item["sealed"], _context(address.lower())))


def wallet(purpose: str) -> Keypair:
    """A key nodeplane itself signs with (the local ledger's admin, the stack-purchasing wallet)."""
    from nodeplane.chain.keys import Keypair
    from nodeplane.chain.signers import open_keystore, seal_keystore

    item = store.get(items.chain_key_pk(purpose), "KEY")
    if item is None:
        pair = Keypair.generate("ed25519")
        sealed = seal_keystore(kms(), settings().kms_key_id, pair.to_keystore(), _context(pair.address))
        with contextlib.suppress(TransactionFailed):  # another container created it first: use that one
            store.transact(
                [
                    store.put(
                        {"pk": items.chain_key_pk(purpose), "sk": "KEY", "address": pair.address, "sealed": sealed},
                        condition="attribute_not_exists(pk)",
                    )
                ]
            )
        item = store.get(items.chain_key_pk(purpose), "KEY")
    assert item is not None
    return Keypair.from_keystore(open_keystore(kms(), item["sealed"], _context(item["address"])))
