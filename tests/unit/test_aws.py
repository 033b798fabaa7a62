"""nodeplane.aws's data loader reads the same models as botocore's own, for every service nodeplane calls."""

from __future__ import annotations

import ast
from pathlib import Path

import botocore.loaders
import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError

from nodeplane import aws

LAYER = Path(__file__).parents[2] / "layers" / "nodeplane" / "nodeplane"


def _loaders() -> tuple[object, object]:
    ours = aws._Loader(file_loader=aws._JSONFileLoader())
    return ours, botocore.loaders.create_loader()


@pytest.mark.parametrize("service", aws.SERVICES)
@pytest.mark.parametrize("type_name", ["service-2", "endpoint-rule-set-1", "paginators-1"])
def test_service_models_are_botocores(service: str, type_name: str) -> None:
    ours, theirs = _loaders()
    try:
        expected = theirs.load_service_model(service, type_name)  # type: ignore[attr-defined]
    except botocore.exceptions.DataNotFoundError:
        pytest.skip(f"botocore has no {type_name} for {service}")
    assert ours.load_service_model(service, type_name) == expected  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["endpoints", "partitions", "sdk-default-configuration", "_retry"])
def test_shared_data_is_botocores(name: str) -> None:
    ours, theirs = _loaders()
    assert ours.load_data(name) == theirs.load_data(name)  # type: ignore[attr-defined]


def test_other_services_are_unknown() -> None:
    ours, _ = _loaders()
    with pytest.raises(UnknownServiceError):
        ours.load_service_model("s3", "service-2")  # type: ignore[attr-defined]


def test_services_lists_every_service_the_layer_calls() -> None:
    """Every ``aws.client("...")`` in the layer names a service in ``aws.SERVICES``."""
    called = set()
    for path in LAYER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute | ast.Name)
                and getattr(node.func, "attr", getattr(node.func, "id", "")) == "client"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                called.add(node.args[0].value)
    assert called and called <= set(aws.SERVICES), called


def test_clients_work_through_the_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    aws.reset()
    try:
        for service in aws.SERVICES:
            client = aws.client(service)
            assert client.meta.service_model.service_name == service
            assert client.meta.region_name == "eu-west-1"
    finally:
        aws.reset()
