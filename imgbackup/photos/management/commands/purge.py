from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from imgbackup.photos.resumable import remove_expired
from imgbackup.photos.trash import purge_expired


class Command(BaseCommand):
    help = ("Destroy photos that have been in the trash longer than IMGBACKUP_TRASH_DAYS, and "
            "resumable uploads left alone longer than IMGBACKUP_UPLOAD_EXPIRY_HOURS. "
            "'imgbackup serve' runs this every IMGBACKUP_PURGE_INTERVAL seconds; run it from "
            "cron instead when that is 0.")

    def handle(self, *args: Any, **options: Any) -> None:
        destroyed = purge_expired()
        self.stdout.write(f"purge: destroyed {destroyed} photo(s) trashed more than "
                          f"{settings.TRASH_DAYS} days ago")
        removed = remove_expired()
        self.stdout.write(f"purge: removed {removed} resumable upload(s) left alone more than "
                          f"{settings.UPLOAD_EXPIRY_HOURS} hours")
