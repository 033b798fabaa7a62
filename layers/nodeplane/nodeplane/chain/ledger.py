"""The local ledger: an embedded stand-in for Sui + the ``atoma::db`` package when no Sui RPC is configured.

It accepts the same signed ``TransactionData`` bytes a Sui full node would, checks them the way Sui does
(signature by the sender, owned-object versions and digests, gas coin), applies the ``atoma::db`` rules with
their abort conditions, and emits events in Sui's JSON shape.

Storage: one DynamoDB table (``pk``/``sk`` strings), every item ``{pk, sk, data: <json>}``:

    LEDGER / HEAD              version counter + counters, genesis ids, epoch, treasury, key rotation
    OBJ#<id> / OBJ             an object: type, owner ("shared" for AtomaDb), version, digest, fields
    OWNER#<address> / OBJ#<id> owner index for owned_objects()
    NODE#<small id> / NODE     node: badge id, sui address, reputation, public keys per rotation counter
    TASK#<small id> / TASK     task: role, model, security level, minimum reputation, deprecation
    TASK#<small id> / SUB#<node small id, 20 digits>   subscription: price, max units
    STACK#<small id> / STACK   stack: owner, task, selected node, units, cap price, claimed
    STACK#<small id> / TICKET  settlement ticket: proofs/leaves buffers (32·(1+n)), attesters, dispute state
    TX#<digest> / TX           the result of an applied transaction (resubmission returns it, never re-applies)
    EVENT / <seq, 20 digits>   one event; seq is the cursor of events_since()

Each transaction is applied with ONE TransactWriteItems whose first action puts the head conditional on the
version read at the start; a concurrent writer makes it fail and the whole transaction is re-executed on fresh
state. That serialises all transactions — fine for a local stand-in, and it makes double application impossible.

Where it deliberately differs from Atoma's published ``atoma::db`` package:
* ticket proof/leaf buffers are sized 32·(1+n), one slot for the selected node and one per attester (the package
  sizes them 32·n, so with no attester the first write fails); attestation nodes are sampled without replacement
  among current subscribers (the package samples with replacement); only the selected node or a sampled
  attestation node may start a dispute (the package lets any badge holder).
* ``resolve_attestation_dispute(db, &AtomaManagerBadge, stack_small_id: u64, original_is_correct: bool)`` —
  the package has no way out of a dispute. The admin decides: if the selected node's commitment was right
  the dispute is cleared and the ticket becomes claimable as usual; otherwise the stack's full cost is
  refunded to its owner as a new Coin<USDC> and stack and ticket are removed. Emits
  ``StackDisputeResolvedEvent{stack_small_id, selected_node_id, original_is_correct, user_refund_amount}``.
* Gas: a flat ``gas_price · 1000`` MIST is charged from the first gas coin, also when the call aborts.
* Payments to nodes and refunds to owners are new Coin<USDC> objects (no fee-withdrawal epoch delay).
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from nodeplane.chain.signatures import (
    SignatureError,
    b58encode,
    blake2b256,
    normalize_address,
    transaction_digest,
    transaction_signing_digest,
    verify_serialized,
)
from nodeplane.chain.transactions import (
    DecodedTransaction,
    ObjectRef,
    SharedObject,
    TransactionError,
    decode_move_call,
)

HEAD: Final = ("LEDGER", "HEAD")
RANDOM_ID: Final = "0x" + "0" * 63 + "8"
RANDOM_INITIAL_SHARED_VERSION: Final = 1
COMPUTE_UNITS_PER_STACK: Final = 1_000_000
GAS_UNITS_PER_TX: Final = 1_000
MAX_DEVICE_TYPE: Final = 15_999
SUI_COIN: Final = "0x2::coin::Coin<0x2::sui::SUI>"
# db.move samples one extra attestation node; settlement.committed_proof covers 1 + this many leaves.
EXTRA_ATTESTATION_NODES: Final = 1


def stack_cost(price: int, num_compute_units: int, security_level: int) -> int:
    """db.move's charge for a stack: ``price`` per million units, plus 21.2% for sampling consensus (level 2)."""
    cost = price * num_compute_units // COMPUTE_UNITS_PER_STACK
    return cost * 1212 // 1000 if security_level == 2 else cost


class TransactionRejected(ValueError):
    """Refused before execution (bad signature, wrong sender, stale object, unknown input); nothing changes."""


class MoveAbort(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TxResult:
    digest: str
    status: str  # "success" | "failure"
    error: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)  # [{"object_id", "type", "owner"}]


def _check(cond: bool, reason: str) -> None:
    if not cond:
        raise MoveAbort(reason)


def _inner(n: int) -> dict[str, str]:
    return {"inner": str(n)}


class _View:
    """Reads through to DynamoDB (consistent), buffers writes for one TransactWriteItems."""

    def __init__(self, ddb: Any, table: str) -> None:
        self._ddb, self._table = ddb, table
        self.reads: dict[tuple[str, str], dict[str, Any] | None] = {}
        self.writes: dict[tuple[str, str], dict[str, Any] | None] = {}

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        key = (pk, sk)
        if key in self.writes:
            return copy.deepcopy(self.writes[key])
        if key not in self.reads:
            res = self._ddb.get_item(TableName=self._table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
            item = res.get("Item")
            self.reads[key] = json.loads(item["data"]["S"]) if item else None
        return copy.deepcopy(self.reads[key])

    def put(self, pk: str, sk: str, data: dict[str, Any]) -> None:
        self.writes[(pk, sk)] = copy.deepcopy(data)

    def delete(self, pk: str, sk: str) -> None:
        self.writes[(pk, sk)] = None

    def query(self, pk: str, prefix: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":p": {"S": prefix}},
            "ConsistentRead": True,
        }
        while True:
            res = self._ddb.query(**kwargs)
            for item in res["Items"]:
                out[item["sk"]["S"]] = json.loads(item["data"]["S"])
            if "LastEvaluatedKey" not in res:
                break
            kwargs["ExclusiveStartKey"] = res["LastEvaluatedKey"]
        for (wpk, wsk), data in self.writes.items():
            if wpk == pk and wsk.startswith(prefix):
                if data is None:
                    out.pop(wsk, None)
                else:
                    out[wsk] = copy.deepcopy(data)
        return dict(sorted(out.items()))


class LocalLedger:
    """Sui + atoma::db stand-in persisted in DynamoDB. Implements the ChainClient protocol."""

    def __init__(
        self,
        dynamodb_client: Any,
        table_name: str,
        *,
        admin_address: str,
        gas_price: int = 1000,
        cross_validation_probability_permille: int = 10,
        clock_ms: Callable[[], int] | None = None,
        max_retries: int = 20,
    ) -> None:
        self._ddb = dynamodb_client
        self._table = table_name
        self._admin = normalize_address(admin_address)
        self._gas_price = gas_price
        self._cross_validation = cross_validation_probability_permille
        self._clock = clock_ms or (lambda: int(time.time() * 1000))
        self._max_retries = max_retries

    # ------------------------------------------------------------ reads

    def _head(self, view: _View | None = None) -> dict[str, Any]:
        head = (view or _View(self._ddb, self._table)).get(*HEAD)
        if head is None:
            raise RuntimeError("ledger has no genesis; call genesis() first")
        return head

    def reference_gas_price(self) -> int:
        return self._gas_price

    def get_object(self, object_id: str) -> dict[str, Any] | None:
        return _View(self._ddb, self._table).get(f"OBJ#{normalize_address(object_id)}", "OBJ")

    def object_ref(self, object_id: str) -> ObjectRef:
        obj = self.get_object(object_id)
        if obj is None:
            raise KeyError(object_id)
        return ObjectRef(obj["object_id"], obj["version"], obj["digest"])

    def owned_objects(self, address: str, type_suffix: str = "") -> list[dict[str, Any]]:
        view = _View(self._ddb, self._table)
        out = []
        for sk in view.query(f"OWNER#{normalize_address(address)}", "OBJ#"):
            obj = view.get(sk, "OBJ")
            if obj and obj["type"].endswith(type_suffix):
                out.append(obj)
        return out

    def events_since(self, cursor: str | None, limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk > :c",
            "ExpressionAttributeValues": {":pk": {"S": "EVENT"}, ":c": {"S": cursor or "0"}},
            "Limit": limit,
            "ConsistentRead": True,
        }
        items = self._ddb.query(**kwargs)["Items"]
        events = [json.loads(i["data"]["S"]) for i in items]
        return events, (items[-1]["sk"]["S"] if items else cursor)

    def info(self) -> dict[str, Any]:
        """Package id, AtomaDb shared object, admin badge, USDC type, epoch: what a builder needs."""
        head = self._head()
        return {
            k: head[k] for k in ("package", "db_id", "db_initial_shared_version", "admin_badge", "usdc_type", "epoch")
        } | {"random_initial_shared_version": RANDOM_INITIAL_SHARED_VERSION}

    def shared_db(self) -> SharedObject:
        head = self._head()
        return SharedObject(head["db_id"], head["db_initial_shared_version"], True)

    # ------------------------------------------------------------ admin (not transactions)

    def genesis(self) -> dict[str, Any]:
        """Create the package id, the AtomaDb shared object and the admin's AtomaManagerBadge (idempotent)."""
        view = _View(self._ddb, self._table)
        if view.get(*HEAD) is not None:
            return self.info()
        seed = blake2b256(b"nodeplane-local-ledger" + bytes.fromhex(self._admin[2:]))
        package = "0x" + blake2b256(seed + b"package").hex()
        head: dict[str, Any] = {
            "package": package,
            "usdc_type": f"{package}::usdc::USDC",
            "db_id": "0x" + blake2b256(seed + b"db").hex(),
            "db_initial_shared_version": 1,
            "admin": self._admin,
            "epoch": 0,
            "counters": {"node": 0, "task": 0, "stack": 0, "event": 0, "object": 0},
            "key_rotation_counter": 0,
            "key_rotation_nonce": 0,
            "treasury": 0,
        }
        self._create(view, head, "AtomaDb", "shared", {}, object_id=head["db_id"], version=1)
        head["admin_badge"] = self._create(view, head, "AtomaManagerBadge", self._admin, {})
        view.put(*HEAD, head)
        with contextlib.suppress(_Conflict):  # someone else ran genesis concurrently
            self._commit(view, expected_version=None)
        return self.info()

    def faucet(self, address: str, *, sui: int = 0, usdc: int = 0) -> list[ObjectRef]:
        """Mint a SUI gas coin and/or a USDC coin to ``address`` so local users can pay."""
        address = normalize_address(address)
        for _ in range(self._max_retries):
            view = _View(self._ddb, self._table)
            head = self._head(view)
            version = head.get("version", 0)
            ids = []
            if sui:
                ids.append(self._create(view, head, SUI_COIN, address, {"balance": sui}, type_is_full=True))
            if usdc:
                ids.append(
                    self._create(
                        view,
                        head,
                        f"0x2::coin::Coin<{head['usdc_type']}>",
                        address,
                        {"balance": usdc},
                        type_is_full=True,
                    )
                )
            view.put(*HEAD, head)
            try:
                self._commit(view, expected_version=version)
            except _Conflict:
                continue
            return [self.object_ref(i) for i in ids]
        raise RuntimeError("ledger busy")

    def advance_epoch(self, epochs: int = 1) -> int:
        for _ in range(self._max_retries):
            view = _View(self._ddb, self._table)
            head = self._head(view)
            version = head.get("version", 0)
            head["epoch"] += epochs
            view.put(*HEAD, head)
            try:
                self._commit(view, expected_version=version)
            except _Conflict:
                continue
            return int(head["epoch"])
        raise RuntimeError("ledger busy")

    # ------------------------------------------------------------ objects

    def _create(
        self,
        view: _View,
        head: dict[str, Any],
        type_name: str,
        owner: str,
        fields: dict[str, Any],
        *,
        object_id: str | None = None,
        version: int = 1,
        type_is_full: bool = False,
    ) -> str:
        head["counters"]["object"] += 1
        if object_id is None:
            object_id = (
                "0x" + blake2b256(head["db_id"].encode() + b"obj" + str(head["counters"]["object"]).encode()).hex()
            )
        full_type = type_name if type_is_full or "::" in type_name else f"{head['package']}::db::{type_name}"
        obj = {"object_id": object_id, "type": full_type, "owner": owner, "version": version, "fields": fields}
        obj["digest"] = self._digest(obj)
        view.put(f"OBJ#{object_id}", "OBJ", obj)
        if owner != "shared":
            view.put(f"OWNER#{owner}", f"OBJ#{object_id}", {"type": full_type})
        return object_id

    @staticmethod
    def _digest(obj: dict[str, Any]) -> str:
        body = {k: obj[k] for k in ("object_id", "type", "owner", "version", "fields")}
        return b58encode(blake2b256(json.dumps(body, sort_keys=True).encode()))

    # ------------------------------------------------------------ commit

    def _commit(self, view: _View, expected_version: int | None) -> None:
        head = view.writes.get(HEAD)
        assert head is not None, "every ledger write goes through the head"
        head["version"] = (expected_version or 0) + 1
        actions: list[dict[str, Any]] = []
        for (pk, sk), data in view.writes.items():
            key = {"pk": {"S": pk}, "sk": {"S": sk}}
            if (pk, sk) == HEAD:
                action: dict[str, Any] = {"TableName": self._table, "Item": key | {"data": {"S": json.dumps(data)}}}
                if expected_version is None:
                    action["ConditionExpression"] = "attribute_not_exists(pk)"
                else:
                    action["ConditionExpression"] = "#v = :v"
                    action["ExpressionAttributeNames"] = {"#v": "version"}
                    action["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
                action["Item"]["version"] = {"N": str(head["version"])}
                actions.insert(0, {"Put": action})
            elif data is None:
                actions.append({"Delete": {"TableName": self._table, "Key": key}})
            else:
                actions.append({"Put": {"TableName": self._table, "Item": key | {"data": {"S": json.dumps(data)}}}})
        if len(actions) > 100:
            raise TransactionRejected("transaction touches more than 100 ledger items")
        try:
            self._ddb.transact_write_items(TransactItems=actions)
        except self._ddb.exceptions.TransactionCanceledException as exc:
            raise _Conflict() from exc

    # ------------------------------------------------------------ submit

    def submit(self, tx_bytes: bytes, signatures: list[str]) -> TxResult:
        digest = transaction_digest(tx_bytes)
        try:
            tx = decode_move_call(tx_bytes)
        except TransactionError as exc:
            raise TransactionRejected(f"cannot decode transaction: {exc}") from None
        signing_digest = transaction_signing_digest(tx_bytes)
        if not signatures:
            raise TransactionRejected("transaction is not signed")
        for sig in signatures:
            try:
                verify_serialized(sig, signing_digest, expected_address=tx.sender)
            except SignatureError as exc:
                raise TransactionRejected(f"signature refused: {exc.reason}") from None
        if normalize_address(tx.gas.owner) != tx.sender:
            raise TransactionRejected("sponsored transactions are not supported")
        for _ in range(self._max_retries):
            view = _View(self._ddb, self._table)
            done = view.get(f"TX#{digest}", "TX")
            if done is not None:
                return TxResult(**done)
            head = self._head(view)
            version = head.get("version", 0)
            result = self._execute(view, head, tx, digest)
            view.put(f"TX#{digest}", "TX", result.__dict__)
            view.put(*HEAD, head)
            try:
                self._commit(view, expected_version=version)
            except _Conflict:
                continue
            return result
        raise RuntimeError("ledger busy: too many concurrent transactions")

    def _execute(self, view: _View, head: dict[str, Any], tx: DecodedTransaction, digest: str) -> TxResult:
        sender = tx.sender
        owned: dict[str, dict[str, Any]] = {}
        for ref in [*tx.gas.payment, *(a for c in tx.calls for a in c.arguments if isinstance(a, ObjectRef))]:
            obj = view.get(f"OBJ#{normalize_address(ref.object_id)}", "OBJ")
            if obj is None:
                raise TransactionRejected(f"object {ref.object_id} does not exist")
            if obj["version"] != ref.version or obj["digest"] != ref.digest:
                raise TransactionRejected(
                    f"object {ref.object_id} version {ref.version} is not current (current {obj['version']})"
                )
            if obj["owner"] != sender:
                raise TransactionRejected(f"object {ref.object_id} is not owned by the sender")
            owned[obj["object_id"]] = obj
        for call in tx.calls:
            if call.package != head["package"]:
                raise TransactionRejected(f"unknown package {call.package}")
            first = call.arguments[0] if call.arguments else None
            if not (
                isinstance(first, SharedObject)
                and normalize_address(first.object_id) == head["db_id"]
                and first.mutable
            ):
                raise TransactionRejected(f"{call.function}: first argument must be the mutable AtomaDb object")
            for arg in call.arguments[1:]:
                if isinstance(arg, SharedObject) and normalize_address(arg.object_id) != RANDOM_ID:
                    raise TransactionRejected(f"{call.function}: unexpected shared object {arg.object_id}")
            for arg in call.arguments:
                if isinstance(arg, SharedObject):
                    oid = normalize_address(arg.object_id)
                    expected = {
                        head["db_id"]: head["db_initial_shared_version"],
                        RANDOM_ID: RANDOM_INITIAL_SHARED_VERSION,
                    }
                    if expected.get(oid) != arg.initial_shared_version:
                        raise TransactionRejected(f"unknown shared object {oid}@{arg.initial_shared_version}")
        if not tx.gas.payment:
            raise TransactionRejected("no gas payment")
        gas_coin = owned[normalize_address(tx.gas.payment[0].object_id)]
        if gas_coin["type"] != SUI_COIN:
            raise TransactionRejected("gas payment is not a SUI coin")
        if tx.gas.price < self._gas_price:
            raise TransactionRejected(f"gas price below reference gas price {self._gas_price}")
        if gas_coin["fields"]["balance"] < tx.gas.budget:
            raise TransactionRejected("gas coin balance is below the gas budget")
        gas_fee = min(tx.gas.budget, tx.gas.price * GAS_UNITS_PER_TX)

        # Execute on a snapshot so an abort leaves only the gas charge, as on Sui.
        writes_before = dict(view.writes)
        head_before = copy.deepcopy(head)
        ctx = _Ctx(self, view, head, tx, digest, owned)
        status, error = "success", None
        try:
            for index, call in enumerate(tx.calls):
                ctx.call_index = index
                handler = getattr(self, f"_fn_{call.function}", None)
                if handler is None:
                    raise MoveAbort(f"FunctionNotFound({call.function})")
                handler(ctx, *call.arguments[1:])
        except MoveAbort as exc:
            view.writes = writes_before
            head.clear()
            head.update(head_before)
            ctx.events.clear()
            ctx.created.clear()
            status, error = "failure", exc.reason

        # Lamport versioning: every owned input and the shared AtomaDb move to max(input versions) + 1.
        db = view.get(f"OBJ#{head['db_id']}", "OBJ")
        assert db is not None
        uses_db = any(
            isinstance(a, SharedObject) and a.object_id == head["db_id"] for c in tx.calls for a in c.arguments
        )
        lamport = max([o["version"] for o in owned.values()] + [db["version"]]) + 1
        gas_obj = ctx.obj(gas_coin["object_id"])
        gas_obj["fields"]["balance"] -= gas_fee
        ctx.save_obj(gas_obj)
        for oid in owned:
            obj = ctx.obj(oid)
            obj["version"] = lamport
            ctx.save_obj(obj)
        if uses_db:
            db["version"] = lamport
            db["digest"] = self._digest(db)
            view.put(f"OBJ#{db['object_id']}", "OBJ", db)
        for oid in ctx.created:
            obj = view.get(f"OBJ#{oid}", "OBJ")
            assert obj is not None
            obj["version"] = lamport
            obj["digest"] = self._digest(obj)
            view.put(f"OBJ#{oid}", "OBJ", obj)

        events = []
        for seq, (name, parsed) in enumerate(ctx.events):
            head["counters"]["event"] += 1
            event = {
                "id": {"txDigest": digest, "eventSeq": str(seq)},
                "packageId": head["package"],
                "transactionModule": "db",
                "sender": sender,
                "type": f"{head['package']}::db::{name}",
                "parsedJson": parsed,
                "timestampMs": str(self._clock()),
            }
            events.append(event)
            view.put("EVENT", f"{head['counters']['event']:020d}", event)
        created = []
        for oid in ctx.created:
            obj = view.get(f"OBJ#{oid}", "OBJ")
            assert obj is not None
            created.append({"object_id": oid, "type": obj["type"], "owner": obj["owner"]})
        return TxResult(digest=digest, status=status, error=error, events=events, created=created)

    # ------------------------------------------------------------ atoma::db rules

    def _badge_node(self, ctx: _Ctx, badge: ObjectRef) -> dict[str, Any]:
        obj = ctx.obj(badge.object_id)
        _check(obj["type"].endswith("::db::NodeBadge"), "ENotNodeBadge")
        node = ctx.view.get(f"NODE#{obj['fields']['node_small_id']}", "NODE")
        assert node is not None
        return node

    def _require_admin(self, ctx: _Ctx, badge: ObjectRef) -> None:
        obj = ctx.obj(badge.object_id)
        _check(obj["type"].endswith("::db::AtomaManagerBadge") and ctx.tx.sender == ctx.head["admin"], "ENotAuthorized")

    def _task(self, ctx: _Ctx, task_small_id: int) -> dict[str, Any]:
        task = ctx.view.get(f"TASK#{task_small_id}", "TASK")
        _check(task is not None, "ETaskNotFound")
        assert task is not None
        return task

    def _fn_register_node_entry(self, ctx: _Ctx) -> None:
        ctx.head["counters"]["node"] += 1
        small_id = ctx.head["counters"]["node"]
        badge = ctx.create("NodeBadge", ctx.tx.sender, {"node_small_id": small_id})
        node = {
            "node_small_id": small_id,
            "badge_id": badge,
            "sui_address": ctx.tx.sender,
            "reputation": 50,
            "keys": {},
        }
        ctx.view.put(f"NODE#{small_id}", "NODE", node)
        ctx.emit("NodeRegisteredEvent", {"badge_id": badge, "node_small_id": _inner(small_id)})

    def _fn_rotate_node_public_key(
        self, ctx: _Ctx, badge: ObjectRef, public_key: bytes, evidence: bytes, counter: int, device_type: int
    ) -> None:
        node = self._badge_node(ctx, badge)
        _check(device_type <= MAX_DEVICE_TYPE, "EInvalidDeviceType")
        _check(counter == ctx.head["key_rotation_counter"], "EInvalidKeyRotationCounter")
        previous = node["keys"].get(str(counter))
        # At the same counter a further device must commit to the same key.
        _check(previous is None or previous["public_key"] == public_key.hex(), "EPublicKeyMismatch")
        devices = sorted({*(previous or {}).get("devices", []), device_type})
        node["keys"][str(counter)] = {"public_key": public_key.hex(), "devices": devices}
        ctx.view.put(f"NODE#{node['node_small_id']}", "NODE", node)
        ctx.emit(
            "NodePublicKeyCommittmentEvent",
            {
                "epoch": str(ctx.head["epoch"]),
                "key_rotation_counter": str(counter),
                "node_id": _inner(node["node_small_id"]),
                "new_public_key": list(public_key),
                "device_type": device_type,
                "evidence_bytes": list(evidence),
            },
        )

    def _fn_create_task_entry(
        self,
        ctx: _Ctx,
        badge: ObjectRef,
        role: int,
        model_name: str | None,
        security_level: int | None,
        minimum_reputation_score: int | None,
        is_public: bool,
    ) -> None:
        self._require_admin(ctx, badge)
        _check(role <= 7, "EInvalidTaskRole")
        level = 0 if security_level is None else security_level
        _check(level in (0, 1, 2), "EInvalidSecurityLevel")
        _check(minimum_reputation_score is None or minimum_reputation_score <= 100, "EInvalidMinimumReputationScore")
        ctx.head["counters"]["task"] += 1
        small_id = ctx.head["counters"]["task"]
        task_badge = ctx.create("TaskBadge", ctx.tx.sender, {"task_small_id": small_id})
        task = {
            "task_small_id": small_id,
            "task_id": task_badge,
            "role": role,
            "model_name": model_name,
            "security_level": level,
            "minimum_reputation_score": minimum_reputation_score,
            "is_public": is_public,
            "whitelist": [],
            "deprecated_at_epoch": None,
        }
        ctx.view.put(f"TASK#{small_id}", "TASK", task)
        ctx.emit(
            "TaskRegisteredEvent",
            {
                "task_id": task_badge,
                "task_small_id": _inner(small_id),
                "role": {"inner": role},
                "model_name": model_name,
                "security_level": {"inner": level},
                "minimum_reputation_score": minimum_reputation_score,
            },
        )

    def _fn_deprecate_task(self, ctx: _Ctx, badge: ObjectRef) -> None:
        obj = ctx.obj(badge.object_id)
        _check(obj["type"].endswith("::db::TaskBadge"), "ENotTaskOwner")
        task = self._task(ctx, obj["fields"]["task_small_id"])
        _check(task["deprecated_at_epoch"] is None, "ETaskDeprecated")
        task["deprecated_at_epoch"] = ctx.head["epoch"]
        ctx.view.put(f"TASK#{task['task_small_id']}", "TASK", task)
        ctx.emit(
            "TaskDeprecationEvent",
            {
                "task_id": task["task_id"],
                "task_small_id": _inner(task["task_small_id"]),
                "epoch": str(ctx.head["epoch"]),
            },
        )

    def _fn_new_network_key_rotation(self, ctx: _Ctx, badge: ObjectRef, _random: SharedObject) -> None:
        self._require_admin(ctx, badge)
        ctx.head["key_rotation_counter"] += 1
        nonce = ctx.rng.getrandbits(64)
        ctx.head["key_rotation_nonce"] = nonce
        ctx.emit(
            "NewKeyRotationEvent",
            {
                "key_rotation_counter": str(ctx.head["key_rotation_counter"]),
                "epoch": str(ctx.head["epoch"]),
                "nonce": str(nonce),
            },
        )

    def _subscription_event(self, node_id: int, task_id: int, price: int) -> dict[str, Any]:
        return {
            "task_small_id": _inner(task_id),
            "node_small_id": _inner(node_id),
            "price_per_one_million_compute_units": str(price),
            "max_num_compute_units": str(COMPUTE_UNITS_PER_STACK),
        }

    def _fn_subscribe_node_to_task(self, ctx: _Ctx, badge: ObjectRef, task_small_id: int, price: int) -> None:
        node = self._badge_node(ctx, badge)
        task = self._task(ctx, task_small_id)
        min_rep = task["minimum_reputation_score"]
        _check(min_rep is None or node["reputation"] >= min_rep, "ENodeReputationTooLow")
        _check(task["is_public"] or node["node_small_id"] in task["whitelist"], "ENodeNotWhitelisted")
        _check(task["deprecated_at_epoch"] is None, "ETaskDeprecated")
        key = (f"TASK#{task_small_id}", f"SUB#{node['node_small_id']:020d}")
        _check(ctx.view.get(*key) is None, "EAlreadySubscribed")
        _check(price > 0, "EInvalidPrice")
        ctx.view.put(
            *key, {"node_small_id": node["node_small_id"], "price": price, "max_units": COMPUTE_UNITS_PER_STACK}
        )
        ctx.emit("NodeSubscribedToTaskEvent", self._subscription_event(node["node_small_id"], task_small_id, price))

    def _fn_update_node_subscription(self, ctx: _Ctx, badge: ObjectRef, task_small_id: int, price: int) -> None:
        node = self._badge_node(ctx, badge)
        _check(price > 0, "EInvalidPrice")
        task = self._task(ctx, task_small_id)
        key = (f"TASK#{task_small_id}", f"SUB#{node['node_small_id']:020d}")
        sub = ctx.view.get(*key)
        _check(sub is not None, "ENotSubscribed")
        _check(task["deprecated_at_epoch"] is None, "ETaskDeprecated")
        assert sub is not None
        sub["price"] = price
        ctx.view.put(*key, sub)
        ctx.emit("NodeSubscriptionUpdatedEvent", self._subscription_event(node["node_small_id"], task_small_id, price))

    def _fn_unsubscribe_node_from_task(self, ctx: _Ctx, badge: ObjectRef, task_small_id: int) -> None:
        node = self._badge_node(ctx, badge)
        task = self._task(ctx, task_small_id)
        key = (f"TASK#{task_small_id}", f"SUB#{node['node_small_id']:020d}")
        _check(ctx.view.get(*key) is not None, "ENotSubscribed")
        _check(task["deprecated_at_epoch"] is None, "ETaskDeprecated")
        ctx.view.delete(*key)
        ctx.emit(
            "NodeUnsubscribedFromTaskEvent",
            {"task_small_id": _inner(task_small_id), "node_small_id": _inner(node["node_small_id"])},
        )

    def _fn_acquire_new_stack_entry(
        self, ctx: _Ctx, coin: ObjectRef, task_small_id: int, num_compute_units: int, price: int, _random: SharedObject
    ) -> None:
        wallet = ctx.obj(coin.object_id)
        _check(wallet["type"] == f"0x2::coin::Coin<{ctx.head['usdc_type']}>", "EInvalidCoinType")
        _check(num_compute_units > 0, "EInvalidComputeUnits")
        _check(price > 0, "EInvalidPrice")
        task = self._task(ctx, task_small_id)
        _check(task["deprecated_at_epoch"] is None, "ETaskDeprecated")
        cost = stack_cost(price, num_compute_units, task["security_level"])
        _check(wallet["fields"]["balance"] >= cost, "EInsufficientBalance")
        candidates = [
            s["node_small_id"]
            for s in ctx.view.query(f"TASK#{task_small_id}", "SUB#").values()
            if s["price"] <= price and s["max_units"] >= num_compute_units
        ]
        _check(bool(candidates), "ENoNodesEligibleForTask")
        selected = ctx.rng.choice(candidates)
        wallet["fields"]["balance"] -= cost
        ctx.save_obj(wallet)
        ctx.head["treasury"] += cost
        ctx.head["counters"]["stack"] += 1
        small_id = ctx.head["counters"]["stack"]
        stack_badge = ctx.create("StackBadge", ctx.tx.sender, {"stack_small_id": small_id})
        stack = {
            "stack_small_id": small_id,
            "stack_id": stack_badge,
            "owner": ctx.tx.sender,
            "task_small_id": task_small_id,
            "selected_node_id": selected,
            "num_compute_units": num_compute_units,
            "price": price,
            "cost": cost,
            "is_claimed": False,
        }
        ctx.view.put(f"STACK#{small_id}", "STACK", stack)
        ctx.emit(
            "StackCreatedEvent",
            {
                "stack_id": stack_badge,
                "stack_small_id": _inner(small_id),
                "owner": ctx.tx.sender,
                "task_small_id": _inner(task_small_id),
                "selected_node_id": _inner(selected),
                "num_compute_units": str(num_compute_units),
                "price_per_one_million_compute_units": str(price),
            },
        )

    def _stack(self, ctx: _Ctx, stack_small_id: int) -> dict[str, Any]:
        stack = ctx.view.get(f"STACK#{stack_small_id}", "STACK")
        _check(stack is not None, "EStackNotFound")
        assert stack is not None
        return stack

    def _ticket(self, ctx: _Ctx, stack_small_id: int) -> dict[str, Any]:
        ticket = ctx.view.get(f"STACK#{stack_small_id}", "TICKET")
        _check(ticket is not None, "EStackNotInSettlement")
        assert ticket is not None
        return ticket

    def _fn_try_settle_stack(
        self,
        ctx: _Ctx,
        badge: ObjectRef,
        stack_small_id: int,
        claimed: int,
        proof: bytes,
        leaf: bytes,
        _r: SharedObject,
    ) -> None:
        node = self._badge_node(ctx, badge)
        stack = self._stack(ctx, stack_small_id)
        _check(stack["selected_node_id"] == node["node_small_id"], "ENotStackOwner")
        _check(claimed <= stack["num_compute_units"], "ETooManyComputedUnits")
        _check(ctx.view.get(f"STACK#{stack_small_id}", "TICKET") is None, "EStackInSettlementAlready")
        _check(len(proof) == 32 and len(leaf) == 32, "EInvalidCommittedStackProof")
        task = self._task(ctx, stack["task_small_id"])
        attesters: list[int] = []
        if task["security_level"] == 2 and ctx.rng.randrange(1000) < self._cross_validation:
            others = [
                s["node_small_id"]
                for s in ctx.view.query(f"TASK#{stack['task_small_id']}", "SUB#").values()
                if s["node_small_id"] != node["node_small_id"]
            ]
            attesters = ctx.rng.sample(others, min(EXTRA_ATTESTATION_NODES, len(others)))  # no node attests twice
        n = len(attesters)
        ticket = {
            "selected_node_id": node["node_small_id"],
            "num_claimed_compute_units": claimed,
            "requested_attestation_nodes": attesters,
            "attested": [],
            # 32·(1+n): slot 0 is the selected node's, slot i+1 the i-th attester's.
            "committed_stack_proofs": (proof + bytes(32 * n)).hex(),
            "stack_merkle_leaves": (leaf + bytes(32 * n)).hex(),
            "dispute_settled_at_epoch": ctx.head["epoch"] + 1,
            "is_in_dispute": False,
        }
        ctx.view.put(f"STACK#{stack_small_id}", "TICKET", ticket)
        ctx.emit(
            "StackTrySettleEvent",
            {
                "stack_small_id": _inner(stack_small_id),
                "selected_node_id": _inner(node["node_small_id"]),
                "requested_attestation_nodes": [_inner(a) for a in attesters],
                "committed_stack_proof": list(proof),
                "stack_merkle_leaf": list(leaf),
                "num_claimed_compute_units": str(claimed),
            },
        )

    def _dispute(self, ctx: _Ctx, stack_small_id: int, ticket: dict[str, Any], node_id: int, commitment: bytes) -> None:
        ticket["is_in_dispute"] = True
        ctx.view.put(f"STACK#{stack_small_id}", "TICKET", ticket)
        ctx.emit(
            "StackAttestationDisputeEvent",
            {
                "stack_small_id": _inner(stack_small_id),
                "attestation_commitment": list(commitment),
                "attestation_node_id": _inner(node_id),
                "original_node_id": _inner(ticket["selected_node_id"]),
                "original_commitment": list(bytes.fromhex(ticket["committed_stack_proofs"])[:32]),
            },
        )

    def _fn_submit_stack_settlement_attestation(
        self, ctx: _Ctx, badge: ObjectRef, stack_small_id: int, proof: bytes, leaf: bytes
    ) -> None:
        node = self._badge_node(ctx, badge)
        ticket = self._ticket(ctx, stack_small_id)
        _check(len(proof) == 32 and len(leaf) == 32, "EInvalidCommittedStackProof")
        stack = self._stack(ctx, stack_small_id)
        _check(self._task(ctx, stack["task_small_id"])["security_level"] == 2, "ENotSamplingConsensus")
        _check(ctx.head["epoch"] < ticket["dispute_settled_at_epoch"], "EDisputeWindowClosed")
        _check(not ticket["is_in_dispute"], "EStackInDispute")
        nodes = ticket["requested_attestation_nodes"]
        me = node["node_small_id"]
        _check(me in nodes and me not in ticket["attested"], "ENodeNotSelectedForAttestation")
        proofs = bytearray.fromhex(ticket["committed_stack_proofs"])
        if proof != bytes(proofs[:32]):
            self._dispute(ctx, stack_small_id, ticket, me, proof)
            return
        index = nodes.index(me) + 1
        leaves = bytearray.fromhex(ticket["stack_merkle_leaves"])
        leaves[32 * index : 32 * (index + 1)] = leaf
        proofs[32 * index : 32 * (index + 1)] = proof
        ticket["stack_merkle_leaves"], ticket["committed_stack_proofs"] = leaves.hex(), proofs.hex()
        ticket["attested"].append(me)
        ctx.view.put(f"STACK#{stack_small_id}", "TICKET", ticket)
        ctx.emit(
            "NewStackSettlementAttestationEvent",
            {
                "stack_small_id": _inner(stack_small_id),
                "attestation_node_id": _inner(me),
                "committed_stack_proof": list(proof),
                "stack_merkle_leaf": list(leaf),
            },
        )
        if len(ticket["attested"]) == len(nodes):
            if blake2b256(bytes(leaves)) != bytes(proofs[:32]):
                self._dispute(ctx, stack_small_id, ticket, me, proof)
                return
            ctx.emit(
                "StackSettlementTicketEvent",
                {
                    "stack_small_id": _inner(stack_small_id),
                    "selected_node_id": _inner(ticket["selected_node_id"]),
                    "num_claimed_compute_units": str(ticket["num_claimed_compute_units"]),
                    "requested_attestation_nodes": [_inner(a) for a in nodes],
                    "dispute_settled_at_epoch": str(ticket["dispute_settled_at_epoch"]),
                    "committed_stack_proof": list(proofs[:32]),
                },
            )

    def _fn_start_attestation_dispute(
        self, ctx: _Ctx, badge: ObjectRef, stack_small_id: int, commitment: bytes
    ) -> None:
        node = self._badge_node(ctx, badge)
        ticket = self._ticket(ctx, stack_small_id)
        stack = self._stack(ctx, stack_small_id)
        _check(self._task(ctx, stack["task_small_id"])["security_level"] == 2, "ENotSamplingConsensus")
        _check(not ticket["is_in_dispute"], "EStackInDispute")
        me = node["node_small_id"]
        # Only nodes involved in the settlement may dispute it (Atoma's package lets any badge holder).
        _check(
            me == ticket["selected_node_id"] or me in ticket["requested_attestation_nodes"],
            "ENodeNotSelectedForAttestation",
        )
        self._dispute(ctx, stack_small_id, ticket, me, commitment)

    def _fn_resolve_attestation_dispute(
        self, ctx: _Ctx, badge: ObjectRef, stack_small_id: int, original_is_correct: bool
    ) -> None:
        self._require_admin(ctx, badge)
        ticket = self._ticket(ctx, stack_small_id)
        _check(ticket["is_in_dispute"], "EStackNotInDispute")
        stack = self._stack(ctx, stack_small_id)
        refund = 0
        if original_is_correct:
            ticket["is_in_dispute"] = False
            ctx.view.put(f"STACK#{stack_small_id}", "TICKET", ticket)
        else:
            refund = stack["cost"]
            ctx.pay_usdc(stack["owner"], refund)
            ctx.view.delete(f"STACK#{stack_small_id}", "TICKET")
            ctx.view.delete(f"STACK#{stack_small_id}", "STACK")
        ctx.emit(
            "StackDisputeResolvedEvent",
            {
                "stack_small_id": _inner(stack_small_id),
                "selected_node_id": _inner(ticket["selected_node_id"]),
                "original_is_correct": original_is_correct,
                "user_refund_amount": str(refund),
            },
        )

    def _fee(self, level: int, units: int, price: int) -> int:
        if level == 2:
            return units * price * 1200 // (COMPUTE_UNITS_PER_STACK * 1000)
        return units * price // COMPUTE_UNITS_PER_STACK

    def _fn_claim_funds(self, ctx: _Ctx, badge: ObjectRef, ticket_ids: list[int]) -> None:
        node = self._badge_node(ctx, badge)
        total = 0
        for stack_small_id in ticket_ids:
            ticket = self._ticket(ctx, stack_small_id)
            stack = self._stack(ctx, stack_small_id)
            _check(ticket["selected_node_id"] == node["node_small_id"], "ENotStackOwner")
            _check(not ticket["is_in_dispute"], "EStackInDispute")
            _check(ctx.head["epoch"] >= ticket["dispute_settled_at_epoch"], "EDisputeWindowNotOver")
            level = self._task(ctx, stack["task_small_id"])["security_level"]
            fee = self._fee(level, ticket["num_claimed_compute_units"], stack["price"])
            refund = max(stack["cost"] - fee, 0)
            total += fee
            ctx.pay_usdc(stack["owner"], refund)
            ctx.view.delete(f"STACK#{stack_small_id}", "TICKET")
            ctx.view.delete(f"STACK#{stack_small_id}", "STACK")
            ctx.emit(
                "StackSettlementTicketClaimedEvent",
                {
                    "stack_small_id": _inner(stack_small_id),
                    "selected_node_id": _inner(node["node_small_id"]),
                    "attestation_nodes": [_inner(a) for a in ticket["attested"]],
                    "num_claimed_compute_units": str(ticket["num_claimed_compute_units"]),
                    "user_refund_amount": str(refund),
                },
            )
        ctx.pay_usdc(ctx.tx.sender, total)

    def _fn_claim_funds_for_stacks(self, ctx: _Ctx, badge: ObjectRef, stack_ids: list[int], units: list[int]) -> None:
        node = self._badge_node(ctx, badge)
        _check(len(stack_ids) == len(units), "EInvalidInput")
        total = 0
        for stack_small_id, claimed in zip(stack_ids, units, strict=True):
            stack = self._stack(ctx, stack_small_id)
            _check(stack["selected_node_id"] == node["node_small_id"], "ENotStackOwner")
            _check(not stack["is_claimed"], "EStackAlreadyClaimed")
            _check(claimed <= stack["num_compute_units"], "ETooManyComputedUnits")
            _check(self._task(ctx, stack["task_small_id"])["security_level"] == 1, "ENotConfidentialCompute")
            fee = claimed * stack["price"] // COMPUTE_UNITS_PER_STACK
            refund = (stack["num_compute_units"] - claimed) * stack["price"] // COMPUTE_UNITS_PER_STACK
            total += fee
            ctx.pay_usdc(stack["owner"], refund)
            stack["is_claimed"] = True
            ctx.view.put(f"STACK#{stack_small_id}", "STACK", stack)
            ctx.emit(
                "ClaimedStackEvent",
                {
                    "stack_small_id": _inner(stack_small_id),
                    "selected_node_id": _inner(node["node_small_id"]),
                    "num_claimed_compute_units": str(claimed),
                    "user_refund_amount": str(refund),
                },
            )
        ctx.pay_usdc(ctx.tx.sender, total)

    def _fn_withdraw_fees(self, ctx: _Ctx, badge: ObjectRef) -> None:
        self._badge_node(ctx, badge)  # fees are paid at claim time on this ledger; nothing is pending


class _Conflict(Exception):
    """The head version moved under us: re-execute on fresh state."""


class _Ctx:
    """Execution context of one transaction: owned-object cache, created objects, events, RNG."""

    def __init__(
        self,
        ledger: LocalLedger,
        view: _View,
        head: dict[str, Any],
        tx: DecodedTransaction,
        digest: str,
        owned: dict[str, dict[str, Any]],
    ) -> None:
        self.ledger, self.view, self.head, self.tx = ledger, view, head, tx
        self.owned = owned
        self.created: list[str] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.call_index = 0
        # Deterministic per transaction: replaying a digest always samples the same node.
        self.rng = random.Random(blake2b256(b"random" + digest.encode()))

    def obj(self, object_id: str) -> dict[str, Any]:
        oid = normalize_address(object_id)
        obj = self.view.get(f"OBJ#{oid}", "OBJ")
        assert obj is not None, oid
        return obj

    def save_obj(self, obj: dict[str, Any]) -> None:
        obj["digest"] = LocalLedger._digest(obj)
        self.view.put(f"OBJ#{obj['object_id']}", "OBJ", obj)

    def create(self, type_name: str, owner: str, fields: dict[str, Any], *, type_is_full: bool = False) -> str:
        oid = self.ledger._create(self.view, self.head, type_name, owner, fields, type_is_full=type_is_full)
        self.created.append(oid)
        return oid

    def pay_usdc(self, owner: str, amount: int) -> None:
        if amount <= 0:
            return
        _check(self.head["treasury"] >= amount, "EInsufficientTreasury")
        self.head["treasury"] -= amount
        self.create(f"0x2::coin::Coin<{self.head['usdc_type']}>", owner, {"balance": amount}, type_is_full=True)

    def emit(self, name: str, parsed: dict[str, Any]) -> None:
        self.events.append((name, parsed))
