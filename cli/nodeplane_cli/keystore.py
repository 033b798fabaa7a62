"""Sui CLI keystores: `sui.keystore` (a JSON array of base64 `flag ‖ private key`) and, beside it, `sui.aliases`
(`[{"alias", "public_key_base64"}]`, base64 `flag ‖ public key`). Keys are picked as `sui keytool` does: by
alias or address, and here also by position in the keystore."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodeplane_cli.errors import usage

DEFAULT_KEYSTORE = Path("~/.sui/sui_config/sui.keystore")


@dataclass(frozen=True)
class Entry:
    index: int
    keystore: str  # base64 flag ‖ private key, as the file holds it
    address: str
    scheme: str
    alias: str | None


def _keypair(text: str) -> Any:
    from nodeplane.chain.keys import Keypair  # cryptography: loaded only by the commands that need it

    return Keypair.from_keystore(text)


def parse_private_key(text: str) -> Any:
    """A `suiprivkey1…` or base64 `flag ‖ key` string as a keypair; a usage error otherwise."""
    try:
        return _keypair(text.strip())
    except Exception:
        raise usage("not a Sui private key: expected suiprivkey1… or base64 of flag ‖ 32-byte key") from None


def _read_json_list(path: Path, what: str) -> list[Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise usage(f"{what} {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise usage(f"{what} {path} is not readable JSON: {exc}") from None
    if not isinstance(data, list):
        raise usage(f"{what} {path} is not a JSON array")
    return data


def read(path: Path) -> list[Entry]:
    """Every key of the keystore at ``path`` with its address and, when `sui.aliases` names it, its alias."""
    path = path.expanduser()
    strings = _read_json_list(path, "keystore")
    aliases: dict[str, str] = {}
    alias_path = path.with_name("sui.aliases")
    if alias_path.exists():
        for item in _read_json_list(alias_path, "aliases file"):
            if isinstance(item, dict) and isinstance(item.get("alias"), str):
                aliases[str(item.get("public_key_base64", ""))] = item["alias"]
    entries = []
    for index, text in enumerate(strings):
        if not isinstance(text, str):
            raise usage(f"keystore {path}: entry {index} is not a string")
        try:
            pair = _keypair(text)
        except Exception:
            raise usage(f"keystore {path}: entry {index} is not a Sui private key") from None
        public = base64.b64encode(bytes([pair.flag]) + pair.public_key).decode()
        entries.append(Entry(index, pair.to_keystore(), pair.address, pair.scheme, aliases.get(public)))
    return entries


def pick(entries: list[Entry], identity: str | None, path: Path) -> Entry:
    """The key named by alias, address (0x…) or index; the only key when none is named."""
    listing = "; ".join(f"{e.index}: {e.alias or '-'} {e.address}" for e in entries)
    if not entries:
        raise usage(f"keystore {path} holds no keys")
    if identity is None:
        if len(entries) == 1:
            return entries[0]
        raise usage(f"keystore {path} holds {len(entries)} keys; name one by alias, address or index ({listing})")
    for entry in entries:
        if identity in (entry.alias, str(entry.index)) or identity.lower() == entry.address:
            return entry
    raise usage(f"no key {identity!r} in keystore {path} ({listing})")
