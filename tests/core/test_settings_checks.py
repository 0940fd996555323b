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


@pytest.mark.parametrize(("name", "value", "least"), [
    ("IMGBACKUP_MAX_UPLOAD_MB", "-1", 1),
    ("IMGBACKUP_RENDER_JOBS", "0", 1),
    ("IMGBACKUP_WORKERS", "0", 1),
    ("IMGBACKUP_GC_GRACE_MINUTES", "0", 1),
    ("IMGBACKUP_TRASH_DAYS", "-3", 0),
])
def test_a_number_below_what_the_setting_can_mean_stops_the_start(
        tmp_path: Path, name: str, value: str, least: int) -> None:
    answer = check(tmp_path, **{name: value})
    assert answer.returncode != 0
    assert "Traceback" not in answer.stderr, answer.stderr[-600:]
    assert f"{name} must be {least} or more, not {value!r}" in answer.stderr


@pytest.mark.parametrize("value", ["-0.5", "nan", "inf"])
def test_a_quiet_time_below_zero_or_not_finite_stops_the_start(tmp_path: Path, value: str) -> None:
    answer = check(tmp_path, IMGBACKUP_JOB_QUIET_SECONDS=value)
    assert answer.returncode != 0
    assert f"IMGBACKUP_JOB_QUIET_SECONDS must be 0 or more, not {value!r}" in answer.stderr


def test_zero_is_taken_where_it_turns_a_limit_off(tmp_path: Path) -> None:
    answer = check(tmp_path, IMGBACKUP_JOB_WORKERS="0", IMGBACKUP_PURGE_INTERVAL="0",
                   IMGBACKUP_TRASH_DAYS="0", IMGBACKUP_MAX_CONCURRENT_UPLOADS="0",
                   IMGBACKUP_WECHAT_LOGIN_LIMIT="0", IMGBACKUP_MIN_FREE_MB="0",
                   IMGBACKUP_JOB_RETRY_SECONDS="0", IMGBACKUP_JOB_QUIET_SECONDS="0")
    assert answer.returncode == 0, answer.stderr[-600:]
