"""What the `nodeplane` command's exit codes mean, and the errors that carry them."""

from __future__ import annotations

import click

OK = 0
REFUSED = 1  # the server refused the request (a 4xx other than 401)
USAGE = 2  # the command line or a local file is wrong; nothing was sent (click's own code for usage errors)
SERVER = 3  # the server failed (5xx) or could not be reached
AUTH = 4  # no token, or the server did not accept it (401)

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 the server refused the request (4xx); 2 wrong usage or local input, nothing sent; "
    "3 server error (5xx) or server unreachable; 4 no token, or the token was refused (401)."
)


class CliError(click.ClickException):
    """An error printed as one line on stderr; each subclass ends the command with its own exit code."""

    def format_message(self) -> str:
        return self.message


class Refused(CliError):
    exit_code = REFUSED


class UsageError(CliError):
    exit_code = USAGE


class ServerError(CliError):
    exit_code = SERVER


class AuthError(CliError):
    exit_code = AUTH


def usage(message: str) -> CliError:
    return UsageError(message)
