"""The generated secret key: several processes starting at once on a new data folder (the
server, its job worker) must agree on one key, and none may read it half-written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from imgbackup.settings import _secret_key

PRINT_KEY = "import imgbackup.settings as s; print(s.SECRET_KEY)"


@pytest.mark.backend_independent
def test_processes_starting_together_on_a_new_folder_share_one_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "IMGBACKUP_SECRET_KEY"}
    keys: set[str] = set()
    for attempt in range(3):
        data = tmp_path / f"data{attempt}"
        env["IMGBACKUP_DATA_DIR"] = str(data)
        starts = [subprocess.Popen([sys.executable, "-c", PRINT_KEY], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for _ in range(6)]
        outputs = [start.communicate(timeout=60) for start in starts]
        assert [start.returncode for start in starts] == [0] * 6, [err for _, err in outputs]
        found = {out.strip() for out, _ in outputs}
        assert len(found) == 1 and len(found.pop()) >= 50
        assert (data / "secret_key").read_text().strip() in {out.strip() for out, _ in outputs}
        assert [p.name for p in data.iterdir() if p.name.startswith(".secret_key")] == []
        keys.add((data / "secret_key").read_text())
    assert len(keys) == 3  # a new folder, a new key


@pytest.mark.backend_independent
def test_the_key_is_never_seen_empty_while_it_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMGBACKUP_SECRET_KEY", raising=False)
    seen: list[str] = []
    real_fdopen = os.fdopen

    def look_then_fdopen(fd: int, *args: Any) -> Any:
        # The first start has made its file and not yet written the key: a second one starts.
        if not seen:
            seen.append("")
            seen[0] = _secret_key(tmp_path)
        return real_fdopen(fd, *args)

    monkeypatch.setattr(os, "fdopen", look_then_fdopen)
    first = _secret_key(tmp_path)
    assert seen == [first] and len(first) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.backend_independent
def test_an_empty_key_file_stops_the_start_with_what_to_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMGBACKUP_SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(SystemExit, match="is empty: delete it and start again"):
        _secret_key(tmp_path)


@pytest.mark.backend_independent
def test_serve_on_a_shared_database_without_a_shared_key_says_so() -> None:
    # Seen in the scale-out acceptance run: two app servers on PostgreSQL without
    # IMGBACKUP_SECRET_KEY; a web session made on one answered 401 on the other, and nothing
    # had said why.
    from imgbackup.management.commands.serve import shared_key_warning

    warning = shared_key_warning("postgresql", {})
    assert warning is not None and "IMGBACKUP_SECRET_KEY is not set" in warning
    assert shared_key_warning("postgresql", {"IMGBACKUP_SECRET_KEY": "k" * 50}) is None
    assert shared_key_warning("sqlite", {}) is None
