"""Exit codes and the errors that carry them, so every failure ends in one documented code."""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """The process exit codes, documented in docs/cli.md."""

    OK = 0
    FAILED = 1  # the run finished, but some files failed (each one is named)
    USAGE = 2  # bad command line (argparse uses 2 too)
    AUTH = 3  # not logged in, or the server refused the credentials
    UNREACHABLE = 4  # the server could not be reached, even after retries
    SERVER = 5  # the server answered, but not as the API promises (5xx after retries...)
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


# What each code means, for ``imgbackup --help`` and docs/cli.md; each command's --help lists
# only the codes it can end with (client/cli.py), some with a meaning of their own.
MEANINGS: dict[int, str] = {
    ExitCode.OK: "success",
    ExitCode.FAILED: "the run finished but some files failed (each is named, with the reason)",
    ExitCode.USAGE: "usage error (bad option or argument)",
    ExitCode.AUTH: "not logged in, or the server refused the credentials",
    ExitCode.UNREACHABLE: "the server could not be reached (after retries)",
    ExitCode.SERVER: "the server answered with an error (after retries) or not as API v2 promises",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); run the same command again to finish",
}


def exit_codes(meanings: dict[int, str] = MEANINGS) -> str:
    """The ``exit codes:`` block of a --help text."""
    return "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in meanings.items())


class ClientError(Exception):
    """A failure that ends the command; its message is shown to the person as is."""

    exit_code = ExitCode.SERVER


class UsageError(ClientError):
    exit_code = ExitCode.USAGE


class AuthError(ClientError):
    exit_code = ExitCode.AUTH


class Unreachable(ClientError):
    exit_code = ExitCode.UNREACHABLE


class ServerError(ClientError):
    """The server answered with an error; ``status`` and ``code`` come from its answer."""

    exit_code = ExitCode.SERVER

    def __init__(self, message: str, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body: dict[str, Any] = {}  # the JSON answer, for per-file details
        self.retry_after: int | None = None  # seconds, from a 429's or 503's Retry-After


class Rejected(ServerError):
    """A 4xx about one request's content (one file, one id): the run goes on without it."""

    exit_code = ExitCode.FAILED
