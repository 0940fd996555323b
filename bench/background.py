"""Item 10c: thumbnails made in the background right after ingest. ``imgbackup serve`` (with
its default job worker) receives a batch of camera photos from four clients at once; from the
moment the last upload is answered, the data folder is watched until every photo's thumbnail
is there. The reference is the CPU time of rendering those thumbnails (imgbackup's own
``render`` at 256 px, in this process, one after the other): a queue that never waits idle
finishes within about that time."""

from __future__ import annotations

import hashlib
import time
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
        missing = [sha for sha, _, _ in photos if not _thumbnail(data, sha).exists()]
        waited = _wait_for_thumbnails(data, [sha for sha, _, _ in photos], ended)
    cpu = {sha: _render_cpu(jpeg) for sha, _, jpeg in photos}
    return [_item(scale, len(photos), upload.wall, waited, cpu, missing)]


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


def _wait_for_thumbnails(data: Path, shas: list[str], since: float) -> float:
    pending = set(shas)
    while pending:
        pending = {sha for sha in pending if not _thumbnail(data, sha).exists()}
        if time.perf_counter() - since > WAIT_AT_MOST:
            raise RuntimeError(f"{len(pending)} thumbnails still missing after "
                               f"{WAIT_AT_MOST:.0f} s")
        if pending:
            time.sleep(POLL)
    return time.perf_counter() - since


def _render_cpu(jpeg: Path) -> float:
    from imgbackup.imaging.render import render

    start = time.process_time()
    render(jpeg, THUMBNAIL, max_pixels=250_000_000)
    return time.process_time() - start


def _item(scale: Scale, count: int, upload: float, waited: float, cpu: dict[str, float],
          missing: list[str]) -> Item:
    item = Item("10c", "Thumbnails after an upload",
                target="≤ 1.2x the CPU time of rendering them")
    all_cpu = sum(cpu.values())
    item.row(f"end of upload → all {count} thumbnails", "s", waited, all_cpu,
             f"CPU of rendering all {count}", False)
    item.row(f"the same, against the {len(missing)} still missing at the end",
             "s", waited, sum(cpu[sha] for sha in missing) or None,
             "CPU of rendering those", False)
    ratio = item.rows[0].ratio
    item.target_met = None if ratio is None else ratio <= 1.2
    item.notes.append(
        f"{count} camera-like JPEGs of {scale.photo_size[0]}x{scale.photo_size[1]} sent to "
        f"`POST /api/v2/photos` by 4 clients in {upload:.1f} s, one photo per request, to "
        f"`imgbackup serve` with its default single job worker (which also makes previews, "
        f"after the thumbnails waiting). {count - len(missing)} thumbnails existed when the "
        f"last upload was answered. Thumbnail files are watched every {POLL * 1000:.0f} ms. "
        f"The first row is the issue's measure; the second sets the wait against the work "
        f"that was left, which shows idle time directly.")
    return item
