"""The web uploader's retries outlast the lease a cut-off chunk leaves on its upload.

A server killed in the middle of a chunk leaves that upload's lease in the database
(photos/resumable_lease.py: it lapses ``LEASE`` after its last renewal); until then the
restarted server answers every chunk 409 ``conflict``. tus-js-client retries a 409 after each
of ``RETRY_DELAYS`` (static/web/js/resumable.js): they must add up to more than the lease, or
the upload fails in the user's face while the server is back (it did: 39 s against 60)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from imgbackup.photos.resumable_lease import LEASE

pytestmark = pytest.mark.backend_independent

SCRIPT = Path(__file__).parents[2] / "imgbackup/web/static/web/js/resumable.js"


def test_the_retries_wait_longer_than_a_lease_left_by_a_crash() -> None:
    found = re.search(r"^export const RETRY_DELAYS = (\[[0-9, ]*\]);$", SCRIPT.read_text(),
                      re.MULTILINE)
    assert found, "RETRY_DELAYS is not a list of milliseconds in resumable.js"
    delays = json.loads(found.group(1))
    # The last retry comes after the lease has lapsed, with time to spare for a slow restart.
    assert sum(delays) / 1000 > LEASE.total_seconds() * 1.5
    assert delays == sorted(delays)
