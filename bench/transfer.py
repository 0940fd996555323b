"""Items 1-3: upload throughput, peak memory during a huge upload, download throughput.

Each server gets a fresh folder on the same filesystem and the same photos, in this order:
warm-up, timed uploads (item 1), timed downloads of what was uploaded (item 3), then one huge
upload while its processes' RSS is sampled (item 2)."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench import client, profile, servers
from bench.client import MULTIPART, Request, Run, auth, multipart
from bench.images import photo_set, variant
from bench.report import Item
from bench.scales import Scale

V1 = "/api/v1.0/service/image/"
MB = 1024 * 1024


@dataclass
class Outcome:
    upload: Run
    download: Run
    upload_cpu: float = 0.0  # server CPU seconds spent on the timed uploads
    client_cpu: float = 0.0  # this process's CPU seconds (the clients) on the timed uploads
    peak_rss: int = 0
    baseline_rss: int = 0
    peak_pss: int = 0
    baseline_pss: int = 0
    peak_single: int = 0
    after_use_pss: int = 0  # once every upload was made and its thumbnails rendered
    big_status: int = 0
    profile: str = ""


def _upload_requests(target: str, photos: list[bytes], token: str) -> list[Request]:
    if target == "nginx":
        return [Request("PUT", f"/up/IMG_{i:05d}.jpg", data) for i, data in enumerate(photos)]
    headers = (MULTIPART, *auth(token))
    return [Request("POST", V1, multipart("photo", f"IMG_{i:05d}.jpg", data), headers)
            for i, data in enumerate(photos)]


def _download_requests(target: str, photos: list[bytes], token: str,
                       rounds: int) -> list[Request]:
    if target == "nginx":
        paths = [f"/up/IMG_{i:05d}.jpg" for i in range(len(photos))]
    else:
        paths = [f"{V1}?md5={hashlib.md5(p).hexdigest()}" for p in photos]
    return [Request("GET", path, b"", auth(token)) for _ in range(rounds) for path in paths]


def big_body(work: Path, jpeg: bytes, total_mb: int) -> Path:
    """A multipart body of ``total_mb`` MiB: a real JPEG followed by junk up to the size."""
    path = work / "big-body.bin"
    junk_size = total_mb * MB - len(jpeg)
    block = os.urandom(4 * MB)
    with path.open("wb") as out:
        out.write(client.multipart_head("photo", "BIG.jpg") + jpeg)
        for _ in range(junk_size // len(block)):
            out.write(block)
        out.write(block[: junk_size % len(block)])
        out.write(client.MULTIPART_TAIL)
    return path


def _in_turns(served: dict[str, servers.Server], batches: dict[str, list[list[Request]]],
              clients: int) -> dict[str, tuple[Run, float, float]]:
    """Each target's batches, the targets taking turns batch by batch (the first target
    changing every round), so the machine's noise falls on every target alike. Per target:
    the batches merged into one Run, the server CPU seconds they used and the clients'."""
    runs: dict[str, list[Run]] = {target: [] for target in served}
    cpu = dict.fromkeys(served, 0.0)
    client_cpu = dict.fromkeys(served, 0.0)
    order = list(served)
    rounds = max(len(b) for b in batches.values())
    for index in range(rounds):
        for target in order[index % len(order):] + order[: index % len(order)]:
            if index >= len(batches[target]):
                continue
            pid = served[target].process.pid
            # Dirty pages left by the previous batch (nginx and the original view never
            # fsync) would otherwise be written back on this batch's time.
            os.sync()
            before, ours = servers.tree_cpu_seconds(pid), time.process_time()
            runs[target].append(client.run(served[target].port, batches[target][index],
                                           clients))
            cpu[target] += servers.tree_cpu_seconds(pid) - before
            client_cpu[target] += time.process_time() - ours
    return {target: (_merged(found), cpu[target], client_cpu[target])
            for target, found in runs.items()}


def _merged(runs: list[Run]) -> Run:
    statuses: dict[int, int] = {}
    for run in runs:
        for status, count in run.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return Run(sum(r.wall for r in runs), [t for r in runs for t in r.latencies],
               sum(r.sent for r in runs), sum(r.received for r in runs), statuses)


def _batches(requests: list[Request], size: int) -> list[list[Request]]:
    return [requests[i:i + size] for i in range(0, len(requests), size)]


def _big_upload(server: servers.Server, outcome: Outcome, body: Path) -> None:
    """One huge upload while the serving processes' memory is sampled."""
    request = Request("POST", V1, body, (MULTIPART, *auth(server.token)))
    with servers.RssSampler(server.process.pid) as sampler:
        big = client.run(server.port, [request], clients=1, expect=lambda status: True)
    outcome.peak_rss, outcome.baseline_rss = sampler.peak, sampler.baseline
    outcome.peak_pss, outcome.baseline_pss = sampler.peak_pss, sampler.baseline_pss
    outcome.peak_single = sampler.peak_single
    outcome.big_status = next(iter(big.statuses))


def _servers(work: Path, big_mb: int) -> dict[str, Callable[[], AbstractContextManager[
        servers.Server]]]:
    limits = {"IMGBACKUP_MAX_UPLOAD_MB": str(big_mb + 64)}
    return {
        "imgbackup": lambda: servers.imgbackup(work / "imgbackup", limits),
        "original": lambda: servers.original(work / "original"),
        "nginx": lambda: servers.nginx(work / "nginx", work / "nginx" / "www"),
    }


def measure(work: Path, scale: Scale) -> Iterator[Item]:
    photos = photo_set(scale.uploads, scale.photo_size)
    warm = photo_set(scale.clients, (640, 480), tag="warm")
    body = big_body(work, warm[0], scale.big_upload_mb)
    batch = 2 * scale.clients
    with ExitStack() as stack:
        served = {target: stack.enter_context(start())
                  for target, start in _servers(work, scale.big_upload_mb).items()}
        for target, server in served.items():
            client.run(server.port, _upload_requests(target, warm, server.token), scale.clients)
        uploads = _in_turns(served, {t: _batches(_upload_requests(t, photos, s.token), batch)
                                     for t, s in served.items()}, scale.clients)
        downloads = _in_turns(served, {t: _batches(_download_requests(
            t, photos, s.token, scale.download_rounds), batch) for t, s in served.items()},
            scale.clients)
        outcomes = {t: Outcome(uploads[t][0], downloads[t][0], uploads[t][1], uploads[t][2])
                    for t in served}
        ours = served["imgbackup"]
        again = [variant(p, "profiled") for p in photos[: max(4, len(photos) // 3)]]
        outcomes["imgbackup"].profile = profile.profiled(
            ours.process.pid, work / "upload-profile.txt",
            lambda: client.run(ours.port, _upload_requests("imgbackup", again, ours.token),
                               scale.clients))
        for target in ("imgbackup", "original"):
            _big_upload(served[target], outcomes[target], body)
        servers.drain_jobs(ours)  # item 1's thumbnails and previews, rendered by now
        time.sleep(1)  # the last job's trim, the workers' last request ended
        for target in ("imgbackup", "original"):
            outcomes[target].after_use_pss = servers.tree_memory(served[target].process.pid)[1]
    body.unlink()
    mean_mb = sum(map(len, photos)) / len(photos) / MB
    yield _upload_item(outcomes, len(photos), mean_mb, scale, hashing_cpu(photos))
    yield _memory_item(outcomes, scale)
    yield _download_item(outcomes, scale)


def hashing_cpu(photos: list[bytes]) -> float:
    """CPU seconds per photo of SHA-256 + MD5 of its bytes, in this process (best of 3): the
    per-byte work no upload to imgbackup can skip."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for data in photos:
            hashlib.sha256(data).digest()
            hashlib.md5(data, usedforsecurity=False).digest()
        best = min(best, time.process_time() - start)
    return best / len(photos)


def _upload_item(outcomes: dict[str, Outcome], count: int, mean_mb: float,
                 scale: Scale, hashing: float) -> Item:
    item = Item("1", "Upload throughput", target="upload MB/s ≥ 0.6x nginx WebDAV PUT")
    refs = {"nginx": "nginx WebDAV PUT", "original": "original design view"}
    ours = outcomes["imgbackup"].upload
    for key, name in refs.items():
        ref = outcomes[key].upload
        item.row("throughput", "MB/s", ours.sent / MB / ours.wall, ref.sent / MB / ref.wall, name)
        item.row("photos per second", "photos/s", ours.count / ours.wall, ref.count / ref.wall,
                 name)
        item.row("latency p50", "ms", ours.percentile(50) * 1000, ref.percentile(50) * 1000,
                 name, higher_is_better=False)
        item.row("latency p99", "ms", ours.percentile(99) * 1000, ref.percentile(99) * 1000,
                 name, higher_is_better=False)
        item.row("server CPU per photo", "ms", outcomes["imgbackup"].upload_cpu / ours.count * 1000,
                 outcomes[key].upload_cpu / ref.count * 1000, name, higher_is_better=False)
    ours_cpu = outcomes["imgbackup"].upload_cpu / ours.count
    nginx_cpu = outcomes["nginx"].upload_cpu / outcomes["nginx"].upload.count
    client_cpu = outcomes["nginx"].client_cpu / outcomes["nginx"].upload.count
    ceiling = (client_cpu + nginx_cpu) / (client_cpu + nginx_cpu + hashing)
    item.row("server CPU per photo", "ms", ours_cpu * 1000, hashing * 1000,
             "SHA-256 + MD5 of the photo alone", higher_is_better=False)
    ratio = item.rows[0].ratio
    item.target_met = ratio is not None and ratio >= 0.6
    item.notes.append(
        f"The floor: every upload is hashed twice (SHA-256 names the object, MD5 answers the "
        f"original API's `?md5=`), {hashing * 1000:.1f} ms of CPU per photo on this machine "
        f"before anything is parsed or written, against {nginx_cpu * 1000:.1f} ms for all of "
        f"nginx's work, and {client_cpu * 1000:.1f} ms for the clients sending it. With the "
        f"two cores saturated by clients and server, throughput is inversely proportional to "
        f"their CPU per photo: a server doing nginx's work plus the two hashes and nothing "
        f"else would reach at most ~{ceiling:.2f}x nginx's throughput in this run "
        f"({'below' if ceiling < 0.6 else 'above'} the 0.6x target). "
        f"imgbackup's CPU per photo beyond the hashes is {(ours_cpu - hashing) * 1000:.1f} ms "
        f"(parsing, spooling, three fsyncs, identifying, the database).")
    item.notes.append(f"Profile of imgbackup receiving more of the same photos (py-spy, "
                      f"untimed pass): {outcomes['imgbackup'].profile}")
    item.notes.append(
        f"{count} distinct camera-like JPEGs ({scale.photo_size[0]}x{scale.photo_size[1]}, EXIF, "
        f"noisy content, {mean_mb:.1f} MB each on average), {scale.clients} concurrent "
        f"keep-alive clients, one photo per request, the three servers running side by side "
        f"and taking turns by batches of {2 * scale.clients}; imgbackup and the original view get "
        f"multipart POSTs to `{V1}`, nginx gets raw PUTs. Both Python servers run gunicorn "
        f"gthread with {servers.WORKERS} workers x {servers.THREADS} threads; nginx runs "
        f"{servers.WORKERS} worker processes. imgbackup fsyncs every photo and its SQLite "
        f"commit (synchronous=FULL) before answering; nginx and the original view do not.")
    return item


def _memory_item(outcomes: dict[str, Outcome], scale: Scale) -> Item:
    item = Item("2", f"Peak server RSS while receiving a {scale.big_upload_mb} MiB upload",
                target="imgbackup peak memory < 150 MB (judged on the PSS sum, see below)")
    ours, ref = outcomes["imgbackup"], outcomes["original"]
    item.row("peak RSS, all serving processes", "MB", ours.peak_rss / MB, ref.peak_rss / MB,
             "original design view", higher_is_better=False)
    item.row("RSS before the upload", "MB", ours.baseline_rss / MB, ref.baseline_rss / MB,
             "original design view", higher_is_better=False)
    item.row("growth of the RSS sum during the upload", "MB",
             (ours.peak_rss - ours.baseline_rss) / MB, (ref.peak_rss - ref.baseline_rss) / MB,
             "original design view", higher_is_better=False)
    item.row("peak PSS, all serving processes", "MB", ours.peak_pss / MB, ref.peak_pss / MB,
             "original design view", higher_is_better=False)
    item.row("peak RSS of the largest single process", "MB", ours.peak_single / MB,
             ref.peak_single / MB, "original design view", higher_is_better=False)
    item.row("PSS sum after use", "MB", ours.after_use_pss / MB, ref.after_use_pss / MB,
             "original design view", higher_is_better=False)
    # Judged on the memory really used (PSS); the RSS sum is above as asked, see the note.
    item.target_met = max(ours.peak_pss, ours.after_use_pss) / MB < 150
    item.notes.append(
        f"Sent: one multipart POST of {scale.big_upload_mb} MiB: a real 640x480 JPEG followed "
        f"by random junk up to the size (a JPEG decoder reads the header and stops). imgbackup "
        f"ran with IMGBACKUP_MAX_UPLOAD_MB={scale.big_upload_mb + 64} (IMGBACKUP_MAX_PIXELS "
        f"unchanged: the header says 640x480) and answered {ours.big_status}; the original "
        f"view answered {ref.big_status}. RSS is the sum of VmRSS over every process the "
        f"server started (imgbackup: the gunicorn master, its {servers.WORKERS} web workers, "
        f"the job workers' spawner and its job worker), read from /proc every 20 ms; PSS "
        f"(smaps_rollup) counts each page the forked processes share once, not once each. 'PSS "
        f"sum after use' is read once everything above was sent (item 1's uploads, downloads "
        f"and profiled pass, this upload) and the job queue is empty (item 1's thumbnails and "
        f"previews rendered): what the processes kept; the target holds for it too.")
    return item


def _download_item(outcomes: dict[str, Outcome], scale: Scale) -> Item:
    item = Item("3", "Download throughput of originals")
    ours = outcomes["imgbackup"].download
    for key, name in {"nginx": "nginx static", "original": "original design view"}.items():
        ref = outcomes[key].download
        item.row("throughput", "MB/s", ours.received / MB / ours.wall,
                 ref.received / MB / ref.wall, name)
        item.row("latency p50", "ms", ours.percentile(50) * 1000, ref.percentile(50) * 1000,
                 name, higher_is_better=False)
        item.row("latency p99", "ms", ours.percentile(99) * 1000, ref.percentile(99) * 1000,
                 name, higher_is_better=False)
    item.notes.append(
        f"Every uploaded photo fetched {scale.download_rounds} times over {scale.clients} "
        f"keep-alive clients: imgbackup `GET {V1}?md5=` (authenticated, owner-scoped lookup, "
        f"sendfile through gunicorn), nginx the same files from disk (sendfile), the original "
        f"view reads each file whole into memory.")
    return item
