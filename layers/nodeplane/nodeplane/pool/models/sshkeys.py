"""Wire models of the pool's sshkeys."""

from typing import Annotated

from pydantic import Field, StrictStr

from nodeplane.pool.models import KeyScope, Name, Reply, Request


class SshKeyCreateRequest(Request):
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
