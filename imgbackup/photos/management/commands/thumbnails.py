"""``imgbackup thumbnails``: make every missing thumbnail and preview now, newest photos first.

Derived images are otherwise made on first request; this fills storage ahead of time (after an
import, a restore of the data folder, or a change of renderer), so nobody waits for them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from imgbackup.photos.derived import (
    SIZES,
    DerivedImageUnavailable,
    RendererBusy,
    derived_name,
    ensure_derived,
)
from imgbackup.photos.models import Original
from imgbackup.storage import blobs


@dataclass
class Tally:
    total: int
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    made: int = 0
    failed: int = 0

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate else 0
        share = 100 * self.done / self.total if self.total else 100
        return (f"{self.done}/{self.total} originals ({share:.0f}%): {self.made} made, "
                f"{self.failed} failed, {rate:.1f}/s, about {left:.0f} s left")


class Command(BaseCommand):
    help = "Make every missing thumbnail and preview, newest originals first, with progress."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", action="append", choices=list(SIZES),
                            help="only this kind (repeatable; default: all kinds)")
        parser.add_argument("--jobs", type=int, default=1,
                            help="images rendered at once (default 1: leave cores to serve)")

    def handle(self, *args: Any, **options: Any) -> None:
        kinds: list[str] = options["kind"] or list(SIZES)
        jobs: int = options["jobs"]
        if jobs < 1:
            raise CommandError("--jobs must be at least 1")
        tally = Tally(Original.objects.count())
        every = max(1, min(100, tally.total // 100))
        for made, errors in _fill_all(kinds, jobs):
            tally.done += 1
            tally.made += made
            tally.failed += len(errors)
            for error in errors:
                self.stderr.write(error)
            if tally.done % every == 0 or tally.done == tally.total:
                self.stdout.write(tally.line())
        self.stdout.write(f"done: {tally.line()}")
        if tally.failed:
            raise CommandError(f"{tally.failed} derived images could not be made (see above)")


def _fill_all(kinds: list[str], jobs: int) -> Iterator[tuple[int, list[str]]]:
    originals = Original.objects.order_by("-created_at").iterator(chunk_size=500)
    if jobs == 1:
        yield from (_fill(original, kinds) for original in originals)
        return
    with ThreadPoolExecutor(jobs) as pool:
        # A batch at a time: Executor.map would otherwise queue every original up front.
        while batch := list(islice(originals, 50 * jobs)):
            yield from pool.map(lambda original: _fill_in_worker(original, kinds), batch)


def _fill_in_worker(original: Original, kinds: list[str]) -> tuple[int, list[str]]:
    try:
        return _fill(original, kinds)
    finally:
        # Each worker thread opened its own database connection: do not leak it.
        connections.close_all()


def _fill(original: Original, kinds: list[str]) -> tuple[int, list[str]]:
    """Make the missing ``kinds`` of one original: (how many were made, error lines)."""
    storage = blobs()
    made, errors = 0, []
    for kind in kinds:
        if storage.exists(derived_name(original.sha256, kind)):
            continue
        try:
            ensure_derived(original, kind)
            made += 1
        except (DerivedImageUnavailable, RendererBusy, FileNotFoundError) as exc:
            errors.append(f"{original.sha256} {kind}: {exc}")
    return made, errors
