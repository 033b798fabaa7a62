"""Offline ``TransactionData`` for ``atoma::db`` Move calls: BCS building and decoding in pure Python.

Pure arguments are encoded from a schema table of the ``atoma::db`` functions, so a value can never be
serialised with the wrong width (pysui encodes a bare Python int in as few bytes as it needs: 42 becomes one
byte, not a u64). Decoding needs the same table to interpret Pure inputs. Neither imports pysui (about 0.5 s
to import): the bytes are checked against the TypeScript SDK's and pysui's builders in the tests, and pysui is
loaded only to talk to a Sui full node (``chain.client``).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from nodeplane.chain.signatures import b58decode, b58encode, normalize_address, uleb128

DEFAULT_GAS_BUDGET: Final = 50_000_000
RANDOM_OBJECT_ID: Final = "0x" + "0" * 63 + "8"

# Argument kinds of atoma::db entry functions (the trailing TxContext is implicit).
#   "db"           the shared AtomaDb object (mutable)
#   "obj"          an owned object (NodeBadge, TaskBadge, AtomaManagerBadge, Coin<USDC>)
#   "random"       the shared Random object 0x8 (immutable)
#   pure types     u8 u16 u64 bool address ascii vector<u8> vector<u64> option<T>
ATOMA_DB_SCHEMA: Final[dict[str, tuple[str, ...]]] = {
    "register_node_entry": ("db",),
    "rotate_node_public_key": ("db", "obj", "vector<u8>", "vector<u8>", "u64", "u16"),
    "subscribe_node_to_task": ("db", "obj", "u64", "u64"),
    "update_node_subscription": ("db", "obj", "u64", "u64"),
    "unsubscribe_node_from_task": ("db", "obj", "u64"),
    "acquire_new_stack_entry": ("db", "obj", "u64", "u64", "u64", "random"),
    "try_settle_stack": ("db", "obj", "u64", "u64", "vector<u8>", "vector<u8>", "random"),
    "submit_stack_settlement_attestation": ("db", "obj", "u64", "vector<u8>", "vector<u8>"),
    "start_attestation_dispute": ("db", "obj", "u64", "vector<u8>"),
    "claim_funds": ("db", "obj", "vector<u64>"),
    "claim_funds_for_stacks": ("db", "obj", "vector<u64>", "vector<u64>"),
    "withdraw_fees": ("db", "obj"),
    "create_task_entry": ("db", "obj", "u16", "option<ascii>", "option<u16>", "option<u8>", "bool"),
    "deprecate_task": ("db", "obj"),
    "new_network_key_rotation": ("db", "obj", "random"),
    # Not in Atoma's published package: the local ledger's admin dispute resolution (see ledger.py).
    "resolve_attestation_dispute": ("db", "obj", "u64", "bool"),
}
OBJECT_KINDS: Final = frozenset({"db", "obj", "random"})


class TransactionError(ValueError):
    """Transaction bytes could not be built or decoded."""


@dataclass(frozen=True)
class ObjectRef:
    """An owned object's reference: id, version and base58 digest."""

    object_id: str
    version: int
    digest: str


@dataclass(frozen=True)
class SharedObject:
    object_id: str
    initial_shared_version: int
    mutable: bool = True


@dataclass(frozen=True)
class GasData:
    payment: tuple[ObjectRef, ...]
    owner: str
    price: int
    budget: int


@dataclass(frozen=True)
class MoveCall:
    package: str
    module: str
    function: str
    type_arguments: tuple[str, ...] = ()
    arguments: tuple[Any, ...] = ()  # python values for pure inputs, ObjectRef / SharedObject for objects


# A coin argument: "gas" (the gas coin), an owned coin, or ("result", command, index) of a split.
CoinArg = str | ObjectRef | tuple[str, int, int]


@dataclass(frozen=True)
class CoinCommand:
    """SplitCoins (``kind`` "split": ``coin`` → new coins of ``amounts``), MergeCoins ("merge": ``sources`` into
    ``coin``) or TransferObjects ("transfer": ``sources`` to ``recipient``)."""

    kind: str
    coin: CoinArg | None = None
    amounts: tuple[int, ...] = ()
    sources: tuple[CoinArg, ...] = ()
    recipient: str | None = None


@dataclass(frozen=True)
class DecodedTransaction:
    sender: str
    gas: GasData
    calls: list[MoveCall] = field(default_factory=list)
    expiration_epoch: int | None = None
    coin_commands: list[CoinCommand] = field(default_factory=list)
    # the owned-object inputs, each once however many commands use it (None: as the commands name them)
    object_inputs: tuple[ObjectRef, ...] | None = None

    def owned_inputs(self) -> list[ObjectRef]:
        """Every owned object the transaction names (gas first): what it locks on Sui. An input that several
        calls use (one node badge for several attestations) is one input, as on Sui."""
        refs = list(self.gas.payment)
        if self.object_inputs is not None and not self.coin_commands:
            return refs + list(self.object_inputs)
        refs += [a for c in self.calls for a in c.arguments if isinstance(a, ObjectRef)]
        for command in self.coin_commands:
            refs += [a for a in (command.coin, *command.sources) if isinstance(a, ObjectRef)]
        return refs


# ---------------------------------------------------------------- pure BCS encoding


def encode_pure(type_name: str, value: Any) -> bytes:
    """BCS-encode ``value`` as the Move type ``type_name``."""
    if type_name.startswith("option<"):
        inner = type_name[len("option<") : -1]
        return b"\x00" if value is None else b"\x01" + encode_pure(inner, value)
    if type_name.startswith("vector<"):
        inner = type_name[len("vector<") : -1]
        items = list(value)
        if inner == "u8":
            raw = bytes(items)
            return uleb128(len(raw)) + raw
        return uleb128(len(items)) + b"".join(encode_pure(inner, v) for v in items)
    widths = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "u128": 16, "u256": 32}
    if type_name in widths:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << (8 * widths[type_name]):
            raise TransactionError(f"{value!r} is not a {type_name}")
        return value.to_bytes(widths[type_name], "little")
    if type_name == "bool":
        if not isinstance(value, bool):
            raise TransactionError(f"{value!r} is not a bool")
        return b"\x01" if value else b"\x00"
    if type_name == "address":
        return bytes.fromhex(normalize_address(value)[2:])
    if type_name in ("ascii", "string"):
        raw = value.encode("ascii" if type_name == "ascii" else "utf-8")
        return uleb128(len(raw)) + raw
    raise TransactionError(f"unsupported pure type {type_name}")


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


# ---------------------------------------------------------------- building


@dataclass(frozen=True)
class CallSpec:
    """One ``{package}::db::{function}`` call; ``objects`` are the owned objects in parameter order."""

    function: str
    pure: Sequence[Any] = ()
    objects: Sequence[ObjectRef] = ()


def build_atoma_transaction(
    *,
    package: str,
    atoma_db: SharedObject,
    sender: str,
    calls: Sequence[CallSpec],
    gas_payment: Sequence[ObjectRef],
    gas_price: int,
    gas_budget: int = DEFAULT_GAS_BUDGET,
    random_initial_shared_version: int | None = None,
    schema: dict[str, tuple[str, ...]] | None = None,
) -> bytes:
    """BCS ``TransactionData`` bytes for a sequence of ``atoma::db`` calls (offline, no client).

    The gas price must be given: a caller with a client reads ``reference_gas_price()`` first.
    """
    schema = ATOMA_DB_SCHEMA if schema is None else schema
    plan: list[tuple[str, list[tuple[str, Any]]]] = []
    for call in calls:
        kinds = schema.get(call.function)
        if kinds is None:
            raise TransactionError(f"unknown atoma::db function {call.function}")
        pure = list(call.pure)
        objects = list(call.objects)
        args: list[tuple[str, Any]] = []
        for kind in kinds:
            if kind == "db":
                args.append(("shared", atoma_db))
            elif kind == "random":
                if random_initial_shared_version is None:
                    raise TransactionError(f"{call.function} needs random_initial_shared_version")
                args.append(("shared", SharedObject(RANDOM_OBJECT_ID, random_initial_shared_version, False)))
            elif kind == "obj":
                if not objects:
                    raise TransactionError(f"{call.function}: missing owned object argument")
                args.append(("owned", objects.pop(0)))
            else:
                if not pure:
                    raise TransactionError(f"{call.function}: missing pure argument of type {kind}")
                args.append(("pure", encode_pure(kind, pure.pop(0))))
        if pure or objects:
            raise TransactionError(f"{call.function}: too many arguments")
        plan.append((call.function, args))
    return _transaction_data(package, sender, plan, list(gas_payment), gas_price, gas_budget)


def encode_object_ref(ref: ObjectRef) -> bytes:
    digest = b58decode(ref.digest)
    return (
        bytes.fromhex(normalize_address(ref.object_id)[2:])
        + ref.version.to_bytes(8, "little")
        + uleb128(len(digest))
        + digest
    )


def _encode_str(text: str) -> bytes:
    raw = text.encode("ascii")
    return uleb128(len(raw)) + raw


def _transaction_data(
    package: str,
    sender: str,
    plan: list[tuple[str, list[tuple[str, Any]]]],
    gas_payment: list[ObjectRef],
    gas_price: int,
    gas_budget: int,
) -> bytes:
    """Serialise ``plan`` (function, [(kind, value)]) as TransactionData::V1 of one programmable transaction.

    Identical inputs are one input, as pysui's builder with ``compress_inputs`` makes them: the shared AtomaDb used
    by several calls must be (DuplicateObjectRefInput otherwise).
    """
    inputs: list[bytes] = []  # each a BCS CallArg

    def input_index(call_arg: bytes) -> int:
        if call_arg not in inputs:
            inputs.append(call_arg)
        return inputs.index(call_arg)

    commands = []
    for function, args in plan:
        arguments = b""
        for kind, value in args:
            if kind == "pure":
                call_arg = b"\x00" + uleb128(len(value)) + bytes(value)
            elif kind == "shared":
                assert isinstance(value, SharedObject)
                call_arg = (
                    b"\x01\x01"
                    + bytes.fromhex(normalize_address(value.object_id)[2:])
                    + value.initial_shared_version.to_bytes(8, "little")
                    + (b"\x01" if value.mutable else b"\x00")
                )
            else:
                call_arg = b"\x01\x00" + encode_object_ref(value)
            arguments += b"\x01" + input_index(call_arg).to_bytes(2, "little")  # Argument::Input(u16)
        commands.append(
            b"\x00"  # Command::MoveCall
            + bytes.fromhex(normalize_address(package)[2:])
            + _encode_str("db")
            + _encode_str(function)
            + uleb128(0)  # no type arguments
            + uleb128(len(args))
            + arguments
        )
    return wrap_programmable(inputs, commands, sender, gas_payment, gas_price, gas_budget)


def wrap_programmable(
    inputs: Sequence[bytes],
    commands: Sequence[bytes],
    sender: str,
    gas_payment: Sequence[ObjectRef],
    gas_price: int,
    gas_budget: int,
) -> bytes:
    """TransactionData::V1 of one programmable transaction from encoded CallArgs and Commands."""
    owner = bytes.fromhex(normalize_address(sender)[2:])
    return (
        b"\x00\x00"  # TransactionData::V1, TransactionKind::ProgrammableTransaction
        + uleb128(len(inputs))
        + b"".join(inputs)
        + uleb128(len(commands))
        + b"".join(commands)
        + owner
        + uleb128(len(gas_payment))
        + b"".join(encode_object_ref(ref) for ref in gas_payment)
        + owner  # the sender pays its own gas
        + gas_price.to_bytes(8, "little")
        + gas_budget.to_bytes(8, "little")
        + b"\x00"  # TransactionExpiration::None
    )
