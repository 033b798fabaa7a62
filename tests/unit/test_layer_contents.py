"""The deployed layer ships no part of the local runtime.

The files checked are those `sam build` copies into the layer: the NodeplaneLayer's ContentUri in template.yaml,
less what the python_pip build leaves out (`__pycache__`, `*.pyc`, `*.egg-info`). None of them may be a module of
`nodeplane_local`, live where the runtime used to (`nodeplane/local/`, `network/local_admin.py`), or import it.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import nodeplane_local
from nodeplane_local.template import parse_template

ROOT = Path(__file__).parents[2]
RUNTIME = Path(nodeplane_local.__file__).parent
_NOT_COPIED = ("__pycache__", ".egg-info")


def _layer_files() -> list[Path]:
    content = parse_template(ROOT / "template.yaml").layers["NodeplaneLayer"]
    return sorted(
        path
        for path in content.rglob("*")
        if path.is_file()
        and path.suffix != ".pyc"
        and not any(part.endswith(_NOT_COPIED) for part in path.relative_to(content).parts)
    )


def _imports_runtime(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]  # importlib.import_module("nodeplane_local...") and the like
        found += [name for name in names if name.split(".")[0] == "nodeplane_local" or name == "nodeplane.local"]
    return found


def test_the_layer_holds_the_nodeplane_package_and_its_requirements_only() -> None:
    content = parse_template(ROOT / "template.yaml").layers["NodeplaneLayer"]
    top = {path.relative_to(content).parts[0] for path in _layer_files()}
    assert top == {"nodeplane", "requirements.txt"}
    assert content not in RUNTIME.parents


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_no_local_runtime_module_is_in_the_layer() -> None:
    content = parse_template(ROOT / "template.yaml").layers["NodeplaneLayer"]
    files = _layer_files()
    assert content / "nodeplane" / "__init__.py" in files  # the walk sees what the build copies
    runtime = {_digest(path): path.relative_to(RUNTIME) for path in RUNTIME.rglob("*.py") if path.stat().st_size}
    for path in files:
        where = path.relative_to(content).as_posix()
        assert not where.startswith(("nodeplane/local/", "nodeplane_local/")), where
        assert path.name != "local_admin.py", where
        assert _digest(path) not in runtime, f"{where} is a copy of nodeplane_local/{runtime[_digest(path)]}"


def test_no_module_of_the_layer_imports_the_local_runtime() -> None:
    offenders = {}
    for path in _layer_files():
        if path.suffix == ".py":
            found = _imports_runtime(ast.parse(path.read_text(), str(path)))
            if found:
                offenders[str(path)] = found
    assert offenders == {}
