"""The 60-second version of ``make soak``, run by ``make test``."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from soak import soak

SECONDS = 60


@pytest.mark.slow
@pytest.mark.soak
def test_a_minute_of_mixed_traffic_from_8_clients(tmp_path: Path) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    result = soak(SECONDS, tmp_path)
    print(result.summary())
    assert result.server_errors == 0
    assert result.problems == []
    assert sum(result.tally.ops.values()) > 100
