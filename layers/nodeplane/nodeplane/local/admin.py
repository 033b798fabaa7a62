"""`nodeplane-local admin <command>`: operator commands that other parts of the project plug in.

A part of the project registers a command from a module named `local_admin` inside any `nodeplane` sub-package
(e.g. `nodeplane/pool/local_admin.py`), which the CLI imports before parsing::

    from nodeplane.local.admin import AdminContext, register

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
import importlib
import importlib.util
import json
import pkgutil
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
    return dict(_registry)


def discover() -> None:
    """Import every `nodeplane.<part>.local_admin` module so its commands register themselves."""
    import nodeplane

    for info in pkgutil.iter_modules(nodeplane.__path__):
        if not info.ispkg or info.name == "local":
            continue
        name = f"nodeplane.{info.name}.local_admin"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


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
