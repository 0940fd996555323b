"""How much each benchmark does: ``full`` for BENCHMARKS.md (about an hour on 2 shared cores:
3 554 s on 2026-11-30 at load 5-13, most of it seeding the million-photo libraries),
``small`` for a run of items 1 and 1b on a shared machine (minutes), ``tiny`` for the
harness's own smoke test (seconds)."""

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
    video_size: tuple[int, int] = (3840, 2160)  # posters and remuxing (bench/video.py)
    video_seconds: int = 60
    transcode_seconds: int = 10  # the MPEG-2 clip transcoded: frames per second is the figure
    max_height: int = 1080  # IMGBACKUP_VIDEO_MAX_HEIGHT
    job_photos: int = 100  # uploaded, then their thumbnails awaited (bench/background.py)
    ingest_photos: int = 48  # photos per upload path in item 1b
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
    timeline_sizes=(200, 2_000), video_size=(640, 360), video_seconds=2, transcode_seconds=2,
    max_height=240, job_photos=10, ingest_photos=4,
)

# Item 1b (and 1) with camera-sized photos but few of them: minutes, for a shared machine.
SMALL = Scale(
    name="small", photo_size=(4000, 3000), uploads=16, clients=4, download_rounds=1,
    big_upload_mb=64, imaging_images=2, imaging_size=(1600, 1200), list_sizes=(50, 200),
    list_repeats=5, check_hashes=100, check_repeats=2, cli_files=5, cli_photo_size=(64, 48),
    timeline_sizes=(200, 2_000), ingest_photos=16,
)

SCALES = {scale.name: scale for scale in (FULL, SMALL, TINY)}
