"""Shared fixtures: a fresh AWS environment per test, on moto or on DynamoDB Local (the strict engine)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.support.engines import dynamodb_local, moto_server  # noqa: F401  (session fixtures)
from tests.support.runtime import local_runtime, runtime, sui_rpc_runtime  # noqa: F401  (the local runtime over HTTP)

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
# as the local runtime serves them: SSH servers on 127.0.0.1 can be discovered (tests/integration/test_ssh_targets.py
# checks what a deployment refuses by default)
os.environ.setdefault("SSH_PRIVATE_TARGETS", "allow")


def _reset_clients() -> None:
    from nodeplane import aws, clock, queue, security, settings, store

    settings.settings.cache_clear()
    aws.reset()
    store.dynamodb.cache_clear()
    queue.sqs.cache_clear()
    security.kms.cache_clear()
    clock.reset()


@pytest.fixture
def moto_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Tables, queues and a KMS key in moto's in-process mock."""
    from moto import mock_aws

    from nodeplane_local.harness.aws import environment

    with mock_aws():
        env = environment(boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("kms"))
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        _reset_clients()
        yield env
    _reset_clients()


@pytest.fixture(params=["moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)])
def aws_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The same tests on both engines: moto for everything, or DynamoDB Local for DynamoDB + moto for the rest."""
    from nodeplane_local.harness.aws import environment

    if request.param == "moto":
        yield request.getfixturevalue("moto_env") | {"engine": "moto"}
        return
    ddb_url = request.getfixturevalue("dynamodb_local")
    moto_url = request.getfixturevalue("moto_server")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", ddb_url)
    env = environment(boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("kms"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    _reset_clients()
    yield env | {"engine": "dynamodb_local"}
    _reset_clients()
