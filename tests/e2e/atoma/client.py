"""Drive the published atoma-sdk 0.1.3 from its own virtualenv, as a user's program would.

Usage: client.py SERVER_URL TOKEN < calls.json
``calls.json`` is a JSON list of calls, run in order on one ``AtomaSDK``; stdout is a JSON list with, per
call, ``{"ok": {...}}`` or ``{"error": {"status_code": n, "body": "..."}}`` (the SDK's ``APIError``).

Calls:
- ``{"op": "nodes_create", "data": {...}, "signature": "..."}``
- ``{"op": "lock", "model": "..."}``
- ``{"op": "encrypt", "model": "...", "messages": [{"role": "user", "content": "..."}]}``
"""

from __future__ import annotations

import json
import sys
from typing import Any

from atoma_sdk import AtomaSDK, models
from atoma_sdk.crypto_utils import encrypt_message
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from pydantic import BaseModel


class ChatBody(BaseModel):
    messages: list[dict[str, str]]


def run(sdk: AtomaSDK, call: dict[str, Any]) -> dict[str, Any]:
    op = call["op"]
    if op == "nodes_create":
        res = sdk.nodes.nodes_create(data=call["data"], signature=call["signature"])
        return {"message": res.message}
    if op == "lock":
        lock = sdk.nodes.nodes_create_lock(model=call["model"])
        return {
            "public_key": lock.public_key,
            "stack_small_id": lock.stack_small_id,
            "stack_entry_digest": lock.stack_entry_digest,
        }
    if op == "encrypt":
        _, _, request = encrypt_message(
            sdk, X25519PrivateKey.generate(), ChatBody(messages=call["messages"]), call["model"]
        )
        return {"ciphertext": request.ciphertext, "node_dh_public_key": request.node_dh_public_key}
    raise SystemExit(f"unknown call {op!r}")


def main() -> None:
    server_url, token = sys.argv[1], sys.argv[2]
    results: list[dict[str, Any]] = []
    with AtomaSDK(server_url=server_url, bearer_auth=token) as sdk:
        for call in json.load(sys.stdin):
            try:
                results.append({"ok": run(sdk, call)})
            except models.APIError as err:
                results.append({"error": {"status_code": err.status_code, "body": err.body}})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
