"""TransactionData building/decoding: byte-identical to @mysten/sui 1.45.2 and to pysui, typed pure arguments."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from nodeplane.chain.decoding import decode_move_call, decode_pure
from nodeplane.chain.keys import Keypair
from nodeplane.chain.signatures import transaction_digest, transaction_signing_digest, verify_serialized
from nodeplane.chain.transactions import (
    ATOMA_DB_SCHEMA,
    OBJECT_KINDS,
    CallSpec,
    ObjectRef,
    SharedObject,
    TransactionError,
    build_atoma_transaction,
    encode_pure,
)

DATA = json.loads((Path(__file__).parents[2] / "data" / "sui" / "transactions.json").read_text())
TXS = {t["name"]: t for t in DATA["transactions"]}
DB = SharedObject(DATA["db"]["objectId"], DATA["db"]["initialSharedVersion"], True)
BADGE = ObjectRef(DATA["badge"]["objectId"], DATA["badge"]["version"], DATA["badge"]["digest"])
COIN = ObjectRef(DATA["coin"]["objectId"], DATA["coin"]["version"], DATA["coin"]["digest"])
GAS = ObjectRef(DATA["gas"]["objectId"], DATA["gas"]["version"], DATA["gas"]["digest"])
CALLS = {
    "subscribe_node_to_task": CallSpec("subscribe_node_to_task", [7, 250_000], [BADGE]),
    "acquire_new_stack_entry": CallSpec("acquire_new_stack_entry", [7, 1_000_000, 300_000], [COIN]),
    "claim_funds_for_stacks": CallSpec("claim_funds_for_stacks", [[1, 2, 300], [10, 0, 1_000_000]], [BADGE]),
}


def _build(name: str, sender: str) -> bytes:
    return build_atoma_transaction(
        package=DATA["package"],
        atoma_db=DB,
        sender=sender,
        calls=[CALLS[name]],
        gas_payment=[GAS],
        gas_price=DATA["gas_price"],
        gas_budget=DATA["gas_budget"],
        random_initial_shared_version=DATA["random"]["initialSharedVersion"],
    )


@pytest.mark.parametrize("name", sorted(TXS))
def test_build_is_byte_identical_to_typescript_sdk(name: str) -> None:
    vec = TXS[name]
    tx = _build(name, vec["sender"])
    assert base64.b64encode(tx).decode() == vec["tx_bytes_b64"]
    assert transaction_digest(tx) == vec["digest"]
    verify_serialized(vec["signature"], transaction_signing_digest(tx), expected_address=vec["sender"])


@pytest.mark.parametrize("name", sorted(TXS))
def test_decode_sdk_transactions(name: str) -> None:
    decoded = decode_move_call(base64.b64decode(TXS[name]["tx_bytes_b64"]))
    assert decoded.sender == TXS[name]["sender"]
    assert decoded.gas.payment == (GAS,) and decoded.gas.price == 1000 and decoded.gas.budget == 50_000_000
    (call,) = decoded.calls
    assert (call.package, call.module, call.function) == (DATA["package"], "db", name)
    assert call.arguments[0] == DB
    spec = CALLS[name]
    assert call.arguments[1] == spec.objects[0]
    assert [a for a in call.arguments[2:] if not isinstance(a, SharedObject)] == list(spec.pure)
    if name == "acquire_new_stack_entry":
        assert call.arguments[-1] == SharedObject("0x" + "0" * 63 + "8", 5, False)


def test_two_calls_share_one_db_input_and_our_signature_verifies() -> None:
    kp = Keypair.generate("secp256k1")
    tx = build_atoma_transaction(
        package=DATA["package"],
        atoma_db=DB,
        sender=kp.address,
        calls=[CALLS["subscribe_node_to_task"], CallSpec("update_node_subscription", [7, 9], [BADGE])],
        gas_payment=[GAS],
        gas_price=750,
    )
    decoded = decode_move_call(tx)
    assert [c.function for c in decoded.calls] == ["subscribe_node_to_task", "update_node_subscription"]
    assert tx.count(bytes.fromhex(DB.object_id[2:])) == 1  # de-duplicated input
    verify_serialized(kp.sign_transaction(tx), transaction_signing_digest(tx), expected_address=kp.address)


@pytest.mark.parametrize(
    ("type_name", "value", "hex_"),
    [
        ("u64", 42, "2a00000000000000"),
        ("u64", 0, "0000000000000000"),
        ("u16", 300, "2c01"),
        ("vector<u8>", b"ab", "026162"),
        ("vector<u64>", [1, 0], "0201000000000000000000000000000000"),
        ("option<u8>", None, "00"),
        ("option<ascii>", "hi", "01026869"),
        ("bool", True, "01"),
    ],
)
def test_pure_encoding_round_trip(type_name: str, value: object, hex_: str) -> None:
    assert encode_pure(type_name, value).hex() == hex_
    assert decode_pure(type_name, bytes.fromhex(hex_)) == value


def test_pure_encoding_matches_pysui_typed_values() -> None:
    from pysui.sui.sui_bcs import bcs
    from pysui.sui.sui_common.txn_pure import PureInput

    assert bytes(PureInput.pure(bcs.SuiU64(2**40))) == encode_pure("u64", 2**40)
    assert bytes(PureInput.pure([bcs.SuiU8(1), bcs.SuiU8(0)])) == encode_pure("vector<u8>", b"\x01\x00")
    addr = "0x" + "ab" * 32
    assert bytes(PureInput.pure(bcs.Address.from_str(addr))) == encode_pure("address", addr)


@pytest.mark.parametrize(("type_name", "value"), [("u64", -1), ("u64", 2**64), ("u8", True), ("bool", 1)])
def test_wrongly_typed_pure_values_refused(type_name: str, value: object) -> None:
    with pytest.raises(TransactionError):
        encode_pure(type_name, value)


def test_decode_rejects_garbage() -> None:
    with pytest.raises(TransactionError):
        decode_move_call(b"\x00\x00\x05")
    with pytest.raises(TransactionError):
        decode_move_call(base64.b64decode(TXS["claim_funds_for_stacks"]["tx_bytes_b64"]) + b"\x00")


# Sample arguments for every atoma::db function: pure values in schema order, owned objects in parameter order.
_SAMPLE_PURE = {
    "u8": 3,
    "u16": 7,
    "u64": 250_000,
    "bool": True,
    "vector<u8>": b"\x00\x01\xfe",
    "vector<u64>": [1, 0, 2**63],
    "option<ascii>": "llama",
    "option<u16>": None,
    "option<u8>": 4,
}


def _sample_call(function: str) -> CallSpec:
    kinds = ATOMA_DB_SCHEMA[function]
    pure = [_SAMPLE_PURE[k] for k in kinds if k not in OBJECT_KINDS]
    return CallSpec(function, pure, [COIN if function == "acquire_new_stack_entry" else BADGE] * kinds.count("obj"))


def _pysui_build(package: str, sender: str, plan: list[tuple[str, list[tuple[str, object]]]]) -> bytes:
    """The same TransactionData through pysui's ProgrammableTransactionBuilder (compress_inputs)."""
    from pysui.sui.sui_bcs import bcs
    from pysui.sui.sui_common.txn_transaction_builder import ProgrammableTransactionBuilder

    from nodeplane.chain.signatures import b58decode

    def ref(r: ObjectRef) -> object:
        return bcs.ObjectReference(bcs.Address.from_str(r.object_id), r.version, bcs.Digest(list(b58decode(r.digest))))

    ptb = ProgrammableTransactionBuilder(compress_inputs=True)
    for function, args in plan:
        arguments = []
        for kind, value in args:
            if kind == "pure":
                assert isinstance(value, bytes)
                arguments.append(ptb.input_pure(bcs.BuilderArg("Pure", list(value))))
            elif kind == "shared":
                assert isinstance(value, SharedObject)
                shared = bcs.SharedObjectReference(
                    bcs.Address.from_str(value.object_id), value.initial_shared_version, value.mutable
                )
                arguments.append(ptb.input_obj_from_objarg(bcs.ObjectArg("SharedObject", shared)))
            else:
                assert isinstance(value, ObjectRef)
                arguments.append(ptb.input_obj_from_objarg(bcs.ObjectArg("ImmOrOwnedObject", ref(value))))
        ptb.move_call(
            target=bcs.Address.from_str(package), module="db", function=function, type_arguments=[], arguments=arguments
        )
    gas = bcs.GasData([ref(GAS)], bcs.Address.from_str(sender), DATA["gas_price"], DATA["gas_budget"])
    v1 = bcs.TransactionDataV1(
        ptb.finish_for_inspect(), bcs.Address.from_str(sender), gas, bcs.TransactionExpiration("None")
    )
    return bytes(bcs.TransactionData("V1", v1).serialize())


@pytest.mark.parametrize(
    "functions",
    [[f] for f in sorted(ATOMA_DB_SCHEMA)]
    + [["subscribe_node_to_task", "update_node_subscription", "unsubscribe_node_from_task"]],
)
def test_build_is_byte_identical_to_pysui(functions: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every atoma::db call, alone and several in one transaction (shared inputs, repeated pure values)."""
    from nodeplane.chain import transactions

    sender = Keypair.generate("ed25519").address
    plans: list[list[tuple[str, list[tuple[str, object]]]]] = []
    real = transactions._transaction_data

    def capture(package: str, sender: str, plan: list, *rest: object) -> bytes:
        plans.append(plan)
        return real(package, sender, plan, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(transactions, "_transaction_data", capture)
    tx = build_atoma_transaction(
        package=DATA["package"],
        atoma_db=DB,
        sender=sender,
        calls=[_sample_call(f) for f in functions],
        gas_payment=[GAS],
        gas_price=DATA["gas_price"],
        gas_budget=DATA["gas_budget"],
        random_initial_shared_version=DATA["random"]["initialSharedVersion"],
    )
    assert tx == _pysui_build(DATA["package"], sender, plans[0])
    assert [c.function for c in decode_move_call(tx).calls] == functions
