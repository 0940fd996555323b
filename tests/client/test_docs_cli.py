"""docs/cli.md must describe exactly the options ``imgbackup COMMAND --help`` shows."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from imgbackup.client import cli
from imgbackup.main import CLIENT_COMMANDS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
OPTION = re.compile(r"`(--?[a-z][a-z-]*)")


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def section(name: str) -> str:
    match = re.search(rf"^## `imgbackup {name}\b[^\n]*\n(.*?)(?=^## |\Z)", DOC, re.M | re.S)
    assert match, f"docs/cli.md has no section for imgbackup {name}"
    return match.group(0)


def test_every_client_command_is_documented() -> None:
    assert set(commands()) == CLIENT_COMMANDS
    for name in commands():
        section(name)


@pytest.mark.parametrize("name", sorted(CLIENT_COMMANDS))
def test_the_options_documented_are_the_options_accepted(name: str) -> None:
    parser = commands()[name]
    accepted = {s for a in parser._actions for s in a.option_strings} - {"-h", "--help"}
    documented = set(OPTION.findall(section(name).split("| option |", 1)[-1]))
    assert documented == accepted
    positional = [a.metavar for a in parser._actions if not a.option_strings]
    heading = section(name).splitlines()[0]
    assert all(str(p) in heading for p in positional)


def test_every_exit_code_is_documented() -> None:
    table = DOC.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    codes = re.findall(r"^  (\d+)  ", cli.EXIT_CODES, re.M)
    assert codes == re.findall(r"^\| (\d+) \|", table, re.M)
