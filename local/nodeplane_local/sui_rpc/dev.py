"""The stand-in's development routes beside /graphql (not part of Sui's API): what a development network offers.

GET  /dev/info            the network's parameters (package, AtomaDb and its initial shared version, USDC)
POST /dev/faucet          {"recipient", "sui", "usdc"}: new coins for a wallet (SUI_FAUCET_URL)
POST /dev/advance-epoch   {"epochs"}: the epoch turns (dispute windows close)
POST /dev/grant-admin     {"recipient"}: the AtomaManagerBadge and the admin role move to a wallet
"""

from __future__ import annotations

from typing import Any

from nodeplane.chain.ledger import LocalLedger
from nodeplane.chain.signatures import normalize_address


def info(ledger: LocalLedger, graphql_url: str) -> dict[str, Any]:
    head = ledger.info()
    base = graphql_url.rsplit("/graphql", 1)[0]
    return {
        "url": graphql_url,
        "faucet_url": f"{base}/dev/faucet",
        "network": "localnet",
        "package": head["package"],
        "atoma_db": head["db_id"],
        "atoma_db_initial_shared_version": head["db_initial_shared_version"],
        "usdc_type": head["usdc_type"],
        "admin_badge": head["admin_badge"],
        "admin": ledger.admin(),
        "epoch": head["epoch"],
    }


def handle(ledger: LocalLedger, graphql_url: str, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of one development request."""
    body = body if isinstance(body, dict) else {}
    try:
        if method == "GET" and path == "/dev/info":
            return 200, info(ledger, graphql_url)
        if method != "POST":
            return 404, {"error": f"no development route {method} {path}"}
        if path == "/dev/faucet":
            recipient = normalize_address(str(body["recipient"]))
            refs = ledger.faucet(recipient, sui=int(body.get("sui", 0)), usdc=int(body.get("usdc", 0)))
            return 200, {"recipient": recipient, "coins": [r.object_id for r in refs]}
        if path == "/dev/advance-epoch":
            return 200, {"epoch": ledger.advance_epoch(int(body.get("epochs", 1)))}
        if path == "/dev/grant-admin":
            recipient = normalize_address(str(body["recipient"]))
            return 200, {"admin": recipient, "admin_badge": ledger.grant_admin(recipient)}
    except (KeyError, TypeError, ValueError) as exc:
        return 400, {"error": f"bad request: {exc}"}
    return 404, {"error": f"no development route {method} {path}"}
