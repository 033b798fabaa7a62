"""Every item of the node pool in the single table: its keys are built here and nowhere else.

| item                   | pk                  | sk                  | in index | expires (``ttl``)        |
|------------------------|---------------------|---------------------|----------|--------------------------|
| node                   | T#<tenant>          | NODE#<node id>      | 1, 2, 3  |                          |
| hostname claim         | T#<tenant>          | HOST#<hostname>     |          |                          |
| node counters          | T#<tenant>          | COUNTERS            |          |                          |
| ssh key                | T#<tenant>          | SSHKEY#<key id>     |          |                          |
| ssh key name claim     | T#<tenant>          | SSHKEYNAME#<name>   |          |                          |
| cluster                | T#<tenant>          | CLUSTER#<id>        | 1        |                          |
| offer                  | OFFER#<offer id>    | OFFER               | 1        |                          |
| offers metadata        | OFFERS              | META                |          |                          |
| node access token      | NODETOKEN#<sha256>  | TOKEN               |          | an hour after it expires |
| register token (owner) | T#<tenant>          | REGTOKEN            |          | when it expires          |
| register token (use)   | REGTOKEN#<sha256>   | REGTOKEN            |          | when it expires          |

A claim item makes a hostname or an SSH key name unique in its tenant (it is put only if absent). A register
token is two items, written and used up in one transaction: the owner's holds the token so its tenant can read
it again; the other, keyed by the token's SHA-256, finds the tenant of a presented token. A node access token
is stored only as its SHA-256.

| index | pk                  | sk                                 | holds                                             |
|-------|---------------------|------------------------------------|---------------------------------------------------|
| gsi1  | T#<tenant>#NODES    | C#<created>#<node id>              | a tenant's nodes, oldest first                    |
| gsi1  | T#<tenant>#CLUSTERS | C#<created>#<cluster id>           | a tenant's clusters, oldest first                 |
| gsi1  | OFFERS              | <hourly cost:012.4f>#<offer id>    | every offer, cheapest first                       |
| gsi2  | T#<tenant>#NODES    | H#<hostname>#<node id>             | a tenant's nodes by hostname                      |
| gsi3  | DISCOVERY           | <deadline:012d>#<tenant>#<node id> | nodes awaiting discovery, earliest deadline first |

gsi3 is sparse: a node is in it only while discovery is pending, so the sweeper reads just those. The
inference network's items share the table and its indexes (``network/keys.py``).
"""

from __future__ import annotations

COUNTERS = "COUNTERS"
DISCOVERY = "DISCOVERY"
OFFERS = "OFFERS"
OFFER = "OFFER"
META = "META"
NODE_TOKEN = "TOKEN"
REGISTER_TOKEN = "REGTOKEN"
SSHKEY_PREFIX = "SSHKEY#"


def tenant_pk(tenant: str) -> str:
    return f"T#{tenant}"


def node_sk(node_id: str) -> str:
    return f"NODE#{node_id}"


def nodes_index_pk(tenant: str) -> str:
    return f"T#{tenant}#NODES"


def created_sk(created: str, item_id: str) -> str:
    """gsi1 sort key of nodes and clusters: creation time, then id."""
    return f"C#{created}#{item_id}"


def hostname_sk(hostname: str, node_id: str) -> str:
    """gsi2 sort key of a node: hostname, then id."""
    return f"H#{hostname}#{node_id}"


def node_indexes(tenant: str, node_id: str, created: str, hostname: str) -> dict[str, str]:
    """The gsi1 and gsi2 keys every node carries."""
    return {
        "gsi1pk": nodes_index_pk(tenant),
        "gsi1sk": created_sk(created, node_id),
        "gsi2pk": nodes_index_pk(tenant),
        "gsi2sk": hostname_sk(hostname, node_id),
    }


def discovery_sk(deadline: float, tenant: str, node_id: str) -> str:
    """gsi3 sort key of a node awaiting discovery (under ``DISCOVERY``): its deadline first."""
    return f"{int(deadline):012d}#{tenant}#{node_id}"


def hostname_claim_sk(hostname: str) -> str:
    return f"HOST#{hostname}"


def sshkey_sk(key_id: str) -> str:
    return f"{SSHKEY_PREFIX}{key_id}"


def sshkey_name_claim_sk(name: str) -> str:
    return f"SSHKEYNAME#{name}"


def cluster_sk(cluster_id: str) -> str:
    return f"CLUSTER#{cluster_id}"


def clusters_index_pk(tenant: str) -> str:
    return f"T#{tenant}#CLUSTERS"


def offer_pk(offer_id: str) -> str:
    return f"OFFER#{offer_id}"


def offer_price(price: float) -> str:
    """An hourly cost as it sorts in gsi1 (fixed width, so text order is price order)."""
    return f"{price:012.4f}"


def offer_price_sk(price: float, offer_id: str) -> str:
    return f"{offer_price(price)}#{offer_id}"


def node_token_pk(token_hash: str) -> str:
    return f"NODETOKEN#{token_hash}"


def register_token_pk(token_hash: str) -> str:
    return f"REGTOKEN#{token_hash}"
