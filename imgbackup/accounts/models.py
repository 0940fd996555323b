from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is kept: the token itself is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to tell tokens apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True,
                                      help_text="Refused from this instant on; null: never.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Two "laptop" tokens could only be told apart by their prefix.
            models.UniqueConstraint(fields=["user", "name"], name="one_token_name_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Quota(models.Model):
    """How many bytes of originals a user may keep (photos in the trash count: their bytes are
    still stored). No row, or ``max_bytes`` null: no limit. See photos/quota.py."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="quota")
    max_bytes = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.max_bytes}"
