"""`nodeplane-local seed`: a small demo world on which every sample under events/ succeeds, built through
nodeplane's own code (the local ledger included), for tenant alice and the ids of samples.py.

- the pool: the cheapest offer again as OFFER, an SSH key, a self-registration token, three nodes (NODE available,
  NODE_IN_CLUSTER in CLUSTER, NODE_SELF_MANAGED whose discovery failed) and the cluster;
- the network: alice's operator key (the one that signed the samples), her nodes 1 and 2 subscribed to task 1
  (confidential, node 1 with an encryption key) and task 2 (sampling consensus; node 2 dearer, so it is the
  attester the ledger samples), task 3 that no node serves, a credited balance, and stacks 1-3 of task 2 on node 1:
  1 with usage, 2 claimed, 3 settled.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import os
from typing import Any

from nodeplane_local import samples as s


def _admin(command: str, **kwargs: Any) -> None:
    """Run a `nodeplane-local admin` command in-process (its JSON answer is not needed)."""
    from nodeplane_local import admin as registry

    with contextlib.redirect_stdout(io.StringIO()):
        code = registry.commands()[command].run(None, argparse.Namespace(**kwargs))
    if code:
        raise RuntimeError(f"admin {command} {kwargs} failed")


def _node(node_id: str, hostname: str, *, node_type: str = "CLOUD", status: str = "AVAILABLE", **fields: Any) -> Any:
    from nodeplane.pool import nodes

    cloud = {"price_per_hour": 1.0, "provider": "aws", "region": "us-east-1", "instance_type": "g5.xlarge"}
    return nodes.node_item(
        s.TENANT, node_id, hostname, node_type=node_type, status=status, created=s.CREATED, **(cloud | fields)
    )


def pool() -> None:
    from nodeplane import store
    from nodeplane.pool import clusters, items, offers, sshkeys
    from nodeplane.pool.agents import _hash, _register_context
    from nodeplane.security import envelope, kms
    from nodeplane.settings import settings

    offers.refresh()
    # the cheapest offer, again as OFFER
    sample_offer = store.query("gsi1pk", items.OFFERS, sk_name="gsi1sk", index="gsi1", limit=1)[0][0]
    sample_offer |= {"pk": items.offer_pk(s.OFFER), "id": s.OFFER, "gsi1sk": sample_offer["gsi1sk"] + "-sample"}
    sealed = envelope.seal(
        kms(), settings().kms_key_id, sshkeys.decode_private_key(s.SAMPLE_KEY_B64), sshkeys._context(s.TENANT, s.KEY)
    )
    token_expires = 4_000_000_000
    sealed_token = envelope.seal(kms(), settings().kms_key_id, s.REGISTER_TOKEN.encode(), _register_context(s.TENANT))
    tenant_pk = items.tenant_pk(s.TENANT)
    store.transact(
        [
            store.put(sample_offer),
            store.put(
                {
                    "pk": tenant_pk,
                    "sk": items.sshkey_sk(s.KEY),
                    "entity": "ssh_key",
                    "id": s.KEY,
                    "name": "sample",
                    "scope": "private",
                    "sealed": sealed,
                    "created_at": s.CREATED,
                }
            ),
            store.put({"pk": tenant_pk, "sk": items.sshkey_name_claim_sk("sample"), "ssh_key_id": s.KEY}),
            store.put(
                {
                    "pk": tenant_pk,
                    "sk": items.REGISTER_TOKEN,
                    "token_hash": _hash(s.REGISTER_TOKEN),
                    "sealed": sealed_token,
                    "expires_at": token_expires,
                    "ttl": token_expires,
                }
            ),
            store.put(
                {
                    "pk": items.register_token_pk(_hash(s.REGISTER_TOKEN)),
                    "sk": items.REGISTER_TOKEN,
                    "tenant": s.TENANT,
                    "expires_at": token_expires,
                }
            ),
            store.put(_node(s.NODE, "sample")),
            store.put(_node(s.NODE_IN_CLUSTER, "sample-2")),
            store.put(
                _node(
                    s.NODE_SELF_MANAGED,
                    "sample-box",
                    node_type="SELF_MANAGED",
                    status="FAILED",
                    endpoint="203.0.113.5:22",
                    username="ubuntu",
                    ssh_key_id=s.KEY,
                )
            ),
            store.put(
                {
                    "pk": tenant_pk,
                    "sk": items.cluster_sk(s.CLUSTER),
                    "entity": "cluster",
                    "id": s.CLUSTER,
                    "tenant": s.TENANT,
                    "name": "train",
                    "cluster_status": "PENDING",
                    "created_at": s.CREATED,
                    "nodes": {},
                    "version": 0,
                    "gsi1pk": items.clusters_index_pk(s.TENANT),
                    "gsi1sk": items.created_sk(s.CREATED, s.CLUSTER),
                }
            ),
        ]
    )
    clusters.add_nodes(s.TENANT, s.CLUSTER, [(s.NODE_IN_CLUSTER, "WORKER")])


def _usage(stack: int, request_id: str) -> None:
    from nodeplane.network import usage

    digest = usage.usage_digest(stack, 1, 512, None, request_id)
    usage.report_usage(stack, 1, 512, None, request_id, s.SAMPLE_NODE_KEY.sign_hashed(digest))


def network() -> None:
    from nodeplane import store
    from nodeplane.network import balances, daemon, operators
    from nodeplane.network.settlement import operator_api, tickets
    from nodeplane.settings import settings

    os.environ["LEDGER_CROSS_VALIDATION_PERMILLE"] = "1000"  # the ledger samples an attester for every settlement
    settings.cache_clear()
    _admin("create-task", model=s.MODEL, security_level=1, role=0)
    _admin("create-task", model=s.SAMPLING_MODEL, security_level=2, role=0)
    _admin("create-task", model=s.UNSUBSCRIBED_MODEL, security_level=2, role=0)
    _admin("rotate-keys")
    operators.import_key(s.TENANT, s.SAMPLE_NODE_KEY.to_keystore())
    assert [daemon.register_node(s.TENANT)["node_small_id"] for _ in range(2)] == [1, 2]
    daemon.publish_public_key(s.TENANT, 1, base64.b64encode(bytes(range(32))).decode(), 0)
    for task in (1, 2):
        daemon.subscribe(s.TENANT, task, s.PRICE, 1, update=False)
        daemon.subscribe(s.TENANT, task, 2 * s.PRICE, 2, update=False)
    balances.credit(s.TENANT, 10**12)  # what the proxy's locks pay with
    for stack in (s.STACK_WITH_USAGE, s.STACK_CLAIMED, s.STACK_SETTLED):
        _admin("buy-stack", user=s.TENANT, task=2, price=s.PRICE, units=1_000_000)
        _usage(stack, f"seed-{stack}")

    operator_api.claim_stacks(s.TENANT, [s.STACK_SETTLED], 1, None)
    operator_api.submit_attestations(s.TENANT, [s.STACK_SETTLED], 2)
    _admin("advance-epoch", epochs=2)
    ticket = tickets.ticket(s.STACK_SETTLED)
    assert ticket and ticket["settlement_status"] == tickets.SETTLED, ticket
    # nodeplane's own dispute window (SETTLEMENT_WINDOW_SECONDS) has passed
    store.transact([store.update(ticket["pk"], ticket["sk"], "SET claimable_at = :zero", values={":zero": 0})])

    operator_api.claim_stacks(s.TENANT, [s.STACK_CLAIMED], 1, None)
    claimed = tickets.ticket(s.STACK_CLAIMED)
    assert claimed and claimed["requested_attestation_nodes"] == [2]


def build() -> None:
    pool()
    network()
