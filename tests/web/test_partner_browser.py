"""Partner photos in one's own timeline, "Add to album" from the viewer, and the owner's review
of guest uploads, in a real browser (Chromium via Playwright) against a real ``imgbackup
serve``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import LiveServer, make_jpeg

from web.test_browser import _log_in, _new_page, browser, expect  # noqa: F401 (a fixture)


def _send(server: LiveServer, auth: dict[str, str], *seeds: int) -> list[str]:
    files = [("file", (f"IMG_{n}.jpg", make_jpeg(n, (320, 240)), "image/jpeg")) for n in seeds]
    answer = httpx.post(f"{server.url}/api/v2/photos", files=files, headers=auth)
    answer.raise_for_status()
    return [item["id"] for item in answer.json()["items"]]


@pytest.mark.slow
def test_partner_photos_albums_from_the_viewer_and_guest_uploads(
        browser: Any, server: LiveServer) -> None:  # noqa: F811
    alice = {"Authorization": f"Bearer {server.user_with_token('alice')}"}
    bob = {"Authorization": f"Bearer {server.user_with_token('bob')}"}
    (mine,) = _send(server, alice, 1)
    (theirs,) = _send(server, bob, 2)
    httpx.post(f"{server.url}/api/v2/partners", json={"username": "alice"},
               headers=bob).raise_for_status()

    page = _new_page(browser, 1200, 900)
    _log_in(page, server.url, "alice", "alice-password-123")
    expect(page.locator("#timeline .tile")).to_have_count(1)
    _show_bobs_photos(page, server.url)
    _bobs_photo_is_read_only(page, theirs)
    _add_to_album_from_the_viewer(page, server, alice, mine)
    _review_a_guest_upload(page, server, alice)


def _show_bobs_photos(page: Any, url: str) -> None:
    page.goto(url + "/albums")
    row = page.locator("#shared-with-me li[data-partner=bob]")
    expect(row).to_be_visible()
    with page.expect_response(lambda r: "/api/v2/partners/bob" in r.url and r.ok):
        row.locator("input[type=checkbox]").check()
    page.goto(url + "/")
    expect(page.locator("#timeline .tile")).to_have_count(2)


def _bobs_photo_is_read_only(page: Any, theirs: str) -> None:
    tile = page.locator(f"#timeline .tile[data-id='{theirs}']")
    expect(tile.locator(".badge.owner")).to_have_text("bob")
    expect(tile.locator(".check")).to_have_count(0)  # never selected for a bulk action
    tile.locator(".open").click()
    expect(page.locator("#viewer")).to_be_visible()
    expect(page.locator("#viewer-image")).to_have_js_property("complete", True)
    assert page.locator("#viewer-image").evaluate("img => img.naturalWidth") > 0
    expect(page.locator("#viewer-meta")).to_contain_text("Shared by")
    for action in ("#viewer-favourite", "#viewer-delete", "#viewer-album"):
        expect(page.locator(action)).to_be_hidden()
    expect(page.locator("#viewer-download")).to_have_attribute(
        "href", f"/api/v2/partners/bob/photos/{theirs}/original?download=1")
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_be_hidden()


def _add_to_album_from_the_viewer(page: Any, server: LiveServer, auth: dict[str, str],
                                  mine: str) -> None:
    page.locator(f"#timeline .tile[data-id='{mine}'] .open").click()
    expect(page.locator("#viewer-album")).to_be_visible()
    page.click("#viewer-album")
    expect(page.locator("#album-dialog")).to_be_visible()
    page.fill("#album-name", "From the viewer")
    page.click("#album-dialog button[value=add]")
    expect(page.locator("#toast-text")).to_contain_text("Added to From the viewer.")
    expect(page.locator("#viewer")).to_be_visible()  # still looking at the photo
    albums = httpx.get(f"{server.url}/api/v2/albums", headers=auth).json()["items"]
    assert [(a["name"], a["count"]) for a in albums] == [("From the viewer", 1)]
    # Again, into the album now listed: added once.
    page.click("#viewer-album")
    page.select_option("#album-choice", label="From the viewer")
    page.click("#album-dialog button[value=add]")
    expect(page.locator("#toast-text")).to_contain_text("Added to From the viewer.")
    album = httpx.get(f"{server.url}/api/v2/albums/{albums[0]['id']}", headers=auth).json()
    assert [i["id"] for i in album["items"]] == [mine]
    page.keyboard.press("Escape")


def _review_a_guest_upload(page: Any, server: LiveServer, auth: dict[str, str]) -> None:
    album_id = httpx.get(f"{server.url}/api/v2/albums", headers=auth).json()["items"][0]["id"]
    link = httpx.post(f"{server.url}/api/v2/shares", headers=auth,
                      json={"album": album_id, "allow_upload": True}).json()
    sent = httpx.post(f"{server.url}/api/v2/s/{link['key']}/upload", files=[
        ("file", ("from-a-guest.jpg", make_jpeg(44, (200, 150)), "image/jpeg"))])
    assert sent.status_code == 201, sent.text
    (guest_id,) = sent.json()["ids"]
    page.goto(f"{server.url}/albums/{album_id}")
    grid = page.locator("#album-grid .pv-tile")
    expect(grid).to_have_count(2)
    expect(page.locator("#album-grid .pv-badge")).to_have_count(1)
    expect(page.locator("#guest-count")).to_have_text("1 guest upload.")
    page.click("#guest-only")
    expect(grid).to_have_count(1)
    grid.first.locator(".pv-open").click()
    page.click(".pv-tools >> text=Move to trash")
    expect(page.locator("#album-status")).to_contain_text("to your trash")
    expect(page.locator("#guest-review")).to_be_hidden()
    expect(grid).to_have_count(1)
    trashed = httpx.get(f"{server.url}/api/v2/photos/{guest_id}", headers=auth).json()
    assert trashed["trashed_at"] is not None  # in the owner's trash, restorable
