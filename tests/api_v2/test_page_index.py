"""A cursor page seeks into the timeline index: its cost does not grow with the depth."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Persona
from django.db import connection
from django.test import Client

from api_v2.conftest import call
from api_v2.rows import photo_row

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_a_cursor_page_is_an_index_range_not_a_scan_of_newer_rows(client: Client,
                                                                  alice: Persona) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's query plan")
    for n in range(6):
        photo_row(alice.user, n, T0 - timedelta(hours=n))
    cursor = call(client, "GET", "/photos?limit=2", alice).json()["next_cursor"]
    queries: list[tuple[str, Sequence[Any]]] = []

    def record(execute: Callable[..., Any], sql: str, params: Sequence[Any], many: bool,
               context: dict[str, Any]) -> Any:
        queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        page = call(client, "GET", f"/photos?limit=2&cursor={cursor}", alice).json()
    assert len(page["items"]) == 2
    timeline = [(sql, params) for sql, params in queries
                if '"photos_photo"."taken_at" DESC' in sql]
    assert timeline, queries
    sql, params = timeline[0]
    with connection.cursor() as cur:
        # Bound parameters, as the server runs it: with literals SQLite plans differently.
        cur.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cur.fetchall())
    # "taken_at<?" in the index search: SQLite starts at the cursor instead of reading and
    # discarding every newer row of the owner.
    assert "INDEX timeline" in plan and "taken_at<" in plan, plan
