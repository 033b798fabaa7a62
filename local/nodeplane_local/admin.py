"""`nodeplane-local admin <command>`: operator commands against a running `nodeplane-local run`.

A module of this package registers its commands, and `commands()` imports every such module by name (listed
there, never discovered), so the CLI knows them before parsing::

    from nodeplane_local.admin import AdminContext, register

    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--tenant", required=True)

    def run(ctx: AdminContext, args: argparse.Namespace) -> int:
        ...   # boto3 already points at the running runtime's engines (ctx.env is applied to os.environ)
        return 0

    register("offers-seed", "load sample offers", configure, run)

Commands run against the engines of a running `nodeplane-local run` (found through <data-dir>/runtime.json).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class AdminContext:
    data_dir: Path
    runtime: dict[str, Any]  # the content of runtime.json

    @property
    def env(self) -> dict[str, str]:
        return dict(self.runtime["env"])


@dataclass(frozen=True)
class AdminCommand:
    name: str
    help: str
    configure_parser: Callable[[argparse.ArgumentParser], None]
    run: Callable[[AdminContext, argparse.Namespace], int | None]


_registry: dict[str, AdminCommand] = {}


def register(
    name: str,
    help: str,
    configure_parser: Callable[[argparse.ArgumentParser], None],
    run: Callable[[AdminContext, argparse.Namespace], int | None],
) -> None:
    existing = _registry.get(name)
    if existing is not None and existing.run is not run:
        raise ValueError(f"admin command {name!r} is registered twice")
    _registry[name] = AdminCommand(name, help, configure_parser, run)


def commands() -> dict[str, AdminCommand]:
    """Every command: `env` below and those of the modules imported here (their domain imports wait for `run`)."""
    from nodeplane_local import admin_network  # noqa: F401  (registers the inference network's commands)

    return dict(_registry)


def _env_configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of KEY=value lines")


def _env_run(ctx: AdminContext, args: argparse.Namespace) -> int:
    env = ctx.env
    if args.json:
        json.dump(env, sys.stdout, indent=2, sort_keys=True)
        print()
    else:
        for key in sorted(env):
            print(f"{key}={env[key]}")
    return 0


register("env", "print the environment the running runtime gives its functions", _env_configure, _env_run)
