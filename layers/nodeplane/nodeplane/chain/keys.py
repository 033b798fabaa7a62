"""Sui keypairs (ed25519, secp256k1, secp256r1) on ``cryptography``: keystore I/O and signing."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from nodeplane.chain.signatures import (
    _CURVES,
    CURVE_ORDER,
    FLAG_ED25519,
    FLAGS,
    SCHEMES,
    personal_message_digest,
    sui_address,
    transaction_signing_digest,
)

BECH32_HRP: Final = "suiprivkey"
_BECH32_CHARSET: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


class KeyError_(ValueError):
    """A keystore string or scheme could not be used."""


def _bech32_polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (b >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convertbits(data: bytes | list[int], frombits: int, tobits: int, pad: bool) -> list[int]:
    acc = bits = 0
    ret: list[int] = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if pad and bits:
        ret.append((acc << (tobits - bits)) & maxv)
    elif not pad and (bits >= frombits or ((acc << (tobits - bits)) & maxv)):
        raise KeyError_("invalid bech32 padding")
    return ret


def bech32_encode(hrp: str, payload: bytes) -> str:
    data = _convertbits(payload, 8, 5, True)
    polymod = _bech32_polymod([*_hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32_CHARSET[d] for d in data + checksum)


def bech32_decode(text: str) -> tuple[str, bytes]:
    if text.lower() != text and text.upper() != text:
        raise KeyError_("bech32 string has mixed case")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise KeyError_("malformed bech32 string")
    hrp, rest = text[:pos], text[pos + 1 :]
    if any(c not in _BECH32_CHARSET for c in rest):
        raise KeyError_("invalid bech32 character")
    data = [_BECH32_CHARSET.index(c) for c in rest]
    if _bech32_polymod(_hrp_expand(hrp) + data) != 1:
        raise KeyError_("bad bech32 checksum")
    return hrp, bytes(_convertbits(data[:-6], 5, 8, False))


@dataclass(frozen=True)
class Keypair:
    """A Sui keypair; ``private_key`` is the 32-byte ed25519 seed or ECDSA scalar."""

    scheme: str
    private_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if self.scheme not in FLAGS:
            raise KeyError_(f"unsupported scheme {self.scheme!r}")
        if len(self.private_key) != 32:
            raise KeyError_("private key must be 32 bytes")
        if self.flag != FLAG_ED25519 and not 0 < int.from_bytes(self.private_key, "big") < CURVE_ORDER[self.flag]:
            raise KeyError_("ECDSA private key out of range")

    @property
    def flag(self) -> int:
        return FLAGS[self.scheme]

    @classmethod
    def generate(cls, scheme: str = "ed25519") -> Keypair:
        if scheme not in FLAGS:
            raise KeyError_(f"unsupported scheme {scheme!r}")
        if FLAGS[scheme] == FLAG_ED25519:
            raw = Ed25519PrivateKey.generate().private_bytes_raw()
        else:
            scalar = ec.generate_private_key(_CURVES[FLAGS[scheme]]).private_numbers().private_value
            raw = scalar.to_bytes(32, "big")
        return cls(scheme, raw)

    @classmethod
    def from_keystore(cls, keystore: str) -> Keypair:
        """Accept the Sui keystore base64 ``flag||key`` form and the bech32 ``suiprivkey1…`` form."""
        keystore = keystore.strip()
        if keystore.lower().startswith(BECH32_HRP + "1"):
            hrp, raw = bech32_decode(keystore)
            if hrp != BECH32_HRP:
                raise KeyError_(f"unexpected bech32 prefix {hrp!r}")
        else:
            try:
                raw = base64.b64decode(keystore, validate=True)
            except (binascii.Error, ValueError):
                raise KeyError_("keystore string is neither base64 nor suiprivkey bech32") from None
        if len(raw) != 33 or raw[0] not in SCHEMES:
            raise KeyError_("keystore must hold flag(1) || private key(32) for ed25519/secp256k1/secp256r1")
        return cls(SCHEMES[raw[0]], raw[1:])

    def to_keystore(self) -> str:
        return base64.b64encode(bytes([self.flag]) + self.private_key).decode()

    def to_bech32(self) -> str:
        return bech32_encode(BECH32_HRP, bytes([self.flag]) + self.private_key)

    def _ed25519(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.private_key)

    def _ecdsa(self) -> ec.EllipticCurvePrivateKey:
        return ec.derive_private_key(int.from_bytes(self.private_key, "big"), _CURVES[self.flag])

    @cached_property  # deriving an ECDSA public key is a scalar multiplication (~0.3-0.6 ms)
    def public_key(self) -> bytes:
        if self.flag == FLAG_ED25519:
            return self._ed25519().public_key().public_bytes_raw()
        return (
            self._ecdsa()
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        )

    @cached_property
    def address(self) -> str:
        return sui_address(self.flag, self.public_key)

    def sign_hashed(self, message: bytes) -> str:
        """Serialized signature over ``message`` as given (Sui ``Signature::new_hashed``)."""
        if self.flag == FLAG_ED25519:
            sig = self._ed25519().sign(message)
        else:
            der = self._ecdsa().sign(message, _ecdsa_algorithm())
            sig = der_to_compact_low_s(der, self.flag)
        return serialize_signature(self.flag, sig, self.public_key)

    def sign_transaction(self, tx_bytes: bytes) -> str:
        return self.sign_hashed(transaction_signing_digest(tx_bytes))

    def sign_personal_message(self, message: bytes) -> str:
        # Own BCS of the message: pysui's sign_personal_message drops 0x00 bytes.
        return self.sign_hashed(personal_message_digest(message))


def _ecdsa_algorithm() -> ec.ECDSA:
    # RFC 6979 makes signatures byte-identical to pysui/fastcrypto; fall back to random nonces if unsupported.
    try:
        return ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    except TypeError:  # pragma: no cover - old cryptography
        return ec.ECDSA(hashes.SHA256())


def der_to_compact_low_s(der: bytes, flag: int) -> bytes:
    """DER ECDSA signature → 64-byte ``r||s`` with ``s`` normalised to the low half (Sui rejects high-S)."""
    r, s = decode_dss_signature(der)
    n = CURVE_ORDER[flag]
    if s > n // 2:
        s = n - s
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def serialize_signature(flag: int, signature: bytes, public_key: bytes) -> str:
    return base64.b64encode(bytes([flag]) + signature + public_key).decode()
