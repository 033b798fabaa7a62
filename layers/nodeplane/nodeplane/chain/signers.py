"""Signers: a keystore held in memory (sealed at rest with KMS envelope encryption) or a KMS asymmetric key."""

from __future__ import annotations

import hashlib
from typing import Any, Final, Protocol, runtime_checkable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from nodeplane.chain.keys import Keypair, der_to_compact_low_s, serialize_signature
from nodeplane.chain.signatures import (
    FLAG_SECP256K1,
    FLAG_SECP256R1,
    SCHEMES,
    sui_address,
    transaction_signing_digest,
)
from nodeplane.security.envelope import open_sealed, seal

KMS_KEY_SPECS: Final = {"ECC_SECG_P256K1": FLAG_SECP256K1, "ECC_NIST_P256": FLAG_SECP256R1}


@runtime_checkable
class Signer(Protocol):
    @property
    def address(self) -> str: ...

    @property
    def scheme(self) -> str: ...

    @property
    def public_key(self) -> bytes: ...

    def sign_hashed(self, message: bytes) -> str: ...

    def sign_transaction(self, tx_bytes: bytes) -> str: ...


class KeystoreSigner:
    """Signs with a private key loaded from a Sui keystore string (base64 or ``suiprivkey1…``)."""

    def __init__(self, keystore: str) -> None:
        self._keypair = Keypair.from_keystore(keystore)

    @property
    def address(self) -> str:
        return self._keypair.address

    @property
    def scheme(self) -> str:
        return self._keypair.scheme

    @property
    def public_key(self) -> bytes:
        return self._keypair.public_key

    def sign_hashed(self, message: bytes) -> str:
        return self._keypair.sign_hashed(message)

    def sign_transaction(self, tx_bytes: bytes) -> str:
        return self._keypair.sign_transaction(tx_bytes)

    @classmethod
    def from_sealed(cls, kms_client: Any, sealed: dict[str, str], context: dict[str, str]) -> KeystoreSigner:
        return cls(open_sealed(kms_client, sealed, context).decode())


def seal_keystore(kms_client: Any, key_id: str, keystore: str, context: dict[str, str]) -> dict[str, str]:
    """Envelope-encrypt a keystore string; the context (e.g. {"address": ...}) must be given again to open it."""
    Keypair.from_keystore(keystore)  # refuse to store something that is not a key
    return seal(kms_client, key_id, keystore.encode(), context)


def open_keystore(kms_client: Any, sealed: dict[str, str], context: dict[str, str]) -> str:
    return open_sealed(kms_client, sealed, context).decode()


class KmsSigner:
    """Signs with an AWS KMS ECC_SECG_P256K1 / ECC_NIST_P256 key; the private key never leaves KMS."""

    def __init__(self, kms_client: Any, key_id: str) -> None:
        self._kms = kms_client
        self._key_id = key_id
        info = kms_client.get_public_key(KeyId=key_id)
        spec = info.get("KeySpec") or info.get("CustomerMasterKeySpec")
        if spec not in KMS_KEY_SPECS:
            raise ValueError(f"KMS key spec {spec!r} cannot sign for Sui (need ECC_SECG_P256K1 or ECC_NIST_P256)")
        self._flag = KMS_KEY_SPECS[spec]
        key = serialization.load_der_public_key(info["PublicKey"])
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ValueError("KMS returned a non-EC public key")
        self._public_key = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)

    @property
    def address(self) -> str:
        return sui_address(self._flag, self._public_key)

    @property
    def scheme(self) -> str:
        return SCHEMES[self._flag]

    @property
    def public_key(self) -> bytes:
        return self._public_key

    def sign_hashed(self, message: bytes) -> str:
        # Sui's ECDSA hashes the message with SHA-256; hand KMS that digest so it does not hash again.
        digest = hashlib.sha256(message).digest()
        res = self._kms.sign(KeyId=self._key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
        compact = der_to_compact_low_s(res["Signature"], self._flag)
        return serialize_signature(self._flag, compact, self._public_key)

    def sign_transaction(self, tx_bytes: bytes) -> str:
        return self.sign_hashed(transaction_signing_digest(tx_bytes))
