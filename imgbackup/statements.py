"""SQL statements built once per database, run without the ORM's work on every call.

Why: on the upload path each ORM statement cost 0.5-1 ms of Python (compiling the query: the
select list, the joins, the where tree) where the SQL itself took a few microseconds; a small
photo's upload ran eight of them (bench/analysis.md, item 1b). A ``Statement``'s text is made
once per database (alias and vendor) from the models' meta, so table and column names are the
ones the migrations made, quoted by the backend; values are always bound parameters. Rows read
back become model instances through ``Rows``, with the converters the ORM applies (SQLite's
datetimes made aware, its booleans); an ``Insert`` prepares each value with the field's own
``pre_save`` and ``get_db_prep_save``, as ``Model.save`` does, and sends ``pre_save`` and
``post_save`` like it. On SQLite they run on the connection's own cursor where nothing would
see the difference (``executed``). Only for a few hot statements: everything else stays the
ORM."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.db.models.expressions import Col
from django.db.models.signals import post_save, pre_save
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)
Row = tuple[Any, ...]
Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


class Sql:
    """What a statement's text is built from: the connection's quoting and features."""

    def __init__(self, db: BaseDatabaseWrapper) -> None:
        self.db = db
        self.quote = db.ops.quote_name

    def table(self, model: type[Model], alias: str = "") -> str:
        name = self.quote(model._meta.db_table)
        return f"{name} {alias}" if alias else name

    def column(self, model: type[Model], field: str, alias: str = "") -> str:
        found = model._meta.get_field(field)
        if not isinstance(found, Field) or found.column is None:
            raise ValueError(f"{model.__name__}.{field} is not a column")
        column = self.quote(found.column)
        return f"{alias}.{column}" if alias else column

    @property
    def for_update(self) -> str:
        """The row lock of a locking read; SQLite has none (its write transactions start
        IMMEDIATE: the database's write lock is held from BEGIN)."""
        return " FOR UPDATE" if self.db.features.has_select_for_update else ""


def _db() -> BaseDatabaseWrapper:
    """The connection ``django.db.connection`` stands for, looked up once per call rather than
    at each of its attributes (each one a thread-local lookup)."""
    return connections[DEFAULT_DB_ALIAS]


def _direct(db: BaseDatabaseWrapper) -> bool:
    """Whether a statement may run on the SQLite connection's own cursor: nothing would see
    the difference. Not when anything watches the statements (an ``execute_wrapper``, the
    query log of DEBUG or of a test's query count), nor when the connection is not open (Django's
    cursor opens it). A health check that is due (a request's first statement) is run first,
    as Django's cursor runs it."""
    if db.vendor != "sqlite" or db.execute_wrappers or db.queries_logged:
        return False
    db.close_if_health_check_failed()
    return db.connection is not None


def _own_cursor(db: BaseDatabaseWrapper) -> Any:
    """The connection's own cursor. (Never in an asynchronous context: there the connection
    of the context is not open, Django refuses to open it, and ``_direct`` says no.)"""
    db.validate_no_broken_transaction()
    return db.connection.cursor()


@contextmanager
def executed(statement: Statement, db: BaseDatabaseWrapper, params: Sequence[Any]
             ) -> Iterator[Any]:
    """A cursor that ran ``statement`` with ``params``, closed after the block.

    On SQLite, where nothing would see the difference (``_direct``), on the connection's own
    cursor, what Django's cursor does without its layers: the health check when due, the
    transaction checked for an earlier error
    (``validate_no_broken_transaction``), the text converted once (``sqlite_text``), database
    errors raised as Django's (``wrap_database_errors``: ingest retries on its IntegrityError;
    the API answers 503 for its OperationalError). Django's cursor per statement, its
    wrappers and its ``%s`` rewrite by a regular expression cost ~18 µs per statement hot
    (23.5 against 5 µs), seven statements per upload (bench/analysis.md, item 1b, seventh
    round). Elsewhere Django's cursor, as before."""
    if not _direct(db):
        with db.cursor() as cursor:
            cursor.execute(statement.text(db), params)
            yield cursor
        return
    cursor = _own_cursor(db)
    try:
        with db.wrap_database_errors:
            cursor.execute(statement.sqlite_text(db), params)
            yield cursor
    finally:
        cursor.close()


class Statement:
    """One SQL text, built by ``build`` the first time it runs on a database. A ``locking``
    statement (a read that locks its rows) refuses to run outside a transaction, where its
    lock would end with the statement."""

    def __init__(self, build: Callable[[Sql], str], *, locking: bool = False) -> None:
        self._build = build
        self._texts: dict[tuple[str, str], str] = {}
        self.locking = locking

    def text(self, db: BaseDatabaseWrapper | None = None) -> str:
        db = db or _db()
        key = db.alias, db.vendor
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = self._build(Sql(db))
        return text

    def rows(self, params: Sequence[Any]) -> list[Row]:
        with executed(self, self._checked(), params) as cursor:
            rows: list[Row] = cursor.fetchall()
        return rows

    def row(self, params: Sequence[Any]) -> Row | None:
        """The first row, or None."""
        with executed(self, self._checked(), params) as cursor:
            row: Row | None = cursor.fetchone()
        return row

    def sqlite_text(self, db: BaseDatabaseWrapper) -> str:
        """The text as Django's SQLite cursor sends it (``%s`` made ``?``, by its own
        ``convert_query``), converted once rather than at every run."""
        key = "sqlite", db.alias
        text = self._texts.get(key)
        if text is None:
            from django.db.backends.sqlite3.base import SQLiteCursorWrapper

            convert = getattr(SQLiteCursorWrapper, "convert_query")  # noqa: B009 (untyped)
            converted: str = convert(None, self.text(db))
            text = self._texts[key] = converted
        return text

    def _checked(self) -> BaseDatabaseWrapper:
        db = _db()
        if self.locking and not db.in_atomic_block:
            raise TransactionManagementError("a locking read must run inside a transaction")
        return db


class Rows(Generic[M]):
    """Instances of ``model`` from its concrete columns in a statement's rows (all of them, in
    the model's order: ``columns`` writes that part of the select list)."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.fields: list[Field[Any, Any]] = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self.width = len(self.fields)
        self._converters: dict[tuple[str, str], list[tuple[int, list[Converter], Col]]] = {}

    def columns(self, sql: Sql, alias: str) -> str:
        return ", ".join(f"{alias}.{sql.quote(f.column)}" for f in self.fields)

    def load(self, row: Row, start: int = 0) -> M:
        db = _db()
        values = list(row[start:start + self.width])
        for i, converters, col in self._converters_of(db):
            for convert in converters:
                values[i] = convert(values[i], col, db)
        instance: M = self.model.from_db(db.alias, self.names, values)
        return instance

    def _converters_of(self, db: BaseDatabaseWrapper) -> list[tuple[int, list[Converter], Col]]:
        """The ORM's converters of each column (the backend's, then the field's own), once
        per database, as its SQL compiler gathers them."""
        key = db.alias, db.vendor
        found = self._converters.get(key)
        if found is None:
            found = []
            for i, field in enumerate(self.fields):
                col = field.get_col(self.model._meta.db_table)
                converters = db.ops.get_db_converters(col) + col.get_db_converters(db)
                if converters:
                    found.append((i, converters, col))
            self._converters[key] = found
        return found


class Insert(Generic[M]):
    """``INSERT`` of an instance's concrete fields, an automatic primary key left to the
    database and set on the instance after. With ``ignore_conflict`` (a column), a row that
    conflicts on it is not inserted, and ``insert`` answers False."""

    def __init__(self, model: type[M], *, ignore_conflict: str | None = None) -> None:
        meta = model._meta
        if any(f is not meta.auto_field for f in meta.db_returning_fields):
            raise ValueError(f"{model.__name__}: columns the database fills are not supported")
        self.model = model
        self.fields = [f for f in meta.local_concrete_fields
                       if f is not meta.auto_field and not f.generated]
        self.auto = meta.auto_field
        self._statement = Statement(lambda sql: self._text(sql, ignore_conflict))
        self._many: dict[int, Statement] = {}  # insert_all's, by row count

    def _text(self, sql: Sql, ignore_conflict: str | None, count: int = 1) -> str:
        columns = ", ".join(sql.quote(f.column) for f in self.fields)
        marks = ", ".join([f"({', '.join(['%s'] * len(self.fields))})"] * count)
        text = f"INSERT INTO {sql.table(self.model)} ({columns}) VALUES {marks}"  # noqa: S608
        if ignore_conflict is not None:
            text += f" ON CONFLICT ({sql.column(self.model, ignore_conflict)}) DO NOTHING"
        if self._returning(sql.db):
            text += f" RETURNING {sql.quote(self.auto.column)}"  # type: ignore[union-attr]
        return text

    def _returning(self, db: BaseDatabaseWrapper) -> bool:
        return self.auto is not None and bool(db.features.can_return_columns_from_insert)

    def insert(self, instance: M) -> bool:
        """Insert ``instance``; True if a row was inserted (then the instance is saved)."""
        db = _db()
        model, using = self.model, db.alias
        values = self._values(instance, db)
        with executed(self._statement, db, values) as cursor:
            if self._returning(db):
                returned = cursor.fetchone()
                if returned is None:  # a conflict: nothing inserted, nothing returned
                    return False
                key = returned[0]
            elif cursor.rowcount != 1:
                return False
            elif self.auto is not None:  # SQLite before 3.35: no RETURNING
                key = db.ops.last_insert_id(cursor, model._meta.db_table,
                                                    self.auto.column)
        if self.auto is not None:
            setattr(instance, self.auto.attname, key)
        self._saved(instance, using)
        return True

    def insert_all(self, instances: Sequence[M], chunk: int = 50) -> None:
        """Insert every instance, ``chunk`` rows per statement, all or none (as
        ``Model.save_base``: no savepoint; an error marks the caller's transaction for
        rollback). For models whose key is not the database's to fill."""
        self._keys_set()
        db = _db()
        with transaction.atomic(using=db.alias, savepoint=False):
            self.insert_prepared([self._values(instance, db) for instance in instances], chunk)
            for instance in instances:
                self._saved(instance, db.alias)

    def insert_prepared(self, rows: Sequence[list[Any]], chunk: int = 50) -> None:
        """``insert_all`` of rows whose values are already prepared (each as ``prepared``
        makes them, in ``fields``' order), with no instance and no signal: for a caller that
        made sure nobody but itself listens to this model's ``pre_save`` and ``post_save``."""
        self._keys_set()
        db = _db()
        if not db.in_atomic_block:
            with transaction.atomic(using=db.alias, savepoint=False):
                self._execute(rows, chunk, db)
            return
        # Inside the caller's transaction (an upload's): what ``atomic(savepoint=False)``
        # would do here, without its enter and exit (~0.03 ms of a request's CPU): a failure
        # part-way (a later chunk) marks the transaction for rollback, so the rows already
        # written never commit without the rest.
        try:
            self._execute(rows, chunk, db)
        except BaseException:
            db.needs_rollback = True
            raise

    def _keys_set(self) -> None:
        if self.auto is not None:
            raise ValueError(f"{self.model.__name__}: insert_all needs keys set beforehand")

    def _execute(self, rows: Sequence[list[Any]], chunk: int, db: BaseDatabaseWrapper) -> None:
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            statement = self._many.get(len(part))
            if statement is None:
                statement = self._many[len(part)] = Statement(
                    partial(self._text, ignore_conflict=None, count=len(part)))
            with executed(statement, db, [value for row in part for value in row]):
                pass

    def prepared(self, instance: M, db: BaseDatabaseWrapper | None = None) -> list[Any]:
        """The values ``insert`` would send for ``instance`` (``pre_save`` sent), in
        ``fields``' order."""
        return self._values(instance, db or _db())

    def _values(self, instance: M, db: BaseDatabaseWrapper) -> list[Any]:
        """``pre_save`` sent, then each field's value as ``Model.save`` prepares it."""
        pre_save.send(sender=self.model, instance=instance, raw=False, using=db.alias,
                      update_fields=None)
        return [f.get_db_prep_save(f.pre_save(instance, add=True), db) for f in self.fields]

    def _saved(self, instance: M, using: str) -> None:
        instance._state.adding, instance._state.db = False, using
        post_save.send(sender=self.model, instance=instance, created=True, update_fields=None,
                       raw=False, using=using)
