"""Garbage collection: what a crash or an aborted upload can leave behind, removed without
touching anything a row refers to.

- upload spool files (``*.part`` in the incoming folder) nobody has written for the grace period:
  a live upload writes its spool continuously, and gunicorn's request timeout is shorter than the
  default grace, so an old spool file belongs to a request that died;
- objects under ``originals/`` and ``derived/`` with no Original row, older than the grace period:
  an ingest writes the object before it commits the row, so a young object without a row may be
  an upload in flight;
- Original rows no photo refers to, removed with their bytes under the row lock (trash.release);
- partial bytes of resumable uploads no upload row refers to (photos/resumable.py).

Every deletion is decided again under the locks ingest takes (photos/sha_lock.py, then the
Original row's)."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from imgbackup.photos.models import Original
from imgbackup.photos.resumable import sweep_leftovers
from imgbackup.photos.trash import release
from imgbackup.photos.verify import (
    DERIVED,
    ORIGINALS,
    default_grace,
    is_young,
    sha_of,
    still_orphan,
    walk,
)
from imgbackup.storage import blobs, incoming_dir

log = logging.getLogger(__name__)


@dataclass
class GcReport:
    dry_run: bool
    spool_files: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)
    resumable: list[str] = field(default_factory=list)
    bytes: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def collect(grace: timedelta | None = None, dry_run: bool = False) -> GcReport:
    cutoff = timezone.now() - (default_grace() if grace is None else grace)
    report = GcReport(dry_run=dry_run)
    _spool(cutoff, report)
    _orphans(cutoff, report)
    _unreferenced(cutoff, report)
    report.resumable = sweep_leftovers(cutoff, dry_run)
    return report


def _spool(cutoff: datetime, report: GcReport) -> None:
    for path in sorted(incoming_dir().glob("*.part")):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue  # its request finished meanwhile
        if datetime.fromtimestamp(stat.st_mtime, UTC) > cutoff:
            continue
        report.spool_files.append(path.name)
        report.bytes += stat.st_size
        if not report.dry_run:
            path.unlink(missing_ok=True)
            log.info("gc: removed upload spool file %s (%d bytes)", path.name, stat.st_size)


def _orphans(cutoff: datetime, report: GcReport) -> None:
    storage = blobs()
    for name in [*walk(storage, ORIGINALS), *walk(storage, DERIVED)]:
        sha256 = sha_of(name)
        if is_young(storage, name, cutoff):
            continue
        with transaction.atomic():
            # Under the locks ingest takes (photos/sha_lock.py, then the row's; on
            # SQLite the write lock of the database): an upload of these bytes either committed
            # its row already, or it checks the object again under them before committing and
            # writes it again if gone.
            if not still_orphan(storage, name, sha256, cutoff):
                continue
            try:
                size = storage.size(name)
            except FileNotFoundError:
                continue  # vanished since it was listed: a destroy finished, nothing to clear
            report.orphans.append(name)
            report.bytes += size
            if report.dry_run:
                continue
            storage.delete(name)
        log.info("gc: removed orphan object %s", name)


def _unreferenced(cutoff: datetime, report: GcReport) -> None:
    stale = Original.objects.filter(photos__isnull=True, created_at__lt=cutoff)
    for sha256 in list(stale.values_list("sha256", flat=True)):
        report.unreferenced.append(sha256)
        if not report.dry_run:
            release(sha256)

