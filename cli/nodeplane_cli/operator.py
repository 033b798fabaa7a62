"""`nodeplane operator …`: a node operator's commands, over the `/daemon` API of any nodeplane deployment.

The habits are the Sui CLI's (a keystore at ~/.sui/sui_config/sui.keystore, keys named by alias or address) and
the Atoma node daemon's (task subscriptions at a price, claimed stacks, attestations, claiming funds)."""

from __future__ import annotations

import base64
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from nodeplane_cli import keystore, output
from nodeplane_cli.client import DEFAULT_URL, Client
from nodeplane_cli.errors import EXIT_CODES_HELP, AuthError, CliError, Refused, usage

SCHEMES = ("ed25519", "secp256k1", "secp256r1")
SECURITY_LEVELS = {0: "none", 1: "confidential", 2: "sampling-consensus"}


@dataclass(frozen=True)
class Session:
    client: Client
    json: bool

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.call("POST", path, body)

    def get(self, path: str, **query: Any) -> Any:
        return self.client.call("GET", path, query=query)


def api_command(group: click.Group, name: str, help_text: str) -> Callable[[Callable[..., None]], click.Command]:
    """A command that talks to the server: --url, --token and --json on every one, so they go anywhere."""

    def decorate(function: Callable[..., None]) -> click.Command:
        @functools.wraps(function)
        def run(url: str, token: str | None, as_json: bool, **kwargs: Any) -> None:
            function(Session(Client(url, token), as_json), **kwargs)

        command = group.command(name, help=help_text)(run)
        command.params += [
            click.Option(
                ["--url"],
                envvar="NODEPLANE_URL",
                show_envvar=True,
                default=DEFAULT_URL,
                show_default=True,
                help="Base URL of the nodeplane API.",
            ),
            click.Option(["--token"], envvar="NODEPLANE_TOKEN", show_envvar=True, help="Bearer token of the operator."),
            click.Option(["--json", "as_json"], is_flag=True, help="Print the server's JSON answer."),
        ]
        return command

    return decorate


def _tx_lines(result: dict[str, Any], what: str) -> None:
    for digest in output.digests(result):
        click.echo(f"{what}: tx {digest}")


def _node_option(help_text: str = "One of your nodes (default: all of them).") -> Callable[..., Any]:
    return click.option("--node", "node_small_id", type=click.IntRange(min=1), help=help_text)


@click.group(epilog=EXIT_CODES_HELP)
def operator() -> None:
    """Run nodes on the inference network: keys, node registration, task subscriptions, settlement."""


# --- keys -----------------------------------------------------------------------------------------------------------


@operator.group()
def keys() -> None:
    """The operator's Sui key, which nodeplane keeps encrypted and signs with."""


@api_command(
    keys,
    "import",
    """Give nodeplane the operator's Sui key.

    By default the key comes from the Sui CLI's keystore (~/.sui/sui_config/sui.keystore), named by IDENTITY: an
    alias from sui.aliases, an address (0x…) or an index in the keystore; a keystore with one key needs none.
    --private-key takes a suiprivkey1… or base64 string ('-' reads it from stdin); --generate makes a new key and
    prints it once (save it: `sui keytool import` accepts it).""",
)
@click.argument("identity", required=False)
@click.option(
    "--keystore",
    "keystore_path",
    type=click.Path(path_type=Path),
    default=str(keystore.DEFAULT_KEYSTORE),
    show_default=True,
    help="A Sui keystore file (a JSON array of base64 flag‖key strings).",
)
@click.option("--private-key", help="suiprivkey1… or base64 flag‖key; '-' reads it from stdin.")
@click.option("--generate", is_flag=True, help="Generate a new key, import it and print it once.")
@click.option("--scheme", type=click.Choice(SCHEMES), default="ed25519", show_default=True, help="With --generate.")
def keys_import(
    s: Session, identity: str | None, keystore_path: Path, private_key: str | None, generate: bool, scheme: str
) -> None:
    if generate and (private_key or identity):
        raise usage("--generate makes a new key: give no IDENTITY and no --private-key with it")
    if private_key and identity:
        raise usage("IDENTITY names a key in the keystore: give either it or --private-key")
    if generate:
        from nodeplane.chain.keys import Keypair

        pair = Keypair.generate(scheme)
    elif private_key:
        text = sys.stdin.read() if private_key == "-" else private_key
        pair = keystore.parse_private_key(text)
    else:
        entry = keystore.pick(keystore.read(keystore_path), identity, keystore_path)
        pair = keystore.parse_private_key(entry.keystore)
    result = s.post("/daemon/keys", {"keystore": pair.to_keystore()})
    shown = {"sui_address": result["sui_address"], "scheme": pair.scheme}
    if generate:
        shown["private_key"] = pair.to_bech32()
    if s.json:
        output.emit_json(shown)
        return
    click.echo(f"Imported the operator key of {result['sui_address']} ({pair.scheme}).")
    if generate:
        click.echo("The new private key, shown only now (keep it; `sui keytool import` accepts it):")
        click.echo(shown["private_key"])


# --- nodes ----------------------------------------------------------------------------------------------------------


@operator.group()
def nodes() -> None:
    """Your nodes on the network."""


@api_command(nodes, "register", "Register a new node on chain, owned by the operator's key.")
def nodes_register(s: Session) -> None:
    result = s.post("/daemon/nodes/register")
    if s.json:
        output.emit_json(result)
        return
    click.echo(f"Registered node {result['node_small_id']} (badge {result.get('node_badge_id') or '-'}).")
    _tx_lines(result, "registered")


def _write_new_secret(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only; never replace a file that exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise usage(f"{path} exists: nodeplane never overwrites a private key; choose another path") from None
    except OSError as exc:
        raise usage(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(text)


@api_command(
    nodes,
    "publish-key",
    """Generate NODE's X25519 key pair for confidential compute and publish its public half.

    The private half is written to PRIVATE_KEY_FILE (base64, mode 0600) before anything is sent; an existing
    file is never overwritten. If the server refuses the key, the file is removed again.""",
)
@click.argument("node_small_id", metavar="NODE", type=click.IntRange(min=1))
@click.argument("private_key_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--device-type", type=click.IntRange(0, 15999), default=0, show_default=True)
def nodes_publish_key(s: Session, node_small_id: int, private_key_file: Path, device_type: int) -> None:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    secret = X25519PrivateKey.generate()
    private = secret.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = base64.b64encode(secret.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    _write_new_secret(private_key_file, base64.b64encode(private).decode() + "\n")
    body = {"public_key": public, "device_type": device_type}
    try:
        result = s.post(f"/daemon/nodes/{node_small_id}/public_key", body)
    except CliError as exc:
        if isinstance(exc, Refused | AuthError):  # certainly not published: the private half is of no use
            private_key_file.unlink(missing_ok=True)
        else:
            exc.message += f" (the private key stays in {private_key_file}: the key may have been published)"
        raise
    shown = {"node_small_id": node_small_id, "public_key": public, "private_key_file": str(private_key_file)}
    if s.json:
        output.emit_json(shown | result)
        return
    click.echo(f"Published node {node_small_id}'s public key {public}; its private key is in {private_key_file}.")
    _tx_lines(result, "published")


# --- tasks and subscriptions ----------------------------------------------------------------------------------------


@operator.group()
def tasks() -> None:
    """The network's tasks."""


@api_command(tasks, "list", "List the network's tasks, deprecated ones included.")
def tasks_list(s: Session) -> None:
    rows = s.get("/daemon/tasks")
    if s.json:
        output.emit_json(rows)
        return
    shown = [r | {"security": SECURITY_LEVELS.get(r.get("security_level"), r.get("security_level"))} for r in rows]
    columns = [
        ("task_small_id", "TASK"),
        ("model_name", "MODEL"),
        ("security", "SECURITY"),
        ("role", "ROLE"),
        ("minimum_reputation_score", "MIN REPUTATION"),
        ("is_deprecated", "DEPRECATED"),
    ]
    output.table(shown, columns, "No tasks.")


def _subscription(task: int, price: int | None, node: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {"task_small_id": task}
    if price is not None:
        body["price_per_one_million_compute_units"] = price
    if node is not None:
        body["node_small_id"] = node
    return body


_task_argument = click.argument("task_small_id", metavar="TASK", type=click.IntRange(min=1))
_price_option = click.option(
    "--price", type=click.IntRange(min=1), required=True, help="Price per one million compute units (USDC units)."
)


@api_command(operator, "subscribe", "Subscribe your nodes (or --node) to TASK at a price.")
@_task_argument
@_price_option
@_node_option()
def subscribe(s: Session, task_small_id: int, price: int, node_small_id: int | None) -> None:
    result = s.post("/daemon/task_subscribe", _subscription(task_small_id, price, node_small_id))
    output.emit_json(result) if s.json else _tx_lines(result, f"subscribed to task {task_small_id}")


@api_command(operator, "update", "Change the price of your nodes' (or --node's) subscription to TASK.")
@_task_argument
@_price_option
@_node_option()
def update(s: Session, task_small_id: int, price: int, node_small_id: int | None) -> None:
    result = s.post("/daemon/task_update_subscription", _subscription(task_small_id, price, node_small_id))
    output.emit_json(result) if s.json else _tx_lines(result, f"updated the subscription to task {task_small_id}")


@api_command(operator, "unsubscribe", "Unsubscribe your nodes (or --node) from TASK.")
@_task_argument
@_node_option()
def unsubscribe(s: Session, task_small_id: int, node_small_id: int | None) -> None:
    result = s.post("/daemon/task_unsubscribe", _subscription(task_small_id, None, node_small_id))
    output.emit_json(result) if s.json else _tx_lines(result, f"unsubscribed from task {task_small_id}")


@api_command(operator, "subscriptions", "List your nodes' task subscriptions.")
@_node_option("Only this node's.")
def subscriptions(s: Session, node_small_id: int | None) -> None:
    rows = s.get("/daemon/subscriptions", node_small_id=node_small_id)
    if s.json:
        output.emit_json(rows)
        return
    columns = [
        ("node_small_id", "NODE"),
        ("task_small_id", "TASK"),
        ("price_per_one_million_compute_units", "PRICE/1M UNITS"),
        ("max_num_compute_units", "MAX UNITS"),
        ("valid", "VALID"),
    ]
    output.table(rows, columns, "No subscriptions.")


# --- stacks and settlement ------------------------------------------------------------------------------------------


@operator.group()
def stacks() -> None:
    """Stacks your nodes served, and their settlement."""


@api_command(stacks, "claimed", "List the claimed stacks of all your nodes, or of NODE, and their settlement.")
@click.argument("node_small_id", metavar="[NODE]", required=False, type=click.IntRange(min=0))
def stacks_claimed(s: Session, node_small_id: int | None) -> None:
    rows = s.get("/daemon/claimed_stacks" if node_small_id is None else f"/daemon/claimed_stacks/{node_small_id}")
    if s.json:
        output.emit_json(rows)
        return
    shown = [r | {"attested": f"{r['received_attestations']}/{r['required_attestations']}"} for r in rows]
    columns = [
        ("stack_small_id", "STACK"),
        ("selected_node_id", "NODE"),
        ("num_claimed_compute_units", "UNITS"),
        ("attestation_status", "ATTESTATION"),
        ("attested", "ATTESTED"),
        ("settlement_complete", "SETTLED"),
        ("settlement_time", "CLAIMED AT"),
    ]
    output.table(shown, columns, "No claimed stacks.")


_stacks_argument = click.argument(
    "stack_small_ids", metavar="STACK...", nargs=-1, required=True, type=click.IntRange(min=0)
)


@api_command(
    operator,
    "claim",
    """Claim STACKs your node served: a confidential stack is paid at once; a sampling-consensus stack starts
    settling (attestation, then a dispute window; `stacks claimed` shows where it is).""",
)
@_stacks_argument
@_node_option("The node that served them (default: found from the stacks).")
@click.option(
    "--units",
    "num_claimed_compute_units",
    type=click.IntRange(min=0),
    multiple=True,
    help="Compute units to claim, once per STACK in the same order (default: the units reported).",
)
def claim(
    s: Session, stack_small_ids: tuple[int, ...], node_small_id: int | None, num_claimed_compute_units: tuple[int, ...]
) -> None:
    if num_claimed_compute_units and len(num_claimed_compute_units) != len(stack_small_ids):
        raise usage(f"--units given {len(num_claimed_compute_units)} times for {len(stack_small_ids)} stacks")
    body: dict[str, Any] = {"stack_small_ids": list(stack_small_ids)}
    if node_small_id is not None:
        body["node_small_id"] = node_small_id
    if num_claimed_compute_units:
        body["num_claimed_compute_units"] = list(num_claimed_compute_units)
    result = s.post("/daemon/claim_stacks", body)
    output.emit_json(result) if s.json else _tx_lines(result, "claimed")


def _stacks_body(stack_small_ids: tuple[int, ...], node_small_id: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {"stack_small_ids": list(stack_small_ids)}
    if node_small_id is not None:
        body["node_small_id"] = node_small_id
    return body


@api_command(operator, "attest", "Submit your nodes' attestations for STACKs they were sampled to attest.")
@_stacks_argument
@_node_option("The attesting node (default: the one each stack asks for).")
def attest(s: Session, stack_small_ids: tuple[int, ...], node_small_id: int | None) -> None:
    result = s.post("/daemon/attestations", _stacks_body(stack_small_ids, node_small_id))
    output.emit_json(result) if s.json else _tx_lines(result, "attested")


@api_command(operator, "claim-funds", "Claim the funds of settled STACKs (those not claimed yet, in one transaction).")
@_stacks_argument
@_node_option("The node that served them (default: found from the stacks).")
def claim_funds(s: Session, stack_small_ids: tuple[int, ...], node_small_id: int | None) -> None:
    result = s.post("/daemon/claim_funds", _stacks_body(stack_small_ids, node_small_id))
    output.emit_json(result) if s.json else _tx_lines(result, "funds claimed")
