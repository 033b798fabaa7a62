"""Stack settlement: tickets, attestations, disputes and claims, driven through SQS with DynamoDB as the truth.

One module per seam:

| module          | what it holds                                                                               |
|-----------------|---------------------------------------------------------------------------------------------|
| proofs          | the proof scheme and dispute votes (pure)                                                   |
| tickets         | the settlement ticket: reads, the views the daemon API answers with, and nodeplane's writes |
| events          | what each settlement chain event does to the ticket (registered in network/chain_events.py) |
| jobs            | the queue message that points the worker at a ticket                                        |
| steps           | every chain call settlement makes, each run at most once per (stack, step)                  |
| worker          | the SQS worker: advance one settlement as far as it can go now                              |
| operator_api    | what an operator calls through /daemon: claim_stacks, submit_attestations, claim_funds      |
| sweeper         | the schedule: re-enqueue stalled settlements, fail those past their deadline                |

The ticket lives beside its stack (``STACK#<stack>`` / ``TICKET``; every key in network/items.py). Its states
(``settlement_status``), each write conditional on the current one:

| from      | to                 | by                                                              |
|-----------|--------------------|-----------------------------------------------------------------|
| (none)    | Attesting/Settled  | StackTrySettleEvent (Settled when no attestation node sampled)  |
| (none)    | Claiming           | a confidential claim (auto-claim at 95% or POST claim_stacks)   |
| Attesting | Settled            | StackSettlementTicketEvent (all attestations agree)             |
| Attesting | Disputed           | StackAttestationDisputeEvent, or a disagreeing attestation      |
| Disputed  | Settled / Failed   | resolution: majority of votes, an admin, or the deadline        |
| Disputed  | Settled / Failed   | StackDisputeResolvedEvent (the local ledger's admin resolution) |
| Settled   | Complete           | StackSettlementTicketClaimedEvent (claim_funds)                 |
| Claiming  | Complete           | ClaimedStackEvent (claim_funds_for_stacks)                      |
| any open  | Failed             | the sweeper, when the settlement deadline passed                |

A ticket is in gsi3 only while it has work left (``next_action`` set), sorted by the time the sweeper should look
at it again, so the sweeper reads just the due ones.
"""
