"""Offline ``TransactionData`` for ``atoma::db`` Move calls: BCS building in pure Python (decoding: ``chain.decoding``).

Pure arguments are encoded from a schema table of the ``atoma::db`` functions, so a value can never be
serialised with the wrong width (pysui encodes a bare Python int in as few bytes as it needs: 42 becomes one
byte, not a u64). Decoding needs the same table to interpret Pure inputs. Neither imports pysui (about 0.5 s
to import): the bytes are checked against the TypeScript SDK's and pysui's builders in the tests, and pysui is
loaded only to talk to a Sui full node (``chain.client``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from nodeplane.chain.signatures import b58decode, normalize_address, uleb128

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
