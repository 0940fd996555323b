"""The ``imgbackup`` command. Client commands (login, push, pull, ls, rm) talk HTTP only and
never import Django; everything else is a server command run through Django's management."""

from __future__ import annotations

import importlib
import os
import sys

CLIENT_COMMANDS = {"login", "logout", "push", "pull", "ls", "rm"}
SERVER_HELP = """\
server commands:
  serve [--host H] [--port P]     apply migrations and serve the web app and APIs
  createuser NAME [--password PW | --password-stdin] [--admin]
  password NAME [--password PW | --password-stdin]   set a password (revokes NAME's tokens)
  token NAME [--label L]          create an API token for NAME, printed on the last line
  quota NAME [SIZE|none]          set (500M, 50G, 2T) or show NAME's storage quota
  verify | gc | purge | thumbnails | places   maintenance (see docs/)
  worker [--batch]                run background jobs (serve runs its own)
  jobs [--retry] [--json]         queued, running and failed jobs; exit 1 if any gave up
  migrate, check, ...              any Django management command
client commands (talk to a server over HTTP):
  login URL | logout | push PATH... | pull DEST | ls | rm ID...
Run 'imgbackup COMMAND --help' for a command's options."""


def _print(text: str) -> None:
    """Print, and stop quietly when the reader has gone (`imgbackup --help | head -3`)."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # for the exit's flush


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        from imgbackup.client._errors import exit_codes  # no httpx, no Django

        _print("usage: imgbackup COMMAND [options]\n\n" + SERVER_HELP + "\n\nclient commands' "
               + exit_codes())
        return
    if args[0] in {"--version", "version"}:
        from imgbackup import __version__

        _print(__version__)
        return
    if args[0] in CLIENT_COMMANDS:
        # Imported by name: the client must start without Django (or its settings) loaded.
        client = importlib.import_module("imgbackup.client.cli")
        sys.exit(client.main(args))
    if args[0] == "changepassword":  # Django's own would keep the user's API tokens
        args[0] = "password"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imgbackup.settings")
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:
        execute_from_command_line(["imgbackup", *args])
    except DatabaseError:
        from imgbackup.management.unready import unready_message

        message = unready_message(args[0])
        if message is None:
            raise
        sys.exit(message)


if __name__ == "__main__":
    main()
