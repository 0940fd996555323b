"""imgbackup/statements.py: statements built once per database, rows read back as the ORM reads
them, inserts prepared as Model.save prepares them; and the upload path's uses of it (the
photo row ingest writes, the token lookup, the quota checks) agreeing with the ORM."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import post_save, pre_save
from django.db.transaction import TransactionManagementError
from django.test import Client
from django.utils import timezone

from api_v2.conftest import jpeg_file
from imgbackup.accounts.models import ApiToken
from imgbackup.accounts.quotas import set_quota
from imgbackup.accounts.tokens import create_token, token_for
from imgbackup.photos.models import Original, Photo
from imgbackup.photos.quota import QuotaExceeded, check_quota
from imgbackup.statements import Insert, Rows, Sql, Statement


def _values(instance: Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _photo_row(sql: Sql) -> str:
    return (f"SELECT {Rows(Photo).columns(sql, 'p')} FROM {sql.table(Photo, 'p')} "
            f"WHERE {sql.column(Photo, 'id', 'p')} = %s")


def _upload(client: Client, persona: Persona, seed: int) -> Photo:
    answer = client.post("/api/v2/photos", {"f": jpeg_file(seed)}, **persona.auth)
    assert answer.status_code == 201, answer.content
    return Photo.objects.get(owner=persona.user, original_id=answer.json()["items"][0]["sha256"])


def test_rows_are_read_as_the_orm_reads_them(client: Client, alice: Persona) -> None:
    photo = _upload(client, alice, 1)
    Photo.objects.filter(pk=photo.pk).update(trashed_at=timezone.now(), favourite=True)
    row = Statement(_photo_row).row([photo.pk])
    assert row is not None
    loaded, expected = Rows(Photo).load(row), Photo.objects.get(pk=photo.pk)
    assert _values(loaded) == _values(expected)
    # Types too: SQLite hands back text and integers, which the ORM's converters turn into
    # aware datetimes and booleans.
    assert {k: type(v) for k, v in _values(loaded).items()} == {
        k: type(v) for k, v in _values(expected).items()}
    assert loaded.trashed_at is not None and timezone.is_aware(loaded.trashed_at)
    assert loaded.favourite is True and not loaded._state.adding


def test_the_photo_row_ingest_writes_is_the_one_photo_save_would_write(
        client: Client, alice: Persona) -> None:
    # Ingest inserts without Model.save: what Photo.save adds (the search keys) must be there.
    answer = client.post("/api/v2/photos", {"f": _jpeg_with_camera()}, **alice.auth)
    assert answer.status_code == 201
    photo = Photo.objects.get(owner=alice.user)
    before = _values(photo)
    assert photo.camera_key and photo.lens_key
    photo.save()
    photo.refresh_from_db()
    assert _values(photo) == before


def _jpeg_with_camera() -> Any:
    from io import BytesIO

    from PIL import Image

    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS R5"
    exif.get_ifd(0x8769)[0xA434] = "RF24-105mm F4 L IS USM"
    out = BytesIO()
    Image.new("RGB", (32, 24), (10, 200, 30)).save(out, "JPEG", exif=exif)
    out.seek(0)
    out.name = "camera.jpg"
    return out


def test_an_insert_returns_the_key_sends_the_signals_and_skips_a_conflict(
        db: None, alice: Persona) -> None:
    seen: list[tuple[str, bool]] = []

    def before(sender: type[Original], instance: Original, **kw: Any) -> None:
        seen.append(("pre", instance._state.adding))

    def after(sender: type[Original], instance: Original, created: bool, **kw: Any) -> None:
        seen.append(("post", created))

    pre_save.connect(before, sender=Original)
    post_save.connect(after, sender=Original)
    try:
        insert = Insert(Original, ignore_conflict="sha256")
        row = Original(sha256="a" * 64, md5="b" * 32, size=3, content_type="image/jpeg")
        assert insert.insert(row) and not row._state.adding
        assert row.created_at is not None  # auto_now_add, from the field's pre_save
        assert Original.objects.get(sha256="a" * 64).created_at == row.created_at
        again = Original(sha256="a" * 64, md5="c" * 32, size=4, content_type="image/png")
        assert not insert.insert(again)
        assert Original.objects.get(sha256="a" * 64).md5 == "b" * 32
    finally:
        pre_save.disconnect(before, sender=Original)
        post_save.disconnect(after, sender=Original)
    assert seen == [("pre", True), ("post", True), ("pre", True)]


@pytest.mark.parametrize("returning", [True, False])
def test_an_automatic_key_comes_back_with_or_without_returning(
        db: None, alice: Persona, monkeypatch: pytest.MonkeyPatch, returning: bool) -> None:
    # Without RETURNING: SQLite before 3.35, which Django still supports (PostgreSQL has it).
    if not returning and connection.vendor != "sqlite":
        pytest.skip("only SQLite may lack RETURNING")
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", returning)
    insert = Insert(ApiToken)
    token = ApiToken(user=alice.user, name=f"t{returning}", digest=str(returning) * 8,
                     prefix="ib_xyz")
    assert insert.insert(token)
    assert isinstance(token.pk, int)
    assert ApiToken.objects.get(pk=token.pk).name == f"t{returning}"
    assert ("RETURNING" in insert._statement.text()) is returning


def test_a_locking_read_refuses_to_run_outside_a_transaction(transactional_db: None) -> None:
    # Outside one its lock would end with the statement: the quota check under the lock would
    # then let two uploads of one user pass on the same usage.
    user = User.objects.create_user("dora")
    locked = Statement(lambda sql: f"SELECT 1{sql.for_update}", locking=True)
    with pytest.raises(TransactionManagementError):
        locked.row([])
    with pytest.raises(TransactionManagementError):
        check_quota(user, 1, locked=True)
    with transaction.atomic():
        assert locked.row([]) == (1,)
        assert check_quota(user, 1, locked=True) is None  # no quota


def test_the_token_lookup_loads_the_token_and_its_user(db: None, alice: Persona) -> None:
    assert token_for(alice.token) is not None  # the first use writes last_used_at
    token = token_for(alice.token)
    assert token is not None
    assert _values(token) == _values(ApiToken.objects.get(pk=token.pk))
    assert _values(token.user) == _values(User.objects.get(pk=alice.user.pk))
    assert token.last_used_at is not None and timezone.is_aware(token.last_used_at)


def test_an_expired_revoked_or_inactive_token_finds_nothing(db: None, alice: Persona) -> None:
    past = timezone.now() - timedelta(seconds=1)
    _, expired = create_token(alice.user, "old", expires_at=past)
    assert token_for(expired) is None
    _, later = create_token(alice.user, "later", expires_at=past + timedelta(days=1))
    assert token_for(later) is not None
    ApiToken.objects.filter(name="later").delete()
    assert token_for(later) is None
    User.objects.filter(pk=alice.user.pk).update(is_active=False)
    assert token_for(alice.token) is None


def test_the_quota_reads_count_only_the_owners_own_bytes(
        client: Client, alice: Persona, bob: Persona) -> None:
    photo = _upload(client, bob, 2)
    size = len(make_jpeg(2))
    set_quota(alice.user, size - 1)
    # Bob's photo of these bytes does not make them free for Alice.
    with pytest.raises(QuotaExceeded):
        check_quota(alice.user, size, photo.original_id)
    set_quota(bob.user, size)  # full, but what Bob has already costs him nothing more
    assert check_quota(bob.user, size, photo.original_id) == 0
    with pytest.raises(QuotaExceeded), transaction.atomic():
        check_quota(bob.user, 1, locked=True)


def test_two_uploads_of_one_user_at_once_pass_the_quota_one_by_one(
        transactional_db: None) -> None:
    # The second check waits for the first upload's transaction (PostgreSQL: the quota row's
    # lock; SQLite: the write lock taken at BEGIN), then reads the usage it committed.
    user = User.objects.create_user("erin")
    set_quota(user, 100)
    checked, outcome = threading.Event(), []

    def first() -> None:
        try:
            with transaction.atomic():
                check_quota(user, 100, locked=True)
                original = Original.objects.create(sha256="e" * 64, md5="f" * 32, size=100,
                                                   content_type="image/jpeg")
                Photo.objects.create(owner=user, original=original, taken_at=timezone.now(),
                                     taken_at_source="upload")
                checked.set()
                time.sleep(0.5)  # the second check is waiting meanwhile
        finally:
            connection.close()

    def second() -> None:
        checked.wait(10)
        try:
            with transaction.atomic():
                check_quota(user, 100, locked=True)
            outcome.append("passed")
        except QuotaExceeded:
            outcome.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert outcome == ["refused"]
