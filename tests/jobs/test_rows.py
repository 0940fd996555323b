"""The jobs of an upload, written with one INSERT (jobs/rows.py): the same rows django-tasks-db
writes, in the upload's transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models.signals import pre_save
from django.test import Client
from django.utils import timezone
from django_tasks.signals import task_enqueued
from django_tasks_db.models import DBTaskResult

from imgbackup.statements import Insert
from imgbackup.jobs import queue, rows
from imgbackup.photos import background
from imgbackup.photos.models import Photo

JOB = "imgbackup.photos.background.make_derived"


def _columns(result_id: Any) -> dict[str, Any]:
    """The row as the database holds it, column by column."""
    quote = connection.ops.quote_name
    pk = DBTaskResult._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {quote(DBTaskResult._meta.db_table)} "
                       f"WHERE {quote(pk.column)} = %s",
                       [pk.get_db_prep_value(result_id, connection)])
        names = [column[0] for column in cursor.description]
        found = cursor.fetchall()
    assert len(found) == 1
    return dict(zip(names, found[0], strict=True))


@pytest.mark.parametrize("later", [False, True])
def test_a_row_written_here_is_the_row_django_tasks_writes(db: None, later: bool,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """The first row of a task built whole, the next ones from its template: each the row
    ``Task.enqueue`` writes."""
    monkeypatch.setattr(rows, "_templates", {})
    task = queue._runner(10)
    if later:
        task = task.using(run_after=timezone.now() + timedelta(minutes=5))
    args = (JOB, ["a" * 64, "thumbnail"], 1, 10)
    theirs = task.enqueue(*args).id
    rows.enqueue_all([(task, args)])
    rows.enqueue_all([(task, args), (task, args)])
    assert len(rows._templates) == (0 if later else 1)
    mine = list(DBTaskResult.objects.exclude(id=theirs).values_list("id", flat=True))
    assert len(mine) == 3
    for one in mine:
        _same_row(theirs, one)


def _same_row(theirs: Any, mine: Any) -> None:
    expected, written = _columns(theirs), _columns(mine)
    assert written.keys() == expected.keys()
    for column in expected:
        if column in ("id", "enqueued_at"):
            assert type(written[column]) is type(expected[column]), column
        else:
            assert written[column] == expected[column], column
    assert str(written["id"]) != str(expected["id"])
    theirs_read, mine_read = (DBTaskResult.objects.get(id=i).task_result for i in (theirs, mine))
    assert abs(mine_read.enqueued_at - theirs_read.enqueued_at) < timedelta(seconds=5)
    for field in ("status", "args", "kwargs", "backend", "task", "started_at", "finished_at",
                  "worker_ids", "errors"):
        assert getattr(mine_read, field) == getattr(theirs_read, field), field


def test_rows_of_a_template_have_their_own_id_arguments_and_time(db: None) -> None:
    calls = [queue.Call(background.make_derived, (f"{n:064d}", kind), 10)
             for n in range(3) for kind in ("thumbnail", "preview")]
    queue.enqueue_all(calls)
    queued = list(DBTaskResult.objects.order_by("enqueued_at"))
    assert [r.args_kwargs["args"][1] for r in queued] == [list(c.args) for c in calls]
    assert len({r.id for r in queued}) == len(calls)
    times = [r.enqueued_at for r in queued]
    assert times == sorted(times) and times[0] < times[-1]


def test_a_pre_save_listener_sees_every_row(db: None) -> None:
    """Someone else listening to the model's pre_save: no template, every row built whole
    (and their receiver called for each)."""
    seen: list[Any] = []

    def listener(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(instance.args_kwargs["args"][1])

    queue.enqueue_all([queue.Call(background.make_derived, ("a" * 64, "thumbnail"), 10)])
    pre_save.connect(listener, sender=DBTaskResult)
    try:
        queue.enqueue_all([queue.Call(background.make_derived, ("b" * 64, kind), 10)
                           for kind in ("thumbnail", "preview")])
    finally:
        pre_save.disconnect(listener, sender=DBTaskResult)
    assert seen == [["b" * 64, "thumbnail"], ["b" * 64, "preview"]]


def test_task_enqueued_is_sent_when_someone_listens(db: None) -> None:
    heard: list[Any] = []

    def listener(sender: Any, task_result: Any, **kwargs: Any) -> None:
        heard.append(task_result)

    queue.enqueue_all([queue.Call(background.make_derived, ("a" * 64, "thumbnail"), 10)])
    assert heard == []
    task_enqueued.connect(listener)
    try:
        queue.enqueue_all([queue.Call(background.make_derived, ("b" * 64, kind), 10)
                           for kind in ("thumbnail", "preview")])
    finally:
        task_enqueued.disconnect(listener)
    assert [r.args[1] for r in heard] == [["b" * 64, "thumbnail"], ["b" * 64, "preview"]]
    assert {str(r.id) for r in heard} <= {str(i) for i in DBTaskResult.objects.values_list(
        "id", flat=True)}


def test_more_jobs_than_one_insert_holds_are_all_queued_in_order(db: None) -> None:
    calls = [queue.Call(background.make_derived, (f"{n:064d}", "thumbnail"))
             for n in range(rows.CHUNK * 2 + 3)]
    queue.enqueue_all(calls)
    queued = DBTaskResult.objects.order_by("enqueued_at").values_list("args_kwargs", flat=True)
    assert [a["args"][1][0] for a in queued] == [c.args[0] for c in calls]


def test_the_jobs_are_in_the_uploads_transaction(client: Client, alice: Persona,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Written before the photo's transaction ends (not after its commit, where a crash
    would lose them), and rolled back with it."""
    seen: list[int] = []

    def then_fail(original: Any, photo: Any) -> None:
        seen.append(DBTaskResult.objects.filter(
            args_kwargs__args__1__0=original.sha256).count())
        raise RuntimeError("the ingest fails after queueing its jobs")

    monkeypatch.setattr(background, "queue_copy", then_fail)
    with pytest.raises(RuntimeError):
        client.post("/api/v2/photos",
                    {"file": SimpleUploadedFile("a.jpg", make_jpeg(1), "image/jpeg")},
                    **alice.auth)
    assert seen == [2]
    assert Photo.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def _calls_whose_last_chunk_fails(monkeypatch: pytest.MonkeyPatch) -> list[queue.Call]:
    """Two chunks' worth of jobs and three more, queued by an Insert whose statements for
    fewer rows than a chunk (the last) name a table that does not exist."""
    calls = [queue.Call(background.make_derived, (f"{n:064d}", "thumbnail"))
             for n in range(rows.CHUNK * 2 + 3)]
    insert = Insert(DBTaskResult)  # a fresh one: no statement text cached yet
    real = insert._text
    table = DBTaskResult._meta.db_table
    monkeypatch.setattr(insert, "_text", lambda sql, ignore_conflict, count=1: (
        real(sql, ignore_conflict, count) if count == rows.CHUNK
        else real(sql, ignore_conflict, count).replace(table, "no_such_table")))
    monkeypatch.setattr(rows, "_INSERT", insert)
    return calls


@pytest.mark.django_db(transaction=True)
def test_jobs_queued_together_outside_a_transaction_all_go_in_or_none(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _calls_whose_last_chunk_fails(monkeypatch)
    with pytest.raises(Exception, match="no_such_table"):
        queue.enqueue_all(calls)
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_jobs_queued_in_a_callers_transaction_that_fail_part_way_never_commit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside an upload's transaction the rows go in without an atomic block of their own;
    a chunk that fails after others went in marks the caller's transaction for rollback, so
    a caller that carries on cannot commit the first chunks without the rest."""
    calls = _calls_whose_last_chunk_fails(monkeypatch)
    with transaction.atomic():
        with pytest.raises(Exception, match="no_such_table"):
            queue.enqueue_all(calls)
        assert connection.needs_rollback
    assert DBTaskResult.objects.count() == 0


def test_the_private_api_of_django_tasks_used_here_is_the_one_pinned() -> None:
    """rows.py writes django-tasks-db's rows itself with three names that are not its public
    API (``DatabaseBackend._get_id``, ``Signal._live_receivers``, ``set_run_after``). A new
    django-tasks, django-tasks-db or Django fails here first: read rows.py against it (and
    ``test_a_row_written_here_is_the_row_django_tasks_writes``) before moving the pins."""
    import inspect
    from importlib.metadata import version

    import django
    from django.dispatch import Signal
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.signal_handlers import set_run_after

    pinned = {"django-tasks": "0.12.0", "django-tasks-db": "0.13.0"}
    assert {name: version(name) for name in pinned} == pinned
    assert django.VERSION[:2] == (5, 2)
    assert list(inspect.signature(DatabaseBackend._get_id).parameters) == ["self"]
    assert list(inspect.signature(Signal._live_receivers).parameters) == ["self", "sender"]
    sync, asynchronous = pre_save._live_receivers(DBTaskResult)
    assert set_run_after in sync and asynchronous == []
