"""How much each benchmark does: ``full`` for BENCHMARKS.md (under 15 minutes on 2 cores),
``tiny`` for the harness's own smoke test (seconds)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    photo_size: tuple[int, int]  # pixels of the upload photos; 4000x3000 is ~6 MB
    uploads: int  # photos sent per server in the upload benchmark
    clients: int  # concurrent connections
    download_rounds: int  # times each uploaded photo is fetched back
    big_upload_mb: int  # the memory benchmark's single upload
    imaging_images: int  # images for thumbnail + preview generation
    imaging_size: tuple[int, int]
    list_sizes: tuple[int, ...]  # library sizes for the list latency benchmark
    list_repeats: int  # timed requests per page
    check_hashes: int  # hashes per /photos/check
    check_repeats: int
    cli_files: int  # photos in the folder pushed by the CLI
    cli_photo_size: tuple[int, int]
    search_sizes: tuple[int, ...] = (200, 1_000)  # library sizes for the search benchmark
    search_repeats: int = 5  # timed requests per query and size
    search_engines: tuple[str, ...] = ("sqlite", "postgresql")
    timeline_sizes: tuple[int, ...] = (200, 2_000)  # libraries for the timeline in Chromium
    timeline_engines: tuple[str, ...] = ("sqlite", "postgresql")  # for the skeleton endpoints


FULL = Scale(
    name="full", photo_size=(4000, 3000), uploads=48, clients=4, download_rounds=3,
    big_upload_mb=1024, imaging_images=16, imaging_size=(4000, 3000),
    list_sizes=(1_000, 10_000, 100_000), list_repeats=100, check_hashes=10_000,
    check_repeats=15, cli_files=10_000, cli_photo_size=(320, 240),
    search_sizes=(10_000, 100_000, 1_000_000), search_repeats=100,
    timeline_sizes=(10_000, 100_000, 1_000_000),
)

TINY = Scale(
    name="tiny", photo_size=(320, 240), uploads=6, clients=2, download_rounds=1,
    big_upload_mb=8, imaging_images=2, imaging_size=(1600, 1200), list_sizes=(50, 200),
    list_repeats=5, check_hashes=100, check_repeats=2, cli_files=5, cli_photo_size=(64, 48),
    timeline_sizes=(200, 2_000),
)

SCALES = {scale.name: scale for scale in (FULL, TINY)}
