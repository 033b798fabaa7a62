"""Counting the DynamoDB calls nodeplane's own client makes on nodeplane's table (the local ledger's table is the
chain's, and is not counted): what the call-count tests assert and the settlement bench prints."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


class TableCalls:
    """A botocore provide-client-params hook on nodeplane's DynamoDB client, recording each call's operation."""

    def __init__(self) -> None:
        self.made: list[str] = []

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        tables = {params.get("TableName"), *params.get("RequestItems", {})}
        tables |= {next(iter(i.values()))["TableName"] for i in params.get("TransactItems", [])}
        if os.environ["TABLE_NAME"] in tables:
            self.made.append(model.name)

    def during(self, run: Callable[[], Any]) -> list[str]:
        """The calls ``run()`` makes."""
        from nodeplane import store

        self.made = []
        client = store.dynamodb()
        client.meta.events.register("provide-client-params.dynamodb", self)
        try:
            run()
        finally:
            client.meta.events.unregister("provide-client-params.dynamodb", self)
        return self.made
