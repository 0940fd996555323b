"""Items 11-11d: resumable (tus) uploads of large files (issues #14 and #13).

- 11: one file sent with tus in chunks against the same size sent as one multipart POST:
  throughput, and the server's memory (RSS and PSS summed over the whole process tree).
- 11b: resume cost: a client killed half-way through a chunk, the upload continued by tuspy
  (a client written by others): bytes sent twice, against one chunk.
- 11c: server memory while a long video arrives, by tus and by one POST (#13: < 100 MB).
- 11d: what completion costs, local and on PostgreSQL + S3 (SeaweedFS): the last chunk's
  request (hashes, ingest) against a middle one's.

At ``full`` scale the files are 2 GiB in 100 MiB chunks (11d: 256 MiB in 32 MiB chunks, the
figure docs/api.md quotes); at ``tiny`` they are small and each item says so."""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import client, postgres, servers, tus_push
from bench.big_files import jpeg_with_junk, long_video
from bench.report import Item
from bench.scales import Scale

MIB = 1024 * 1024
V1 = "/api/v1.0/service/image/"
# Item 11's uploads, in this order: each side first once, neither always after the other
# (one pair measured the machine's state at that moment: 0.72-0.95x on the same code).
ORDER = ("tus", "post", "post", "tus", "tus", "post")
SETTLE_SECONDS = 3.0


@dataclass(frozen=True)
class Sizes:
    file: int
    chunk: int
    resume_chunks: int  # the resumed upload's size, in chunks
    video_frame: tuple[int, int]
    completion_file: int
    completion_chunk: int


SIZES = {"full": Sizes(2048 * MIB, 100 * MIB, 5, (1280, 720), 256 * MIB, 32 * MIB),
         "tiny": Sizes(24 * MIB, 4 * MIB, 5, (320, 240), 24 * MIB, 4 * MIB)}


@dataclass
class Sent:
    """One upload, timed, with the memory of the server's process tree while it ran."""

    wall: float
    size: int
    status: str
    baseline: int
    peak: int
    peak_pss: int
    baseline_pss: int
    chunk_seconds: tuple[float, ...] = ()
    dirty_before: float = 0.0  # MiB dirty or under write-back, machine-wide, at the start
    cpu: float = 0.0  # seconds of CPU used by the server's process tree meanwhile

    @property
    def cpu_ms_per_mib(self) -> float:
        return self.cpu * 1000 / (self.size / MIB)

    @property
    def mb_per_s(self) -> float:
        return self.size / MIB / self.wall

    @property
    def growth(self) -> float:
        return (self.peak - self.baseline) / MIB

    @property
    def pss_growth(self) -> float:
        return (self.peak_pss - self.baseline_pss) / MIB


def _sampled(server: servers.Server, size: int, send: Callable[[], tuple[str, tuple[
        float, ...]]]) -> Sent:
    pending = _settle()
    with servers.RssSampler(server.process.pid) as sampler:
        cpu = servers.tree_cpu_seconds(server.process.pid)
        start = time.perf_counter()
        status, chunks = send()
        wall = time.perf_counter() - start
        cpu = servers.tree_cpu_seconds(server.process.pid) - cpu
    return Sent(wall, size, status, sampler.baseline, sampler.peak, sampler.peak_pss,
                sampler.baseline_pss, chunks, pending, cpu)


def _settle() -> float:
    """The same start for every timed upload: earlier dirty pages written back (not on this
    upload's time), then a pause longer than the kernel's free-page reporting delay (2 s), so
    memory freed just before (the previous input file, deleted) has gone back to the host for
    every upload alike instead of being cheap to reuse for some. Dirty + Writeback left
    (MiB, the whole machine's) is returned for the note."""
    os.sync()
    time.sleep(SETTLE_SECONDS)
    return _dirty_mib()


def _dirty_mib() -> float:
    found = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            name, _, value = line.partition(":")
            if name in ("Dirty", "Writeback"):
                found += int(value.split()[0])
    return found / 1024


def by_tus(server: servers.Server, path: Path, chunk: int) -> Sent:
    def send() -> tuple[str, tuple[float, ...]]:
        pushed = tus_push.push(server.port, server.token, path, chunk)
        return ("kept" if pushed.photo_id else "not kept"), tuple(pushed.chunk_seconds)

    return _sampled(server, path.stat().st_size, send)


def by_post(server: servers.Server, body: Path, size: int) -> Sent:
    def send() -> tuple[str, tuple[float, ...]]:
        request = client.Request("POST", V1, body, (client.MULTIPART, *client.auth(server.token)))
        run = client.run(server.port, [request], clients=1, expect=lambda status: True)
        return str(next(iter(run.statuses))), ()

    return _sampled(server, size, send)


@contextmanager
def _server(work: Path, size: int, extra: dict[str, str] | None = None,
            ) -> Iterator[servers.Server]:
    # No job workers: the RSS is the web server's (a worker making a poster after the upload
    # would be counted in the next upload's memory).
    env = {"IMGBACKUP_MAX_UPLOAD_MB": str(size // MIB + 64), "IMGBACKUP_JOB_WORKERS": "0",
           **(extra or {})}
    with servers.imgbackup(work, env) as server:
        yield server


def measure(work: Path, scale: Scale) -> Iterator[Item]:
    sizes = SIZES.get(scale.name, SIZES["tiny"])
    files = work / "tus-files"
    files.mkdir(parents=True, exist_ok=True)
    with _server(work / "tus-server", sizes.file) as server:
        _warm_up(server, files)
        _discard(server)
        tus, post = _alternated(server, files, sizes)
        yield _throughput_item(tus, post, sizes, scale)
        yield _resume_item(server, files, sizes, scale)
        video = long_video(files / "tus.mp4", sizes.file, 3, sizes.video_frame)
        video_tus = by_tus(server, video, sizes.chunk)
        video.unlink()
        _discard(server)
        body = long_video(files / "post-video.bin", sizes.file, 4, sizes.video_frame, True)
        video_post = by_post(server, body, sizes.file)
        body.unlink()
        _discard(server)
    yield _video_item(video_tus, video_post, sizes, scale)
    yield completion_item(work, files, sizes, scale)


def _alternated(server: servers.Server, files: Path,
                sizes: Sizes) -> tuple[list[Sent], list[Sent]]:
    """Item 11's uploads in ``ORDER``, each of a file made just before it (different bytes
    every time, as a new file; made and deleted the same way for both sides)."""
    runs: dict[str, list[Sent]] = {"tus": [], "post": []}
    for number, side in enumerate(ORDER):
        if side == "tus":
            path = jpeg_with_junk(files / "tus.jpg", sizes.file, 1 + 10 * number)
            runs[side].append(by_tus(server, path, sizes.chunk))
        else:
            path = jpeg_with_junk(files / "post.bin", sizes.file, 2 + 10 * number, multipart=True)
            runs[side].append(by_post(server, path, sizes.file))
        path.unlink()
        _discard(server)
    return runs["tus"], runs["post"]


def _discard(server: servers.Server) -> None:
    """Destroy what was uploaded (trash, then emptied from it: the original's bytes leave the
    disk), after the upload's timed span and before the next one's settling: a full-scale run
    then holds one 2 GiB upload at a time, not all of them until it ends."""
    client.destroy_all(server.port, server.token)


def _median_run(runs: list[Sent]) -> Sent:
    return sorted(runs, key=lambda run: run.wall)[len(runs) // 2]


def _warm_up(server: servers.Server, files: Path) -> None:
    """A few small uploads of each kind first, on separate connections so that both workers
    see them: a worker's first request of a kind imports its modules, which is not the
    memory of the upload measured next."""
    for seed in range(4):
        small = jpeg_with_junk(files / "warm.jpg", 2 * MIB, 100 + seed)
        tus_push.push(server.port, server.token, small, MIB)
        body = jpeg_with_junk(files / "warm.bin", 2 * MIB, 200 + seed, multipart=True)
        client.run(server.port, [client.Request(
            "POST", V1, body, (client.MULTIPART, *client.auth(server.token)))], clients=1)
    (files / "warm.jpg").unlink()
    (files / "warm.bin").unlink()


def _scale_note(scale: Scale, sizes: Sizes) -> str:
    if scale.name == "full":
        return ""
    return (f" **Scale `{scale.name}`: small files ({sizes.file // MIB} MiB in "
            f"{sizes.chunk // MIB} MiB chunks), to check the harness only; `full` sends 2 GiB "
            f"in 100 MiB chunks.**")


def _throughput_item(tus_runs: list[Sent], post_runs: list[Sent], sizes: Sizes,
                     scale: Scale) -> Item:
    item = Item("11", f"tus upload of {sizes.file // MIB} MiB in {sizes.chunk // MIB} MiB "
                "chunks vs one multipart POST", target="throughput ≥ 0.8x the POST; memory flat")
    post_name = "one multipart POST of the same size"
    tus, post = _median_run(tus_runs), _median_run(post_runs)
    item.row(f"throughput (median of {len(tus_runs)})", "MB/s", tus.mb_per_s, post.mb_per_s,
             post_name)
    item.row("server CPU per MiB (median)", "ms",
             statistics.median(run.cpu_ms_per_mib for run in tus_runs),
             statistics.median(run.cpu_ms_per_mib for run in post_runs), post_name,
             higher_is_better=False)
    # Memory: the largest of the runs of each side (the target is about the worst).
    item.row("growth of the RSS sum during the upload", "MB",
             max(run.growth for run in tus_runs), max(run.growth for run in post_runs),
             post_name, higher_is_better=False)
    item.row("growth of the PSS sum during the upload", "MB",
             max(run.pss_growth for run in tus_runs), max(run.pss_growth for run in post_runs),
             post_name, higher_is_better=False)
    item.row("peak RSS, whole process tree", "MB", max(run.peak for run in tus_runs) / MIB,
             max(run.peak for run in post_runs) / MIB, post_name, higher_is_better=False)
    middle = statistics.median(tus.chunk_seconds[:-1]) if len(tus.chunk_seconds) > 1 else None
    item.row("last chunk (completion) vs a middle chunk", "s", tus.chunk_seconds[-1], middle,
             "median of the other chunks", higher_is_better=False)
    ratio = item.rows[0].ratio
    item.target_met = (ratio is not None and ratio >= 0.8
                       and max(run.growth for run in tus_runs) < 100)
    runs = {"tus": iter(tus_runs), "post": iter(post_runs)}
    ordered = [(side, next(runs[side])) for side in ORDER]  # as they were made
    each = ", ".join(f"{side} {run.mb_per_s:.0f} ({run.cpu_ms_per_mib:.2f})"
                     for side, run in ordered)
    left = " / ".join(f"{run.dirty_before:.0f}" for _, run in ordered)
    item.notes.append(
        f"Both send a real 640x480 JPEG followed by noise, {sizes.file // MIB} MiB, different "
        f"bytes each, to one `imgbackup serve` (gunicorn, {servers.WORKERS} workers x "
        f"{servers.THREADS} threads, no job workers, SQLite, local disk), warmed up first by "
        f"4 small uploads of each kind. tus: creation then "
        f"{len(tus.chunk_seconds)} PATCHes on one keep-alive connection (bench/tus_push.py, "
        f"sendfile); the wall time runs from the creation to the last answer, which includes "
        f"completion (hashes carried from chunk to chunk, ingest, hard link into originals/). "
        f"POST: `{V1}`, answered {post.status}; tus: {tus.status}. {len(ORDER)} uploads "
        f"alternated, in this order: {each} (MB/s, and the server tree's ms of CPU per MiB); "
        f"each of a new file made just before it and deleted after it, the photo destroyed "
        f"after it is timed (trash, then emptied from it: the original leaves the disk); "
        f"before each, the same settling: `sync`, then {SETTLE_SECONDS:.0f} s "
        f"(longer than the kernel's 2 s free-page reporting delay: the memory freed by the "
        f"previous file is back with the host for every upload alike; the machine's Dirty + "
        f"Writeback then: {left} MiB). Throughput is each side's median run, the chunk times "
        f"are that tus run's; memory is the largest of each side's runs, summed over the "
        f"server's whole process tree, sampled every 20 ms." + _scale_note(scale, sizes))
    return item


def _resume_item(server: servers.Server, files: Path, sizes: Sizes, scale: Scale) -> Item:
    size = sizes.chunk * sizes.resume_chunks
    path = jpeg_with_junk(files / "resume.jpg", size, 5)
    kill_at = int(sizes.chunk * 2.5)
    sent, location = _killed_client(server, path, sizes.chunk, kill_at)
    offset = _settled_offset(server, location)
    photo_id = _resume_with_tuspy(server, path, location, sizes.chunk)
    whole = _file_digest(path, "sha256")
    again = sent - offset
    stored = _stored_sha256(server, path)
    path.unlink()
    _discard(server)
    item = Item("11b", "Resume cost: a tus client killed half-way through a chunk",
                target="bytes sent again ≤ one chunk; the stored bytes identical")
    item.row("bytes sent again after the kill", "MB", again / MIB, sizes.chunk / MIB,
             "one chunk", higher_is_better=False)
    item.row("bytes sent again after the kill", "MB", again / MIB, sent / MIB,
             "one multipart POST killed at the same point (starts from 0)",
             higher_is_better=False)
    identical = photo_id == whole == stored
    item.target_met = again <= sizes.chunk and identical
    item.notes.append(
        f"A {size // MIB} MiB file in {sizes.chunk // MIB} MiB chunks. The client "
        f"(bench/tus_push.py, its own process) was killed with SIGKILL after handing "
        f"{sent / MIB:.1f} MiB to its socket, half-way through chunk 3; the server kept what "
        f"had arrived (HEAD: offset {offset / MIB:.1f} MiB). tuspy 1.1.0 then continued the "
        f"upload from HEAD's offset. Photo id {'=' if photo_id == whole else '≠'} SHA-256 of "
        f"the file; the stored original read back "
        f"{'is' if stored == whole else 'is NOT'} byte-identical."
        + _scale_note(scale, sizes))
    return item


def _killed_client(server: servers.Server, path: Path, chunk: int,
                   kill_at: int) -> tuple[int, str]:
    """Run the client until it kills itself after ``kill_at`` bytes: (bytes it had handed to
    its socket, the upload URL)."""
    child = subprocess.run(
        [sys.executable, "-m", "bench.tus_push", str(server.port), server.token, str(path),
         str(chunk), str(kill_at)], capture_output=True, text=True, cwd=servers.ROOT,
        timeout=900)
    sent, location = 0, ""
    for line in child.stdout.splitlines():
        word, _, value = line.strip().partition(" ")
        if word == "location":
            location = value
        elif word == "sent":
            sent = int(value)
    if child.returncode != -signal.SIGKILL or not location:
        raise RuntimeError(f"the client was not killed as planned ({child.returncode}, "
                           f"{sent} bytes sent): {child.stderr[-500:]}")
    return sent, location


def _settled_offset(server: servers.Server, location: str) -> int:
    """HEAD's offset once the server has counted the killed request's bytes (it commits them
    when it sees the connection drop)."""
    last, steady_since = -1, time.monotonic()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        offset = tus_push.head_offset(server.port, server.token, location)
        if offset != last:
            last, steady_since = offset, time.monotonic()
        elif time.monotonic() - steady_since > 2:
            return offset
        time.sleep(0.2)
    return last


def _resume_with_tuspy(server: servers.Server, path: Path, location: str, chunk: int) -> str:
    from tusclient import client as tus

    uploads = tus.TusClient(f"{server.url}/api/v2/uploads/",
                            headers={"Authorization": f"Bearer {server.token}"})
    uploader = uploads.uploader(str(path), url=f"{server.url}{location}", chunk_size=chunk)
    while uploader.offset < uploader.stop_at:
        uploader.upload_chunk()
    return str(uploader.request.response_headers.get("imgbackup-photo-id", ""))


def _stored_sha256(server: servers.Server, path: Path) -> str:
    """The stored original, read back through the original API, hashed."""
    md5 = _file_digest(path, "md5")
    conn = http.client.HTTPConnection(servers.HOST, server.port, timeout=300)
    try:
        conn.request("GET", f"{V1}?md5={md5}", headers=dict(client.auth(server.token)))
        answer, digest = conn.getresponse(), hashlib.sha256()
        for piece in iter(lambda: answer.read(MIB), b""):
            digest.update(piece)
        return digest.hexdigest() if answer.status == 200 else f"HTTP {answer.status}"
    finally:
        conn.close()


def _file_digest(path: Path, name: str) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, name).hexdigest()


def _video_item(tus: Sent, post: Sent, sizes: Sizes, scale: Scale) -> Item:
    item = Item("11c", f"Server memory while a {sizes.file // MIB} MiB video arrives",
                target="the server grows by < 100 MB (issue #13)")
    limit = "the #13 limit (100 MB)"
    item.row("growth of the RSS sum, tus", "MB", tus.growth, 100, limit, higher_is_better=False)
    item.row("growth of the RSS sum, one POST", "MB", post.growth, 100, limit,
             higher_is_better=False)
    item.row("growth of the PSS sum, tus", "MB", tus.pss_growth, 100, limit,
             higher_is_better=False)
    item.row("growth of the PSS sum, one POST", "MB", post.pss_growth, 100, limit,
             higher_is_better=False)
    item.row("throughput, tus vs one POST", "MB/s", tus.mb_per_s, post.mb_per_s,
             "one multipart POST")
    item.target_met = max(tus.growth, post.growth) < 100
    item.notes.append(
        f"A real H.264 MP4 ({sizes.video_frame[0]}x{sizes.video_frame[1]}, one second of "
        f"encoded noise muxed again and again, moov at the end as phones write it), "
        f"{sizes.file // MIB} MiB, sent by tus in {sizes.chunk // MIB} MiB chunks (kept: "
        f"{tus.status}) and, a different one, as one POST to `{V1}` (answered {post.status}). "
        f"Identified by FFmpeg in ingest's sandboxed child process, which is part of the tree "
        f"measured; job workers off, so the poster made afterwards is not counted."
        + _scale_note(scale, sizes))
    return item


def completion_item(work: Path, files: Path, sizes: Sizes, scale: Scale) -> Item:
    item = Item("11d", "What completing a tus upload costs (last chunk vs a middle one)")
    path = jpeg_with_junk(files / "complete.jpg", sizes.completion_file, 6)
    with _server(work / "complete-local", sizes.completion_file) as server:
        local = tus_push.push(server.port, server.token, path, sizes.completion_chunk)
    _completion_rows(item, "local disk, SQLite", local)
    with _s3_env() as (env, why_not):
        if env is None:
            item.notes.append(f"PostgreSQL + S3 not measured: {why_not}")
        else:
            again = jpeg_with_junk(files / "complete-s3.jpg", sizes.completion_file, 7)
            with _server(work / "complete-s3", sizes.completion_file, env) as server:
                s3 = tus_push.push(server.port, server.token, again, sizes.completion_chunk)
            _completion_rows(item, "PostgreSQL + S3 (SeaweedFS)", s3)
            again.unlink()
    path.unlink()
    item.notes.append(
        f"{sizes.completion_file // MIB} MiB (a JPEG and noise) in "
        f"{sizes.completion_chunk // MIB} MiB chunks, server and stores on this machine. The "
        f"last chunk's answer waits for completion: the SHA-256 and MD5 carried from chunk to "
        f"chunk are finished (the file is not read again to hash it), then ingest identifies "
        f"and keeps the file: locally a hard link; on S3 the multipart upload is assembled, "
        f"fetched once into the local spool (ingest identifies from a local file) and copied "
        f"under its hash inside the store." + _scale_note(scale, sizes))
    return item


def _completion_rows(item: Item, where: str, pushed: tus_push.Pushed) -> None:
    middle = statistics.median(pushed.chunk_seconds[1:-1] or pushed.chunk_seconds[:1])
    item.row(f"last chunk, {where}", "s", pushed.chunk_seconds[-1], middle,
             "a middle chunk (median)", higher_is_better=False)


@contextmanager
def _s3_env() -> Iterator[tuple[dict[str, str] | None, str]]:
    """IMGBACKUP_* variables of a throwaway PostgreSQL + SeaweedFS, or (None, why not)."""
    try:
        backends = postgres._backends()
    except (ImportError, OSError) as exc:
        yield None, str(exc)
        return
    database, store = backends.Postgres(), backends.SeaweedFS()
    with ExitStack() as stack:
        try:
            stack.enter_context(backends.running(database, store))
        except backends.BackendMissing as exc:
            yield None, str(exc)
            return
        yield {"IMGBACKUP_DATABASE_URL": database.url, **store.env()}, ""
