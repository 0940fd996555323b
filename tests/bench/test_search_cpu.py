"""bench/search_cpu.py: item 8's queries answered in-process on a small search library, each
hashed once and timed in turns."""

from __future__ import annotations

import pytest
from conftest import Persona, on_postgres
from django.test import Client

from bench.search import QUERIES
from bench.search_cpu import answers, measure
from bench.search_library import seed_search

pytestmark = pytest.mark.django_db


def test_every_query_answers_and_is_timed(alice: Persona) -> None:
    if on_postgres():
        pytest.skip("the tool, not the engine: run once")
    seed_search(alice.user.username, 300)
    client = Client(HTTP_HOST="127.0.0.1", **alice.auth)
    hashes = answers(client, QUERIES)
    assert len(set(hashes)) == len(QUERIES) and hashes == answers(client, QUERIES)
    rows = measure(client, QUERIES, repeats=2)
    assert [row["query"] for row in rows] == [label for label, _ in QUERIES]
    assert all(row["cpu_median"] > 0 and row["db_mean"] == 0 for row in rows)


def test_a_query_that_fails_stops_the_run(alice: Persona) -> None:
    if on_postgres():
        pytest.skip("the tool, not the engine: run once")
    with pytest.raises(RuntimeError, match="answered 400"):
        answers(Client(HTTP_HOST="127.0.0.1", **alice.auth),
                [("bad", "/api/v2/photos?limit=0")])
