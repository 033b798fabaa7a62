"""Wire models of the pool's sshkeys."""

from typing import Annotated

from pydantic import ConfigDict, Field, StrictStr

from nodeplane.pool.models import KeyScope, Name, Reply, Request


class SshKeyCreateRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "lab-key", "private_key_b64": "<base64 of the OpenSSH private key file>", "scope": "private"}
            ]
        }
    )

    name: Name
    private_key_b64: Annotated[StrictStr, Field(min_length=1, max_length=64 * 1024)]
    scope: KeyScope = "private"


class SshKeyCreateResponse(Reply):
    ssh_key_id: str


class SshKeyListEntry(Reply):
    id: str
    name: str
    scope: KeyScope


class SshKeysListResponse(Reply):
    ssh_keys: list[SshKeyListEntry]
    total: int
