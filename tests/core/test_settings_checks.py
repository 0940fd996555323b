"""A bad IMGBACKUP_* value stops every command at start with one sentence naming the variable,
not a traceback from deep inside Django or logging (principle 1: checked at start-up)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent


def check(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IMGBACKUP_DATA_DIR": str(tmp_path), **variables}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run([sys.executable, "-m", "imgbackup", "check"], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("name", "value", "said"), [
    ("IMGBACKUP_LOG_LEVEL", "LOUD", "must be DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    ("IMGBACKUP_TIME_ZONE", "Mars/Base", "must be a time zone name such as UTC or Europe/Paris"),
    ("IMGBACKUP_HTTPS", "maybe", "must be true or false"),
])
def test_a_bad_value_is_one_sentence_naming_the_variable(
        tmp_path: Path, name: str, value: str, said: str) -> None:
    answer = check(tmp_path, **{name: value})
    assert answer.returncode != 0
    assert "Traceback" not in answer.stderr, answer.stderr[-600:]
    assert f"{name} {said}, not {value!r}" in answer.stderr


def test_a_log_level_in_lower_case_is_taken(tmp_path: Path) -> None:
    answer = check(tmp_path, IMGBACKUP_LOG_LEVEL="warning", IMGBACKUP_TIME_ZONE="Asia/Tokyo")
    assert answer.returncode == 0, answer.stderr[-600:]


@pytest.mark.parametrize(("url", "scheme"), [("mysql://u:secret-pw@db/photos", "mysql"),
                                             ("garbage", "")])
def test_a_database_url_of_another_kind_is_one_sentence_without_its_password(
        tmp_path: Path, url: str, scheme: str) -> None:
    answer = check(tmp_path, IMGBACKUP_DATABASE_URL=url)
    assert answer.returncode != 0
    assert "Traceback" not in answer.stderr, answer.stderr[-600:]
    assert ("IMGBACKUP_DATABASE_URL must be sqlite:///path or "
            f"postgres://user:password@host:port/name, not a {scheme!r} URL") in answer.stderr
    assert "secret-pw" not in answer.stderr
