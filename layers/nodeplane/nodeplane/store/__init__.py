"""DynamoDB access: one low-level client per container, plain dicts in and out.

Only this package (and the chain clients) talk to DynamoDB. Items are plain Python dicts; numbers
come back as ``int`` or ``float``. The store has no items of its own and builds no keys: each domain's
items module does (``pool/items.py`` and the network's), and the ledger table's are listed in ``chain/ledger.py``.
"""

from nodeplane.store.dynamo import (
    Op,
    TransactionFailed,
    check,
    decode_cursor,
    delete,
    dynamodb,
    encode_cursor,
    get,
    known,
    put,
    query,
    transact,
    update,
)

__all__ = [
    "Op",
    "TransactionFailed",
    "check",
    "decode_cursor",
    "delete",
    "dynamodb",
    "encode_cursor",
    "get",
    "known",
    "put",
    "query",
    "transact",
    "update",
]
