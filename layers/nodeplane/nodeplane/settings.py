"""Runtime configuration, read from the environment when first needed (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    table_name: str = "nodeplane"
    idempotency_table_name: str = "nodeplane-idempotency"
    ledger_table_name: str = "nodeplane-ledger"
    discovery_queue_url: str = ""
    settlement_queue_url: str = ""
    kms_key_id: str = "alias/nodeplane"
    # Node access tokens rotate on every PATCH; this is how long one stays valid.
    node_token_ttl_seconds: int = 3600
    # A self-managed node whose last heartbeat is older than this shows as stale.
    heartbeat_stale_seconds: int = 300
    # Discovery must finish this long after import or the node fails.
    discovery_deadline_seconds: int = 600
    # Settlement: nodeplane's stand-in for one chain epoch (the dispute window; set it to the epoch length in AWS).
    settlement_window_seconds: int = 60
    # A settlement with work left and no progress for this long is re-enqueued by the sweeper.
    settlement_stall_seconds: int = 300
    # A settlement still open this long after its ticket is moved to Failed.
    settlement_deadline_seconds: int = 3 * 24 * 3600
    # A disputed settlement with no majority waits this long for an admin, then fails.
    dispute_resolution_seconds: int = 24 * 3600
    # How long a started chain call may stay unanswered before its outcome is reconciled.
    settlement_step_lease_seconds: int = 120
    # How long a stack purchase belongs to the request that started it; then the purchase sweeper finishes or
    # refunds it. Longer than any purchasing function's timeout plus the lease on the coins its transaction spends
    # (tests/unit/test_purchase_bounds.py).
    purchase_lease_seconds: int = 90
    # How long a transaction being built holds the owned objects (coins, badges) of nodeplane's wallets: longer than
    # a Lambda's timeout plus the RPC's read timeout, so a lease outlives whoever took it (network/owned.py).
    wallet_lease_seconds: int = 60
    max_body_bytes: int = 256 * 1024
    # "allow": SSH discovery may connect to loopback, link-local and private addresses (pool/targets.py).
    ssh_private_targets: str = "refuse"
    # User JWTs on routes outside the HttpApi authorizer are checked against these (api/auth.py); no issuer, no JWTs.
    jwt_issuer: str = ""
    jwt_audience: str = ""
    # A Sui GraphQL RPC; empty means the local ledger in process. The rest names Atoma's deployment on it.
    sui_rpc_url: str = ""
    sui_network: str = ""  # a name for the network (mainnet, testnet, localnet): nodeplane's wallets are per network
    atoma_package_id: str = ""
    atoma_db_object_id: str = ""
    # "true": nodes may register private, loopback and link-local addresses (the local runtime allows them)
    allow_private_node_addresses: str = "false"
    atoma_db_initial_shared_version: int = 0  # 0: read from the chain once per container
    usdc_coin_type: str = ""  # <package>::usdc::USDC (or the whole 0x2::coin::Coin<…>)
    # Development networks only: a faucet that tops up nodeplane's wallets (nodeplane-local sui-rpc's /dev/faucet).
    sui_faucet_url: str = ""
    sui_rpc_connect_timeout: int = 3
    # Below the Lambda timeout, so a submission without an answer is still looked up by its digest in time.
    sui_rpc_read_timeout: int = 8
    # The coin pool of nodeplane's wallets (schedule_coin_pool): coins kept, and the SUI each gas coin gets.
    coin_pool_size: int = 20
    coin_pool_gas_mist: int = 500_000_000
    # The local ledger's chance (in 1/1000) that try_settle samples attestation nodes; db.move starts at 10.
    ledger_cross_validation_permille: int = 10
    # CloudWatch namespace of nodeplane's own metrics (nodeplane.metrics)
    metrics_namespace: str = "nodeplane"


_ENV = {
    "table_name": "TABLE_NAME",
    "idempotency_table_name": "IDEMPOTENCY_TABLE_NAME",
    "ledger_table_name": "LEDGER_TABLE_NAME",
    "discovery_queue_url": "DISCOVERY_QUEUE_URL",
    "settlement_queue_url": "SETTLEMENT_QUEUE_URL",
    "kms_key_id": "KMS_KEY_ID",
    "node_token_ttl_seconds": "NODE_TOKEN_TTL_SECONDS",
    "heartbeat_stale_seconds": "HEARTBEAT_STALE_SECONDS",
    "discovery_deadline_seconds": "DISCOVERY_DEADLINE_SECONDS",
    "settlement_window_seconds": "SETTLEMENT_WINDOW_SECONDS",
    "settlement_stall_seconds": "SETTLEMENT_STALL_SECONDS",
    "settlement_deadline_seconds": "SETTLEMENT_DEADLINE_SECONDS",
    "dispute_resolution_seconds": "DISPUTE_RESOLUTION_SECONDS",
    "settlement_step_lease_seconds": "SETTLEMENT_STEP_LEASE_SECONDS",
    "purchase_lease_seconds": "PURCHASE_LEASE_SECONDS",
    "wallet_lease_seconds": "WALLET_LEASE_SECONDS",
    "max_body_bytes": "MAX_BODY_BYTES",
    "ssh_private_targets": "SSH_PRIVATE_TARGETS",
    "jwt_issuer": "JWT_ISSUER",
    "jwt_audience": "JWT_AUDIENCE",
    "sui_rpc_url": "SUI_RPC_URL",
    "sui_network": "SUI_NETWORK",
    "atoma_package_id": "ATOMA_PACKAGE_ID",
    "atoma_db_object_id": "ATOMA_DB_OBJECT_ID",
    "atoma_db_initial_shared_version": "ATOMA_DB_INITIAL_SHARED_VERSION",
    "usdc_coin_type": "USDC_COIN_TYPE",
    "sui_faucet_url": "SUI_FAUCET_URL",
    "sui_rpc_connect_timeout": "SUI_RPC_CONNECT_TIMEOUT",
    "sui_rpc_read_timeout": "SUI_RPC_READ_TIMEOUT",
    "coin_pool_size": "COIN_POOL_SIZE",
    "coin_pool_gas_mist": "COIN_POOL_GAS_MIST",
    "ledger_cross_validation_permille": "LEDGER_CROSS_VALIDATION_PERMILLE",
    "allow_private_node_addresses": "ALLOW_PRIVATE_NODE_ADDRESSES",
    "metrics_namespace": "METRICS_NAMESPACE",
}


@lru_cache(maxsize=1)
def settings() -> Settings:
    # a dataclass, not a pydantic model: this runs on every cold start and must stay cheap
    types = {f.name: f.type for f in fields(Settings)}
    values: dict[str, object] = {}
    for field, env in _ENV.items():
        raw = os.environ.get(env)
        if raw:
            values[field] = int(raw) if types[field] in (int, "int") else raw
    return Settings(**values)  # type: ignore[arg-type]
