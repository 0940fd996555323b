"""Items 10 and 10b: a video's poster + preview, and its playable copy, against the ``ffmpeg``
command line doing the same on the same clips (Debian's ffmpeg; "not measured" without it).

- 10: thumbnail (256 px) and preview (1440 px) of a 4K H.264 clip, made as the server's jobs
  make them (``video.frames.make_poster``, one sandboxed child each), against two ``ffmpeg -i
  clip -frames:v 1 -vf scale=...`` runs. Median of a few rounds.
- 10b: frames per second of the playable copy. Remux (``video.transcode.make_playable`` of an
  H.264 MKV with Opus sound: video packets copied, sound to AAC) against ``ffmpeg -c:v copy
  -c:a aac``; transcode (the same call on an MPEG-2 transport stream, as camcorders record,
  which cannot be copied) against ``ffmpeg -vf scale -c:v libx264 -preset veryfast -crf 23``.

The clips are made in code with PyAV (bench/clips.py), once per run, in the scratch folder."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import time
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
        f"{clip.describe()}{_scale_note(scale)}. imgbackup: `make_poster` at 256 and at "
        f"1440 px, as the two background jobs call it (each a sandboxed child: Python and "
        f"FFmpeg start-up, open, first frame, upright, JPEG). ffmpeg: two processes, `-frames:v "
        f"1 -vf scale=N:N:force_original_aspect_ratio=decrease -q:v 3`. Median of {ROUNDS}.")
    return item


def _our_posters(path: Path) -> None:
    from imgbackup.video.frames import make_poster

    for size in SIZES.values():
        if make_poster(path, size, MEMORY_MB) is None:
            raise RuntimeError("no poster was made")


def _ffmpeg_posters(path: Path, folder: Path) -> None:
    assert FFMPEG is not None
    for kind, size in SIZES.items():
        _run([FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(path), "-frames:v", "1",
              "-vf", f"scale={size}:{size}:force_original_aspect_ratio=decrease",
              "-q:v", "3", str(folder / f"ffmpeg-{kind}.jpg")])


def _copies(folder: Path, h264: Clip, mpeg2: Clip, scale: Scale) -> Item:
    item = Item("10b", "Playable copy speed",
                target="≥ 0.8x the ffmpeg command line's frames per second")
    rows = [("remux: H.264 MKV + Opus → MP4", h264, "remux",
             ["-c:v", "copy", *_AUDIO]),
            ("transcode: MPEG-2 TS → H.264 MP4", mpeg2, "transcode",
             ["-vf", f"scale=-2:'min({scale.max_height},ih)'", "-c:v", "libx264", "-preset",
              "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", *_AUDIO])]
    for metric, clip, mode, args in rows:
        ours = _our_copy(clip, folder / f"ours-{mode}.mp4", scale.max_height, mode)
        theirs = _ffmpeg_copy(clip, folder / f"ffmpeg-{mode}.mp4", args) if FFMPEG else None
        item.row(metric, "frames/s", clip.frames / ours,
                 clip.frames / theirs if theirs else None, "ffmpeg CLI", True)
    if not FFMPEG:
        item.not_measured = NO_FFMPEG
    ratios = [row.ratio for row in item.rows]
    item.target_met = None if None in ratios else all(r is not None and r >= 0.8
                                                      for r in ratios)
    item.notes.append(
        f"Remux: {h264.describe()}; transcode: {mpeg2.describe()}{_scale_note(scale)}. "
        f"imgbackup: `make_playable` (the job's call: a sandboxed child, shorter side at most "
        f"{scale.max_height}), once each; ffmpeg: `-movflags +faststart`, AAC 128 kb/s "
        f"stereo 48 kHz, the same x264 settings. Frames per second of wall time.")
    return item


_AUDIO = ["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", "-movflags",
          "+faststart"]


def _our_copy(clip: Clip, out: Path, max_height: int, mode: str) -> float:
    from imgbackup.video.transcode import make_playable

    start = time.perf_counter()
    made = make_playable(clip.path, out, max_height, timeout=3600, memory_mb=MEMORY_MB)
    seconds = time.perf_counter() - start
    if made != mode:
        raise RuntimeError(f"{clip.path.name}: made by {made}, expected {mode}")
    return seconds


def _ffmpeg_copy(clip: Clip, out: Path, args: list[str]) -> float:
    assert FFMPEG is not None
    start = time.perf_counter()
    _run([FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(clip.path), *args, str(out)])
    return time.perf_counter() - start


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
