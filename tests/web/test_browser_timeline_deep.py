"""A jump deep into a big month (a scrubber drag, a scroll bar dragged) shows that part of the
month: the timeline keeps loading the month's pages until the screen is covered, without
waiting for another scroll. (Found by bench item 9 at 1 000 000 photos: a scrubber jump
68 000 px into a month of 6 000 photos stayed empty.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import start_server

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

PHOTOS = 1600  # four pages of 500 in one month


def _big_month(last_day: str) -> str:
    """The big month: a photo every 20 minutes back from ``last_day`` (``Y, M, D``)."""
    return photos("deep", PHOTOS, "D%04d.JPG",
                  f"datetime({last_day}, tzinfo=UTC) - timedelta(minutes=20 * i)")


SEED = seed(_big_month("2024, 5, 31"))
VISIBLE = """() => [...document.querySelectorAll("#timeline .tile .open")].filter((b) => {
  const r = b.getBoundingClientRect();
  return r.bottom > 0 && r.top < innerHeight;
}).map((b) => Number(b.title.slice(1, 5)))"""


@contextmanager
def _alice_signed_in(browser: Any, tmp_path: Path, script: str,  # noqa: F811
                     width: int = 1280) -> Iterator[Any]:
    """A server whose alice has the photos ``script`` makes, and her page, signed in. No
    thumbnails are stored: each is answered with nothing, quickly."""
    server = start_server(tmp_path)
    try:
        server.imgbackup("createuser", "alice", "--password", PASSWORD)
        server.imgbackup("shell", "-c", script)
        page = _new_page(browser, width, 800)
        page.route("**/thumbnail", lambda route: route.fulfill(status=404, body=""))
        _log_in(page, server.url, "alice")
        yield page
    finally:
        server.stop()


@pytest.mark.slow
def test_a_jump_deep_into_a_big_month_shows_its_photos(browser: Any,  # noqa: F811
                                                       tmp_path: Path) -> None:
    with _alice_signed_in(browser, tmp_path, SEED) as page:
        expect(page.locator('#timeline .month[data-month="2024-05"]')).to_be_visible()
        expect(page.locator("#timeline .tile").first).to_be_visible()
        # One jump, no scrolling after it: 85 % down the month, past its second page.
        page.evaluate("""() => {
          const box = document.querySelector("#timeline").getBoundingClientRect();
          window.scrollTo(0, scrollY + box.top + box.height * 0.85);
        }""")
        page.wait_for_function(f"() => ({VISIBLE})().length > 0", timeout=20_000)
        shown = page.evaluate(VISIBLE)
        assert min(shown) > 1000, shown  # the part of the month jumped to, from page 3 on
        _shot(page, "timeline-deep-jump.png")


# The big month in July 2020, then a photo a month from 2021 to 2024 (years on the scrubber).
YEARS_SEED = seed(_big_month("2020, 7, 31"), photos(
    "later", 48, "L%04d.JPG", "datetime(2021 + i // 12, 1 + i % 12, 15, tzinfo=UTC)"))


@pytest.mark.slow
def test_a_year_label_pressed_lands_at_the_start_of_that_year(browser: Any,  # noqa: F811
                                                              tmp_path: Path) -> None:
    """Pressed anywhere on "2020", the scrubber shows 2020's newest month from its heading,
    not the spot of the label under the pointer (in a big month, pages of photos deep)."""
    with _alice_signed_in(browser, tmp_path, YEARS_SEED) as page:
        year = page.locator('#scrubber .scrubber-year[data-month="2020-07"]')
        expect(year).to_have_text("2020")
        box = year.bounding_box()
        page.mouse.move(box["x"] + 5, box["y"] + box["height"] - 1)  # its lower edge
        page.mouse.down()
        page.mouse.up()
        expect(page.locator('#timeline .month[data-month="2020-07"]')).to_be_in_viewport()
        page.wait_for_function(f"() => ({VISIBLE})().includes(0)", timeout=20_000)
        assert min(page.evaluate(VISIBLE)) == 0  # D0000, the month's newest photo
        _shot(page, "timeline-year-label.png")
