"""Items 10 and 10b: a video's poster + preview, and its playable copy, against the ``ffmpeg``
command line doing the same on the same clips (Debian's ffmpeg; "not measured" without it).

- 10: thumbnail (256 px) and preview (1440 px) of a 4K H.264 clip, made as the server's job
  makes them (``video.frames.make_posters``: one sandboxed child, one decoded frame, both
  sizes), against one ``ffmpeg -i clip`` run writing both (``split``, two ``scale``s, one frame
  each). Median of a few rounds.
- 10b: frames per second of the playable copy. Remux (``video.transcode.make_playable`` of an
  H.264 MKV with Opus sound: video packets copied, sound to AAC) against ``ffmpeg -c:v copy
  -c:a aac``; transcode (the same call on an MPEG-2 transport stream, as camcorders record,
  which cannot be copied) against ``ffmpeg -vf scale -c:v libx264 -preset veryfast -crf 23``.

The clips are made in code with PyAV (bench/clips.py), once per run, in the scratch folder."""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench.clips import Clip, make_clip
from bench.report import Item
from bench.scales import Scale

FFMPEG = shutil.which("ffmpeg")
ROUNDS = 3
MEMORY_MB = 1536  # IMGBACKUP_VIDEO_MEMORY_MB's default
SIZES = {"thumbnail": 256, "preview": 1440}
NO_FFMPEG = "the ffmpeg command line is not installed (apt-get install ffmpeg)"


def measure(work: Path, scale: Scale) -> list[Item]:
    folder = work / "video"
    folder.mkdir(parents=True, exist_ok=True)
    h264 = make_clip(folder / "clip-h264.mkv", "h264", scale.video_size, scale.video_seconds)
    mpeg2 = make_clip(folder / "clip-mpeg2.ts", "mpeg2", scale.video_size,
                      scale.transcode_seconds)
    return [_posters(folder, h264, scale), _copies(folder, h264, mpeg2, scale)]


def _posters(folder: Path, clip: Clip, scale: Scale) -> Item:
    item = Item("10", "Video poster + preview per clip",
                target="≤ 1.2x the ffmpeg command line's time per clip")
    ours = _median(lambda: _our_posters(clip.path))
    theirs = _median(lambda: _ffmpeg_posters(clip.path, folder)) if FFMPEG else None
    if theirs is None:
        item.not_measured = NO_FFMPEG
    item.row("thumbnail + preview, per clip", "ms", ours * 1000,
             theirs * 1000 if theirs is not None else None, "ffmpeg CLI", False)
    ratio = item.rows[0].ratio
    item.target_met = None if ratio is None else ratio <= 1.2
    item.notes.append(
        f"{clip.describe()}{_scale_note(scale)}. imgbackup: `make_posters` at 256 and 1440 px, "
        f"as the thumbnail job calls it (a sandboxed child: Python and FFmpeg start-up, open, "
        f"first frame, upright, two JPEGs). ffmpeg: one process, `split` into two `scale=N:N:"
        f"force_original_aspect_ratio=decrease`, one frame each, `-q:v 3`. Median of {ROUNDS}.")
    return item


def _our_posters(path: Path) -> None:
    from imgbackup.video.frames import make_posters

    if make_posters(path, list(SIZES.values()), MEMORY_MB) is None:
        raise RuntimeError("no poster was made")


def _ffmpeg_posters(path: Path, folder: Path) -> None:
    assert FFMPEG is not None
    graph = f"[0:v]split={len(SIZES)}" + "".join(f"[{kind}]" for kind in SIZES) + ";" + ";".join(
        f"[{kind}]scale={size}:{size}:force_original_aspect_ratio=decrease[{kind}-out]"
        for kind, size in SIZES.items())
    outputs = [arg for kind in SIZES for arg in (
        "-map", f"[{kind}-out]", "-frames:v", "1", "-q:v", "3",
        str(folder / f"ffmpeg-{kind}.jpg"))]
    _run([FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(path), "-filter_complex", graph,
          *outputs])


def _copies(folder: Path, h264: Clip, mpeg2: Clip, scale: Scale) -> Item:
    item = Item("10b", "Playable copy speed",
                target="≥ 0.8x the ffmpeg command line's frames per second")
    rows = [("remux: H.264 MKV + Opus → MP4", h264, "remux",
             ["-c:v", "copy", *_AUDIO]),
            ("transcode: MPEG-2 TS → H.264 MP4", mpeg2, "transcode",
             ["-vf", f"scale=-2:'min({scale.max_height},ih)'", "-c:v", "libx264", "-preset",
              "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", *_AUDIO])]
    cpu: list[str] = []
    for metric, clip, mode, args in rows:
        # Remuxing is mostly reading and writing: the order of the two would favour the second
        # (its source in the page cache), so the remux runs ABBA and keeps each one's best.
        rounds = 2 if mode == "remux" else 1
        ours_runs, theirs_runs = [], []
        for turn in range(rounds):
            order = [True, False] if turn % 2 == 0 else [False, True]
            for mine in order:
                if mine:
                    ours_runs.append(_timed(partial(_our_copy, clip, folder, scale, mode)))
                elif FFMPEG:
                    theirs_runs.append(_timed(partial(_ffmpeg_copy, clip, folder, mode, args)))
        ours, theirs = min(ours_runs), min(theirs_runs) if theirs_runs else None
        item.row(metric, "frames/s", clip.frames / ours[0],
                 clip.frames / theirs[0] if theirs else None, "ffmpeg CLI", True)
        cpu.append(f"{mode} {ours[1]:.1f} s" + (f" (ffmpeg {theirs[1]:.1f} s)" if theirs else ""))
    if not FFMPEG:
        item.not_measured = NO_FFMPEG
    ratios = [row.ratio for row in item.rows]
    item.target_met = None if None in ratios else all(r is not None and r >= 0.8
                                                      for r in ratios)
    item.notes.append(
        f"Remux: {h264.describe()}; transcode: {mpeg2.describe()}{_scale_note(scale)}. "
        f"imgbackup: `make_playable` (the job's call: a sandboxed child, shorter side at most "
        f"{scale.max_height}), once each; ffmpeg: `-movflags +faststart`, AAC 128 kb/s "
        f"stereo 48 kHz, the same x264 settings. Frames per second of wall time; CPU "
        f"seconds (the child processes' user + system): {', '.join(cpu)}.")
    return item


_AUDIO = ["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", "-movflags",
          "+faststart"]


def _our_copy(clip: Clip, folder: Path, scale: Scale, mode: str) -> None:
    from imgbackup.video.transcode import make_playable

    made = make_playable(clip.path, folder / f"ours-{mode}.mp4", scale.max_height,
                         timeout=3600, memory_mb=MEMORY_MB)
    if made != mode:
        raise RuntimeError(f"{clip.path.name}: made by {made}, expected {mode}")


def _ffmpeg_copy(clip: Clip, folder: Path, mode: str, args: list[str]) -> None:
    assert FFMPEG is not None
    _run([FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(clip.path), *args,
          str(folder / f"ffmpeg-{mode}.mp4")])


def _timed(work: Callable[[], None]) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the child processes it ran (both do their work in
    one: the sandbox, or ffmpeg)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    work()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median(work: object) -> float:
    assert callable(work)
    work()  # warm-up: page cache, imports
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=3600)


def _scale_note(scale: Scale) -> str:
    if scale.video_seconds >= 60 and scale.video_size[0] >= 3840:
        return ""
    return (f" (scale `{scale.name}`: a smaller, shorter clip than the full run's 4K 60 s "
            f"one)")
