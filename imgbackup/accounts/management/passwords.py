"""How the server commands that set a password (``createuser``, ``password``) get it."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser


def add_password_arguments(parser: CommandParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--password", help="the password (visible in the process list)")
    source.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")


def read_password(options: dict[str, Any]) -> str:
    if options["password"] is not None:
        return str(options["password"])
    if options["password_stdin"]:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("give --password or --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise CommandError("the passwords differ")
    return first
