"""The tests depend on the code, never the reverse: bench/, scripts/, the local runtime (and its harness), the CLI,
the layer and the functions share test helpers through ``nodeplane_local.harness``, not by importing ``tests``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2]
FOLDERS = ("bench", "scripts", "local", "cli", "layers", "functions")


def _imports_tests(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return [n for n in names if n == "tests" or n.startswith("tests.")]


def test_no_module_outside_tests_imports_tests(tmp_path: Path) -> None:
    sources = [p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py")]
    assert any(p.parent.name == "bench" for p in sources) and any(p.parent.name == "scripts" for p in sources)
    found = {str(p.relative_to(ROOT)): names for p in sources if (names := _imports_tests(p))}
    assert found == {}
    sample = tmp_path / "bench_sample.py"
    sample.write_text("import tests.support.pool\nfrom tests import conftest\nfrom nodeplane_local import harness\n")
    assert _imports_tests(sample) == ["tests.support.pool", "tests"]
