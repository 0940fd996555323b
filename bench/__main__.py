"""``make bench``: run every benchmark against its reference and write BENCHMARKS.md and
bench/results.json. An item whose code has not landed is reported "not measured", and an item
that fails is reported as failed: the run always completes."""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench import (
    background,
    cli,
    imaging,
    ingest,
    library,
    pinning,
    report,
    resumable,
    search,
    timeline,
    transfer,
    video,
)
from bench.report import Item
from bench.scales import SCALES, Scale

ANALYSIS = Path(__file__).resolve().parent / "analysis.md"
PREAMBLE = """\
# Benchmarks

Written by `make bench` (package `bench/`, figures also in `bench/results.json`); do not edit
by hand. Every figure is set beside a reference measured in the same run on the same machine,
and the ratio is imgbackup's figure divided by the reference's: the machine is shared and
noisy, so ratios are what to compare between runs, not absolute figures.
"""

Step = tuple[tuple[str, ...], Callable[[Path, Scale], Iterable[Item]]]
STEPS: list[Step] = [
    (("1", "2", "3"), transfer.measure),
    (("1b",), ingest.measure),
    (("4",), lambda work, scale: [imaging.measure(work, scale)]),
    (("5", "6"), library.measure),
    (("7",), lambda work, scale: [cli.measure(work, scale)]),
    (("8",), search.measure),
    (("9", "9b"), timeline.measure),
    (("10", "10b"), video.measure),
    (("10c",), background.measure),
    (("11", "11b", "11c", "11d"), resumable.measure),
]
TITLES = {"1": "Upload throughput",
          "1b": "Ingest against the hardware floor", "2": "Peak server RSS during a huge upload",
          "3": "Download throughput of originals", "4": "Thumbnail + preview generation",
          "5": "List latency", "5b": "List latency (PostgreSQL)", "6": "/api/v2/photos/check",
          "7": "CLI re-push", "8": "Search filters", "8b": "Search filters (PostgreSQL)",
          "9": "Timeline in Chromium (SQLite)", "9b": "Timeline skeleton endpoints",
          "10": "Video poster + preview per clip", "10b": "Playable copy speed",
          "10c": "Thumbnails after an upload",
          "11": "tus upload vs one multipart POST", "11b": "Resume cost of a killed tus client",
          "11c": "Server memory during a huge video upload",
          "11d": "What completing a tus upload costs"}


def item_number(key: str) -> str:
    """"9b" -> "9", "11d" -> "11": ``--only 11`` asks for 11, 11b, 11c..."""
    return key.rstrip("abcdefghijklmnopqrstuvwxyz")


def run_step(keys: tuple[str, ...], measure: Callable[[Path, Scale], Iterable[Item]],
             work: Path, scale: Scale) -> list[Item]:
    start = time.perf_counter()
    print(f"bench: items {', '.join(keys)} ...", file=sys.stderr, flush=True)
    try:
        items = list(measure(work, scale))
    except Exception as exc:  # one broken item must not stop the others
        traceback.print_exc()
        items = [Item(key, TITLES[key], not_measured=f"the benchmark failed: "
                      f"{type(exc).__name__}: {str(exc)[:400]}") for key in keys]
    spent = time.perf_counter() - start
    for item in items:
        item.seconds = spent / len(items)
        status = item.not_measured or ", ".join(
            f"{r.metric}: {report.fmt(r.ratio)}x" for r in item.rows[:2])
        print(f"bench: {item.key}. {item.title}: {status}", file=sys.stderr, flush=True)
    return items


def write_markdown(items: list[Item], env: dict[str, Any], path: Path) -> None:
    analysis = ANALYSIS.read_text() if ANALYSIS.exists() else ""
    path.write_text(report.render_markdown(items, env, PREAMBLE, analysis))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--only", default="", help="comma-separated item numbers, e.g. 1,5")
    parser.add_argument("--out", type=Path, default=None,
                        help="write BENCHMARKS.md and results.json here instead of the repo")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--pin", action="store_true",
                        help="servers on half of the CPUs, the bench's clients on the other "
                             "half (taskset)")
    parser.add_argument("--search-sizes", default="",
                        help="library sizes for item 8 instead of the scale's, e.g. 10000,100000")
    parser.add_argument("--search-engines", default="",
                        help="databases for item 8: sqlite,postgresql (the default) or one")
    parser.add_argument("--timeline-sizes", default="",
                        help="library sizes for items 9 and 9b, e.g. 10000,100000,1000000")
    parser.add_argument("--timeline-engines", default="",
                        help="databases for item 9b: sqlite,postgresql (the default) or sqlite")
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: write BENCHMARKS.md again from results.json "
                             "(after editing bench/analysis.md)")
    args = parser.parse_args(argv)
    # Stopped from outside: unwind, so every server started so far is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.render:
        items, env = report.load_json()
        write_markdown(items, env, report.BENCHMARKS_MD)
        return 0
    scale = SCALES[args.scale]
    if args.search_sizes:
        sizes = tuple(int(size) for size in args.search_sizes.split(","))
        scale = dataclasses.replace(scale, search_sizes=sizes)
    if args.search_engines:
        engines = tuple(args.search_engines.split(","))
        scale = dataclasses.replace(scale, search_engines=engines)
    if args.timeline_sizes:
        sizes = tuple(int(size) for size in args.timeline_sizes.split(","))
        scale = dataclasses.replace(scale, timeline_sizes=sizes)
    if args.timeline_engines:
        engines = tuple(args.timeline_engines.split(","))
        scale = dataclasses.replace(scale, timeline_engines=engines)
    cpus = len(os.sched_getaffinity(0))
    if args.pin:
        pinning.pin()
    wanted = set(filter(None, args.only.split(",")))
    work = Path(tempfile.mkdtemp(prefix="imgbackup-bench-"))
    started = time.perf_counter()
    items: list[Item] = []
    try:
        for keys, measure in STEPS:
            if wanted and not wanted & (set(keys) | {item_number(k) for k in keys}):
                continue
            items += [i for i in run_step(keys, measure, work, scale)
                      if not wanted or item_number(i.key) in wanted or i.key in wanted]
    finally:
        if args.keep:
            print(f"bench: scratch folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    items.sort(key=lambda item: (int(item_number(item.key)), item.key))
    env = report.environment(scale.name, time.perf_counter() - started, cpus,
                             pinning.describe())
    md_path = (args.out / "BENCHMARKS.md") if args.out else report.BENCHMARKS_MD
    json_path = (args.out / "results.json") if args.out else report.RESULTS_JSON
    json_path.parent.mkdir(parents=True, exist_ok=True)
    report.write_json(items, env, json_path)
    write_markdown(items, env, md_path)
    print(f"bench: wrote {md_path} and {json_path} in {env['total_seconds']:.0f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
