"""The network domain stays in the shape a reader can hold: small modules, every item key built in items.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NETWORK = Path(__file__).parents[2] / "layers" / "nodeplane" / "nodeplane" / "network"
MODULES = sorted(NETWORK.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(NETWORK)))
def test_every_module_is_under_500_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 500


@pytest.mark.parametrize(
    "path", [p for p in MODULES if p.name != "items.py"], ids=lambda p: str(p.relative_to(NETWORK))
)
def test_item_keys_are_built_in_items_py_only(path: Path) -> None:
    # a key prefix such as "STACK#" or f"OPKEY#{address}" in code (docstrings may describe the layout)
    code = re.sub(r'"""[\s\S]*?"""', "", path.read_text())
    assert not re.findall(r'f?"[A-Z]+#', code), "build the key with nodeplane.network.items"
