"""Batch work decides under the row locks, so a stale list read by one node (or before a
restore) never destroys the wrong photo, and two nodes never destroy one photo twice."""

from __future__ import annotations

from datetime import timedelta

from conftest import Persona, make_jpeg
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from imgbackup.photos.models import Photo
from imgbackup.photos.trash import destroy, restore


def trashed_long_ago(client: Client, who: Persona) -> Photo:
    client.post("/api/v1.0/service/image/",
                {"p": SimpleUploadedFile("a.jpg", make_jpeg(8), "image/jpeg")}, **who.auth)
    photo = Photo.objects.get()
    Photo.objects.filter(pk=photo.pk).update(trashed_at=timezone.now() - timedelta(days=400))
    return Photo.objects.get()


def test_a_purge_spares_a_photo_restored_after_it_read_the_list(client: Client,
                                                                alice: Persona) -> None:
    stale = trashed_long_ago(client, alice)
    restore(Photo.objects.get())  # the owner, between the purge's read and its destroy
    assert destroy(stale, trashed_before=timezone.now() - timedelta(days=30)) is False
    assert Photo.objects.get().trashed_at is None


def test_a_photo_destroyed_by_another_node_is_not_destroyed_again(client: Client,
                                                                  alice: Persona) -> None:
    stale = trashed_long_ago(client, alice)
    assert destroy(Photo.objects.get()) is True
    assert destroy(stale) is False
