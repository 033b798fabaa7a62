"""Cost of nodeplane.chain.signatures.verify_serialized (with address check) vs a bare cryptography verify.

Run: python bench/bench_signatures.py   — both are timed side by side, interleaved, in one process.
"""

from __future__ import annotations

import base64
import functools
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from nodeplane.chain.keys import Keypair
from nodeplane.chain.signatures import registration_digest, verify_serialized

ROUNDS, BATCH = 7, 300


def bare_verifier(scheme: str, signature_b64: str, message: bytes):
    raw = base64.b64decode(signature_b64)
    sig, pk = raw[1:65], raw[65:]
    if scheme == "ed25519":
        key = Ed25519PublicKey.from_public_bytes(pk)
        return lambda: key.verify(sig, message)
    curve = ec.SECP256K1() if scheme == "secp256k1" else ec.SECP256R1()
    ec_key = ec.EllipticCurvePublicKey.from_encoded_point(curve, pk)
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    algo = ec.ECDSA(hashes.SHA256())
    return lambda: ec_key.verify(der, message, algo)


def per_call(fn) -> float:
    start = time.perf_counter()
    for _ in range(BATCH):
        fn()
    return (time.perf_counter() - start) / BATCH


def main() -> None:
    message = registration_digest(7, "https://node.example", "DE")
    print(f"{'scheme':<10} {'ours µs':>9} {'bare µs':>9} {'ratio':>7}")
    for scheme in ("ed25519", "secp256k1", "secp256r1"):
        kp = Keypair.generate(scheme)
        signature, address = kp.sign_hashed(message), kp.address
        ours = functools.partial(verify_serialized, signature, message, expected_address=address)
        # The bare baseline still parses the key per call: a verifier gets a new signature each time.
        bare_parse = functools.partial(lambda *a: bare_verifier(*a)(), scheme, signature, message)
        ours_t, bare_t = [], []
        for _ in range(ROUNDS):  # interleave so drift hits both equally; keep the best round of each
            ours_t.append(per_call(ours))
            bare_t.append(per_call(bare_parse))
        o, b = min(ours_t), min(bare_t)
        print(f"{scheme:<10} {o * 1e6:9.1f} {b * 1e6:9.1f} {o / b:7.2f}x")


if __name__ == "__main__":
    main()
