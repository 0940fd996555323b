"""The photo table's indexes that every upload's INSERT no longer updates (migration
0012_lean_photo_indexes) are not needed by any query: reading by owner alone and the SET NULL
of a deleted clip's stills still read an index, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import Persona
from django.core.management import call_command
from django.db import connection

from api_v2.conftest import plan_of
from api_v2.rows import photo_row
from imgbackup.photos.models import Photo

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _assert_indexed(plan: str, index: str | None = None) -> None:
    if connection.vendor == "sqlite":
        assert "SCAN photos_photo" not in plan, plan
    else:
        assert "Seq Scan" not in plan, plan
    if index is not None:
        assert index in plan, plan


@pytest.fixture
def library(alice: Persona, bob: Persona) -> list[Photo]:
    photos = [photo_row(alice.user, n, T0) for n in range(12)]
    photos += [photo_row(bob.user, 100 + n, T0) for n in range(3)]
    Photo.objects.filter(pk=photos[0].pk).update(motion=photos[1])
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE photos_photo")
    return photos


@pytest.mark.django_db
def test_an_owners_photos_are_read_from_an_index(alice: Persona, library: list[Photo]) -> None:
    # What deleting a user asks (Django's collector), and a count of their library.
    for rows in (Photo.objects.filter(owner__in=[alice.user.pk]),
                 Photo.objects.filter(owner=alice.user).values("pk")):
        sql, params = rows.query.sql_with_params()
        _assert_indexed(plan_of(sql, params, ordered_by_index=True))


@pytest.mark.django_db
def test_a_deleted_clips_stills_are_found_from_the_partial_index(
        library: list[Photo]) -> None:
    still, clip = library[0], library[1]
    rows = Photo.objects.filter(motion__in=[clip.pk])  # the collector's SET NULL
    sql, params = rows.query.sql_with_params()
    _assert_indexed(plan_of(sql, params, ordered_by_index=True), "motion_links")
    clip.delete()
    still.refresh_from_db()
    assert still.motion_id is None


def _definitions() -> list[str]:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT sql FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = 'photos_photo' AND sql IS NOT NULL")
        else:
            cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'photos_photo'")
        return [row[0].replace('"', "") for row in cur.fetchall()]


@pytest.mark.django_db
def test_an_upload_updates_neither_an_owner_index_nor_the_motion_index() -> None:
    """What the INSERT of a photo without a clip no longer updates: no index on ``owner_id``
    alone, and ``motion_id``'s only where it is set."""
    definitions = _definitions()
    assert not [d for d in definitions if d.endswith("(owner_id)")], definitions
    on_motion = [d for d in definitions if "(motion_id)" in d]
    assert len(on_motion) == 1 and "motion_id IS NOT NULL" in on_motion[0], on_motion


@pytest.mark.django_db(transaction=True)
def test_going_back_past_0012_makes_the_old_indexes_again_under_their_old_names() -> None:
    """Undone, migration 0012 leaves the schema it found: the indexes on ``owner_id`` and
    ``motion_id`` that 0001 and 0006 made, under the names Django gave them, and no partial
    one; done again, the lean set, without rebuilding the table."""
    lean = _definitions()
    call_command("migrate", "photos", "0011", verbosity=0)
    try:
        back = _definitions()
    finally:
        call_command("migrate", "photos", verbosity=0)
    made = sorted(d for d in back if d not in lean)
    assert [(d.split()[2], d.split("(")[-1]) for d in made] == [
        ("photos_photo_motion_id_58af8a44", "motion_id)"),
        ("photos_photo_owner_id_d16c8dd1", "owner_id)")], made
    assert [d.split()[2] for d in lean if d not in back] == ["motion_links"]
    assert sorted(_definitions()) == sorted(lean)
