"""Results: each item holds rows of (imgbackup's figure, the reference's, their ratio), written
as bench/results.json and BENCHMARKS.md."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_JSON = ROOT / "bench" / "results.json"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"


@dataclass
class Row:
    metric: str
    unit: str
    imgbackup: float | None
    reference: float | None
    reference_name: str
    higher_is_better: bool

    @property
    def ratio(self) -> float | None:
        if self.imgbackup is None or not self.reference:
            return None
        return self.imgbackup / self.reference

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


@dataclass
class Item:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    not_measured: str = ""
    target: str = ""
    target_met: bool | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def row(self, metric: str, unit: str, imgbackup: float | None, reference: float | None,
            reference_name: str, higher_is_better: bool = True) -> Row:
        row = Row(metric, unit, imgbackup, reference, reference_name, higher_is_better)
        self.rows.append(row)
        return row

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title,
                "measured": not self.not_measured,
                "not_measured": self.not_measured or None,
                "target": self.target, "target_met": self.target_met,
                "rows": [r.as_dict() for r in self.rows], "notes": self.notes,
                "seconds": round(self.seconds, 1)}


def load_json(path: Path = RESULTS_JSON) -> tuple[list[Item], dict[str, Any]]:
    """The items and environment of a previous run, to render its Markdown again."""
    data = json.loads(path.read_text())
    items = []
    for raw in data["items"]:
        item = Item(raw["key"], raw["title"], not_measured=raw["not_measured"] or "",
                    target=raw["target"], target_met=raw["target_met"], notes=raw["notes"],
                    seconds=raw["seconds"])
        item.rows = [Row(r["metric"], r["unit"], r["imgbackup"], r["reference"],
                         r["reference_name"], r["higher_is_better"]) for r in raw["rows"]]
        items.append(item)
    return items, data["environment"]


def _git_head() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, check=True, timeout=10)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def environment(scale_name: str, total_seconds: float, cpus: int | None = None,
                pinned: str = "") -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git_head(),
        "scale": scale_name,
        "cpus": cpus or len(os.sched_getaffinity(0)),
        "pinned": pinned,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "total_seconds": round(total_seconds, 1),
    }


def write_json(items: list[Item], env: dict[str, Any], path: Path = RESULTS_JSON) -> None:
    path.write_text(json.dumps({"environment": env, "items": [i.as_dict() for i in items]},
                               indent=2) + "\n")


def fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "ms" or abs(value) < 10:
        text = f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    else:
        text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.1f}"
    return text


def ratio_text(row: Row) -> str:
    if row.ratio is None:
        return "—"
    return f"{row.ratio:.2f}x"


def render_markdown(items: list[Item], env: dict[str, Any], preamble: str,
                    analysis: str) -> str:
    lines = [preamble.rstrip(), "",
             f"Last run: {env['date']}, commit `{env['commit']}`, scale `{env['scale']}`, "
             f"{env['cpus']} CPUs, load average {env['load_average']}, Python "
             f"{env['python']}, {env['total_seconds']:.0f} s in all"
             f"{'; ' + env['pinned'] if env.get('pinned') else ''}.", "",
             "| # | item | target | met? |", "| --- | --- | --- | --- |"]
    for item in items:
        met = ("not measured" if item.not_measured else
               "yes" if item.target_met else "no" if item.target_met is False else "—")
        lines.append(f"| {item.key} | {item.title} | {item.target or '—'} | {met} |")
    for item in items:
        lines += ["", f"## {item.key}. {item.title}", ""]
        if item.not_measured:
            lines.append(f"Not measured: {item.not_measured}")
        if item.rows:
            lines += ["| measure | imgbackup | reference | reference figure | ratio |",
                      "| --- | ---: | --- | ---: | ---: |"]
            for row in item.rows:
                better = "higher" if row.higher_is_better else "lower"
                lines.append(
                    f"| {row.metric} ({row.unit}, {better} is better) | "
                    f"{fmt(row.imgbackup, row.unit)} | {row.reference_name} | "
                    f"{fmt(row.reference, row.unit)} | {ratio_text(row)} |")
        if item.target:
            lines += ["", f"Target: {item.target}."]
        lines += [f"\n{note}" for note in item.notes]
    lines += ["", analysis.rstrip(), ""]
    return "\n".join(lines)
