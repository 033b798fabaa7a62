"""A client of the inference network with the published atoma-sdk: lock compute units on the cheapest
confidential node for a model and encrypt a request to that node's key. It answers 503 until an operator has
published a node's key and subscribed it to the model's task (examples/operator.sh does).

    NODEPLANE_URL=http://127.0.0.1:3000 NODEPLANE_TOKEN=$(make -s token TENANT=client) \
        .venv-atoma/bin/python examples/client_lock.py my-model
"""

from __future__ import annotations

import os
import sys

from atoma_sdk import AtomaSDK
from atoma_sdk.crypto_utils import encrypt_message
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from pydantic import BaseModel


class Chat(BaseModel):
    messages: list[dict[str, str]]


model = sys.argv[1] if len(sys.argv) > 1 else "my-model"
url = os.environ.get("NODEPLANE_URL", "http://127.0.0.1:3000")

with AtomaSDK(server_url=f"{url}/proxy", bearer_auth=os.environ["NODEPLANE_TOKEN"]) as sdk:
    lock = sdk.nodes.nodes_create_lock(model=model)
    print(f"locked node {lock.node_small_id} on stack {lock.stack_small_id}; its key {lock.public_key}")
    _, _, request = encrypt_message(
        sdk, X25519PrivateKey.generate(), Chat(messages=[{"role": "user", "content": "Hello"}]), model
    )
    print(f"encrypted a request for it: {len(request.ciphertext)} base64 characters")
