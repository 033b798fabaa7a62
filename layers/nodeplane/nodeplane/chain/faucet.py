"""A development faucet over HTTP: ``nodeplane-local sui-rpc`` serves one at ``/dev/faucet`` (``SUI_FAUCET_URL``).

Only for development networks: it tops up the wallets nodeplane signs for when they run dry, as the in-process
ledger's faucet does. A real network's wallets are funded by their owners (README: a real network).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from nodeplane.chain.access import ChainResponseError, ChainUnreachable


class HttpFaucet:
    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout

    def request(self, address: str, *, sui: int = 0, usdc: int = 0) -> list[str]:
        """Mint ``sui`` MIST and ``usdc`` units to ``address``; the new coins' ids."""
        body = json.dumps({"recipient": address, "sui": sui, "usdc": usdc}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ChainResponseError(f"the faucet at {self.url} answered HTTP {exc.code}") from exc
        except (OSError, ValueError) as exc:
            raise ChainUnreachable(f"the faucet at {self.url} is unreachable: {exc}") from exc
        return [str(c) for c in answer.get("coins", [])]
