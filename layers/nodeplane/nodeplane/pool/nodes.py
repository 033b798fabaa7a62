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
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems call
DEFAULT_PAGE_SIZE = 100  # a page when the caller pages (cursor without limit)
LIST_PAGE_ITEMS = 1000  # nodes per Query when listing the whole pool (well under DynamoDB's 1 MB page)
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
    """Write new nodes, their hostname claims and the tenant's counters; nothing is written if a name is taken."""
    claims = [_claim_hostname(node["tenant"], node["hostname"], node["id"]) for node in nodes]
    puts = [store.put(node, condition="attribute_not_exists(pk)", label=f"node:{node['id']}") for node in nodes]
    # one counter update per import keeps the transactions small and the totals exact
    delta = _counter_delta(nodes[0], len(nodes))
    if len(claims) + len(puts) + 1 <= MAX_TRANSACTION_ITEMS:
        _claim_or_conflict([*puts, *claims, delta])
        return
    # Too many for one transaction: claim every name first (all or none), then write the nodes with the counters.
    # Node ids are fresh UUIDs, so the second write fails only if DynamoDB does; the claims are then released.
    _claim_or_conflict(claims)
    try:
        store.transact([*puts, delta])
    except Exception:
        store.transact([_release_hostname(node) for node in nodes])
        raise


def _release_hostname(node: dict[str, Any]) -> store.Op:
    return store.delete(
        items.tenant_pk(node["tenant"]),
        items.hostname_claim_sk(node["hostname"]),
        condition="node_id = :n",
        values={":n": node["id"]},
    )


def _claim_or_conflict(ops: list[store.Op]) -> None:
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
    # no hostname, or the documented default '', means: generate one
    base = hostname or f"{offer['instance_type'].replace('.', '-').lower()}-{secrets.token_hex(3)}"
    created = clock.iso()
    names = [base] if amount == 1 else [f"{base}-{i + 1}" for i in range(amount)]
    nodes = [cloud_node(tenant, new_node_id(), name, created=created, offer_id=offer_id, offer=offer) for name in names]
    _insert(nodes)
    return [n["id"] for n in nodes]


def cloud_node(
    tenant: str, node_id: str, hostname: str, *, created: str, offer_id: str, offer: dict[str, Any]
) -> dict[str, Any]:
    """The item of a cloud node imported from ``offer`` (an offer as the offers table holds it)."""
    price = offer.get("hourly_cost") if offer.get("hourly_cost") is not None else offer.get("price") or 0
    return node_item(
        tenant,
        node_id,
        hostname,
        node_type="CLOUD",
        status="AVAILABLE",
        created=created,
        price_per_hour=price,
        provider=offer["cloud_provider"].lower(),
        region=offer["region"],
        availability_zone=offer.get("availability_zone"),
        instance_type=offer["instance_type"],
        offer_id=offer_id,
        location=offer.get("location"),
        hardware={
            "gpu_count": offer["gpu_count"],
            "gpu_memory": offer["gpu_memory_mib"],
            "gpu_vendor": offer["gpu_vendor"],
            "gpu_type": offer["gpu_type"],
            "cpu_cores": offer["num_vcpus"],
            "memory_gb": offer["main_memory_mib"] // 1024,
        },
    )


def node_item(
    tenant: str, node_id: str, hostname: str, *, node_type: str, status: str, created: str, **fields: Any
) -> dict[str, Any]:
    """A node's item: its keys, type, name, status, import time and indexes, and ``fields``."""
    return {
        "pk": items.tenant_pk(tenant),
        "sk": items.node_sk(node_id),
        "entity": "node",
        "tenant": tenant,
        "id": node_id,
        "node_type": node_type,
        "hostname": hostname,
        "node_status": status,
        "import_time": created,
        "created_at": created,
        **fields,
        **items.node_indexes(tenant, node_id, created, hostname),
    }


def _self_managed(tenant: str, node_id: str, request: Any, status: str) -> dict[str, Any]:
    """The item of a self-managed node, as both import over SSH and self-registration create it."""
    return node_item(
        tenant,
        node_id,
        request.hostname,
        node_type="SELF_MANAGED",
        status=status,
        created=clock.iso(),
        price_per_hour=request.price_per_hour or 0,
        endpoint=request.endpoint,
        username=request.username,
        ssh_key_id=request.ssh_key_id,
    )


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
    limit: int | None,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], int, str | None]:
    """The tenant's nodes: all of them (paged through DynamoDB here) unless the caller asks for one page with
    ``limit`` or ``cursor``. ``total`` counts every matching node (kept with every import/delete)."""
    provider = provider.lower() if provider else None
    if provider and node_type == "SELF_MANAGED":
        return [], 0, None  # the provider filter applies to cloud nodes only
    filters, names, values = [], {}, {}
    if node_type:
        filters.append("#nt = :nt")
        names["#nt"], values[":nt"] = "node_type", node_type
    if provider:
        filters.append("#pv = :pv")
        names["#pv"], values[":pv"] = "provider", provider
    index, sk = ("gsi1", "gsi1sk") if sort_field == "CREATED_AT" else ("gsi2", "gsi2sk")

    def page(size: int, start: str | None) -> tuple[list[dict[str, Any]], str | None]:
        return store.query(
            f"{index}pk",
            items.nodes_index_pk(tenant),
            sk_name=sk,
            index=index,
            limit=size,
            cursor=start,
            forward=order_by == "ASC",
            filter_expression=" AND ".join(filters) or None,
            names=names or None,
            values=values or None,
        )

    found: list[dict[str, Any]] = []
    if limit is None and cursor is None:
        # a client that cannot page (exalsius-api-client sends no cursor) gets the whole pool in one answer
        next_page: str | None = None
        while True:
            rows, next_page = page(LIST_PAGE_ITEMS, next_page)
            found.extend(rows)
            if not next_page:
                return [present(i) for i in found], len(found), None
    size = limit or DEFAULT_PAGE_SIZE
    page_cursor = cursor
    # A filter may thin out a page; read at most a few pages before handing back a cursor.
    for _ in range(5):
        rows, page_cursor = page(size - len(found), page_cursor)
        found.extend(rows)
        if not page_cursor or len(found) >= size or not filters:
            break
    return [present(i) for i in found], _total(tenant, node_type, provider), page_cursor


def _total(tenant: str, node_type: str | None, provider: str | None) -> int:
    totals = counters(tenant)
    if provider:
        return int(totals.get(f"nodes_provider_{provider}", 0))
    if node_type:
        return int(totals.get(f"nodes_{node_type}", 0))
    return int(totals.get("nodes_total", 0))


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
    """Remove a node that is not in use: in a cluster or with discovery in flight is in use (409, with the
    reason). AVAILABLE, WARNING and FAILED nodes outside a cluster can go. The check happens inside DynamoDB."""
    item = load(tenant, node_id)
    names: dict[str, str] = {"#cluster": "cluster_id"}
    values: dict[str, Any] = {}
    condition = states.condition("delete", values, names) + " AND attribute_not_exists(#cluster)"
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
        raise Conflict(f"node {node_id} is in use: {in_use_reason(failure.old)}") from exc


def in_use_reason(node: dict[str, Any]) -> str:
    """Why a node cannot be deleted now, in the words a user acts on."""
    status = node.get("node_status")
    if node.get("cluster_id"):
        return f"it belongs to cluster {node['cluster_id']} ({status}); remove it from the cluster first"
    if status in ("PENDING", "DISCOVERING"):
        return f"its discovery is in flight ({status}); wait until it is AVAILABLE, WARNING or FAILED"
    return f"it is {status}"


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
