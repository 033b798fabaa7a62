"""With SuiRpcUrl set every chain operation is implemented: nothing in the layer raises NotImplementedError."""

from __future__ import annotations

from pathlib import Path

LAYER = Path(__file__).resolve().parents[3] / "layers" / "nodeplane" / "nodeplane"


def test_no_module_of_the_layer_raises_not_implemented() -> None:
    assert (LAYER / "chain" / "access.py").is_file()
    found = [
        f"{path.relative_to(LAYER)}:{number}"
        for path in sorted(LAYER.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "NotImplementedError" in line
    ]
    assert found == []
