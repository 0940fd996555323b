"""The sandboxed side of video/sandbox.py:
``python -m imgbackup.video.child MEMORY_BYTES:CPU_SECONDS ACTION ARGS...``.

Limits itself first (address space and CPU seconds), then does one thing and prints one JSON
line. Never imports Django."""

from __future__ import annotations

import json
import resource
import sys
from typing import Any


def limit_myself(limits: str) -> None:
    memory, _, cpu = limits.partition(":")
    if memory.isdigit():
        resource.setrlimit(resource.RLIMIT_AS, (int(memory), int(memory)))
    if cpu.isdigit():
        resource.setrlimit(resource.RLIMIT_CPU, (int(cpu), int(cpu)))


def probe(path: str, demuxer: str, content_type: str, max_seconds: str) -> dict[str, Any]:
    from imgbackup.video.probe import UnsupportedVideo, VideoTooLong, read_video

    try:
        info = read_video(path, demuxer, content_type, float(max_seconds))
    except VideoTooLong as exc:
        return {"error": "too_long", "message": str(exc)}
    except UnsupportedVideo as exc:
        return {"error": "unsupported", "message": str(exc)}
    return {"video": info.to_json()}


def poster(path: str, demuxer: str, folder: str, sides: str) -> dict[str, Any]:
    from imgbackup.video.frames import poster_jpegs

    return {"poster": poster_jpegs(path, demuxer, folder, [int(s) for s in sides.split(",")])}


def transcode(path: str, demuxer: str, out: str, max_height: str) -> dict[str, Any]:
    from imgbackup.video import transcode

    try:
        mode = transcode.playable_copy(path, demuxer, out, int(max_height))
    except ValueError as exc:  # what the file is: said to the user as it is
        return {"error": str(exc)}
    except OSError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"written": out, "mode": mode}


ACTIONS: dict[str, Any] = {"probe": probe, "poster": poster, "transcode": transcode}


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in ACTIONS:
        print(json.dumps({"error": "usage", "message": f"actions: {', '.join(ACTIONS)}"}))
        return 2
    limit_myself(argv[0])
    answer = ACTIONS[argv[1]](*argv[2:])
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
