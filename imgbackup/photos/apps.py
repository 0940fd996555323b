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
    """After every migrate: the count triggers (photos/month_triggers.py, place_triggers.py,
    usage_triggers.py) and the file name index (photos/name_search.py) exist."""
    from imgbackup.photos import month_triggers, name_search, place_triggers, usage_triggers

    month_triggers.ensure_triggers(connections[using])
    place_triggers.ensure_triggers(connections[using])
    usage_triggers.ensure_triggers(connections[using])
    name_search.ensure_index(connections[using])
