"""docs/cli.md must describe exactly the options ``imgbackup COMMAND --help`` shows."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from imgbackup.client import cli
from imgbackup.main import CLIENT_COMMANDS

pytestmark = pytest.mark.backend_independent

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


def help_of(name: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main([name, "--help"]) == 0
    return capsys.readouterr().out


def codes_in(text: str) -> list[str]:
    return re.findall(r"^  (\d+)  ", text.split("exit codes:", 1)[1], re.M)


@pytest.mark.parametrize(("name", "codes"), [
    ("login", ["0", "2", "3", "4", "5", "130"]), ("logout", ["0", "2", "3", "130"]),
    ("push", ["0", "1", "2", "3", "4", "5", "130"]),
    ("pull", ["0", "1", "2", "3", "4", "5", "130"]),
    ("ls", ["0", "2", "3", "4", "5", "130"]), ("rm", ["0", "1", "2", "3", "4", "5", "130"])])
def test_each_commands_help_shows_its_own_exit_codes_as_its_docs_do(
        name: str, codes: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(name, capsys)
    assert codes_in(text) == codes
    documented = re.search(r"^Exit codes: ([\d, ]+)\.$", section(name), re.M)
    assert documented, f"docs/cli.md: no 'Exit codes: ...' line for {name}"
    assert documented.group(1).split(", ") == codes


def test_only_commands_that_handle_files_mention_failed_files(
        capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("login", "logout", "ls", "rm"):
        assert "files failed" not in help_of(name, capsys), name


def test_imgbackup_help_shows_the_whole_table(capsys: pytest.CaptureFixture[str]) -> None:
    from imgbackup.main import main

    main(["--help"])
    text = capsys.readouterr().out
    assert codes_in(text) == ["0", "1", "2", "3", "4", "5", "130"]
    assert cli.EXIT_CODES in text
