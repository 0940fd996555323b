"""A photo the server keeps but cannot make a thumbnail of (over the render budget: a pixel
bomb, issue 18) shows as a tile that says so in the web timeline, the same size as its
neighbours, and the tiles beside it still paint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from bombs import jpeg_grey
from conftest import start_server

from web.test_browser import (  # noqa: F401 (browser: the module's fixture, shared)
    PASSWORD,
    _log_in,
    _new_page,
    _photo,
    _shot,
    _upload_as,
    browser,
    expect,
)

# The web app's own behaviour (see test_browser.py): run once, in the SQLite pass.
pytestmark = pytest.mark.backend_independent

# A 4000 x 4000 progressive JPEG holds 32 MB of coefficients while it decodes: over this budget,
# while the small photo beside it is far under.
BUDGET_MB = "8"


@pytest.mark.slow
def test_a_photo_without_preview_shows_a_clear_tile_in_the_timeline(
        browser: Any, tmp_path: Path) -> None:  # noqa: F811
    server = start_server(tmp_path, {"IMGBACKUP_RENDER_MEMORY_MB": BUDGET_MB})
    try:
        server.imgbackup("createuser", "alice", "--password", PASSWORD)
        good = _photo(tmp_path, "good.jpg", 1, "2024:05:10 12:00:00", "A")
        bomb = tmp_path / "bomb.jpg"
        bomb.write_bytes(jpeg_grey(4000, 4000, progressive=True))
        good_id, bomb_id = _upload_as(server, "alice", [good, bomb])
        token = server.imgbackup("token", "alice").strip().splitlines()[-1]
        answer = httpx.get(f"{server.url}/api/v2/photos/{bomb_id}/thumbnail", timeout=60,
                           headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "no_preview"

        page = _new_page(browser, 1280, 800)
        _log_in(page, server.url, "alice")
        tile = page.locator(f'#timeline .tile[data-id="{bomb_id}"]')
        expect(tile.locator(".no-thumb")).to_have_text("no preview")
        expect(tile.locator("img")).to_have_count(0)  # no broken-image icon left behind
        box = tile.bounding_box()
        assert box is not None and box["width"] > 60 and box["height"] > 60, box
        painted = page.locator(f'#timeline .tile[data-id="{good_id}"] img')
        expect(painted).to_be_visible()
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0",
                               arg=painted.element_handle())
        # Still a photo like the others: it opens in the viewer, and can be selected.
        tile.locator(".check").click()
        expect(tile).to_have_class("tile selected")
        _shot(page, "timeline-no-preview.png")
    finally:
        server.stop()
