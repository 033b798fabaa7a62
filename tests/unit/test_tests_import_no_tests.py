"""Test modules share helpers through ``tests/support``; one test module importing another would run its tests
twice and tie unrelated suites together."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parents[1]


def _imported_test_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n.startswith("tests.") and n.rsplit(".", 1)[-1].startswith("test_")}


def test_no_test_module_imports_another(tmp_path: Path) -> None:
    edges = {(str(p.relative_to(TESTS)), m) for p in TESTS.rglob("test_*.py") for m in _imported_test_modules(p)}
    assert edges == set()
    sample = tmp_path / "test_sample.py"
    sample.write_text("from tests.integration.test_pool_api import call\nfrom tests.support.pool import call\n")
    assert _imported_test_modules(sample) == {"tests.integration.test_pool_api"}
