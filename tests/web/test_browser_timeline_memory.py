"""Scrolling the whole timeline keeps the photos held in memory bounded (issue 15: "the page's
memory flat"): months far from the screen drop their photos, pages of a big month far from the
screen are folded (none of their photos kept), and both come back, with their thumbnails and the
selection, when scrolled to again. The page says what it holds on ``#timeline[data-loaded-items]``
(photos held) and ``[data-folded-items]`` (photos of folded pages, known by count). And the
DOM stays bounded wherever the scroll stops: every tile in it is within a screen of the
viewport (timeline.js MARGIN), however far the page was scrolled."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import start_server
from PIL import Image

from web.seeds import photos, seed
from web.test_browser import (  # noqa: F401 (browser: the module's fixture, shared)
    PASSWORD,
    _log_in,
    _new_page,
    _shot,
    browser,
    expect,
)

# The web app's own behaviour (see test_browser.py): run once, in the SQLite pass.
pytestmark = pytest.mark.backend_independent

PHOTOS = 3000
BIG = 1200  # the newest month: three pages of 500, so pages of one month are dropped too
SEED = seed(photos("memory", PHOTOS, "M%04d.JPG", "taken(i)"), prelude=f"""
newest = datetime(2024, 12, 31, 23, 0, tzinfo=UTC)
def taken(i):
    if i < {BIG}:
        return newest - timedelta(minutes=30 * i)
    return newest - timedelta(days=26, hours=8 * (i - {BIG}))
""")
HELD = """() => {
  const t = document.querySelector("#timeline");
  return [Number(t.dataset.loadedItems || 0), Number(t.dataset.foldedItems || 0)];
}"""
PAINTED = """() => {
  const imgs = [...document.querySelectorAll("#timeline .tile img")].filter((img) => {
    const r = img.getBoundingClientRect();
    return r.bottom > 0 && r.top < innerHeight;
  });
  return imgs.length > 0 && imgs.every((img) => img.complete && img.naturalWidth > 0);
}"""
HEIGHT = "() => parseFloat(document.querySelector('#timeline').style.height)"
# The tiles in the DOM farther than a screen (timeline.js MARGIN) from the viewport: none, once
# the render after a scroll has run (_until gives it its frame).
FAR_TILES = """() => [...document.querySelectorAll("#timeline .tile")].filter((node) => {
  const r = node.getBoundingClientRect();
  return r.bottom < -innerHeight - 1 || r.top > 2 * innerHeight + 1;
}).length"""


def _thumbnail() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 160)).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def _until(page: Any, script: str, timeout: float = 20) -> None:
    start = time.monotonic()
    while not page.evaluate(script):
        assert time.monotonic() - start < timeout, f"not true after {timeout} s: {script[:70]}"
        time.sleep(0.05)


def _scroll_through(page: Any, step: int, held: list[tuple[int, int]]) -> None:
    """Scroll by ``step`` px a screen at a time to the other end, noting what is held and that
    no tile far from the viewport stays in the DOM."""
    while True:
        before = page.evaluate("scrollY")
        page.evaluate(f"window.scrollBy(0, {step})")
        time.sleep(0.06)  # a frame or two: the render, and the fetches it starts
        held.append(tuple(page.evaluate(HELD)))
        _until(page, f"() => ({FAR_TILES})() === 0", timeout=5)
        if page.evaluate("scrollY") == before:
            return


def _seeded_page(browser: Any, server: Any, seed: str) -> Any:  # noqa: F811
    """alice's library made by ``seed``, and a page whose thumbnails the browser answers."""
    server.imgbackup("createuser", "alice", "--password", PASSWORD)
    server.imgbackup("shell", "-c", seed)
    page = _new_page(browser, 1280, 800)
    jpeg = _thumbnail()
    page.route("**/thumbnail", lambda route: route.fulfill(
        status=200, body=jpeg, headers={"Content-Type": "image/jpeg"}))
    return page


@pytest.mark.slow
def test_scrolling_the_whole_library_keeps_memory_bounded(browser: Any,  # noqa: F811
                                                          tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        page = _seeded_page(browser, server, SEED)
        _log_in(page, server.url, "alice")
        expect(page.locator("#timeline .tile").first).to_be_visible()
        _until(page, PAINTED)
        # A selection made at the top, before its photos are dropped.
        first = page.locator("#timeline .tile").first
        chosen = first.get_attribute("data-id")
        first.locator(".check").click()
        expect(page.locator("#selection-count")).to_have_text("1 photo selected")

        held: list[tuple[int, int]] = []
        _scroll_through(page, 700, held)
        assert page.locator(f'#timeline .tile[data-id="{chosen}"]').count() == 0
        height_at_bottom = page.evaluate(HEIGHT)
        _until(page, PAINTED)
        _scroll_through(page, -700, held)
        _until(page, "() => scrollY === 0")

        # Every photo was on screen once; never were more than about two pages held, nor
        # folded pages but the big month's.
        full_max = max(full for full, _ in held)
        folded_max = max(folded for _, folded in held)
        assert 0 < full_max <= 1200, held[-20:]
        assert folded_max <= BIG, held[-20:]
        # Back at the top: the thumbnails again, the page as tall as it was (no jump), the
        # selection kept and shown on its tile, fetched again.
        _until(page, PAINTED)
        assert page.evaluate(HEIGHT) == height_at_bottom
        tile = page.locator(f'#timeline .tile[data-id="{chosen}"]')
        expect(tile).to_have_class("tile selected")
        expect(tile.locator(".check")).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#selection-count")).to_have_text("1 photo selected")
        _shot(page, "timeline-memory-back-at-top.png")
        _viewer_steps_onto_a_dropped_page(page)
    finally:
        server.stop()


def _viewer_steps_onto_a_dropped_page(page: Any) -> None:
    """At the top the big month's later pages are folded: the viewer, stepping from the newest
    photo 500 times, reaches the first of them and shows it (fetched again), not a stub."""
    page.route("**/preview", lambda route: route.fulfill(status=404, body=""))
    page.keyboard.press("Escape")  # clear the selection: a click opens again
    assert page.evaluate(HELD)[1] > 0
    page.locator('#timeline .tile[data-id] .open').first.click()
    expect(page.locator("#viewer-filename")).to_have_text("M0000.JPG")
    page.evaluate("""() => { for (let i = 0; i < 500; i += 1) {
      document.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight" })); } }""")
    expect(page.locator("#viewer-filename")).to_have_text("M0500.JPG")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#viewer-filename")).to_have_text("M0501.JPG")


BURST = 3000  # one month of them: six pages of 500, narrow photos (17 to a row)
BURST_SEED = seed(
    photos("burst", BURST, "B%04d.JPG", "newest - timedelta(minutes=12 * i)", size=(1000, 3000)),
    photos("before", 40, "O%04d.JPG", "november - timedelta(hours=9 * i)"),
    prelude="newest = datetime(2024, 12, 31, 23, 0, tzinfo=UTC)\n"
            "november = datetime(2024, 11, 20, tzinfo=UTC)\n")
# The photo records the months hold: in full, plus the stubs of far pages that an earlier
# version kept (data-stub-items; a folded page keeps none).
RECORDS = """() => {
  const t = document.querySelector("#timeline");
  return Number(t.dataset.loadedItems || 0) + Number(t.dataset.stubItems || 0);
}"""
# The tiles on screen, in reading order: [file name, top in the timeline, left].
ON_SCREEN = """() => {
  const top = document.querySelector("#timeline").getBoundingClientRect().top;
  return [...document.querySelectorAll("#timeline .tile")]
    .map((node) => [node, node.getBoundingClientRect()])
    .filter(([, r]) => r.bottom > 0 && r.top < innerHeight)
    .sort(([, a], [, b]) => a.top - b.top || a.left - b.left)
    .map(([node, r]) => [node.querySelector(".open").title, Math.round(r.top - top),
      Math.round(r.left)]);
}"""


def _at_rest(page: Any, open_fetches: set[Any]) -> list[list[Any]]:
    """The tiles on screen once no month page is in flight and the page has drawn what came."""
    quiet = 0
    start = time.monotonic()
    while quiet < 2:
        assert time.monotonic() - start < 20, "month pages still in flight"
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => "
                      "requestAnimationFrame(done)))")
        quiet = 0 if open_fetches else quiet + 1
    _until(page, PAINTED)
    shown: list[list[Any]] = page.evaluate(ON_SCREEN)
    return shown


@pytest.mark.slow
def test_a_big_month_scrolled_past_holds_no_photo_of_its_far_pages(browser: Any,  # noqa: F811
                                                                   tmp_path: Path) -> None:
    """Through a month of 3 000 photos and back: the photo records held stay under three pages
    (a month of any size costs the same once scrolled past, month-pages.js), and back up every
    screen shows the same photos at the same places as on the way down (fetched again: no blank
    cell, no jump), in timeline order without a gap."""
    server = start_server(tmp_path)
    try:
        page = _seeded_page(browser, server, BURST_SEED)
        open_fetches: set[Any] = set()
        page.on("request", lambda r: "/timeline/buckets/" in r.url and open_fetches.add(r))
        page.on("requestfinished", lambda r: open_fetches.discard(r))
        page.on("requestfailed", lambda r: open_fetches.discard(r))
        _log_in(page, server.url, "alice")
        _until(page, PAINTED)

        down: list[tuple[int, list[list[Any]]]] = []
        records: list[int] = []
        while True:
            shown = _at_rest(page, open_fetches)
            down.append((page.evaluate("scrollY"), shown))
            records.append(page.evaluate(RECORDS))
            if page.evaluate("innerHeight + scrollY >= document.documentElement.scrollHeight - 2"):
                break
            page.evaluate("window.scrollBy(0, 1600)")
        assert any(name.startswith("O") for name, _, _ in down[-1][1])  # the month went by
        assert max(records) <= 1500, records
        assert page.evaluate(HELD)[1] >= 1500  # the month's far pages folded, by count

        for y, shown in reversed(down):
            page.evaluate(f"window.scrollTo(0, {y})")
            again = _at_rest(page, open_fetches)
            assert again == shown, (y, again[:3], shown[:3])
            numbers = [int(name[1:5]) for name, _, _ in shown if name.startswith("B")]
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers \
                else all(name.startswith("O") for name, _, _ in shown), (y, numbers)
        assert page.evaluate(RECORDS) <= 1500
    finally:
        server.stop()
