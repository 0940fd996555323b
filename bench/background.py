"""Item 10c: thumbnails made in the background right after ingest. ``imgbackup serve`` (with
its default job worker) receives a batch of camera photos from four clients at once; from the
moment the last upload is answered, the data folder is watched until every photo's thumbnail
is there. The references: the CPU time of rendering those thumbnails (imgbackup's own
``render`` at 256 px, in this process, one after the other), the issue's measure; and the wall
time of rendering, the same way right after, the thumbnails that were still missing when the
upload ended, which is what a queue that never waits idle approaches on a machine shared with
others (where wall time is not CPU time). To tell the queue's own idling from a busy machine, the
job worker's threads' time over the same span is split into on a CPU, waiting for a CPU, and
neither (asleep: I/O, locks, the GIL, nothing to do)."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from bench import client, servers
from bench.client import MULTIPART_TAIL, Request, auth, multipart_head
from bench.images import camera_jpeg, variant
from bench.report import Item
from bench.scales import Scale

V2_PHOTOS = "/api/v2/photos"
THUMBNAIL = 256
POLL = 0.01
WAIT_AT_MOST = 600.0


def measure(work: Path, scale: Scale) -> list[Item]:
    folder = work / "background"
    photos = _write_photos(folder / "photos", scale)
    with servers.imgbackup(folder / "server") as server:
        data = Path(server.env["IMGBACKUP_DATA_DIR"])
        requests = [Request("POST", V2_PHOTOS, body, (client.MULTIPART, *auth(server.token)))
                    for _, body, _ in photos]
        upload = client.run(server.port, requests, clients=4)
        ended = time.perf_counter()
        cpu_before = servers.tree_cpu_seconds(server.process.pid)
        worker = servers.job_worker_pid(server.process.pid)
        threads_before = servers.thread_times(worker) if worker else {}
        missing = [sha for sha, _, _ in photos if not _thumbnail(data, sha).exists()]
        first, waited = _wait_for_thumbnails(data, missing, ended)
        server_cpu = servers.tree_cpu_seconds(server.process.pid) - cpu_before
        threads = _job_threads(threads_before, servers.thread_times(worker) if worker else {},
                               waited)
    jpegs = {sha: jpeg for sha, _, jpeg in photos}
    start = time.perf_counter()
    for sha in missing:
        _render_cpu(jpegs[sha])
    direct = time.perf_counter() - start
    cpu = {sha: _render_cpu(jpeg) for sha, jpeg in jpegs.items()}
    figures = _Figures(len(photos), upload.wall, first, waited, server_cpu, direct, cpu, missing,
                       threads)
    return [_item(scale, figures)]


@dataclass(frozen=True)
class _Figures:
    count: int
    upload: float  # seconds, the whole batch
    first: float  # from the end of the upload until the first thumbnail made after it exists
    waited: float  # from the end of the upload until every thumbnail exists
    server_cpu: float  # CPU seconds the server's processes used meanwhile
    direct: float  # wall seconds of rendering the missing thumbnails in this process
    cpu: dict[str, float]  # CPU seconds of rendering each thumbnail in this process
    missing: list[str]  # thumbnails not made yet when the upload ended
    threads: list[tuple[float, float, float]]  # per job thread: on CPU, run queue, asleep


def _job_threads(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]],
                 span: float) -> list[tuple[float, float, float]]:
    """(on a CPU, waiting for one, asleep) seconds over ``span`` of each worker thread that ran
    for more than a tenth of a second meanwhile (the job threads; not the housekeeping one)."""
    found = []
    for tid, (on_cpu, waiting) in after.items():
        ran = on_cpu - before.get(tid, (0.0, 0.0))[0]
        queued = waiting - before.get(tid, (0.0, 0.0))[1]
        if ran > 0.1:
            found.append((ran, queued, max(0.0, span - ran - queued)))
    return sorted(found, reverse=True)


def _write_photos(folder: Path, scale: Scale) -> list[tuple[str, Path, Path]]:
    """(sha256, multipart body file, JPEG file) per photo: bodies are sent from disk."""
    folder.mkdir(parents=True, exist_ok=True)
    bases = [camera_jpeg(seed, scale.photo_size) for seed in range(2)]
    photos = []
    for i in range(scale.job_photos):
        jpeg = variant(bases[i % 2], f"background{i}")
        name = f"IMG_{i:05d}.jpg"
        (folder / name).write_bytes(jpeg)
        body = folder / f"{name}.multipart"
        body.write_bytes(multipart_head("file", name) + jpeg + MULTIPART_TAIL)
        photos.append((hashlib.sha256(jpeg).hexdigest(), body, folder / name))
    return photos


def _thumbnail(data: Path, sha256: str) -> Path:
    return data / "derived" / sha256[:2] / sha256[2:4] / f"{sha256}-thumbnail"


def _wait_for_thumbnails(data: Path, shas: list[str], since: float) -> tuple[float, float]:
    """Seconds from ``since`` until the first of the missing thumbnails exists, and all."""
    pending = set(shas)
    first = 0.0
    while pending:
        before = len(pending)
        pending = {sha for sha in pending if not _thumbnail(data, sha).exists()}
        if not first and len(pending) < before:
            first = time.perf_counter() - since
        if time.perf_counter() - since > WAIT_AT_MOST:
            raise RuntimeError(f"{len(pending)} thumbnails still missing after "
                               f"{WAIT_AT_MOST:.0f} s")
        if pending:
            time.sleep(POLL)
    return first, time.perf_counter() - since


def _render_cpu(jpeg: Path) -> float:
    from imgbackup.imaging.render import render

    start = time.process_time()
    render(jpeg, THUMBNAIL, max_pixels=250_000_000)
    return time.process_time() - start


def _default_workers() -> int:
    """IMGBACKUP_JOB_THREADS's default, as imgbackup/settings.py computes it."""
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1, 4)


def _item(scale: Scale, f: _Figures) -> Item:
    item = Item("10c", "Thumbnails after an upload",
                target="≤ 1.2x the time of rendering them with nothing else to do")
    item.row(f"end of upload → all {f.count} thumbnails", "s", f.waited, sum(f.cpu.values()),
             f"CPU of rendering all {f.count}", False)
    item.row(f"the same, against rendering the {len(f.missing)} still missing", "s",
             f.waited, f.direct or None, "wall time, in one process", False)
    ratio = item.rows[1].ratio
    item.target_met = None if ratio is None else ratio <= 1.2
    item.notes.append(
        f"{f.count} camera-like JPEGs of {scale.photo_size[0]}x{scale.photo_size[1]} sent to "
        f"`POST /api/v2/photos` by 4 clients in {f.upload:.1f} s, one photo per request, to "
        f"`imgbackup serve` with its default job worker, running one job per core at once "
        f"({_default_workers()} here; previews too, after the thumbnails waiting). "
        f"{f.count - len(f.missing)} thumbnails existed when "
        f"the last upload was answered, the first of the others {f.first:.2f} s after it (the "
        f"jobs' wait for uploads to end, then one render); the server's processes used "
        f"{f.server_cpu:.1f} s of "
        f"CPU while the rest were made{_threads_note(f.threads)}. Thumbnail files are watched "
        f"every {POLL * 1000:.0f} ms. The first row is the issue's measure (a quiet machine's wall "
        f"time is its CPU time); the target is judged on the second, the same work done "
        f"directly on the same machine at the same time, since this machine is shared.")
    return item


def _threads_note(threads: list[tuple[float, float, float]]) -> str:
    if not threads:
        return ""
    each = "; ".join(f"{ran:.1f} s on a CPU, {queued:.1f} s waiting for one, {asleep:.1f} s "
                     "asleep" for ran, queued, asleep in threads)
    return f", its job thread{'s' if len(threads) > 1 else ''} meanwhile {each}"
