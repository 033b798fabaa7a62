"""Envelope encryption: a KMS data key per secret, AES-256-GCM for the secret itself.

Only the KMS-encrypted data key, the nonce and the ciphertext are stored; the encryption
context binds a sealed secret to its owner so a copied record cannot be opened elsewhere.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ALGORITHM = "AES-256-GCM+KMS"


def _aad(context: dict[str, str]) -> bytes:
    return "&".join(f"{k}={context[k]}" for k in sorted(context)).encode()


def seal(kms: Any, key_id: str, plaintext: bytes, context: dict[str, str]) -> dict[str, str]:
    """Encrypt ``plaintext`` under a fresh data key; returns a JSON-safe record."""
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=context)
    nonce = os.urandom(12)
    ciphertext = AESGCM(data_key["Plaintext"]).encrypt(nonce, plaintext, _aad(context))
    return {
        "alg": ALGORITHM,
        "key": base64.b64encode(data_key["CiphertextBlob"]).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }


def open_sealed(kms: Any, sealed: dict[str, str], context: dict[str, str]) -> bytes:
    """Decrypt a record made by :func:`seal` with the same context."""
    if sealed.get("alg") != ALGORITHM:
        raise ValueError(f"unsupported envelope algorithm {sealed.get('alg')!r}")
    data_key = kms.decrypt(CiphertextBlob=base64.b64decode(sealed["key"]), EncryptionContext=context)
    return AESGCM(data_key["Plaintext"]).decrypt(
        base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["ciphertext"]), _aad(context)
    )
