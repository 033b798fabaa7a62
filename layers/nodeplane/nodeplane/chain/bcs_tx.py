"""The only module of nodeplane.chain that imports pysui (≈0.5 s): TransactionData assembly with its BCS types."""

from __future__ import annotations

from typing import Any

from pysui.sui.sui_bcs import bcs
from pysui.sui.sui_common.txn_transaction_builder import ProgrammableTransactionBuilder

from nodeplane.chain.signatures import b58decode
from nodeplane.chain.transactions import ObjectRef, SharedObject


def _object_ref(ref: ObjectRef) -> Any:
    # Digest is a length-prefixed 32-byte vector; pysui's Digest wraps the base58-decoded bytes.
    return bcs.ObjectReference(
        bcs.Address.from_str(ref.object_id), ref.version, bcs.Digest(list(b58decode(ref.digest)))
    )


def build(
    package: str,
    sender: str,
    plan: list[tuple[str, list[tuple[str, Any]]]],
    gas_payment: list[ObjectRef],
    gas_price: int,
    gas_budget: int,
) -> bytes:
    """Serialise ``plan`` (function, [(kind, value)]) as TransactionData::V1 with inputs de-duplicated."""
    # compress_inputs: the shared AtomaDb used by several calls must be one input (DuplicateObjectRefInput).
    ptb = ProgrammableTransactionBuilder(compress_inputs=True)
    for function, args in plan:
        arguments: list[Any] = []
        for kind, value in args:
            if kind == "pure":
                arguments.append(ptb.input_pure(bcs.BuilderArg("Pure", list(value))))
            elif kind == "shared":
                assert isinstance(value, SharedObject)
                ref = bcs.SharedObjectReference(
                    bcs.Address.from_str(value.object_id), value.initial_shared_version, value.mutable
                )
                arguments.append(ptb.input_obj_from_objarg(bcs.ObjectArg("SharedObject", ref)))
            else:
                arguments.append(ptb.input_obj_from_objarg(bcs.ObjectArg("ImmOrOwnedObject", _object_ref(value))))
        ptb.move_call(
            target=bcs.Address.from_str(package), module="db", function=function, type_arguments=[], arguments=arguments
        )
    txdata = bcs.TransactionData(
        "V1",
        bcs.TransactionDataV1(
            ptb.finish_for_inspect(),
            bcs.Address.from_str(sender),
            bcs.GasData([_object_ref(g) for g in gas_payment], bcs.Address.from_str(sender), gas_price, gas_budget),
            bcs.TransactionExpiration("None"),
        ),
    )
    return bytes(txdata.serialize())
