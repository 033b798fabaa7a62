"""Self-managed nodes imported over the API and discovered for real: the worker SSHes into a real sshd on
127.0.0.1, and the node ends AVAILABLE with the machine's facts, or FAILED with a clear reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nodeplane_local.harness.lambda_events import drain
from nodeplane_local.harness.sshd import new_client_key
from tests.support.pool import call, describe_node, ssh_node

pytestmark = pytest.mark.sshd

TWO_GPUS = """#!/bin/sh
case "$*" in
  *--query-gpu*) printf 'NVIDIA H100 80GB HBM3, 81559, 550.54.15\\nNVIDIA H100 80GB HBM3, 81559, 550.54.15\\n' ;;
  *) echo 'NVIDIA-SMI 550.54.15  Driver Version: 550.54.15  CUDA Version: 12.4' ;;
esac
"""


def import_server(server, key: bytes, hostname: str = "real-box") -> str:
    return ssh_node(hostname=hostname, endpoint=server.endpoint, username=server.user, key=key)


def discover(moto_env) -> None:
    drain(moto_env["DISCOVERY_QUEUE_URL"], "queue_discovery_worker", rounds=2)


def test_import_reaches_available_with_the_real_machine_facts(moto_env, fresh_sshd):
    fresh_sshd.add_executable("nvidia-smi", TWO_GPUS)
    node_id = import_server(fresh_sshd, fresh_sshd.client_private_key)
    assert describe_node(node_id)["node_status"] == "PENDING"
    discover(moto_env)
    found = describe_node(node_id)
    assert found["node_status"] in ("AVAILABLE", "WARNING"), found  # WARNING if this machine has Docker/CUDA
    assert found["hardware"]["cpu_cores"] == os.cpu_count()
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    assert abs(found["hardware"]["memory_gb"] - mem_kib / 1024**2) <= 1
    assert found["system"]["kernel"] == os.uname().release
    assert found["hardware"]["gpu_count"] == 2 and "H100" in found["hardware"]["gpu_type"]
    assert found["host_key_fingerprint"] == fresh_sshd.host_key_fingerprint


def test_wrong_key_fails_with_a_reason(moto_env, fresh_sshd):
    node_id = import_server(fresh_sshd, new_client_key())
    discover(moto_env)
    failed = describe_node(node_id)
    assert failed["node_status"] == "FAILED" and "auth" in failed["failure_reason"].lower()


def test_a_changed_host_key_fails_the_next_discovery(moto_env, fresh_sshd):
    node_id = import_server(fresh_sshd, fresh_sshd.client_private_key)
    discover(moto_env)
    assert describe_node(node_id)["node_status"] in ("AVAILABLE", "WARNING")
    fresh_sshd.regenerate_host_key()
    assert call("pool_node_rediscover", "POST", "/v1/node/{node_id}/discover", {"node_id": node_id}).status == 202
    discover(moto_env)
    failed = describe_node(node_id)
    assert failed["node_status"] == "FAILED" and "host key" in failed["failure_reason"].lower()
