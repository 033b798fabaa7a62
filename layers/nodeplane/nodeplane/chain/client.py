"""``ChainClient``: submit signed transactions to the local ledger or to a Sui full node (pysui GraphQL).

pysui is imported only inside ``SuiClient``'s executor, never at module import (it costs ~0.5 s).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from nodeplane.chain.ledger import TxResult
from nodeplane.chain.signatures import transaction_digest

# (base64 tx bytes, base64 signatures) -> {"status": "success"|"failure", "error": str|None, "digest": str|None}
Executor = Callable[[str, list[str]], Coroutine[Any, Any, dict[str, Any]]]


@runtime_checkable
class ChainClient(Protocol):
    def submit(self, tx_bytes: bytes, signatures: list[str]) -> TxResult: ...

    def reference_gas_price(self) -> int: ...


class SuiClientError(RuntimeError):
    """The full node could not be reached or refused the transaction; ``digest`` is known regardless."""

    def __init__(self, message: str, digest: str) -> None:
        super().__init__(message)
        self.digest = digest


class SuiClient:
    """Submits to a Sui full node through pysui's GraphQL client (async under the hood, sync API here).

    Events are not returned: callers read them back by digest or from an event stream, as on Sui.
    """

    def __init__(
        self,
        rpc_url: str,
        *,
        gas_price: int | None = None,
        executor: Executor | None = None,
        config_dir: str | None = None,
    ) -> None:
        self._rpc_url = rpc_url
        self._gas_price = gas_price
        self._executor = executor
        self._config_dir = config_dir
        self._client: Any = None

    def reference_gas_price(self) -> int:
        if self._gas_price is None:
            raise SuiClientError("no reference gas price configured for this network", digest="")
        return self._gas_price

    def submit(self, tx_bytes: bytes, signatures: list[str]) -> TxResult:
        import base64

        digest = transaction_digest(tx_bytes)  # known before submission, reported even on transport failure
        execute = self._executor or self._pysui_execute
        try:
            res: dict[str, Any] = asyncio.run(execute(base64.b64encode(tx_bytes).decode(), list(signatures)))
        except SuiClientError:
            raise
        except Exception as exc:
            raise SuiClientError(f"submitting to {self._rpc_url} failed: {exc}", digest) from exc
        return TxResult(digest=res.get("digest") or digest, status=res["status"], error=res.get("error"), events=[])

    # ---------------------------------------------------------------- pysui

    def write_config(self) -> Path:
        """Create PysuiConfig.json with one GraphQL group for ``rpc_url`` (pysui insists on a file)."""
        from pysui import GroupProtocol, NetworkType, PysuiConfiguration

        from nodeplane.chain.keys import Keypair

        folder = Path(self._config_dir or tempfile.mkdtemp(prefix="pysui-"))
        if not (folder / "PysuiConfig.json").exists():
            cfg = PysuiConfiguration.initialize_config(in_folder=folder, init_groups=[{"name": "_init"}])
            cfg.new_group(
                group_name="nodeplane",
                profile_block=[
                    {
                        "profile_name": "node",
                        "url": self._rpc_url,
                        "network_type": NetworkType.PRODUCTION,
                        "faucet_url": None,
                        "faucet_status_url": None,
                        "make_active": True,
                    }
                ],
                # pysui wants a key per group; we sign outside pysui, so a throwaway key is enough.
                key_block=[{"key_string": Keypair.generate("ed25519").to_keystore(), "alias": "unused"}],
                active_address_index=0,
                group_protocol=GroupProtocol.GRAPHQL,
                make_group_active=True,
                persist=True,
            )
        self._config_dir = str(folder)
        return folder

    async def _pysui_execute(self, tx_b64: str, signatures: list[str]) -> dict[str, Any]:
        from pysui import ExecuteTransaction, PysuiConfiguration, client_factory

        if self._client is None:
            folder = self.write_config()
            self._client = client_factory(PysuiConfiguration(group_name="nodeplane", from_cfg_path=str(folder)))
        res = await self._client.execute(
            command=ExecuteTransaction(tx_bytestr=tx_b64, sig_array=list[str | bytes](signatures))
        )
        if not res.is_ok():
            return {"status": "failure", "error": str(res.result_string), "digest": None}
        data = res.result_data
        status = getattr(getattr(data, "effects", None), "status", None)
        ok = status is None or "success" in str(status).lower()
        return {"status": "success" if ok else "failure", "error": None if ok else str(status), "digest": data.digest}
