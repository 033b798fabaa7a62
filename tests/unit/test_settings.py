"""Every setting is read from the environment in ``settings.py`` and nowhere else in the layer."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import nodeplane
from nodeplane import settings

LAYER = Path(nodeplane.__file__).parent
# nodeplane/__init__.py reads AWS_LAMBDA_FUNCTION_NAME before anything else loads, so it cannot use settings()
READERS = {LAYER / "settings.py", LAYER / "__init__.py"}
CHECKED = [
    *LAYER.glob("*.py"),
    *(p for d in ("api", "chain", "network", "pool", "queue", "security", "store") for p in (LAYER / d).rglob("*.py")),
]


def _reads_environment(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            lines += [node.lineno for alias in node.names if alias.name in ("environ", "getenv", "environb")]
    return sorted(lines)


def test_only_settings_reads_the_environment() -> None:
    assert len(CHECKED) > 20
    readers = {str(p.relative_to(LAYER)): _reads_environment(ast.parse(p.read_text())) for p in CHECKED}
    assert {name: lines for name, lines in readers.items() if lines and LAYER / name not in READERS} == {}
    assert _reads_environment(ast.parse("import os\nos.environ.get('X')\nfrom os import getenv\n")) == [2, 3]


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    settings.settings.cache_clear()
    yield
    settings.settings.cache_clear()


def test_jwt_issuer_and_audience_are_settings(monkeypatch: pytest.MonkeyPatch, fresh_settings: None) -> None:
    monkeypatch.delenv("JWT_ISSUER", raising=False)
    monkeypatch.delenv("JWT_AUDIENCE", raising=False)
    assert (settings.settings().jwt_issuer, settings.settings().jwt_audience) == ("", "")
    settings.settings.cache_clear()
    monkeypatch.setenv("JWT_ISSUER", "https://issuer.example/")
    monkeypatch.setenv("JWT_AUDIENCE", "nodeplane")
    assert settings.settings().jwt_issuer == "https://issuer.example/"
    assert settings.settings().jwt_audience == "nodeplane"
