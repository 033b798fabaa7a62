"""Pool nodes: import (from an offer or over SSH), list, describe, patch / heartbeat, delete."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from nodeplane import clock, queue, store
from nodeplane.errors import BadRequest, Conflict, NotFound
from nodeplane.pool import items, states, targets
from nodeplane.pool.models.nodes import NodeImportSshRequest, NodePatchRequest
from nodeplane.settings import settings
from nodeplane.store.dynamo import TransactionFailed

MAX_IMPORT_AMOUNT = 50
_ENDPOINT = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.\-_]+))(?::(?P<port>\d{1,5}))?$")

NODE_FIELDS_CLOUD = ("provider", "region", "availability_zone", "instance_type", "offer_id")
NODE_FIELDS_SELF = ("endpoint", "username", "ssh_key_id", "last_heartbeat_date", "host_key_fingerprint")
NODE_FIELDS_COMMON = (
    "id",
    "node_type",
    "namespace",
    "hostname",
    "description",
    "location",
    "import_time",
    "price_per_hour",
    "node_status",
    "warning_message",
    "hardware",
    "software",
    "system",
    "cluster_id",
    "failure_reason",
)


def new_node_id() -> str:
    return str(uuid.uuid4())


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """``host[:port]`` or ``[v6]:port``; port 22 by default."""
    match = _ENDPOINT.match(endpoint.strip())
    if not match:
        raise BadRequest(f"endpoint {endpoint!r} is not host:port")
    port = int(match.group("port") or 22)
    if not 1 <= port <= 65535:
        raise BadRequest(f"endpoint port {port} is out of range")
    host = match.group("v6") or match.group("host")
    address = targets.parse_address(host)
    refused = targets.refusal(host, address) if address is not None else None
    if refused:
        raise BadRequest(f"endpoint {refused}")  # a name is checked when discovery resolves it
    return host, port


def _counter_delta(node: dict[str, Any], sign: int) -> store.Op:
    names = {"#t": "nodes_total", "#k": f"nodes_{node['node_type']}"}
    expr = "ADD #t :d, #k :d"
    if node.get("provider"):
        names["#p"] = f"nodes_provider_{node['provider']}"
        expr += ", #p :d"
    return store.update(items.tenant_pk(node["tenant"]), items.COUNTERS, expr, names=names, values={":d": sign})


def _claim_hostname(tenant: str, hostname: str, node_id: str) -> store.Op:
    return store.put(
        {"pk": items.tenant_pk(tenant), "sk": items.hostname_claim_sk(hostname), "node_id": node_id},
        condition="attribute_not_exists(pk)",
        label=f"host:{hostname}",
    )


def _insert(nodes: list[dict[str, Any]]) -> None:
    ops: list[store.Op] = []
    for node in nodes:
        ops.append(store.put(node, condition="attribute_not_exists(pk)", label=f"node:{node['id']}"))
        ops.append(_claim_hostname(node["tenant"], node["hostname"], node["id"]))
    # one counter update per import keeps the transaction small and the totals exact
    delta = _counter_delta(nodes[0], len(nodes))
    ops.append(delta)
    try:
        store.transact(ops)
    except TransactionFailed as exc:
        taken = [f.label.split(":", 1)[1] for f in exc.failures if f.label.startswith("host:")]
        if taken:
            raise Conflict(f"a node with hostname {taken[0]!r} already exists") from exc
        raise


def import_from_offer(tenant: str, offer_id: str, hostname: str | None, amount: int) -> list[str]:
    from nodeplane.pool import offers

    if not 1 <= amount <= MAX_IMPORT_AMOUNT:
        raise BadRequest(f"amount must be between 1 and {MAX_IMPORT_AMOUNT}")
    offer = offers.get_offer(offer_id)
    base = hostname or f"{offer['instance_type'].replace('.', '-').lower()}-{secrets.token_hex(3)}"
    created = clock.iso()
    price = offer.get("hourly_cost") if offer.get("hourly_cost") is not None else offer.get("price") or 0
    nodes = []
    for i in range(amount):
        node_id = new_node_id()
        name = base if amount == 1 else f"{base}-{i + 1}"
        nodes.append(
            {
                "pk": items.tenant_pk(tenant),
                "sk": items.node_sk(node_id),
                "entity": "node",
                "tenant": tenant,
                "id": node_id,
                "node_type": "CLOUD",
                "hostname": name,
                "node_status": "AVAILABLE",
                "import_time": created,
                "created_at": created,
                "price_per_hour": price,
                "provider": offer["cloud_provider"].lower(),
                "region": offer["region"],
                "availability_zone": offer.get("availability_zone"),
                "instance_type": offer["instance_type"],
                "offer_id": offer_id,
                "location": offer.get("location"),
                "hardware": {
                    "gpu_count": offer["gpu_count"],
                    "gpu_memory": offer["gpu_memory_mib"],
                    "gpu_vendor": offer["gpu_vendor"],
                    "gpu_type": offer["gpu_type"],
                    "cpu_cores": offer["num_vcpus"],
                    "memory_gb": offer["main_memory_mib"] // 1024,
                },
                **items.node_indexes(tenant, node_id, created, name),
            }
        )
    _insert(nodes)
    return [n["id"] for n in nodes]


def _self_managed(tenant: str, node_id: str, request: Any, status: str) -> dict[str, Any]:
    """The item of a self-managed node, as both import over SSH and self-registration create it."""
    created = clock.iso()
    return {
        "pk": items.tenant_pk(tenant),
        "sk": items.node_sk(node_id),
        "entity": "node",
        "tenant": tenant,
        "id": node_id,
        "node_type": "SELF_MANAGED",
        "hostname": request.hostname,
        "node_status": status,
        "import_time": created,
        "created_at": created,
        "price_per_hour": request.price_per_hour or 0,
        "endpoint": request.endpoint,
        "username": request.username,
        "ssh_key_id": request.ssh_key_id,
        **items.node_indexes(tenant, node_id, created, request.hostname),
    }


def import_ssh(tenant: str, request: NodeImportSshRequest) -> str:
    from nodeplane.pool import sshkeys

    parse_endpoint(request.endpoint)
    sshkeys.require(tenant, request.ssh_key_id)
    node_id = new_node_id()
    deadline = clock.now() + settings().discovery_deadline_seconds
    node = {
        **_self_managed(tenant, node_id, request, "PENDING"),
        "description": request.description,
        "discovery_deadline": int(deadline),
        "discovery_attempts": 0,
        "last_enqueued_at": clock.now(),
        "gsi3pk": items.DISCOVERY,
        "gsi3sk": items.discovery_sk(deadline, tenant, node_id),
    }
    _insert([{k: v for k, v in node.items() if v is not None}])
    queue.send(settings().discovery_queue_url, queue.discovery_job(tenant, node_id))
    return node_id


def load(tenant: str, node_id: str) -> dict[str, Any]:
    item = store.get(items.tenant_pk(tenant), items.node_sk(node_id))
    if not item or item.get("entity") != "node":
        raise NotFound(f"node {node_id} not found")
    return item


def present(item: dict[str, Any]) -> dict[str, Any]:
    """The node as the API shows it: only the fields of its variant, plus staleness of self-managed nodes."""
    fields = NODE_FIELDS_COMMON + (NODE_FIELDS_CLOUD if item["node_type"] == "CLOUD" else NODE_FIELDS_SELF)
    node = {f: item[f] for f in fields if item.get(f) is not None}
    if item["node_type"] == "SELF_MANAGED":
        node["heartbeat_stale"] = _stale(item)
    return node


def _stale(item: dict[str, Any]) -> bool:
    last = item.get("last_heartbeat_ts")
    return last is None or clock.now() - float(last) > settings().heartbeat_stale_seconds


def describe(tenant: str, node_id: str) -> dict[str, Any]:
    return present(load(tenant, node_id))


def counters(tenant: str) -> dict[str, Any]:
    return store.get(items.tenant_pk(tenant), items.COUNTERS) or {}


def list_nodes(
    tenant: str,
    *,
    node_type: str | None,
    provider: str | None,
    sort_field: str,
    order_by: str,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], int, str | None]:
    """One page of the tenant's nodes; ``total`` comes from counters kept with every import/delete."""
    provider = provider.lower() if provider else None
    totals = counters(tenant)
    if provider and node_type == "SELF_MANAGED":
        return [], 0, None  # the provider filter applies to cloud nodes only
    if provider:
        total = totals.get(f"nodes_provider_{provider}", 0)
    elif node_type:
        total = totals.get(f"nodes_{node_type}", 0)
    else:
        total = totals.get("nodes_total", 0)

    filters, names, values = [], {}, {}
    if node_type:
        filters.append("#nt = :nt")
        names["#nt"], values[":nt"] = "node_type", node_type
    if provider:
        filters.append("#pv = :pv")
        names["#pv"], values[":pv"] = "provider", provider
    index, sk = ("gsi1", "gsi1sk") if sort_field == "CREATED_AT" else ("gsi2", "gsi2sk")
    found: list[dict[str, Any]] = []
    page_cursor = cursor
    # A filter may thin out a page; read at most a few pages before handing back a cursor.
    for _ in range(5):
        page, page_cursor = store.query(
            f"{index}pk",
            items.nodes_index_pk(tenant),
            sk_name=sk,
            index=index,
            limit=limit - len(found),
            cursor=page_cursor,
            forward=order_by == "ASC",
            filter_expression=" AND ".join(filters) or None,
            names=names or None,
            values=values or None,
        )
        found.extend(page)
        if not page_cursor or len(found) >= limit or not filters:
            break
    return [present(i) for i in found], int(total), page_cursor


def patch(tenant: str, node_id: str, request: NodePatchRequest | None) -> dict[str, Any]:
    """A body updates the node's facts; no body is a heartbeat. Both rotate the node's access token."""
    from nodeplane.pool import agents

    item = load(tenant, node_id)
    token, token_ops = agents.rotate_token_ops(tenant, node_id, item.get("token_hash"))
    names = {"#th": "token_hash", "#te": "token_expires_at"}
    values: dict[str, Any] = {":th": token["hash"], ":te": token["expires"]}
    sets = ["#th = :th", "#te = :te"]
    if request is None:
        if item["node_type"] == "SELF_MANAGED":
            sets += ["#hb = :hb", "#hbt = :hbt"]
            names.update({"#hb": "last_heartbeat_date", "#hbt": "last_heartbeat_ts"})
            values.update({":hb": clock.iso(), ":hbt": clock.now()})
    else:
        for section in ("hardware", "software", "system"):
            data = getattr(request, section).model_dump(exclude_none=True)
            if data:
                # sub-fields are optional: merge what was sent into what the node already reported
                names[f"#{section}"], values[f":{section}"] = section, {**(item.get(section) or {}), **data}
                sets.append(f"#{section} = :{section}")
        if request.description is not None:
            sets.append("#d = :d")
            names["#d"], values[":d"] = "description", request.description
    try:
        store.transact(
            [
                store.update(
                    items.tenant_pk(tenant),
                    items.node_sk(node_id),
                    "SET " + ", ".join(sets),
                    condition="attribute_exists(pk)",
                    names=names,
                    values=values,
                    label="node",
                ),
                *token_ops,
            ]
        )
    except TransactionFailed as exc:
        raise NotFound(f"node {node_id} not found") from exc
    return {"node_id": node_id, **token["reply"]}


def delete(tenant: str, node_id: str) -> None:
    """Remove an AVAILABLE node; any other status is in use (409). The check happens inside DynamoDB."""
    item = load(tenant, node_id)
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    condition = states.condition("delete", values, names)
    try:
        store.transact(
            [
                store.delete(
                    items.tenant_pk(tenant),
                    items.node_sk(node_id),
                    condition=condition,
                    names=names,
                    values=values,
                    label="node",
                ),
                store.delete(items.tenant_pk(tenant), items.hostname_claim_sk(item["hostname"])),
                _counter_delta(item, -1),
            ]
        )
    except TransactionFailed as exc:
        failure = exc.failed("node")
        if failure is None or failure.old is None:
            raise NotFound(f"node {node_id} not found") from exc
        raise Conflict(
            f"node {node_id} is {failure.old.get('node_status')}; only AVAILABLE nodes can be deleted"
            + (f" (it is in cluster {failure.old['cluster_id']})" if failure.old.get("cluster_id") else "")
        ) from exc


def self_register(request: Any) -> dict[str, Any]:
    """A machine joins its owner's pool with a one-time register token; it reports its own facts."""
    from nodeplane.pool import agents, sshkeys

    tenant, consume_ops = agents.consume_register_token_op(request.register_token)
    parse_endpoint(request.endpoint)
    sshkeys.require(tenant, request.ssh_key_id)
    node_id = new_node_id()
    token, token_ops = agents.rotate_token_ops(tenant, node_id, None)
    node = {
        **_self_managed(tenant, node_id, request, "AVAILABLE"),
        "last_heartbeat_ts": clock.now(),
        "self_registered": True,
        "token_hash": token["hash"],
        "token_expires_at": token["expires"],
    }
    node["last_heartbeat_date"] = node["created_at"]
    for section in ("hardware", "software", "system"):
        value = getattr(request, section)
        if value is not None:
            node[section] = value.model_dump(exclude_none=True)
    ops = [
        store.put(node, condition="attribute_not_exists(pk)"),
        _claim_hostname(tenant, request.hostname, node_id),
        _counter_delta(node, 1),
        *consume_ops,
        *token_ops,
    ]
    try:
        store.transact(ops)
    except TransactionFailed as exc:
        agents.raise_register_failure(exc)
    return {"node_id": node_id, **token["reply"]}


def rediscover(tenant: str, node_id: str) -> None:
    """Run discovery again (e.g. after changing the machine); the recorded host key must still match."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {":pending": "PENDING", ":self": "SELF_MANAGED"}
    deadline = clock.now() + settings().discovery_deadline_seconds
    condition = states.condition("rediscover", values, names) + " AND node_type = :self"
    values.update(
        {
            ":deadline": int(deadline),
            ":gsi3pk": items.DISCOVERY,
            ":gsi3sk": items.discovery_sk(deadline, tenant, node_id),
            ":now": clock.now(),
        }
    )
    try:
        store.transact(
            [
                store.update(
                    items.tenant_pk(tenant),
                    items.node_sk(node_id),
                    "SET #status = :pending, discovery_deadline = :deadline, gsi3pk = :gsi3pk, gsi3sk = :gsi3sk, "
                    "last_enqueued_at = :now REMOVE failure_reason",
                    condition=condition,
                    names=names,
                    values=values,
                    label="node",
                )
            ]
        )
    except TransactionFailed as exc:
        failure = exc.failed("node")
        if failure is None or failure.old is None:
            raise NotFound(f"node {node_id} not found") from exc
        raise Conflict(
            f"node {node_id} is {failure.old.get('node_status')} {failure.old.get('node_type')}; only self-managed "
            "nodes that are AVAILABLE, WARNING or FAILED can be discovered again"
        ) from exc
    queue.send(settings().discovery_queue_url, queue.discovery_job(tenant, node_id))
