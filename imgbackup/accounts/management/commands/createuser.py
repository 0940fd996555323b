from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Create a user who can back up photos (--admin: may also manage the server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--password", help="the password (visible in the process list)")
        source.add_argument("--password-stdin", action="store_true",
                            help="read the password from the first line of standard input")
        parser.add_argument("--admin", action="store_true", help="make the user an admin")

    def handle(self, *args: Any, **options: Any) -> None:
        name: str = options["name"].strip()
        if not name:
            raise CommandError("the user name is empty")
        if User.objects.filter(username=name).exists():
            raise CommandError(f"user {name!r} exists already")
        password = self._password(options)
        user = User(username=name, is_staff=options["admin"], is_superuser=options["admin"])
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        role = "admin" if options["admin"] else "user"
        self.stdout.write(f"created {role} {name}")

    def _password(self, options: dict[str, Any]) -> str:
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
