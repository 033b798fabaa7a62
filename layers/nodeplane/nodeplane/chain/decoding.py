"""Decoding ``TransactionData`` bytes back into the calls and coin commands they carry (what the local ledger
executes and the tests compare with other builders): the reverse of ``chain.transactions``, using the same
schema table to read Pure inputs with the width each parameter has."""

from __future__ import annotations

import struct
from typing import Any

from nodeplane.chain.signatures import b58encode
from nodeplane.chain.transactions import (
    ATOMA_DB_SCHEMA,
    OBJECT_KINDS,
    CoinArg,
    CoinCommand,
    DecodedTransaction,
    GasData,
    MoveCall,
    ObjectRef,
    SharedObject,
    TransactionError,
)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise TransactionError("unexpected end of BCS data")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def byte(self) -> int:
        return self.take(1)[0]

    def uleb(self) -> int:
        shift = n = 0
        while True:
            b = self.byte()
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7
            if shift > 63:
                raise TransactionError("uleb128 too long")

    def u16(self) -> int:
        return int(struct.unpack("<H", self.take(2))[0])

    def u64(self) -> int:
        return int(struct.unpack("<Q", self.take(8))[0])

    def address(self) -> str:
        return "0x" + self.take(32).hex()

    def string(self) -> str:
        return self.take(self.uleb()).decode("utf-8")

    def done(self) -> bool:
        return self.pos == len(self.data)


def decode_pure(type_name: str, data: bytes) -> Any:
    reader = _Reader(data)
    value = _decode_pure(type_name, reader)
    if not reader.done():
        raise TransactionError(f"trailing bytes after {type_name}")
    return value


def _decode_pure(type_name: str, r: _Reader) -> Any:
    if type_name.startswith("option<"):
        tag = r.byte()
        if tag > 1:
            raise TransactionError("bad option tag")
        return _decode_pure(type_name[len("option<") : -1], r) if tag else None
    if type_name.startswith("vector<"):
        inner = type_name[len("vector<") : -1]
        n = r.uleb()
        if inner == "u8":
            return r.take(n)
        return [_decode_pure(inner, r) for _ in range(n)]
    widths = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "u128": 16, "u256": 32}
    if type_name in widths:
        return int.from_bytes(r.take(widths[type_name]), "little")
    if type_name == "bool":
        b = r.byte()
        if b > 1:
            raise TransactionError("bad bool")
        return b == 1
    if type_name == "address":
        return r.address()
    if type_name in ("ascii", "string"):
        return r.string()
    raise TransactionError(f"unsupported pure type {type_name}")


# ---------------------------------------------------------------- TransactionData decoding


def _object_ref(r: _Reader) -> ObjectRef:
    object_id = r.address()
    version = r.u64()
    digest = r.take(r.uleb())
    return ObjectRef(object_id, version, b58encode(digest))


def _type_tag(r: _Reader) -> str:
    tag = r.byte()
    simple = {0: "bool", 1: "u8", 2: "u64", 3: "u128", 4: "address", 5: "signer", 8: "u16", 9: "u32", 10: "u256"}
    if tag in simple:
        return simple[tag]
    if tag == 6:
        return f"vector<{_type_tag(r)}>"
    if tag == 7:
        addr, module, name = r.address(), r.string(), r.string()
        params = [_type_tag(r) for _ in range(r.uleb())]
        return f"{addr}::{module}::{name}" + (f"<{', '.join(params)}>" if params else "")
    raise TransactionError(f"unknown type tag {tag}")


def _argument(r: _Reader) -> tuple[str, int]:
    kind = r.byte()
    if kind == 0:
        return ("GasCoin", 0)
    if kind in (1, 2):
        return ("Input" if kind == 1 else "Result", r.u16())
    if kind == 3:
        idx = r.u16()
        r.u16()
        return ("NestedResult", idx)
    raise TransactionError(f"unknown argument kind {kind}")


def decode_move_call(
    tx_bytes: bytes, schema: dict[str, tuple[str, ...]] | None = None, *, module: str = "db"
) -> DecodedTransaction:
    """Decode a programmable transaction of Move calls; Pure inputs are typed by ``schema`` (atoma::db default).

    Only MoveCall commands whose arguments are inputs are accepted: that is all the Atoma daemon sends,
    and refusing the rest keeps the ledger from silently ignoring a command it cannot apply.
    """
    schema = ATOMA_DB_SCHEMA if schema is None else schema
    r = _Reader(tx_bytes)
    if r.byte() != 0:
        raise TransactionError("only TransactionData::V1 is supported")
    if r.byte() != 0:
        raise TransactionError("only programmable transactions are supported")
    inputs: list[tuple[str, Any]] = []
    for _ in range(r.uleb()):
        kind = r.byte()
        if kind == 0:
            inputs.append(("pure", r.take(r.uleb())))
        elif kind == 1:
            okind = r.byte()
            if okind == 0:
                inputs.append(("object", _object_ref(r)))
            elif okind == 1:
                inputs.append(("object", SharedObject(r.address(), r.u64(), r.byte() == 1)))
            else:
                raise TransactionError("receiving object inputs are not supported")
        else:
            raise TransactionError(f"unsupported call argument kind {kind}")
    raw_calls = []
    coin_commands: list[CoinCommand] = []
    for _ in range(r.uleb()):
        kind = r.byte()
        if kind in (1, 2, 3):
            coin_commands.append(_coin_command(kind, r, inputs))
            continue
        if kind != 0:
            raise TransactionError("only MoveCall and coin (split, merge, transfer) commands are supported")
        package, mod, function = r.address(), r.string(), r.string()
        types = tuple(_type_tag(r) for _ in range(r.uleb()))
        args = [_argument(r) for _ in range(r.uleb())]
        raw_calls.append((package, mod, function, types, args))
    if raw_calls and coin_commands:
        raise TransactionError("a transaction either calls atoma::db or moves coins, not both")
    sender = r.address()
    payment = tuple(_object_ref(r) for _ in range(r.uleb()))
    gas = GasData(payment, r.address(), r.u64(), r.u64())
    exp_kind = r.byte()
    expiration = r.u64() if exp_kind == 1 else None
    if exp_kind > 1 or not r.done():
        raise TransactionError("unsupported expiration or trailing bytes")

    calls = []
    for package, mod, function, types, args in raw_calls:
        if mod != module or function not in schema:
            raise TransactionError(f"unknown Move function {mod}::{function}")
        kinds = schema[function]
        if len(args) != len(kinds):
            raise TransactionError(f"{function} takes {len(kinds)} arguments, got {len(args)}")
        values: list[Any] = []
        for (akind, index), tname in zip(args, kinds, strict=True):
            if akind != "Input" or index >= len(inputs):
                raise TransactionError(f"{function}: only transaction inputs are supported as arguments")
            ikind, ivalue = inputs[index]
            if (tname in OBJECT_KINDS) != (ikind == "object"):
                raise TransactionError(f"{function}: argument of type {tname} has the wrong input kind")
            values.append(ivalue if ikind == "object" else decode_pure(tname, ivalue))
        calls.append(MoveCall(package, mod, function, types, tuple(values)))
    used = {index for *_, args in raw_calls for akind, index in args if akind == "Input"}
    objects = tuple(v for i, (k, v) in enumerate(inputs) if k == "object" and isinstance(v, ObjectRef) and i in used)
    return DecodedTransaction(
        sender=sender,
        gas=gas,
        calls=calls,
        expiration_epoch=expiration,
        coin_commands=coin_commands,
        object_inputs=objects if raw_calls else None,
    )


def _coin_arg(r: _Reader, inputs: list[tuple[str, Any]]) -> CoinArg:
    kind = r.byte()
    if kind == 0:
        return "gas"
    if kind == 1:
        index = r.u16()
        if index >= len(inputs) or inputs[index][0] != "object" or not isinstance(inputs[index][1], ObjectRef):
            raise TransactionError("a coin argument must be the gas coin, an owned object or a split's result")
        return inputs[index][1]
    if kind == 3:
        return ("result", r.u16(), r.u16())
    raise TransactionError(f"unsupported coin argument kind {kind}")


def _pure_input(r: _Reader, inputs: list[tuple[str, Any]], type_name: str) -> Any:
    if r.byte() != 1:
        raise TransactionError("coin amounts and recipients must be transaction inputs")
    index = r.u16()
    if index >= len(inputs) or inputs[index][0] != "pure":
        raise TransactionError(f"expected a pure {type_name} input")
    return decode_pure(type_name, inputs[index][1])


def _coin_command(kind: int, r: _Reader, inputs: list[tuple[str, Any]]) -> CoinCommand:
    if kind == 1:  # TransferObjects(vector<Argument>, Argument)
        objects = tuple(_coin_arg(r, inputs) for _ in range(r.uleb()))
        return CoinCommand("transfer", sources=objects, recipient=_pure_input(r, inputs, "address"))
    coin = _coin_arg(r, inputs)
    if kind == 2:  # SplitCoins(Argument, vector<Argument>)
        amounts = tuple(int(_pure_input(r, inputs, "u64")) for _ in range(r.uleb()))
        return CoinCommand("split", coin=coin, amounts=amounts)
    return CoinCommand("merge", coin=coin, sources=tuple(_coin_arg(r, inputs) for _ in range(r.uleb())))
