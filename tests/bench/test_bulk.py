"""The bench's bulk load (bench/bulk.py): rows as the ORM would write them, the month counts
right although the triggers were off during the load, and the triggers back afterwards."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User

from bench import bulk
from imgbackup.photos.models import MonthCount, Original, Photo

pytestmark = pytest.mark.django_db
START = datetime(2019, 12, 30, 22, tzinfo=UTC)


def _row(owner: User, i: int) -> bulk.Row:
    sha = hashlib.sha256(f"bulk-{owner.pk}-{i}".encode()).hexdigest()
    return ({"sha256": sha, "md5": sha[:32], "size": 1000 + i, "content_type": "image/jpeg"},
            {"owner_id": owner.pk, "original_id": sha, "filename": f"IMG_{i}.JPG",
             "width": 4000, "height": 3000, "taken_at": START + timedelta(hours=9 * i),
             "taken_at_source": "exif", "favourite": i % 4 == 0,
             "trashed_at": START if i % 10 == 3 else None, "is_motion": i % 25 == 11})


def _months(owner: User) -> dict[str, tuple[int, int]]:
    return {row.month: (row.live, row.favourite)
            for row in MonthCount.objects.filter(owner=owner) if row.live or row.favourite}


def test_a_load_writes_the_rows_and_counts_every_month(django_user_model: Any) -> None:
    owner = django_user_model.objects.create(username="bulk-owner")
    other = django_user_model.objects.create(username="bulk-other")
    Photo.objects.create(owner=other, original=Original.objects.create(
        sha256="a" * 64, md5="b" * 32, size=1, content_type="image/jpeg"),
                         taken_at=START, taken_at_source="exif")
    assert bulk.load(300, lambda i: _row(owner, i)) == 1 + sum(
        1 for i in range(300) if i % 10 != 3 and i % 25 != 11)
    photo = Photo.objects.get(owner=owner, filename="IMG_8.JPG")
    assert (photo.taken_at, photo.favourite, photo.width, photo.media_type) == (
        START + timedelta(hours=72), True, 4000, "photo")
    assert photo.uploaded_at is not None and photo.original.created_at is not None
    expected: Counter[str] = Counter()
    favourites: Counter[str] = Counter()
    for i in range(300):
        if i % 10 != 3 and i % 25 != 11:
            month = (START + timedelta(hours=9 * i)).strftime("%Y-%m")
            expected[month] += 1
            favourites[month] += i % 4 == 0
    assert _months(owner) == {m: (n, favourites[m]) for m, n in expected.items()}
    assert _months(other) == {"2019-12": (1, 0)}  # another owner's months counted again too
    # The triggers are back: a change after the load is counted.
    photo.trashed_at = START
    photo.save()
    month = photo.taken_at.strftime("%Y-%m")
    assert _months(owner)[month] == (expected[month] - 1, favourites[month] - 1)


def test_counts_that_disagree_with_the_rows_fail_the_load(django_user_model: Any) -> None:
    owner = django_user_model.objects.create(username="bulk-owner")
    bulk.load(40, lambda i: _row(owner, i))
    MonthCount.objects.filter(owner=owner, month="2020-01").update(live=1)
    with pytest.raises(bulk.CountMismatch, match="2020-01"):
        bulk.checked_counts()


def test_an_unknown_column_is_refused(django_user_model: Any) -> None:
    owner = django_user_model.objects.create(username="bulk-owner")

    def bad(i: int) -> bulk.Row:
        original, photo = _row(owner, i)
        return original, {**photo, "takenat": START}

    with pytest.raises(KeyError, match="takenat"):
        bulk.load(3, bad)
    assert not Photo.objects.filter(owner=owner).exists()


def test_places_and_names_are_counted_and_indexed_after_the_load(
        django_user_model: Any) -> None:
    from imgbackup.photos import name_search
    from imgbackup.photos.models import PlaceCount

    owner = django_user_model.objects.create(username="bulk-owner")

    def placed(i: int) -> bulk.Row:
        original, photo = _row(owner, i)
        return original, {**photo, "place_key": ["kyoto|jp", "paris|fr", ""][i % 3]}

    bulk.load(60, placed)
    expected = Counter(["kyoto|jp", "paris|fr", ""][i % 3] for i in range(60)
                       if i % 10 != 3 and i % 25 != 11)
    del expected[""]
    assert {c.place_key: c.live for c in PlaceCount.objects.filter(owner=owner)} == expected
    # The name index holds every loaded name, and its triggers are back for new ones.
    found = name_search.candidates(owner, "IMG_")
    assert sorted(found or []) == sorted(Photo.objects.filter(owner=owner).values_list(
        "pk", flat=True))
    photo = Photo.objects.get(owner=owner, filename="IMG_8.JPG")
    photo.filename, photo.place_key = "renamed-after.jpg", "kyoto|jp"
    photo.save()
    assert name_search.candidates(owner, "renamed-aft") == [photo.pk]
    assert PlaceCount.objects.get(owner=owner, place_key="kyoto|jp").live == (
        expected["kyoto|jp"] + 1)
