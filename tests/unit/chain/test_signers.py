"""Signers: keystore sealed with KMS envelope encryption, and KMS asymmetric keys (moto)."""

from __future__ import annotations

import hashlib

import boto3
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from moto import mock_aws

from nodeplane.chain.keys import Keypair
from nodeplane.chain.signatures import transaction_signing_digest, verify_serialized
from nodeplane.chain.signers import KeystoreSigner, KmsSigner, Signer, open_keystore, seal_keystore


@pytest.fixture
def kms():
    with mock_aws():
        yield boto3.client("kms", region_name="eu-west-1")


def test_sealed_keystore_round_trip(kms) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kp = Keypair.generate("secp256r1")
    ctx = {"address": kp.address}
    sealed = seal_keystore(kms, key_id, kp.to_keystore(), ctx)
    assert kp.to_keystore() not in str(sealed)
    assert open_keystore(kms, sealed, ctx) == kp.to_keystore()
    signer = KeystoreSigner.from_sealed(kms, sealed, ctx)
    assert isinstance(signer, Signer) and signer.address == kp.address
    tx = b"\x00" * 40
    verify_serialized(signer.sign_transaction(tx), transaction_signing_digest(tx), expected_address=kp.address)
    with pytest.raises(Exception):  # noqa: B017 - a different context must not open the record
        open_keystore(kms, sealed, {"address": "0x1"})


@pytest.mark.parametrize(("spec", "scheme"), [("ECC_SECG_P256K1", "secp256k1"), ("ECC_NIST_P256", "secp256r1")])
def test_kms_signer_against_moto(kms, spec: str, scheme: str) -> None:
    key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec=spec)["KeyMetadata"]["KeyId"]
    signer = KmsSigner(kms, key_id)
    assert signer.scheme == scheme and len(signer.public_key) == 33
    for i in range(8):  # several signatures: KMS returns high-S about half the time
        msg = bytes([i]) * 32
        # moto 5.2.5 ignores MessageType=DIGEST and hashes our SHA-256 digest again, so its signature is a
        # valid Sui signature over sha256(msg) instead of msg; that still exercises key parsing and DER→low-S.
        got = verify_serialized(signer.sign_hashed(msg), hashlib.sha256(msg).digest(), expected_address=signer.address)
        assert got.scheme == scheme


class _DigestKms:
    """KMS stand-in that honours MessageType=DIGEST as real KMS does (moto does not)."""

    def __init__(self, curve: ec.EllipticCurve, spec: str) -> None:
        self._key = ec.generate_private_key(curve)
        self._spec = spec

    def get_public_key(self, KeyId: str) -> dict:
        der = self._key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        return {"KeyId": KeyId, "KeySpec": self._spec, "PublicKey": der}

    def sign(self, KeyId: str, Message: bytes, MessageType: str, SigningAlgorithm: str) -> dict:
        assert (MessageType, SigningAlgorithm) == ("DIGEST", "ECDSA_SHA_256")
        return {"Signature": self._key.sign(Message, ec.ECDSA(Prehashed(hashes.SHA256())))}


@pytest.mark.parametrize(("curve", "spec"), [(ec.SECP256K1(), "ECC_SECG_P256K1"), (ec.SECP256R1(), "ECC_NIST_P256")])
def test_kms_signer_with_digest_semantics(curve: ec.EllipticCurve, spec: str) -> None:
    signer = KmsSigner(_DigestKms(curve, spec), "k")
    tx = bytes(range(50))
    for _ in range(8):  # randomised nonces: covers both low-S and normalised high-S outputs
        verify_serialized(signer.sign_transaction(tx), transaction_signing_digest(tx), expected_address=signer.address)


def test_kms_signer_refuses_other_key_specs(kms) -> None:
    key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_2048")["KeyMetadata"]["KeyId"]
    with pytest.raises(ValueError, match="cannot sign for Sui"):
        KmsSigner(kms, key_id)
