"""The `nodeplane` command without a server: help stays cheap, errors read the server's words from every envelope."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nodeplane.api import error_body
from nodeplane_cli.client import server_message


def test_help_loads_neither_the_layer_nor_cryptography() -> None:
    probe = (
        "import sys\n"
        "from nodeplane_cli.__main__ import cli\n"
        "try:\n"
        "    cli(['operator', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('nodeplane', 'cryptography', 'urllib3')))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "subscribe" in out.stdout and out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("envelope", ["problem", "atoma", "daemon"])
def test_the_servers_message_is_found_in_each_envelope(envelope: str) -> None:
    _, body = error_body(envelope, 409, "node 1 is already subscribed to task 3", "/x")  # type: ignore[arg-type]
    assert server_message(409, body).startswith("node 1 is already subscribed to task 3")


def test_gateway_and_plain_text_errors_are_shown_as_they_are() -> None:
    assert server_message(401, json.dumps({"message": "Unauthorized"})) == "Unauthorized"
    assert server_message(502, "Bad Gateway\n") == "Bad Gateway"
    assert server_message(500, "") == "HTTP 500"
