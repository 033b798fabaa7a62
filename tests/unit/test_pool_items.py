"""The pool's item keys have one home, ``nodeplane/pool/items.py``, and sort the way its listings rely on."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from nodeplane.pool import items

POOL = Path(items.__file__).parent
KEY_ATTRIBUTES = {"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"}
KEY_PREFIX = re.compile(r"\b[A-Z][A-Z0-9_]*#")
# store calls and the positions of their key arguments
STORE_KEYS = {"get": (0, 1), "delete": (0, 1), "update": (0, 1), "query": (1,)}


def _literal(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _inline_keys(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and KEY_PREFIX.search(node.value):
            found.append((node.lineno, repr(node.value)))
        elif isinstance(node, ast.JoinedStr):
            # a value, then "#": the separator of a composite key such as <deadline>#<tenant>#<id>
            for before, part in itertools.pairwise(node.values):
                if isinstance(before, ast.FormattedValue) and isinstance(part, ast.Constant) and "#" in str(part.value):
                    found.append((node.lineno, "an f-string joins a key with '#'"))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in KEY_ATTRIBUTES and _literal(value):
                    found.append((node.lineno, f"{key.value} is a literal"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "store"
            and node.func.attr in STORE_KEYS
        ):
            for i in STORE_KEYS[node.func.attr]:
                if i < len(node.args) and _literal(node.args[i]):
                    found.append((node.lineno, f"store.{node.func.attr} is given a literal key"))
    return found


def test_no_pool_module_builds_a_key_inline() -> None:
    modules = [p for p in POOL.rglob("*.py") if p.name != "items.py"]
    assert len(modules) > 5
    inline = {str(p.relative_to(POOL)): _inline_keys(ast.parse(p.read_text())) for p in modules}
    assert {name: found for name, found in inline.items() if found} == {}


def test_the_check_sees_each_kind_of_inline_key() -> None:
    source = """
store.get(items.tenant_pk(t), "REGTOKEN")
store.query("gsi1pk", "OFFERS", index="gsi1")
item = {"pk": f"NODETOKEN#{digest}", "sk": items.NODE_TOKEN}
item = {"gsi3sk": f"{int(deadline):012d}#{tenant}"}
"""
    assert {line for line, _ in _inline_keys(ast.parse(source))} == {2, 3, 4, 5}


@given(st.floats(0, 9_999_999), st.floats(0, 9_999_999))
def test_offers_sort_by_hourly_cost(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert items.offer_price(low) <= items.offer_price(high)
    assert len(items.offer_price(low)) == len(items.offer_price(high))


@given(st.integers(0, 10**11), st.integers(0, 10**11))
def test_discovery_index_sorts_by_deadline(a: int, b: int) -> None:
    if a < b:
        assert items.discovery_sk(a, "zz", "z") < items.discovery_sk(b, "a", "a")
