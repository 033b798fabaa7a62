"""Which chain the local runtime's functions talk to: the local ledger in process (the default), or a Sui GraphQL
RPC: `nodeplane-local run --sui-rpc` starts a stand-in of its own (`nodeplane-local sui-rpc`, in
<data-dir>/sui-rpc), `--sui-rpc-url URL` (or `make run SUI_RPC_URL=URL`) uses one that runs already.

A stand-in tells its network's parameters at /dev/info; for any other URL they come from the environment
(SUI_NETWORK, ATOMA_PACKAGE_ID, ATOMA_DB_OBJECT_ID, ATOMA_DB_INITIAL_SHARED_VERSION, USDC_COIN_TYPE), as the
template's parameters do in AWS.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

ENVIRONMENT_PARAMETERS = {
    "SuiNetwork": "SUI_NETWORK",
    "AtomaPackageId": "ATOMA_PACKAGE_ID",
    "AtomaDbObjectId": "ATOMA_DB_OBJECT_ID",
    "AtomaDbInitialSharedVersion": "ATOMA_DB_INITIAL_SHARED_VERSION",
    "UsdcCoinType": "USDC_COIN_TYPE",
    "SuiFaucetUrl": "SUI_FAUCET_URL",
}


def _dev(url: str, route: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    base = url.removesuffix("/graphql")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}/dev/{route}", data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def network_info(url: str) -> dict[str, Any]:
    """A stand-in's network parameters; for another RPC, just its URL."""
    try:
        return _dev(url, "info") | {"stand_in": True}
    except (urllib.error.URLError, OSError, ValueError):
        return {"url": url, "stand_in": False}


def template_parameters(url: str, info: dict[str, Any]) -> dict[str, str]:
    if not info.get("stand_in"):
        given = {name: os.environ[env] for name, env in ENVIRONMENT_PARAMETERS.items() if os.environ.get(env)}
        return {"SuiRpcUrl": url} | given
    return {
        "SuiRpcUrl": url,
        "SuiNetwork": str(info["network"]),
        "AtomaPackageId": str(info["package"]),
        "AtomaDbObjectId": str(info["atoma_db"]),
        "AtomaDbInitialSharedVersion": str(info["atoma_db_initial_shared_version"]),
        "UsdcCoinType": str(info["usdc_type"]),
        "SuiFaucetUrl": str(info["faucet_url"]),
    }


def make_nodeplane_admin(info: dict[str, Any]) -> None:
    """On a stand-in, nodeplane's admin wallet becomes the ledger's admin (create-task, rotate-keys, disputes)."""
    if not info.get("stand_in"):
        return
    from nodeplane.network import chain_impl, operators
    from nodeplane.settings import settings

    settings.cache_clear()
    admin = operators.wallet(chain_impl.wallet_purpose("admin", str(info["network"])))
    if info.get("admin") != admin.address:
        _dev(str(info["url"]), "grant-admin", {"recipient": admin.address})
