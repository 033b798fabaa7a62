"""The `nodeplane` command. Only click is imported up front, so `nodeplane --help` answers at once."""

from __future__ import annotations

import click

from nodeplane_cli.errors import EXIT_CODES_HELP
from nodeplane_cli.operator import operator


@click.group(epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nodeplane", prog_name="nodeplane")
def cli() -> None:
    """nodeplane from the command line: `nodeplane operator …` for node operators."""


cli.add_command(operator)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
