"""Item keys of the node pool in the single table.

| item            | pk                 | sk                | gsi1 (pk / sk)                    | gsi2 (pk / sk)            | gsi3 (pk / sk)          |
|-----------------|--------------------|-------------------|-----------------------------------|---------------------------|-------------------------|
| node            | T#<tenant>         | NODE#<id>         | T#<tenant>#NODES / C#<created>#id | same pk / H#<hostname>#id | DISCOVERY / <deadline>  |
| hostname claim  | T#<tenant>         | HOST#<hostname>   |                                   |                           |                         |
| counters        | T#<tenant>         | COUNTERS          |                                   |                           |                         |
| ssh key         | T#<tenant>         | SSHKEY#<id>       |                                   |                           |                         |
| cluster         | T#<tenant>         | CLUSTER#<id>      | T#<tenant>#CLUSTERS / C#<created> |                           |                         |
| offer           | OFFER#<id>         | OFFER             | OFFERS / <hourly cost>#id         |                           |                         |
| offer metadata  | OFFERS             | META              |                                   |                           |                         |
| node token      | NODETOKEN#<hash>   | TOKEN             |                                   |                           |                         |
| register token  | T#<tenant>         | REGTOKEN          |                                   |                           |                         |

gsi3 is sparse: a node is in it only while discovery is pending, so the sweeper reads just those.
"""

from __future__ import annotations


def tenant_pk(tenant: str) -> str:
    return f"T#{tenant}"


def node_sk(node_id: str) -> str:
    return f"NODE#{node_id}"


def nodes_index_pk(tenant: str) -> str:
    return f"T#{tenant}#NODES"


def host_sk(hostname: str) -> str:
    return f"HOST#{hostname}"


COUNTERS = "COUNTERS"
DISCOVERY = "DISCOVERY"


def sshkey_sk(key_id: str) -> str:
    return f"SSHKEY#{key_id}"


def cluster_sk(cluster_id: str) -> str:
    return f"CLUSTER#{cluster_id}"


def clusters_index_pk(tenant: str) -> str:
    return f"T#{tenant}#CLUSTERS"


def offer_pk(offer_id: str) -> str:
    return f"OFFER#{offer_id}"


OFFERS = "OFFERS"
OFFER = "OFFER"
META = "META"
