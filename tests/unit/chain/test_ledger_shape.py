"""The ledger's shape: an explicit table of db functions covering every function a transaction can call,
small modules, and one home for the contract's constants."""

from __future__ import annotations

import ast
from pathlib import Path

from nodeplane.chain import contract
from nodeplane.chain.ledger import atoma_db
from nodeplane.chain.transactions import ATOMA_DB_SCHEMA

LEDGER = Path(atoma_db.__file__).parent


def test_the_function_table_covers_every_decodable_function() -> None:
    assert set(atoma_db.FUNCTIONS) == set(ATOMA_DB_SCHEMA)


def test_no_function_is_looked_up_by_name() -> None:
    for path in LEDGER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "getattr":
                raise AssertionError(f"{path.name}:{node.lineno} dispatches with getattr")


def test_every_ledger_module_is_small() -> None:
    sizes = {p.name: len(p.read_text().splitlines()) for p in LEDGER.glob("*.py")}
    assert max(sizes.values()) < 500, sizes


def test_stack_cost_and_fee_rules() -> None:
    assert contract.stack_cost(1000, 1_000_000, contract.CONFIDENTIAL) == 1000
    assert contract.stack_cost(1000, 1_000_000, contract.SAMPLING_CONSENSUS) == 1212
    assert contract.node_fee(contract.SAMPLING_CONSENSUS, 1_000_000, 1000) == 1200
    assert contract.node_fee(contract.CONFIDENTIAL, 500_000, 1000) == 500
    assert (contract.SecurityLevel.CONFIDENTIAL, contract.SecurityLevel.SAMPLING_CONSENSUS) == (1, 2)


def test_every_event_the_ledger_emits_has_a_layout() -> None:
    emitted = set()
    for path in LEDGER.glob("rules_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "emit":
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    emitted.add(first.value)
    emitted.add("StackAttestationDisputeEvent")  # emitted through a helper
    assert emitted == set(contract.EVENT_FIELDS)


def test_every_abort_the_ledger_raises_is_a_named_contract_constant() -> None:
    raised = set()
    for path in LEDGER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check":
                reason = node.args[1]
                assert isinstance(reason, ast.Constant), f"{path.name}:{node.lineno}"
                raised.add(reason.value)
    assert raised == contract.ABORT_NAMES
