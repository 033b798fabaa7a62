"""Item keys of the inference network's projection of chain state (same single table as the pool).

| item                    | pk                      | sk                 | gsi1 (pk / sk)                          | gsi2 (pk / sk)                   |
|-------------------------|-------------------------|--------------------|-----------------------------------------|----------------------------------|
| network node            | NNODE#<small id>        | NODE               |                                         | OPNODES#<sui address> / <id:012> |
| subscription            | NNODE#<node>            | SUB#<task:012>     | SUBS#<task> / <price:020>#<node:012>    |                                  |
| task                    | TASK#<task>             | TASK               | TASKS / <task:012>                      |                                  |
| task of a model         | MODEL#<model name>      | TASK#<task:012>    |                                         |                                  |
| key rotation            | KEYROT                  | CURRENT            |                                         |                                  |
| stack                   | STACK#<stack>           | STACK              | USTACK#<user>#<task> / <price:020>#<id> | NSTACK#<node> / <stack:012>      |
| settlement ticket       | STACK#<stack>           | TICKET             | NTICKET#<node> / <stack:012>            |                                  |
| applied chain event     | CHAINEVENT#<tx digest>  | <event seq>        |                                         |                                  |
| event cursor            | CHAINCURSOR             | CURSOR             |                                         |                                  |

Subscriptions are in gsi1 under their task only while they can be sold (valid, task not deprecated), so
"cheapest node for a task" is one Query sorted by price.
"""

from __future__ import annotations


def node_pk(small_id: int) -> str:
    return f"NNODE#{small_id}"


def operator_nodes_pk(address: str) -> str:
    return f"OPNODES#{address}"


def sub_sk(task_small_id: int) -> str:
    return f"SUB#{task_small_id:012d}"


def subs_index_pk(task_small_id: int) -> str:
    return f"SUBS#{task_small_id}"


def price_key(price: int, node_small_id: int) -> str:
    return f"{price:020d}#{node_small_id:012d}"


def task_pk(task_small_id: int) -> str:
    return f"TASK#{task_small_id}"


def model_pk(model: str) -> str:
    return f"MODEL#{model}"


def stack_pk(stack_small_id: int) -> str:
    return f"STACK#{stack_small_id}"


def user_stacks_pk(user: str, task_small_id: int) -> str:
    return f"USTACK#{user}#{task_small_id}"


def node_stacks_pk(node_small_id: int) -> str:
    return f"NSTACK#{node_small_id}"


def node_tickets_pk(node_small_id: int) -> str:
    return f"NTICKET#{node_small_id}"


TASKS = "TASKS"
KEYROT = "KEYROT"
CURSOR_PK = "CHAINCURSOR"
