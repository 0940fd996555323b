from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class PhotosConfig(AppConfig):
    name = "imgbackup.photos"
    label = "photos"

    def ready(self) -> None:
        post_migrate.connect(_month_triggers, sender=self)


def _month_triggers(using: str = "default", **_: Any) -> None:
    """After every migrate: the timeline's count triggers exist (photos/month_triggers.py)."""
    from imgbackup.photos.month_triggers import ensure_triggers

    ensure_triggers(connections[using])
