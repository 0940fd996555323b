"""Timeline pages come straight out of an index, in order: their cost does not grow with the
library's size (first page) nor with the depth (cursor pages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import Persona
from django.db import connection
from django.test import Client

from api_v2.conftest import Query, call, page_reads, plan_of, queries_behind
from api_v2.rows import photo_row

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _timeline_query(client: Client, persona: Persona, path: str) -> Query:
    """The SQL and bound parameters of the timeline query behind ``path``."""
    answer, queries = queries_behind(client, path, persona)
    assert answer.status_code == 200
    found = page_reads(queries)
    assert found, queries
    return found[0]


@pytest.fixture
def cursor(client: Client, alice: Persona) -> str:
    for n in range(6):
        photo_row(alice.user, n, T0 - timedelta(hours=n))
    found: str = call(client, "GET", "/photos?limit=2", alice).json()["next_cursor"]
    return found


def test_sqlite_starts_a_cursor_page_at_the_cursor(client: Client, alice: Persona,
                                                    cursor: str) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's query plan")
    plan = plan_of(*_timeline_query(client, alice, f"/photos?limit=2&cursor={cursor}"))
    # "taken_at<?" in the index search: SQLite starts at the cursor instead of reading and
    # discarding every newer row of the owner.
    assert "INDEX timeline_live" in plan and "taken_at<" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # no sort: the index gives the order


def test_postgresql_reads_pages_in_index_order(client: Client, alice: Persona,
                                               cursor: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("reads PostgreSQL's query plan")
    for path in ("/photos?limit=2", f"/photos?limit=2&cursor={cursor}"):
        # With sorting priced out, a Sort node left in the plan means no index has the order.
        plan = plan_of(*_timeline_query(client, alice, path), ordered_by_index=True)
        assert "timeline_live" in plan and "Sort" not in plan, plan
