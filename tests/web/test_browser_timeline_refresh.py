"""The timeline's refresh in Chromium fetches again the months whose content changed even when
their counts did not: a Live Photo's clip that arrives after its still's tile was drawn gives
that tile its LIVE badge without a reload (the clip adds no tile: the month's count stays), and
the old tile stays on screen until the month's fresh page has come (no flash). A favourite set
on another device shows when the page becomes visible again.

A month that changed while the reader is in the middle of it is swapped in without moving what
is on screen.

No timing luck: the clip is sent through the API only after the page has drawn the still, the
refresh is the one an upload through the page starts, and the month's fetch again is held
until the test has looked at the page meanwhile."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import videos
from conftest import LiveServer

from web.seeds import photos, seed

from .test_browser import _choose_files, _log_in, _new_page, _photo, browser, expect

__all__ = ["browser"]  # the module-scoped Chromium, shared with test_browser.py

pytestmark = pytest.mark.backend_independent


def _send(server: LiveServer, token: str, path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        answer = httpx.post(f"{server.url}/api/v2/photos", files={"file": (path.name, f)},
                            headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert answer.status_code in {200, 201}, answer.text
    return dict(answer.json()["items"][0])


@pytest.mark.slow
def test_a_clip_sent_after_its_stills_tile_was_drawn_gives_it_the_live_badge_without_reload(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    token = server.user_with_token("alice")
    page = _new_page(browser, 1280, 860)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, server.url, "alice", "alice-password-123")
    still, clip = tmp_path / "IMG_0100.JPG", tmp_path / "IMG_0100.MOV"
    still.write_bytes(videos.live_still(seed=4))
    clip.write_bytes(videos.live_clip(seed=4))
    tiles = page.locator("#timeline .tile")

    # The still through the page: its tile is drawn by the refresh the upload starts.
    _choose_files(page, [str(still)])
    expect(page.locator("#upload-summary")).to_contain_text("1 uploaded")
    expect(tiles).to_have_count(1)
    expect(page.locator("#timeline .badge.live")).to_have_count(0)

    # The clip from elsewhere (another device, the CLI): paired at once, no tile of its own.
    _send(server, token, clip)
    photos = httpx.get(f"{server.url}/api/v2/photos",
                       headers={"Authorization": f"Bearer {token}"}).json()["items"]
    assert [p["has_motion"] for p in photos] == [True]
    month = photos[0]["taken_at"][:7]

    # Hold the still's month's page when it is fetched again, to look at the page meanwhile.
    held: list[Any] = []
    fetched_again = re.compile(rf".*/api/v2/timeline/buckets/{month}(\?.*)?$")
    page.route(fetched_again, lambda route: held.append(route))

    # Another photo (another month) through the page: the refresh its upload starts.
    _choose_files(page, [str(_photo(tmp_path, "old.jpg", 1, "2019:03:10 10:00:00", "A"))])
    expect(page.locator("#upload-summary")).to_contain_text("1 uploaded")
    expect(tiles).to_have_count(2)  # the refresh ran: the new month is drawn
    live = page.locator("#timeline .tile:has(.badge.live)")
    # (Playwright delivers the route before the other month's answer that drew the tile.)
    assert held, "the changed month was not fetched again (its count did not change)"
    # Meanwhile the still's tile stays as it was: no flash of an empty month.
    expect(page.locator('#timeline .tile:has(button.open[title="IMG_0100.JPG"])')).to_have_count(1)
    expect(live).to_have_count(0)
    for route in held:
        route.continue_()
    page.unroute(fetched_again)
    expect(live).to_have_count(1)
    expect(live.locator("button.open")).to_have_attribute("title", "IMG_0100.JPG")

    # A favourite set elsewhere shows when the page is visible again (back to the tab).
    still_id = photos[0]["id"]
    httpx.patch(f"{server.url}/api/v2/photos/{still_id}", json={"favourite": True},
                headers={"Authorization": f"Bearer {token}"}).raise_for_status()
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator(f'#timeline .tile.favourite[data-id="{still_id}"]')).to_have_count(1)
    expect(live).to_have_count(1)
    assert errors == []
    page.context.close()


# Two months of 300 photos each (one page each), newest first: June, then May.
SEED = seed(
    photos("june", 300, "J%04d.JPG", "datetime(2024, 6, 28, tzinfo=UTC) - timedelta(hours=2 * i)"),
    photos("may", 300, "M%04d.JPG", "datetime(2024, 5, 28, tzinfo=UTC) - timedelta(hours=2 * i)"),
)
# Resolves once the frame after the scroll has been drawn (the timeline renders in one).
DRAWN = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
TOP_TILE = """() => {
  const top = document.querySelector(".toolbar").getBoundingClientRect().bottom;
  const tiles = [...document.querySelectorAll("#timeline .tile")]
    .map((t) => ({ id: t.dataset.id, y: t.getBoundingClientRect().top }))
    .filter((t) => t.y >= top).sort((a, b) => a.y - b.y);
  return { first: tiles[0], scroll: scrollY };
}"""


@pytest.mark.slow
def test_a_month_changed_elsewhere_is_swapped_in_without_moving_the_screen(
        browser: Any, server: LiveServer) -> None:
    token = server.user_with_token("alice")
    server.imgbackup("shell", "-c", SEED)
    auth = {"Authorization": f"Bearer {token}"}
    page = _new_page(browser, 1280, 800)
    page.route("**/thumbnail", lambda route: route.fulfill(status=404, body=""))
    _log_in(page, server.url, "alice", "alice-password-123")
    expect(page.locator("#timeline .tile").first).to_be_visible()
    # Into the middle of June: its heading far above the screen.
    page.evaluate("""() => {
      const june = document.querySelector('#timeline .month[data-month="2024-06"]');
      window.scrollBy(0, june.getBoundingClientRect().top + 6000);
    }""")
    page.evaluate(DRAWN)
    before = page.evaluate(TOP_TILE)
    june = httpx.get(f"{server.url}/api/v2/timeline/buckets/2024-06?limit=500",
                     headers=auth).json()["items"]
    assert before["first"]["id"] in [p["id"] for p in june[60:]]  # deep in the month

    # Elsewhere: the photo at the top of the screen, and one above it, marked favourite.
    for photo_id in (before["first"]["id"], june[0]["id"]):
        httpx.patch(f"{server.url}/api/v2/photos/{photo_id}", json={"favourite": True},
                    headers=auth).raise_for_status()
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    top_id = before["first"]["id"]
    expect(page.locator(f'#timeline .tile.favourite[data-id="{top_id}"]')).to_have_count(1)
    page.evaluate(DRAWN)
    after = page.evaluate(TOP_TILE)
    assert after == before
    page.context.close()
