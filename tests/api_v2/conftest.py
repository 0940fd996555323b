"""Helpers for API v2 tests: JSON calls with a persona's token, and uploads of generated JPEGs."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client

from conftest import Persona, make_jpeg

API = "/api/v2"


def call(client: Client, method: str, path: str, persona: Persona | None = None,
         body: Any = None, **extra: Any) -> Any:
    """One v2 request as ``persona`` (anonymous without); a ``body`` goes as JSON."""
    headers = {**(persona.auth if persona else {}), **extra}
    if body is None:
        return client.generic(method, API + path, **headers)
    return client.generic(method, API + path, json.dumps(body), "application/json", **headers)


Query = tuple[str, Sequence[Any]]


def queries_behind(client: Client, path: str, persona: Persona) -> tuple[Any, list[Query]]:
    """The answer to ``GET path`` as ``persona``, and the SQL and bound parameters of every
    query the server ran for it (to read their plans)."""
    queries: list[Query] = []

    def record(execute: Callable[..., Any], sql: str, params: Sequence[Any], many: bool,
               context: dict[str, Any]) -> Any:
        queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        answer = call(client, "GET", path, persona)
    return answer, queries


def page_reads(queries: list[Query]) -> list[Query]:
    """The queries among ``queries`` that read a page of photos in timeline (or trash) order:
    by column name, or by position when the page reads plain values ("ORDER BY 6 DESC, 1
    DESC"); not the bounded counts that choose which index drives."""
    return [q for q in queries
            if q[0].startswith('SELECT "photos_photo"."id"')
            and " DESC" in q[0].rsplit("ORDER BY", 1)[-1]]


def plan_of(sql: str, params: Sequence[Any], ordered_by_index: bool = False) -> str:
    """The engine's plan of a query, with its bound parameters as the server runs it (with
    literals SQLite plans differently). ``ordered_by_index``: on PostgreSQL, sorts and
    sequential scans are priced out, so a Sort node or a scan left in the plan means no index
    serves the query in its order."""
    sqlite = connection.vendor == "sqlite"
    with transaction.atomic(), connection.cursor() as cur:
        if ordered_by_index and not sqlite:
            cur.execute("SET LOCAL enable_sort = off")
            cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute(f"EXPLAIN {'QUERY PLAN ' if sqlite else ''}{sql}", params)
        return "\n".join(str(row[-1] if sqlite else row[0]) for row in cur.fetchall())


def jpeg_file(seed: int, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or f"IMG_{seed:04d}.jpg", make_jpeg(seed), "image/jpeg")


def upload(client: Client, persona: Persona, *seeds: int, **fields: Any) -> list[str]:
    """Upload generated JPEGs as ``persona``; the new photos' ids, in order."""
    answer = client.post(f"{API}/photos", {"file": [jpeg_file(s) for s in seeds], **fields},
                         **persona.auth)
    assert answer.status_code in {200, 201}, answer.content
    return [item["id"] for item in answer.json()["items"]]


@pytest.fixture(autouse=True)
def _fresh() -> None:
    """No login failures counted from an earlier test (the fast password hash is every test's:
    tests/conftest.py ``_fast_passwords``)."""
    cache.clear()
