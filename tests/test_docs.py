"""Documentation that must not fall behind the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parent.parent
ENV_READ = re.compile(r"""\benv(?:_[a-z]+)?\(\s*["']([A-Z0-9_]+)["']""")
ENV_LITERAL = re.compile(r"IMGBACKUP_[A-Z0-9_]+")


def variables_in_code() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "imgbackup").rglob("*.py"):
        text = path.read_text()
        found |= {f"IMGBACKUP_{name}" for name in ENV_READ.findall(text)}
        found |= set(ENV_LITERAL.findall(text))
    return found


def test_every_setting_is_documented() -> None:
    documented = set(ENV_LITERAL.findall((ROOT / "docs" / "configuration.md").read_text()))
    missing = variables_in_code() - documented
    assert not missing, f"undocumented in docs/configuration.md: {sorted(missing)}"


def test_the_client_section_lists_exactly_what_the_client_reads() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    client_section = doc.split("## Command-line client", 1)[1].split("\n## ", 1)[0]
    read_by_client = {name for path in (ROOT / "imgbackup" / "client").rglob("*.py")
                      for name in ENV_LITERAL.findall(path.read_text())}
    assert set(ENV_LITERAL.findall(client_section)) == read_by_client
    assert {"IMGBACKUP_URL", "IMGBACKUP_TOKEN", "IMGBACKUP_PUSH_RESUMABLE_MB"} <= read_by_client


def test_the_settings_module_reads_its_knobs_through_the_helpers() -> None:
    assert {"IMGBACKUP_DATA_DIR", "IMGBACKUP_MAX_UPLOAD_MB", "IMGBACKUP_TRASH_DAYS"} <= (
        variables_in_code())


def test_the_readme_quick_start_is_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make serve" in readme and "make test" in readme
