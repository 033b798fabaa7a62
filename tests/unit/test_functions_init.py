"""Every function module initialises as nodeplane/__init__.py promises a Lambda container.

The layer is its first import outside the standard library (so the cyclic collector is paused before the SDK,
Powertools and pydantic load) and its last statement ends the initialisation (``handler(app)`` or
``freeze_heap()``), which resumes collection. A module that broke either rule would cold-start slower or, worse,
leave the container without a cyclic collector.

A handler also takes from the layer only public names of the domain (`pool`, `network`, `chain`), the API helpers,
the entry points of workers and schedules (`invocation`) and the domain errors: the store, the queue, KMS and the
settings are reached through the domain.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))


def _top_package(node: ast.Import | ast.ImportFrom) -> str:
    name = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
    return (name or "").split(".")[0]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_layer_is_imported_first_and_initialisation_ends_last(name: str) -> None:
    tree = ast.parse((ROOT / "functions" / name / "app.py").read_text())
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    outside_stdlib = [_top_package(n) for n in imports if _top_package(n) not in sys.stdlib_module_names]
    assert outside_stdlib[0] == "nodeplane", f"{name}: {outside_stdlib[0]} is imported before the layer"
    last = tree.body[-1]
    call = last.value if isinstance(last, ast.Assign | ast.Expr) else None
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name), f"{name}: the last statement is no call"
    assert call.func.id in ("handler", "freeze_heap"), f"{name} ends with {call.func.id}(), not the end of init"


# functions -> domain: a handler reaches the store, the queue, KMS and the settings only through a domain module
_HANDLER_MAY_IMPORT = (
    "nodeplane.api",
    "nodeplane.errors",
    "nodeplane.invocation",
    "nodeplane.pool",
    "nodeplane.network",
    "nodeplane.chain",
)


def _layer_names(tree: ast.AST) -> list[str]:
    """Every name a module takes from the layer or the local runtime, as `package.module[.name]`."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return [name for name in names if name.split(".")[0] in ("nodeplane", "nodeplane_local")]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_handler_imports_only_the_layers_public_domain_and_api(name: str) -> None:
    tree = ast.parse((ROOT / "functions" / name / "app.py").read_text())
    for imported in _layer_names(tree):
        public = not any(part.startswith("_") for part in imported.split("."))
        allowed = imported == "nodeplane.freeze_heap" or imported.startswith(
            tuple(f"{p}." for p in _HANDLER_MAY_IMPORT)
        )
        assert public and allowed, f"{name} imports {imported}"


_PROBE = """
import gc, importlib.util, json, sys
seen = {}
class Watch:
    def find_spec(self, fullname, path=None, target=None):
        if "." not in fullname and fullname not in seen:
            seen[fullname] = gc.isenabled()
        return None
sys.meta_path.insert(0, Watch())
spec = importlib.util.spec_from_file_location("fn", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(json.dumps({"seen": seen, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}))
"""


@pytest.mark.parametrize("name", ["pool_node_describe", "daemon_node_register", "queue_settlement_worker"])
@pytest.mark.parametrize("in_lambda", [True, False])
def test_collector_paused_while_initialising_in_lambda_only(name: str, in_lambda: bool) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "layers" / "nodeplane"), "AWS_DEFAULT_REGION": "us-east-1"}
    if in_lambda:
        env["AWS_LAMBDA_FUNCTION_NAME"] = name
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(ROOT / "functions" / name / "app.py")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["enabled"] is True  # collection resumes once the module is initialised
    assert result["frozen"] > 0
    for package in ("botocore", "aws_lambda_powertools"):
        assert result["seen"][package] is not in_lambda, package
