"""The timeline's headings as drawn in Chromium: a day of one portrait photo shows its whole
date ("Sun, November 29, 2026" was cut to "Sun, November 29, 2…"), and the scrubber's top
year label is below the toolbar, not partly under it."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from web.seeds import photos, seed
from web.test_browser import _shot, browser  # noqa: F401 (browser: the module's fixture)
from web.test_browser_timeline_deep import _alice_signed_in

pytestmark = pytest.mark.backend_independent

# Two days of one portrait photo each, side by side (the narrowest day blocks), then a photo a
# month back to 2021 so the library is tall enough for the scrubber to show its years.
SEED = seed(
    photos("single", 2, "P%04d.JPG", "datetime(2026, 11, 29 - i, 12, tzinfo=UTC)"),
    photos("months", 60, "M%04d.JPG", "datetime(2021 + i // 12, 1 + i % 12, 15, tzinfo=UTC)"),
) + 'Photo.objects.filter(filename__startswith="P").update(width=3000, height=4000)\n'

HEADS = """() => [...document.querySelectorAll("#timeline .day")].map((d) => {
  const box = d.getBoundingClientRect();
  return {day: d.dataset.day, text: d.querySelector("time").textContent,
          scroll: d.scrollWidth, client: d.clientWidth,
          timeScroll: d.querySelector("time").scrollWidth,
          timeClient: d.querySelector("time").clientWidth,
          left: box.left, right: box.right, top: box.top};
})"""


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_a_day_of_one_photo_shows_its_whole_date_and_the_top_year_is_below_the_toolbar(
        browser: Any, tmp_path: Path, width: int) -> None:  # noqa: F811
    with _alice_signed_in(browser, tmp_path, SEED, width=width) as page:
        page.locator('#timeline .day[data-day="2026-11-29"]').wait_for()
        page.locator('#timeline .day[data-day="2026-11-28"]').wait_for()
        heads = [h for h in page.evaluate(HEADS) if h["day"] in ("2026-11-29", "2026-11-28")]
        _shot(page, f"timeline-day-heads-{width}.png")

        assert [h["text"] for h in heads] == ["Sun, November 29, 2026", "Sat, November 28, 2026"]
        for head in heads:
            assert head["scroll"] <= head["client"], head  # the heading is not clipped
            assert head["timeScroll"] <= head["timeClient"], head  # nor is its date
        first, second = heads
        if first["top"] == second["top"]:  # side by side: neither runs into the other
            assert first["right"] <= second["left"], heads

        year = page.locator("#scrubber .scrubber-year").first
        year.wait_for()
        label = year.bounding_box()
        toolbar = page.locator(".toolbar").bounding_box()
        assert label["y"] >= toolbar["y"] + toolbar["height"], (label, toolbar)


# Five years of a photo a month, then three years of one photo each: on the bar those three
# years start a few pixels apart.
CROWDED = seed(
    photos("months", 60, "M%04d.JPG", "datetime(2021 + i // 12, 1 + i % 12, 15, tzinfo=UTC)"),
    photos("lonely", 3, "L%04d.JPG", "datetime(2019 - i, 6, 1, tzinfo=UTC)"),
)

LABELS = """() => [...document.querySelectorAll("#scrubber .scrubber-year")].map((m) => {
  const box = m.getBoundingClientRect();
  return {month: m.dataset.month, text: m.textContent, dot: m.classList.contains("scrubber-dot"),
          top: box.top, bottom: box.bottom};
})"""


@pytest.mark.slow
def test_the_scrubbers_year_labels_do_not_overlap_when_years_are_crowded(
        browser: Any, tmp_path: Path) -> None:  # noqa: F811
    with _alice_signed_in(browser, tmp_path, CROWDED, width=1280) as page:
        page.locator('#scrubber .scrubber-year[data-month="2017-06"]').wait_for(state="attached")
        marks = page.evaluate(LABELS)
        _shot(page, "timeline-scrubber-crowded.png")

        # Every year keeps its mark, newest first.
        assert [m["text"] for m in marks] == ["2025", "2024", "2023", "2022", "2021", "2019",
                                            "2018", "2017"], marks
        labels = [m for m in marks if not m["dot"]]
        for above, below in pairwise(labels):
            assert above["bottom"] <= below["top"], (above, below)  # no label over another
        assert any(m["dot"] for m in marks if m["month"] < "2020"), marks
        # A dot is still a year: pressed, it takes the timeline to that year.
        dot = page.locator('#scrubber .scrubber-year[data-month="2017-06"]')
        box = dot.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.locator('#timeline .month[data-month="2017-06"]').wait_for()
