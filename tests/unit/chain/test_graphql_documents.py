"""Every GraphQL document the Sui GraphQL adapter can send validates against the vendored published schema."""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate

from nodeplane.chain import graphql as adapter_package
from nodeplane.chain.graphql import documents

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / "vendor" / "sui-graphql" / "schema.graphql"
OPERATION = re.compile(r"^\s*(query|mutation|subscription)\b")


@pytest.fixture(scope="module")
def schema():
    return build_schema(SCHEMA.read_text())


@pytest.mark.parametrize("name", sorted(documents.DOCUMENTS))
def test_document_validates_against_the_published_schema(schema, name: str) -> None:
    document = parse(documents.DOCUMENTS[name])
    assert validate(schema, document) == []
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert [op.name.value for op in operations if op.name] == [name]  # one operation, named like its key


def test_an_invalid_document_is_caught(schema) -> None:
    """The check above can fail: a field this schema lacks (pysui 1.5.1 asks for effectsJson) is refused."""
    errors = validate(schema, parse("query T($d: String!) { transaction(digest: $d) { effects { effectsJson } } }"))
    assert len(errors) == 1
    assert errors[0].message.startswith("Cannot query field 'effectsJson' on type 'TransactionEffects'.")


def test_every_operation_in_the_adapter_is_registered() -> None:
    """No GraphQL operation hides outside DOCUMENTS: every string in the adapter that starts one is registered."""
    registered = set(documents.DOCUMENTS.values())
    for path in Path(adapter_package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and OPERATION.match(node.value):
                assert any(node.value in doc for doc in registered), f"{path.name}: unregistered {node.value[:40]!r}"


def test_the_transport_sends_only_registered_documents() -> None:
    from nodeplane.chain.access import ChainResponseError
    from nodeplane.chain.graphql.transport import GraphQLTransport

    with pytest.raises(ChainResponseError, match="unknown document"):
        GraphQLTransport("http://127.0.0.1:9/graphql").request("NotADocument", {})


def test_the_vendored_schema_is_the_stated_commit() -> None:
    readme = (SCHEMA.parent / "README.md").read_text()
    assert "f1df27171141e982a373d9b1656ef5e9f6926fa6" in readme
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() in readme
