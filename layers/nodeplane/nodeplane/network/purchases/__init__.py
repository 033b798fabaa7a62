"""Stack purchases paid from a user's USDC balance: a saga with a durable intent, so no money is ever lost.

| module  | what it holds                                                                                   |
|---------|-------------------------------------------------------------------------------------------------|
| intents | the purchase intent item and each of its conditional transitions (store operations)             |
| saga    | one purchase: debit, chain call, adopt the stack or refund; recovery of an unfinished intent    |
| sweeper | the schedule: finish or refund every intent a crash or a timeout left behind                    |

The intent lives beside the balance it draws on (``BALANCE#<user>`` / ``INTENT#<intent id>``; every key in
network/items.py). Its id is a hash of (user, request id), so a request processed twice is one purchase. States
(``state``), each transition one TransactWriteItems conditional on the state it leaves:

| from    | to       | what the same transaction writes                                                          |
|---------|----------|-------------------------------------------------------------------------------------------|
| (none)  | Debited  | the intent itself and the debit (``balance >= amount``): no money moves without an intent |
| Debited | Buying   | the digest of the signed transaction, before it is submitted, and the digest's claim      |
|         |          | (``PURCHASETX#<digest>``): a transaction belongs to one intent, so one stack to one user  |
| Buying  | Buying   | a new digest, only in place of the one this intent recorded, which was rejected           |
| Buying  | Done     | the stack item, for the user (``user``, ``purchase_intent``, ``purchase_cost``)           |
| Debited | Refunded | the amount back on the balance: the chain call never reached submission                  |
| Buying  | Refunded | the amount back: the chain says the recorded digest aborted or can never execute          |

A refused debit (402) writes nothing: the intent is born in the debit's transaction.

Who moves an intent: the request that created it, until it answers; then, once the intent's lease has passed
(``PURCHASE_LEASE_SECONDS``, 90 s by default: longer than any purchasing function's timeout plus the lease on
the wallet's coins its transaction was built from, so its request is over and the chain's answer is final), the
purchase sweeper (``schedule_purchase_sweeper``, every minute). The sweeper asks the chain about the recorded
digest: executed → Done, aborted or never executable → Refunded, no digest → Refunded.

**The bound**: every intent is Done or Refunded at most lease + one sweeper period after it was written
(2.5 minutes with the defaults). By then the chain's answer about the recorded digest is final: a transaction it
does not know, whose coins' lease has ended, is fenced (network/chain_impl.py spends the gas coin version it was
built from), so it can never execute. Only an unreachable chain delays an intent past the bound (the sweeper asks
again every run). ``PurchaseIntentOldestAgeSeconds`` reports the oldest intent still open after each run.
"""
