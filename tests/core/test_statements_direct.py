"""Statements on SQLite's own cursor (statements.executed): what Django's cursor would do,
seen the same way from outside; Django's cursor whenever something watches or checks."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import SynchronousOnlyOperation
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.transaction import TransactionManagementError

from imgbackup.photos.models import Original
from imgbackup.statements import Insert, Sql, Statement, executed

pytestmark = pytest.mark.django_db


def _users(sql: Sql) -> str:
    return (f"SELECT {sql.column(User, 'username')} FROM {sql.table(User)} "
            f"WHERE {sql.column(User, 'username')} LIKE %s")


USERS = Statement(_users)


@pytest.fixture
def direct(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Any]:
    """SQLite, connection open, health check done; ``direct()``: a block in which Django's
    cursor must not be used (it fails if asked for one)."""
    if connection.vendor != "sqlite":
        pytest.skip("Django's cursor elsewhere")
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    db.close_if_health_check_failed()
    real = db.cursor

    @contextmanager
    def no_django_cursor() -> Iterator[None]:
        def refused(*args: Any) -> None:
            raise AssertionError("Django's cursor was used")

        monkeypatch.setattr(db, "cursor", refused)
        try:
            yield
        finally:
            monkeypatch.setattr(db, "cursor", real)

    return no_django_cursor


def test_rows_come_back_with_the_text_converted_once(direct: Callable[[], Any]) -> None:
    User.objects.bulk_create([User(username="ann%"), User(username="bob")])
    with direct():
        assert USERS.rows(["ann%"]) == [("ann%",)]
        assert USERS.row(["b%"]) == ("bob",)
    assert USERS.sqlite_text(connection).count("?") == 1


def test_the_connections_own_cursor_is_closed_after_the_block(direct: Callable[[], Any]
                                                               ) -> None:
    """Also when the block fails: a cursor left open keeps its statement (and on SQLite a
    read it has not finished) until the garbage collector finds it."""
    db = connections[DEFAULT_DB_ALIAS]
    with direct():
        with executed(USERS, db, ["%"]) as cursor:
            assert isinstance(cursor, sqlite3.Cursor)
        with pytest.raises(ZeroDivisionError), executed(USERS, db, ["%"]) as failed:
            1 / 0  # noqa: B018 - the block's error
    for closed in (cursor, failed):
        with pytest.raises(sqlite3.ProgrammingError, match="closed cursor"):
            closed.fetchall()


def test_a_conflict_is_djangos_integrity_error(direct: Callable[[], Any]) -> None:
    """ingest retries on django.db's IntegrityError; sqlite3's would escape it as a 500."""
    insert = Insert(Original)
    insert.insert(Original(sha256="a" * 64, md5="b" * 32, size=1, content_type="image/jpeg"))
    with direct(), pytest.raises(IntegrityError):
        insert.insert(Original(sha256="a" * 64, md5="c" * 32, size=2,
                               content_type="image/jpeg"))


def test_no_statement_runs_in_a_transaction_marked_for_rollback(
        direct: Callable[[], Any]) -> None:
    with transaction.atomic():
        transaction.set_rollback(True)
        with direct(), pytest.raises(TransactionManagementError):
            USERS.row(["%"])


def test_what_watches_statements_sees_them(django_assert_num_queries: Any) -> None:
    """An execute_wrapper, and a test's query count (DEBUG's log): Django's cursor."""
    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        USERS.row(["%"])
    assert seen == [USERS.text(connection)]
    with django_assert_num_queries(1):
        USERS.row(["%"])


@pytest.mark.django_db(transaction=True)
def test_the_first_statement_of_a_request_runs_the_health_check(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With CONN_HEALTH_CHECKS, Django checks a reused connection at its first cursor of a
    request: a statement runs the same check first, and a connection found broken is closed
    and opened again before the statement runs."""
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    before = db.connection
    monkeypatch.setattr(db, "health_check_enabled", True)
    monkeypatch.setattr(db, "health_check_done", False)
    monkeypatch.setattr(db, "is_usable", lambda: False)
    assert USERS.row(["no one"]) is None
    assert db.health_check_done
    assert db.connection is not None and db.connection is not before


def test_a_statement_refuses_to_run_in_an_asynchronous_context(direct: Callable[[], Any],
                                                               ) -> None:
    async def inside() -> None:
        with direct():
            USERS.row(["%"])

    with pytest.raises(SynchronousOnlyOperation):
        asyncio.run(inside())
