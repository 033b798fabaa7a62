"""Sui serialized-signature verification and the digests Sui and Atoma sign.

Imports only hashlib/base64/json and ``cryptography`` so a handler that verifies node
signatures stays cheap to cold-start (pysui costs ~0.5 s to import).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

FLAG_ED25519: Final = 0
FLAG_SECP256K1: Final = 1
FLAG_SECP256R1: Final = 2

SCHEMES: Final[dict[int, str]] = {FLAG_ED25519: "ed25519", FLAG_SECP256K1: "secp256k1", FLAG_SECP256R1: "secp256r1"}
FLAGS: Final[dict[str, int]] = {name: flag for flag, name in SCHEMES.items()}
# flag(1) + signature(64) + public key (32 for ed25519, 33-byte compressed SEC1 for ECDSA)
SERIALIZED_LENGTH: Final[dict[int, int]] = {FLAG_ED25519: 97, FLAG_SECP256K1: 98, FLAG_SECP256R1: 98}

CURVE_ORDER: Final[dict[int, int]] = {
    FLAG_SECP256K1: 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
    FLAG_SECP256R1: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
}
_CURVES: Final[dict[int, ec.EllipticCurve]] = {FLAG_SECP256K1: ec.SECP256K1(), FLAG_SECP256R1: ec.SECP256R1()}
_ECDSA_SHA256: Final = ec.ECDSA(hashes.SHA256())

INTENT_TRANSACTION: Final = bytes([0, 0, 0])
INTENT_PERSONAL_MESSAGE: Final = bytes([3, 0, 0])


class SignatureError(ValueError):
    """A signature was rejected; ``reason`` says why in words a caller can show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    scheme: str
    public_key: bytes
    address: str


def blake2b256(data: bytes) -> bytes:
    """Unkeyed BLAKE2b with a 32-byte digest (not a truncated BLAKE2b-512)."""
    return hashlib.blake2b(data, digest_size=32).digest()


def uleb128(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sui_address(flag: int, public_key: bytes) -> str:
    """Sui address of a public key: ``0x`` + hex(blake2b256(flag || public_key))."""
    return "0x" + blake2b256(bytes([flag]) + public_key).hex()


def normalize_address(address: str) -> str:
    """Lowercase, ``0x``-prefixed, left-padded to 64 hex digits; raises SignatureError if not an address."""
    if not isinstance(address, str):
        raise SignatureError("address must be a string")
    body = address[2:] if address[:2].lower() == "0x" else address
    if not body or len(body) > 64 or any(c not in "0123456789abcdefABCDEF" for c in body):
        raise SignatureError(f"not a Sui address: {address!r}")
    return "0x" + body.lower().rjust(64, "0")


def registration_message(node_small_id: int, public_address: str, country: str, timestamp: int | None = None) -> bytes:
    """The compact JSON Atoma nodes sign on registration, keys in struct order (matches serde_json); the
    successor protocol's ``timestamp`` (Unix seconds) comes last, and only when the node sends one."""
    data: dict[str, object] = {"node_small_id": node_small_id, "public_address": public_address, "country": country}
    if timestamp is not None:
        data["timestamp"] = timestamp
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def registration_digest(node_small_id: int, public_address: str, country: str, timestamp: int | None = None) -> bytes:
    return blake2b256(registration_message(node_small_id, public_address, country, timestamp))


def personal_message_digest(message: bytes) -> bytes:
    """Digest of BCS ``IntentMessage<PersonalMessage>``: the message is length-prefixed."""
    return blake2b256(INTENT_PERSONAL_MESSAGE + uleb128(len(message)) + message)


def transaction_signing_digest(tx_bytes: bytes) -> bytes:
    """What a transaction signature covers: intent 00 00 00 then the BCS bytes, no length prefix."""
    return blake2b256(INTENT_TRANSACTION + tx_bytes)


def transaction_digest(tx_bytes: bytes) -> str:
    """The transaction id (base58) — deliberately a different hash from the signing digest."""
    return b58encode(blake2b256(b"TransactionData::" + tx_bytes))


_B58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX: Final = {c: i for i, c in enumerate(_B58_ALPHABET)}


def b58encode(data: bytes) -> str:
    # Own codec: keeps this module free of third-party imports beyond cryptography.
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, rem = divmod(n, 58)
        out.append(_B58_ALPHABET[rem])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    n = 0
    for c in text:
        if c not in _B58_INDEX:
            raise ValueError(f"invalid base58 character {c!r}")
        n = n * 58 + _B58_INDEX[c]
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + body


def decode_serialized(signature_b64: str) -> tuple[int, bytes, bytes]:
    """Split a serialized signature into (flag, 64-byte signature, public key), checking its shape."""
    if not isinstance(signature_b64, str):
        raise SignatureError("signature must be a base64 string")
    try:
        raw = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("signature is not valid base64") from None
    if not raw:
        raise SignatureError("signature is empty")
    flag = raw[0]
    if flag not in SCHEMES:
        raise SignatureError(f"unsupported signature scheme flag {flag}")
    if len(raw) != SERIALIZED_LENGTH[flag]:
        raise SignatureError(f"{SCHEMES[flag]} signature must be {SERIALIZED_LENGTH[flag]} bytes, got {len(raw)}")
    return flag, raw[1:65], raw[65:]


def verify_raw(flag: int, signature: bytes, public_key: bytes, message: bytes) -> None:
    """Verify a 64-byte signature over ``message`` as Sui's ``verify`` does (ECDSA: SHA-256, low-S only)."""
    if flag == FLAG_ED25519:
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        except InvalidSignature:
            raise SignatureError("signature does not verify") from None
        except ValueError:
            raise SignatureError("invalid ed25519 public key") from None
        return
    n = CURVE_ORDER[flag]
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not 0 < r < n or not 0 < s < n:
        raise SignatureError("ECDSA r or s out of range")
    # cryptography accepts the high-S twin; Sui does not, so neither do we.
    if s > n // 2:
        raise SignatureError("ECDSA signature is not low-S")
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[flag], public_key)
    except ValueError:
        raise SignatureError(f"invalid {SCHEMES[flag]} public key") from None
    try:
        key.verify(encode_dss_signature(r, s), message, _ECDSA_SHA256)
    except InvalidSignature:
        raise SignatureError("signature does not verify") from None


def verify_serialized(signature_b64: str, message: bytes, *, expected_address: str | None = None) -> VerifiedSignature:
    """Verify a Sui serialized signature over ``message`` exactly as given (raw / "sign hashed").

    For a transaction pass ``transaction_signing_digest(tx)``; for a personal message pass
    ``personal_message_digest(msg)``. Raises only SignatureError.
    """
    if not isinstance(message, bytes | bytearray | memoryview):
        raise SignatureError("message must be bytes")
    flag, signature, public_key = decode_serialized(signature_b64)
    if flag != FLAG_ED25519 and public_key[0] not in (2, 3):
        raise SignatureError(f"{SCHEMES[flag]} public key must be a compressed SEC1 point")
    address = sui_address(flag, public_key)
    # Check the address first: it is cheaper than the curve arithmetic and the likelier mismatch.
    if expected_address is not None and normalize_address(expected_address) != address:
        raise SignatureError(f"signer address {address} does not match expected {expected_address}")
    verify_raw(flag, signature, public_key, bytes(message))
    return VerifiedSignature(scheme=SCHEMES[flag], public_key=public_key, address=address)
