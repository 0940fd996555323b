"""The command line of the client: ``imgbackup login|logout|push|pull|ls|rm``.

``main`` parses, runs one command and turns every outcome into an exit code (see ExitCode);
docs/cli.md documents each option and a test keeps it in step with this parser."""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Callable
from datetime import date, datetime

from imgbackup.client import _commands
from imgbackup.client._errors import MEANINGS, ClientError, ExitCode, exit_codes

EXIT_CODES = exit_codes()  # every code, as ``imgbackup --help`` shows them

# Each command's own codes: those it can end with, and what they mean for it.
COMMAND_EXITS: dict[str, dict[int, str]] = {
    "login": {0: "logged in; the token is saved",
              2: "usage error (bad option or argument, or an empty password)",
              3: "the server refused the user name or password, or refuses logins for a "
                 "while after too many wrong passwords",
              4: MEANINGS[4], 5: f"no imgbackup API at URL (404: give the server's address "
                                 f"alone), or {MEANINGS[5]}", 130: "interrupted (Ctrl-C)"},
    "logout": {0: "logged out (also when the server could not revoke the token: then a "
                  "warning says so)", 2: MEANINGS[2],
               3: "the saved login cannot be read", 130: "interrupted (Ctrl-C)"},
    "push": MEANINGS,
    "pull": {**MEANINGS, 1: "the run finished but some photos failed (each is named, with the "
                            "reason)"},
    "ls": {**{code: text for code, text in MEANINGS.items() if code != 1},
           130: "interrupted (Ctrl-C)"},
    "rm": {**MEANINGS, 1: "some ids were not found or are ambiguous (each is named); the "
                          "others were moved to the trash",
           130: "interrupted (Ctrl-C)"},
}


def main(argv: list[str]) -> int:
    """Run ``argv`` (the command name first, as ``imgbackup`` passes it); the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else ExitCode.USAGE
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return int(handler(args))
    except ClientError as exc:
        print(f"imgbackup {args.command}: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print(f"\nimgbackup {args.command}: interrupted; run the same command again to finish",
              file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # `imgbackup ls | head`: the reader has what it wanted
        _drop_stdout()
        return int(ExitCode.OK)


def _drop_stdout() -> None:
    """Point standard output at /dev/null, so the flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imgbackup", epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Back photos up to an imgbackup server and restore them.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, summary, add_options, handler in COMMANDS:
        command = sub.add_parser(name, help=summary, description=summary,
                                 epilog=exit_codes(COMMAND_EXITS[name]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        add_options(command)
        command.set_defaults(handler=handler)
    return parser


def _login(p: argparse.ArgumentParser) -> None:
    p.add_argument("url", metavar="URL", help="the server, e.g. https://photos.example.org")
    p.add_argument("--username", "-u", help="user name (asked for when not given)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input")


def _logout(p: argparse.ArgumentParser) -> None:
    del p  # no options: revokes the stored token and forgets it


def _push(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (recursive)")
    _jobs(p)
    p.add_argument("--dry-run", "-n", action="store_true",
                   help="list what would be uploaded; send nothing")
    p.add_argument("--no-restore", action="store_true",
                   help="leave photos found in the server's trash there (by default they are "
                        "restored: they are being backed up)")
    albums = p.add_mutually_exclusive_group()
    albums.add_argument("--album", metavar="NAME",
                        help="also put the photos into your album NAME (created if missing)")
    albums.add_argument("--album-from-folder", action="store_true",
                        help="also put each photo into an album named after its folder")
    _script_options(p)


def _pull(p: argparse.ArgumentParser) -> None:
    p.add_argument("dest", metavar="DEST", help="folder to restore into (DEST/YYYY/MM/DD/name)")
    p.add_argument("--since", type=_date, metavar="DATE",
                   help="only photos taken on or after DATE (YYYY-MM-DD)")
    _jobs(p)
    _script_options(p)


def _ls(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", type=_date, metavar="DATE", help="taken on or after DATE")
    p.add_argument("--until", type=_date, metavar="DATE", help="taken on or before DATE")
    p.add_argument("--query", "-q", metavar="TEXT", help="file name contains TEXT")
    p.add_argument("--camera", metavar="WORDS",
                   help="each word is in the camera's make or model, e.g. 'apple iphone'")
    p.add_argument("--lens", metavar="WORDS", help="each word is in the lens name")
    p.add_argument("--place", metavar="WORDS",
                   help="city, region or country, e.g. 'kyoto', 'sao paulo', 'japan'")
    p.add_argument("--limit", type=_positive, metavar="N", help="show at most N photos")
    p.add_argument("--json", action="store_true", help="one JSON array of photo objects")
    p.add_argument("--usage", action="store_true",
                   help="instead: the storage you use (the trash included) and your quota")


def _rm(p: argparse.ArgumentParser) -> None:
    p.add_argument("ids", nargs="+", metavar="ID",
                   help="photo ids: the SHA-256 'ls' shows, or its first 8 or more hex "
                        "characters when they name one photo")
    p.add_argument("--json", action="store_true", help="a JSON summary on standard output")


def _jobs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", "-j", type=_positive, default=4, metavar="N",
                   help="parallel connections (default 4)")


def _script_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true",
                   help="print a JSON summary on standard output instead of text")
    p.add_argument("--quiet", action="store_true", help="no progress on standard error")
    p.add_argument("--retries", type=_count, default=5, metavar="N",
                   help="retries of a request after a network error or 5xx, with "
                        "exponential backoff (default 5)")


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return value


def _date(text: str) -> str:
    """A date (or ISO date-time) passed to the server as given, once known to be valid."""
    try:
        date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    return text


COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None],
                     Callable[[argparse.Namespace], int]]] = [
    ("login", "get an API token from the server and remember it", _login, _commands.login),
    ("logout", "revoke the stored token and forget it", _logout, _commands.logout),
    ("push", "back up the photos under PATH... (only what the server lacks)", _push,
     _commands.push),
    ("pull", "restore every photo into DEST, each verified by its SHA-256", _pull,
     _commands.pull),
    ("ls", "list the photos on the server, newest taken first", _ls, _commands.ls),
    ("rm", "move photos to the server's trash (restorable there)", _rm, _commands.rm),
]
