"""Verify: the proof that nothing was lost. Every stored original is re-hashed through the
Django storage API (local disk or S3 alike), streaming, and compared with its name.

Findings:
- missing: an Original row whose object is not in storage;
- corrupt: an object whose bytes no longer hash to its name (or whose size changed);
- orphan: an object under ``originals/`` or ``derived/`` with no Original row;
- unreferenced: an Original row no photo refers to (the purge should have removed it).

Uploads keep running while verify does: rows are read before objects are listed, and every
finding is checked again, under the Original row's lock, before it is reported, so an upload or
a destroy that lands in between (or is under way) is never reported as a problem. Objects
younger than the grace period without a row are counted as in flight, not as orphans
(``imgbackup gc`` uses the same rule)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone

from imgbackup.photos import sha_lock
from imgbackup.photos.ingest import HEX64
from imgbackup.photos.models import Original, Photo, original_name
from imgbackup.storage import blobs

ORIGINALS = "originals"
DERIVED = "derived"
CHUNK = 1024 * 1024
# originals/ab/cd/<sha256>: two levels of fan-out folders, then the objects.
FANOUT_DEPTH = 2

Progress = Callable[[int, int, int], None]  # (originals done, originals in all, bytes read)


@dataclass
class Finding:
    name: str
    detail: str


@dataclass
class Report:
    checked: int = 0
    bytes: int = 0
    in_flight: int = 0
    missing: list[Finding] = field(default_factory=list)
    corrupt: list[Finding] = field(default_factory=list)
    orphans: list[Finding] = field(default_factory=list)
    unreferenced: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.corrupt or self.orphans or self.unreferenced)

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "clean": self.clean}


def default_grace() -> timedelta:
    return timedelta(minutes=settings.GC_GRACE_MINUTES)


def walk(storage: Storage, top: str, depth: int = FANOUT_DEPTH) -> Iterator[str]:
    """Every object name under ``top``: the fan-out folders, then their files. Bounded depth,
    so a stray deep folder cannot make this run forever."""
    try:
        folders, files = storage.listdir(top)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{top}/{name}"
    if depth > 0:
        for folder in sorted(folders):
            if not folder.startswith("."):  # .incoming: upload spool, gc's business
                yield from walk(storage, f"{top}/{folder}", depth - 1)


def sha_of(name: str) -> str | None:
    """The SHA-256 an object name stands for, or None for a name that is not ours."""
    base = name.rsplit("/", 1)[-1]
    if name.startswith(f"{DERIVED}/"):
        base = base.split("-", 1)[0]
    elif name != original_name(base):
        return None
    return base if HEX64.fullmatch(base) else None


def hash_object(storage: Storage, name: str) -> tuple[str, int]:
    """SHA-256 and size of an object, read in chunks: memory does not grow with its size."""
    digest = hashlib.sha256()
    size = 0
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def is_young(storage: Storage, name: str, cutoff: datetime) -> bool:
    try:
        return storage.get_modified_time(name) > cutoff
    except (FileNotFoundError, NotImplementedError):
        return False


def verify(progress: Progress | None = None, grace: timedelta | None = None) -> Report:
    storage = blobs()
    cutoff = timezone.now() - (default_grace() if grace is None else grace)
    report = Report()
    # Rows first, objects second: an object is durable before its row commits, so a row seen
    # here has its object already, unless a purge removes both meanwhile (checked below).
    rows = dict(Original.objects.values_list("sha256", "size"))
    total = len(rows)
    for sha256, size in rows.items():
        _check_original(storage, sha256, size, report)
        report.checked += 1
        if progress is not None:
            progress(report.checked, total, report.bytes)
    for name in [*walk(storage, ORIGINALS), *walk(storage, DERIVED)]:
        named = sha_of(name)
        if named in rows:
            continue
        if named is not None and Original.objects.filter(sha256=named).exists():
            continue  # uploaded while we were hashing
        if is_young(storage, name, cutoff):
            report.in_flight += 1
            continue
        with transaction.atomic():
            orphan = still_orphan(storage, name, named, cutoff)
        if orphan:
            report.orphans.append(Finding(name, "no Original row refers to this object"))
    referenced = set(Photo.objects.values_list("original_id", flat=True).distinct())
    for sha256 in sorted(set(rows) - referenced):
        if Original.objects.filter(sha256=sha256, photos__isnull=True).exists():
            report.unreferenced.append(Finding(sha256, "no photo refers to this original"))
    return report


def still_missing(storage: Storage, sha256: str, name: str) -> bool:
    """Decided again under the Original row's lock, the lock a destroy holds while it deletes
    the object and then the row: a destroy in progress has finished when the lock is ours, and
    a row it removed is no longer there. Only a row whose object is still absent is missing."""
    with transaction.atomic():
        if not Original.objects.select_for_update().filter(sha256=sha256).exists():
            return False
        return not storage.exists(name)


def still_orphan(storage: Storage, name: str, sha256: str | None, cutoff: datetime) -> bool:
    """Decided again under the locks ingest and destroy take (photos/sha_lock.py, then the
    row's): an object whose row appeared (an upload committed), that vanished (a destroy
    finished) or that is young again (gone and written anew by an upload since it was
    listed: its row may not be committed yet) is not an orphan. Call in ``atomic``; gc
    deletes the object before the transaction ends, so no upload can revive it meanwhile."""
    if sha256:
        sha_lock.hold(sha256)
        if Original.objects.select_for_update().filter(sha256=sha256).exists():
            return False
    try:
        return storage.get_modified_time(name) <= cutoff
    except FileNotFoundError:
        return False


def _check_original(storage: Storage, sha256: str, size: int, report: Report) -> None:
    name = original_name(sha256)
    try:
        actual, actual_size = hash_object(storage, name)
    except FileNotFoundError:
        if still_missing(storage, sha256, name):
            report.missing.append(Finding(name, "the Original row exists, the object does not"))
        return
    report.bytes += actual_size
    if actual != sha256:
        report.corrupt.append(Finding(name, f"the bytes hash to {actual}"))
    elif actual_size != size:
        report.corrupt.append(Finding(name, f"{actual_size} bytes stored, {size} recorded"))
