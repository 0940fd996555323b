"""Albums and share links in a real browser (Chromium via Playwright) against a real
``imgbackup serve``: make an album from photos, share it with a user and by a password link,
open the link in a fresh context the size of a phone, then see the revoked link gone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LiveServer, make_jpeg

from web.test_browser import _new_page, browser, expect  # noqa: F401 (browser is a fixture)

LINK_PASSWORD = "wedding-2026"


def _log_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-password-123")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{url}/")


@pytest.mark.slow
def test_an_album_is_shared_with_a_user_and_by_a_link(browser: Any,  # noqa: F811
                                                     server: LiveServer,
                                                     tmp_path: Path) -> None:
    token = server.user_with_token("alice")
    server.user_with_token("bob")
    auth = {"Authorization": f"Bearer {token}"}
    files = [("file", (f"IMG_{n}.jpg", make_jpeg(n, (320, 240)), "image/jpeg")) for n in (1, 2)]
    httpx.post(f"{server.url}/api/v2/photos", files=files, headers=auth).raise_for_status()

    page = _new_page(browser, 1200, 900)
    _log_in(page, server.url, "alice")
    page.click("text=Albums")
    page.fill("#album-name", "Trip")
    page.click("#new-album button[type=submit]")
    expect(page).to_have_url(re.compile(r"/albums/[A-Za-z0-9_-]{16,}$"))
    page.click("#add-photos")
    expect(page.locator("#picker-grid .pick")).to_have_count(2)
    for tile in page.locator("#picker-grid .pick").all():
        tile.click()
    page.click("#picker-add")
    expect(page.locator("#album-grid .pv-open")).to_have_count(2)

    page.fill("#member-form input[name=username]", "bob")
    page.click("#member-form button[type=submit]")
    expect(page.locator("#members")).to_contain_text("bob (viewer)")
    page.fill("#link-form input[name=password]", LINK_PASSWORD)
    page.click("#link-form button[type=submit]")
    expect(page.locator("#new-link")).to_contain_text("/s/")
    url = page.locator("#new-link").inner_text().strip()

    shared = httpx.get(f"{server.url}/api/v2/albums", headers={
        "Authorization": f"Bearer {server.imgbackup('token', 'bob').strip().splitlines()[-1]}"})
    assert [(a["name"], a["role"]) for a in shared.json()["items"]] == [("Trip", "viewer")]

    guest = _new_page(browser, 375, 740, is_mobile=True, has_touch=True)
    guest.goto(url)
    expect(guest.locator("#unlock")).to_be_visible()
    expect(guest.locator("#shared-grid .pv-open")).to_have_count(0)
    guest.fill("#share-password", "not it")
    guest.click("#unlock button[type=submit]")
    expect(guest.locator("#shared-status")).to_contain_text("wrong password")
    guest.fill("#share-password", LINK_PASSWORD)
    guest.click("#unlock button[type=submit]")
    expect(guest.locator("#shared-grid .pv-open")).to_have_count(2)
    expect(guest.locator("#shared-title")).to_have_text("Trip")
    expect(guest.locator("#download-all")).to_be_visible()
    guest.locator("#shared-grid .pv-open").first.click()
    expect(guest.locator(".pv")).to_be_visible()
    expect(guest.locator(".pv-image")).to_have_js_property("complete", True)
    assert guest.locator(".pv-image").evaluate("img => img.naturalWidth") > 0
    guest.keyboard.press("Escape")
    expect(guest.locator(".pv")).to_be_hidden()
    assert guest.evaluate("document.documentElement.scrollWidth") <= 375
    # "Download all": the page's cookie opens the ZIP, as a click on the link would.
    archive = guest.request.get(server.url + guest.locator("#download-all").get_attribute("href"))
    assert archive.status == 200 and archive.headers["content-type"] == "application/zip"
    assert archive.body()[:2] == b"PK"

    _a_guest_uploads(browser, server, auth, url, tmp_path)

    key = url.rsplit("/", 1)[-1]
    httpx.delete(f"{server.url}/api/v2/shares/{key}", headers=auth).raise_for_status()
    answer = guest.goto(url)
    assert answer is not None and answer.status == 404
    fresh = _new_page(browser, 375, 740)
    assert fresh.request.get(f"{server.url}/api/v2/s/{key}").status == 404


def _a_guest_uploads(browser: Any, server: LiveServer, auth: dict[str, str], url: str,  # noqa: F811
                     tmp_path: Path) -> None:
    """A second link to the same album lets guests upload: one photo from a phone arrives in
    the album, marked as a guest upload."""
    album_id = httpx.get(f"{server.url}/api/v2/albums", headers=auth).json()["items"][0]["id"]
    link = httpx.post(f"{server.url}/api/v2/shares", headers=auth,
                      json={"album": album_id, "allow_upload": True}).json()
    photo = tmp_path / "from-a-guest.jpg"
    photo.write_bytes(make_jpeg(33, (200, 150)))
    guest = _new_page(browser, 375, 740, is_mobile=True, has_touch=True)
    guest.goto(link["url"])
    expect(guest.locator("#shared-grid .pv-open")).to_have_count(2)
    guest.set_input_files("#guest-files", str(photo))
    guest.click("#guest-upload button[type=submit]")
    expect(guest.locator("#shared-status")).to_contain_text("1 sent")
    expect(guest.locator("#shared-grid .pv-open")).to_have_count(3)
    items = httpx.get(f"{server.url}/api/v2/albums/{album_id}", headers=auth).json()["items"]
    assert sorted(i["guest_upload"] for i in items) == [False, False, True]
