"""The chain adapters stay light: neither signing on the ledger nor talking GraphQL imports pysui or graphql-core."""

from __future__ import annotations

import subprocess
import sys


def test_adapters_import_neither_pysui_nor_graphql_core() -> None:
    code = (
        "import nodeplane.chain.signers, nodeplane.chain.ledger_access, nodeplane.chain.graphql, sys;"
        "from nodeplane.chain.transactions import CallSpec, ObjectRef, SharedObject, build_atoma_transaction as b;"
        "ref = ObjectRef('0x2', 1, '11111111111111111111111111111111');"
        "b(package='0x1', atoma_db=SharedObject('0x3', 1), sender='0x4', calls=[CallSpec('register_node_entry')],"
        " gas_payment=[ref], gas_price=1000);"
        "print(sorted(m for m in ('pysui', 'graphql', 'gql', 'httpx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
