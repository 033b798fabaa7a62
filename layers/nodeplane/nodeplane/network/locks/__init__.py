"""Confidential-compute node locks (`POST /proxy/v1/nodes/lock`) that never overcommit a stack.

A lock reserves ``max_num_tokens`` compute units of a stack for ``timeout`` seconds and answers with the public
key of the node that serves the stack. Selection, as the Atoma proxy does it:

1. reuse one of the caller's stacks of a confidential task of the model: cheapest *stack* price first
   (gsi1 ``USTACK#<user>#<task>``), node key valid at the current rotation, not claimed or locked, capacity;
2. otherwise buy a stack: cheapest *subscription* price first (gsi1 ``SUBS#<task>``) among nodes with a
   valid current key, capped at that price. The contract draws the node among subscribers at or below the
   cap, so the answer names the node the StackCreatedEvent selected, not necessarily the cheapest.

| module      | what it holds                                                                          |
|-------------|----------------------------------------------------------------------------------------|
| plan        | the request's bounds, whether a lock fits a stack as read, key validity (pure)         |
| reserve     | the writes on a stack's lock map: reserve, release, release the expired ones           |
| selection   | which stack or offer a request gets (step 1, and the offer of step 2)                  |
| purchase    | buying a stack (step 2) through the purchase saga, one per (user, task) at a time      |
| proxy_api   | the lock request itself                                                                |
| sweeper     | the schedule that releases expired locks                                               |

What locks add to the stack item (``STACK#<stack>`` / ``STACK``) and beside it (keys in network/items.py):

| what           | where                                    | attributes                                        |
|----------------|------------------------------------------|---------------------------------------------------|
| lock           | stack item, map ``locks.<lock id>``      | ``{units, expires_at}`` (epoch ms), lock_version  |
| expiry index   | stack item, gsi3 ``LOCKEXP#<stack % 4>`` | gsi3sk ``<ms:015>#<stack:012>`` <= every expiry   |
| purchase guard | ``PURCHASE#<user>#<task>`` / ``GUARD``   | holder (intent id), lease_until, last stack, ttl  |

``lock_version`` grows with every change of the lock map; gsi3sk is never later than the earliest expiry of
the stack's locks, so the sweeper sees every stack in time (visiting one early is harmless).

Locks live on the stack item so reserving is ONE conditional UpdateItem on one item: DynamoDB serialises
concurrent reservations of a stack instead of cancelling transactions that touch it, and
``available_units >= n`` (available = total - already computed - locked) is checked by DynamoDB itself.
"""
