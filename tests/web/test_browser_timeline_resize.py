"""The window's width changed deep in a big month (a resize, a tablet turned): the month is laid
out again at the new width from what it keeps of its folded pages (each photo's shape,
month-pages.js), not fetched again from its first page: no request for its first pages, the
photo at the top of the screen still on screen, and the tiles on screen where a fresh load at
that width puts them."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import start_server

from web.seeds import photos, seed
from web.test_browser import _log_in, _new_page, _shot, browser  # noqa: F401 (the module's fixture)
from web.test_browser_timeline_memory import (
    HELD,
    PAINTED,
    _at_rest,
    _seeded_page,
    _thumbnail,
    _until,
)

pytestmark = pytest.mark.backend_independent

# One month of 3 000 photos (six pages of 500): landscape and narrow ones in turn, 12 minutes
# apart, so that rows break at other photos at another width.
SEED = seed(
    photos("wide", 1500, "W%04d.JPG", "newest - timedelta(minutes=24 * i)"),
    photos("tall", 1500, "T%04d.JPG", "newest - timedelta(minutes=24 * i + 12)", size=(1000, 3000)),
    prelude="newest = datetime(2024, 12, 31, 23, 0, tzinfo=UTC)\n")
MONTH = "/timeline/buckets/2024-12"
# The first tile whose top is on screen: the photo at the top of the screen.
TOP_TILE = """() => [...document.querySelectorAll("#timeline .tile")]
  .map((node) => [node.querySelector(".open").title, node.getBoundingClientRect()])
  .filter(([, r]) => r.top >= 0 && r.top < innerHeight)
  .sort(([, a], [, b]) => a.top - b.top || a.left - b.left)[0][0]"""
# How far the page goes on below the screen.
BELOW = "() => document.documentElement.scrollHeight - scrollY - innerHeight"
ON_SCREEN_NOW = """(name) => {
  const open = document.querySelector(`#timeline .tile .open[title="${name}"]`);
  const r = open?.getBoundingClientRect();
  return Boolean(r) && r.bottom > 0 && r.top < innerHeight;
}"""


def _watched(page: Any) -> tuple[set[Any], list[str]]:
    """The month's requests in flight, and every one made (its cursor, "" for the first page)."""
    open_fetches: set[Any] = set()
    cursors: list[str] = []

    def sent(request: Any) -> None:
        if MONTH in request.url:
            open_fetches.add(request)
            cursors.append(parse_qs(urlparse(request.url).query).get("cursor", [""])[0])

    page.on("request", sent)
    page.on("requestfinished", lambda r: open_fetches.discard(r))
    page.on("requestfailed", lambda r: open_fetches.discard(r))
    return open_fetches, cursors


def _jump_a_third_down(page: Any, open_fetches: set[Any]) -> None:
    """One jump a third down the timeline as estimated, then wait until the page is at rest."""
    page.evaluate("""() => {
      const box = document.querySelector("#timeline").getBoundingClientRect();
      window.scrollTo(0, scrollY + box.top + box.height / 3);
    }""")
    _at_rest(page, open_fetches)


@pytest.mark.slow
def test_a_width_change_deep_in_a_big_month_fetches_none_of_its_first_pages(
        browser: Any, tmp_path: Path) -> None:  # noqa: F811
    server = start_server(tmp_path)
    try:
        page = _seeded_page(browser, server, SEED)
        open_fetches, cursors = _watched(page)
        _log_in(page, server.url, "alice")
        _until(page, PAINTED)
        # One jump a third down the estimated month (about half of it as laid out): its pages
        # are fetched down to there, its first ones, far above, folded, and pages of it below.
        _jump_a_third_down(page, open_fetches)
        assert page.evaluate(f"({BELOW})()") > 10_000
        assert page.evaluate(HELD)[1] >= 1000, page.evaluate(HELD)
        first_pages = set(cursors[:3])  # the first page (no cursor) and the two after it
        assert "" in first_pages and len(first_pages) == 3, cursors
        top = page.evaluate(TOP_TILE)
        made = len(cursors)

        page.set_viewport_size({"width": 1000, "height": 800})
        shown = _at_rest(page, open_fetches)
        assert page.evaluate(ON_SCREEN_NOW, top), top
        assert not first_pages & set(cursors[made:]), cursors[made:]
        assert page.evaluate(HELD)[1] >= 1000, page.evaluate(HELD)  # still folded, by count
        _shot(page, "timeline-resized-deep.png")
        y = page.evaluate("scrollY")

        fresh = _new_page(browser, 1000, 800)
        jpeg = _thumbnail()
        fresh.route("**/thumbnail", lambda route: route.fulfill(
            status=200, body=jpeg, headers={"Content-Type": "image/jpeg"}))
        fresh_fetches, _ = _watched(fresh)
        _log_in(fresh, server.url, "alice")
        _until(fresh, PAINTED)
        fresh.evaluate(f"window.scrollTo(0, {y})")
        assert _at_rest(fresh, fresh_fetches) == shown
    finally:
        server.stop()


# Where the first row drawn begins, and where rows begin: [left, left].
FIRST_ROW = """() => {
  const boxes = [...document.querySelectorAll("#timeline .tile")]
    .map((node) => node.getBoundingClientRect());
  const top = Math.min(...boxes.map((r) => r.top));
  return [Math.min(...boxes.filter((r) => r.top === top).map((r) => r.left)),
          Math.min(...boxes.map((r) => r.left))];
}"""
# The tiles drawn, in timeline order (W0000, T0000, W0001, ...): their places in the month.
ORDER = """() => [...document.querySelectorAll("#timeline .tile .open")].map((b) => b.title)
  .filter((name) => /^[WT]\\d{4}/.test(name))
  .map((name) => 2 * Number(name.slice(1, 5)) + (name[0] === "T"))"""


@pytest.mark.slow
def test_a_folded_page_brought_on_screen_by_a_resize_is_drawn_once_fetched(
        browser: Any, tmp_path: Path) -> None:  # noqa: F811
    """After the window's width changed deep in a big month, scrolling up to its pages folded
    above: until the nearest is fetched again, the row that it shares with the first page held
    (laid out from the folded photos' shapes) draws only its photos held, with room left for the
    others and no error; once fetched, every photo of the screen is there, in order."""
    server = start_server(tmp_path)
    try:
        page = _seeded_page(browser, server, SEED)
        open_fetches, cursors = _watched(page)
        errors: list[Any] = []
        page.on("pageerror", lambda error: errors.append(error))
        _log_in(page, server.url, "alice")
        _until(page, PAINTED)
        _jump_a_third_down(page, open_fetches)
        assert page.evaluate(HELD)[1] >= 1000, page.evaluate(HELD)

        held: list[Any] = []  # folded pages asked for again, held back until let go
        refill = lambda url: MONTH in url and "cursor=" in url  # noqa: E731
        page.route(refill, lambda route: held.append(route))
        page.set_viewport_size({"width": 1000, "height": 800})
        _at_rest(page, open_fetches)
        for _ in range(200):  # up a screen at a time, until the folded page above is near
            if held:
                break
            page.evaluate("window.scrollBy(0, -700)")
            page.evaluate("() => new Promise((done) => requestAnimationFrame(() => "
                          "requestAnimationFrame(done)))")
        assert held, cursors  # a folded page came near the screen
        page.evaluate("() => new Promise((done) => requestAnimationFrame(done))")
        assert not errors, [e.stack for e in errors]
        first_row, leftmost = page.evaluate(FIRST_ROW)
        assert first_row > leftmost + 50, (first_row, leftmost)  # room left for the folded photos
        page.unroute(refill)
        for route in held:
            route.continue_()
        _at_rest(page, open_fetches)
        order = sorted(page.evaluate(ORDER))
        assert order == list(range(order[0], order[0] + len(order))), order
        assert not errors, errors
    finally:
        server.stop()


# A day whose first row begins on a folded page and, at the new width, ends on the page after
# (held): its heading is drawn with that page, its photos from the folded one standing in by
# their shapes; its tick takes the photos held, and no stand-in.
DAY_TICK = """async () => {
  const { Timeline } = await import("/static/web/js/timeline.js");
  const { Selection } = await import("/static/web/js/selection.js");
  const { emptyMonth, foldMonth, layoutPages, newPage } =
    await import("/static/web/js/month-pages.js");
  const photos = [];
  for (let i = 0; i < 1000; i += 1) {
    const day = i < 491 ? "2024-12-20" : "2024-12-19";
    photos.push({ id: `p${i}`, aspect: "1.0", taken_at: `${day}T12:00:00Z` });
  }
  const month = { ...emptyMonth("2024-12", 1000), cursor: null };
  month.pages.push(newPage(undefined, photos.slice(0, 500)), newPage("c", photos.slice(500)));
  month.layout = layoutPages(month, 1000, 210, 200); // the 19th's rows: 5 photos, 4 carried
  foldMonth(month, month.pages[1].span.bottom - 1, month.pages[1].span.bottom);
  month.layout = layoutPages(month, 3000, 210, 200); // its first row: 15, 9 on the folded page
  const day = month.layout.days[0];
  const selection = new Selection();
  const timeline = new Timeline(document.createElement("div"),
    { query: {}, onOpen() {}, onEmpty() {}, status: document.createElement("p"), selection });
  timeline.selectDay({ dayPhotos: day.photos });
  return [Boolean(month.pages[0].photos), day.key, day.continued,
    day.photos.filter((p) => p.stub).length, selection.size,
    [...selection.ids].every((id) => /^p\\d+$/.test(id))];
}"""


def test_a_days_tick_takes_its_photos_held_not_the_folded_ones(browser: Any,  # noqa: F811
                                                               tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        page = _new_page(browser, 800, 600)
        page.goto(f"{server.url}/login")
        # The first page folded; the 19th drawn with its heading, five of its nine photos of the
        # folded page standing in (four were carried by the page after): 4 + 500 ticked.
        assert page.evaluate(DAY_TICK) == [False, "2024-12-19", False, 5, 504, True]
    finally:
        server.stop()
