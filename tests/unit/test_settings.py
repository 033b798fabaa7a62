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


CHAIN_PARAMETERS = {
    "SuiRpcUrl": ("SUI_RPC_URL", "sui_rpc_url", "https://graphql.testnet.sui.io/graphql"),
    "SuiNetwork": ("SUI_NETWORK", "sui_network", "testnet"),
    "AtomaPackageId": ("ATOMA_PACKAGE_ID", "atoma_package_id", "0x" + "ab" * 32),
    "AtomaDbObjectId": ("ATOMA_DB_OBJECT_ID", "atoma_db_object_id", "0x" + "cd" * 32),
    "AtomaDbInitialSharedVersion": ("ATOMA_DB_INITIAL_SHARED_VERSION", "atoma_db_initial_shared_version", "4096"),
    "UsdcCoinType": ("USDC_COIN_TYPE", "usdc_coin_type", "0x" + "ef" * 32 + "::usdc::USDC"),
    "SuiFaucetUrl": ("SUI_FAUCET_URL", "sui_faucet_url", ""),
}


def test_the_networks_parameters_reach_every_function_as_settings(
    monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    from nodeplane_local.template import load_yaml, parse_template

    root = LAYER.parents[2]
    raw = load_yaml((root / "template.yaml").read_text())
    template = parse_template(root / "template.yaml")
    for parameter, (variable, _field, value) in CHAIN_PARAMETERS.items():
        # a plain String: a value or an SSM reference ({{resolve:ssm:...}}) is passed on as it is
        assert raw["Parameters"][parameter]["Type"] == "String" and "AllowedPattern" not in raw["Parameters"][parameter]
        for fn in template.functions.values():
            assert fn.environment[variable] == {"Ref": parameter}, fn.logical_id
        monkeypatch.setenv(variable, value)
    config = settings.settings()
    for _variable, field, value in CHAIN_PARAMETERS.values():
        assert getattr(config, field) == (int(value) if field.endswith("version") else value)
