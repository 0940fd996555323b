"""The row of one resumable (tus) upload: who sends it, how far it got, where its bytes are.

The row, not the app server, holds everything a later request needs, so an upload begun on
one server continues on another: the committed offset, the claimed hashes, and the storage's
own state (for S3, the multipart upload's id and the parts sent so far)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ResumableUpload(models.Model):
    # Random and unguessable; still, every lookup is scoped to the owner (another user: 404).
    id = models.CharField(max_length=32, primary_key=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="resumable_uploads")
    length = models.BigIntegerField(null=True)  # null: deferred (creation-defer-length)
    offset = models.BigIntegerField(default=0)  # bytes received, durable and committed
    metadata = models.TextField(blank=True)  # the Upload-Metadata header, echoed on HEAD
    filename = models.CharField(max_length=255, blank=True)
    modified_at = models.DateTimeField(null=True)
    sha256 = models.CharField(max_length=64, blank=True)  # what the client says it sends
    md5 = models.CharField(max_length=32, blank=True)
    state = models.JSONField(default=dict)  # the partial store's (storage/partials.py)
    # One request at a time appends: a lease taken by compare-and-set on (offset, lease).
    lease = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True)
    photo_id = models.CharField(max_length=64, blank=True)  # set once complete and ingested
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "photo_id"], name="open_uploads")]

    def __str__(self) -> str:
        return f"upload {self.id} of {self.owner_id}"

    @property
    def complete(self) -> bool:
        return bool(self.photo_id)
