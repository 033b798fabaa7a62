"""Sui signature verification against the TypeScript SDK's vectors, plus round-trip properties."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodeplane.chain import signatures as sg
from nodeplane.chain.keys import Keypair, der_to_compact_low_s
from nodeplane.chain.signatures import SignatureError, verify_serialized

DATA = Path(__file__).parents[2] / "data" / "sui"
VECTORS = json.loads((DATA / "signatures.json").read_text())["vectors"]
SCHEMES = ["ed25519", "secp256k1", "secp256r1"]
KEYS = {s: Keypair.generate(s) for s in SCHEMES}


@pytest.mark.parametrize("vec", VECTORS, ids=[v["scheme"] for v in VECTORS])
def test_typescript_sdk_signatures_verify(vec: dict) -> None:
    reg = vec["registration"]
    assert sg.registration_message(42, "https://node.example/ä", "DE").decode() == reg["message"]
    digest = sg.registration_digest(42, "https://node.example/ä", "DE")
    assert digest.hex() == reg["digest_hex"]
    got = verify_serialized(reg["signature"], digest, expected_address=vec["address"])
    assert (got.scheme, got.public_key.hex(), got.address) == (vec["scheme"], vec["public_key_hex"], vec["address"])

    pm = vec["personal_message"]
    msg = bytes.fromhex(pm["message_hex"])
    assert b"\x00" in msg
    verify_serialized(pm["signature"], sg.personal_message_digest(msg), expected_address=vec["address"])

    tx = base64.b64decode(vec["transaction"]["tx_bytes_b64"])
    verify_serialized(
        vec["transaction"]["signature"], sg.transaction_signing_digest(tx), expected_address=vec["address"]
    )


@pytest.mark.parametrize("vec", VECTORS, ids=[v["scheme"] for v in VECTORS])
def test_our_keys_match_the_sdk(vec: dict) -> None:
    kp = Keypair.from_keystore(vec["keystore"])
    assert kp.scheme == vec["scheme"] and kp.address == vec["address"]
    assert Keypair.from_keystore(kp.to_keystore()) == kp
    assert kp.to_bech32() == vec["keystore"]
    tx = base64.b64decode(vec["transaction"]["tx_bytes_b64"])
    # ed25519 and RFC 6979 ECDSA are deterministic, so our bytes equal the SDK's.
    assert kp.sign_transaction(tx) == vec["transaction"]["signature"]
    assert kp.sign_hashed(bytes.fromhex(vec["registration"]["digest_hex"])) == vec["registration"]["signature"]
    msg = bytes.fromhex(vec["personal_message"]["message_hex"])
    assert kp.sign_personal_message(msg) == vec["personal_message"]["signature"]


def test_personal_message_digest_is_length_prefixed() -> None:
    assert sg.personal_message_digest(b"a\x00b") == sg.blake2b256(bytes([3, 0, 0, 3]) + b"a\x00b")


def test_transaction_digest_matches_sdk() -> None:
    for tx in json.loads((DATA / "transactions.json").read_text())["transactions"]:
        assert sg.transaction_digest(base64.b64decode(tx["tx_bytes_b64"])) == tx["digest"]


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        ("not base64!!", "not valid base64"),
        ("", "empty"),
        (base64.b64encode(bytes([0]) + bytes(96 + 1)).decode(), "must be 97 bytes"),
        (base64.b64encode(bytes([1]) + bytes(96)).decode(), "must be 98 bytes"),
        (base64.b64encode(bytes([3]) + bytes(97)).decode(), "unsupported signature scheme flag 3"),
        (base64.b64encode(bytes([5]) + bytes(97)).decode(), "unsupported signature scheme flag 5"),
    ],
)
def test_malformed_signatures_have_reasons(signature: str, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify_serialized(signature, b"x" * 32)


def test_address_mismatch_rejected() -> None:
    kp = KEYS["ed25519"]
    with pytest.raises(SignatureError, match="does not match"):
        verify_serialized(kp.sign_hashed(b"m"), b"m", expected_address=KEYS["secp256k1"].address)
    assert verify_serialized(kp.sign_hashed(b"m"), b"m", expected_address=kp.address.upper().replace("0X", "0x"))


def _high_s_twin(signature: str, flag: int) -> str:
    raw = base64.b64decode(signature)
    n = sg.CURVE_ORDER[flag]
    s = int.from_bytes(raw[33:65], "big")
    return base64.b64encode(raw[:33] + (n - s).to_bytes(32, "big") + raw[65:]).decode()


@settings(max_examples=30, deadline=None)
@given(scheme=st.sampled_from(["secp256k1", "secp256r1"]), message=st.binary(max_size=64))
def test_high_s_twin_rejected(scheme: str, message: bytes) -> None:
    kp = KEYS[scheme]
    sig = kp.sign_hashed(message)
    verify_serialized(sig, message)
    with pytest.raises(SignatureError, match="low-S"):
        verify_serialized(_high_s_twin(sig, kp.flag), message)


def test_high_s_twin_of_sdk_vector_rejected() -> None:
    for vec in VECTORS[1:]:
        reg = vec["registration"]
        flag = base64.b64decode(reg["signature"])[0]
        with pytest.raises(SignatureError, match="low-S"):
            verify_serialized(_high_s_twin(reg["signature"], flag), bytes.fromhex(reg["digest_hex"]))


def test_der_conversion_normalises_high_s() -> None:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    n = sg.CURVE_ORDER[1]
    compact = der_to_compact_low_s(encode_dss_signature(5, n - 3), 1)
    assert compact == (5).to_bytes(32, "big") + (3).to_bytes(32, "big")


@settings(max_examples=40, deadline=None)
@given(scheme=st.sampled_from(SCHEMES), message=st.binary(min_size=0, max_size=64))
def test_sign_verify_round_trip(scheme: str, message: bytes) -> None:
    kp = KEYS[scheme]
    got = verify_serialized(kp.sign_hashed(message), message, expected_address=kp.address)
    assert got.address == kp.address and got.public_key == kp.public_key


@settings(max_examples=60, deadline=None)
@given(scheme=st.sampled_from(SCHEMES), message=st.binary(min_size=1, max_size=40), data=st.data())
def test_any_single_bit_flip_is_rejected(scheme: str, message: bytes, data: st.DataObject) -> None:
    kp = KEYS[scheme]
    raw = bytearray(base64.b64decode(kp.sign_hashed(message)))
    if data.draw(st.booleans(), label="flip message"):
        bit = data.draw(st.integers(0, len(message) * 8 - 1))
        flipped = bytearray(message)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(SignatureError):
            verify_serialized(base64.b64encode(raw).decode(), bytes(flipped), expected_address=kp.address)
    else:
        bit = data.draw(st.integers(0, len(raw) * 8 - 1))
        raw[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(SignatureError):
            verify_serialized(base64.b64encode(raw).decode(), message, expected_address=kp.address)
