"""The web app in a real browser (Debian's Chromium driven by Playwright) against a real
``imgbackup serve``: what a person does on the first day, end to end."""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, LiveServer, make_jpeg
from PIL import Image, ImageOps

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "first-admin-pass-phrase"
# A name that would run script if any page built HTML from it.
EVIL_NAME = "<img src=x onerror=alert(1)>.jpg"  # (a " would reach the server as %22)

pytestmark = pytest.mark.slow


def _unavailable(reason: str) -> None:
    if os.environ.get("IMGBACKUP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (IMGBACKUP_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(f"browser tests skipped: {reason} (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (make install-test)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _photo(folder: Path, name: str, seed: int, taken: str, model: str) -> Path:
    """A JPEG with EXIF date and camera, and a file time on the same day."""
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0110] = model  # Model
    exif.get_ifd(0x8769)[0x9003] = taken  # DateTimeOriginal
    path = folder / name
    light = ((seed * 97) % 256, (seed * 57 + 120) % 256, (seed * 23 + 200) % 256)
    picture = ImageOps.colorize(Image.linear_gradient("L").rotate(seed * 50).resize((320, 240)),
                                black=(20, 30, 60), white=light)
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=85, exif=exif.tobytes())
    path.write_bytes(buf.getvalue())
    stamp = time.mktime(time.strptime(taken, "%Y:%m:%d %H:%M:%S"))
    os.utime(path, (stamp, stamp))
    return path


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)


def test_a_person_backs_up_browses_trashes_and_restores(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    files = [
        _photo(tmp_path, "beach.jpg", 1, "2024:07:14 10:00:00", "Model A"),
        _photo(tmp_path, EVIL_NAME, 2, "2024:07:14 18:30:00", "Model B"),
        _photo(tmp_path, "snow.jpg", 3, "2023:12:24 09:15:00", "Model A"),
    ]
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(20_000)
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", on_dialog)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # First run: the site asks for the admin account, then signs its creator in.
    page.goto(server.url)
    expect(page).to_have_url(re.compile(r"/setup$"))
    page.fill("#id_username", "admin")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".empty-state")).to_contain_text("No photos yet")

    # Log out and back in.
    page.click("text=Log out")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".empty-state")).to_be_visible()

    # Upload three photos through the file picker; they appear grouped by day, newest first.
    page.set_input_files("#file-input", [str(f) for f in files])
    summary = page.locator("#upload-summary")
    expect(summary).to_contain_text("Done with 3 files")
    expect(summary).to_contain_text("3 uploaded")
    tiles = page.locator("#timeline .tile")
    expect(tiles).to_have_count(3)
    days = page.locator("#timeline .day")
    expect(days).to_have_count(2)
    expect(days.nth(0).locator(".count")).to_have_text("2 photos")
    expect(days.nth(1).locator(".count")).to_have_text("1 photo")

    # The same photo again is not sent: the server already has it.
    page.set_input_files("#file-input", [str(files[2])])
    expect(summary).to_contain_text("1 already backed up")
    expect(page.locator("#upload-list li[data-state=skipped] .state")).to_have_text(
        "already backed up")
    expect(page.locator("#upload-list li")).to_have_count(4)
    page.click("#upload-toggle")
    _shot(page, "timeline.png")

    # The viewer steps through the photos, newest first, by keyboard and buttons.
    tiles.first.click()
    viewer = page.locator("#viewer")
    name = page.locator("#viewer-filename")
    expect(viewer).to_be_visible()
    expect(name).to_have_text(EVIL_NAME)  # shown as text, never run
    expect(page.locator("#viewer-meta")).to_contain_text("TestCam Model B")
    page.keyboard.press("ArrowRight")
    expect(name).to_have_text("beach.jpg")
    page.click("#viewer-next")
    expect(name).to_have_text("snow.jpg")
    expect(page.locator("#viewer-next")).to_be_disabled()
    page.keyboard.press("ArrowLeft")
    expect(name).to_have_text("beach.jpg")
    expect(page.locator("#viewer-image")).to_have_js_property("complete", True)
    _shot(page, "viewer.png")
    download = page.locator("#viewer-download")
    expect(download).to_have_attribute("href", re.compile(r"/original\?download=1$"))

    # Favourite, then delete to the trash with undo, then delete for real.
    page.click("#viewer-favourite")
    expect(page.locator("#viewer-favourite")).to_have_attribute("aria-pressed", "true")
    page.click("#viewer-delete")
    expect(page.locator("#toast-text")).to_contain_text("beach.jpg to the trash")
    expect(tiles).to_have_count(2)
    page.click("#toast-action")  # Undo
    expect(tiles).to_have_count(3)
    expect(name).to_have_text("beach.jpg")
    page.click("#viewer-delete")
    expect(tiles).to_have_count(2)
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()

    # The trash shows it with its days left; restoring brings it back to the timeline.
    page.click("nav >> text=Trash")
    item = page.locator(".trash-item")
    expect(item).to_have_count(1)
    expect(item.locator(".name")).to_have_text("beach.jpg")
    expect(item.locator(".days-left")).to_have_text("30 days left")
    item.locator("button.restore").click()
    expect(item).to_have_count(0)
    expect(page.locator("#trash-status")).to_have_text("The trash is empty.")
    page.click("nav >> text=Photos")
    expect(tiles).to_have_count(3)
    expect(page.locator("#timeline .tile.favourite")).to_have_count(1)

    # Filters: favourites only, a date range; the browser's Back button closes the viewer.
    page.check("input[name=favourite]")
    page.click("form.search button[type=submit]")
    expect(tiles).to_have_count(1)
    page.goto(f"{server.url}/?since=2024-01-01&until=2024-12-31")
    expect(tiles).to_have_count(2)
    tiles.first.click()
    expect(viewer).to_be_visible()
    page.go_back()
    expect(viewer).to_be_hidden()
    expect(page).to_have_url(re.compile(r"until=2024-12-31$"))

    # An API token for the command-line tool: shown once, and it works.
    page.click("nav >> text=Tokens")
    page.fill("#id_name", "laptop")
    page.click("text=Create token")
    secret = page.locator("#new-token").inner_text().strip()
    assert secret.startswith("ib_")
    md5 = hashlib.md5(files[0].read_bytes()).hexdigest()
    answer = httpx.get(f"{server.url}/api/v1.0/service/image/", params={"md5": md5},
                       headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200
    assert answer.content == files[0].read_bytes()
    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.locator("table.tokens")).to_contain_text("laptop")

    assert dialogs == []  # nothing asked, nothing alerted
    assert errors == []
    context.close()


def _swipe(page: Any, dx: int) -> None:
    """A horizontal finger swipe over the viewer's photo."""
    page.evaluate("""(dx) => {
        const stage = document.querySelector(".viewer-stage");
        const at = (type, x) => stage.dispatchEvent(new PointerEvent(type, {
            bubbles: true, pointerType: "touch", clientX: x, clientY: 200}));
        at("pointerdown", 200);
        at("pointerup", 200 + dx);
    }""", dx)


def test_on_a_phone_failed_uploads_are_retried_and_the_trash_emptied(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    server.imgbackup("createuser", "alice", "--password", PASSWORD)
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{server.url}/login")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    # The first upload request dies on the way; the person retries it.
    dropped = []

    def flaky(route: Any) -> None:
        if route.request.method == "POST" and not dropped:
            dropped.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/api/v2/photos", flaky)
    not_a_photo = tmp_path / "notes.jpg"
    not_a_photo.write_text("these are words, not pixels")
    photos = [_photo(tmp_path, f"phone-{i}.jpg", 10 + i, f"2024:05:0{i + 1} 12:00:00", "Phone")
              for i in range(3)]
    page.set_input_files("#file-input", [str(p) for p in [*photos, not_a_photo]])
    summary = page.locator("#upload-summary")
    expect(summary).to_contain_text("Done with 4 files")
    expect(summary).to_contain_text("2 failed")
    expect(page.locator("#upload-list li[data-state=failed]")).to_have_count(2)
    expect(page.locator("#upload-list")).to_contain_text("notes.jpg: not a recognised image")
    expect(page.locator("#upload-list li[data-state=failed] button:visible")).to_have_count(1)
    page.click("#upload-retry")
    expect(summary).to_contain_text("3 uploaded")
    expect(summary).to_contain_text("1 failed")
    tiles = page.locator("#timeline .tile")
    expect(tiles).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _shot(page, "timeline-375.png")

    # The viewer follows a finger; it fits the narrow screen.
    tiles.first.click()
    name = page.locator("#viewer-filename")
    expect(name).to_have_text("phone-2.jpg")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _swipe(page, -200)
    expect(name).to_have_text("phone-1.jpg")
    _swipe(page, 200)
    expect(name).to_have_text("phone-2.jpg")
    _shot(page, "viewer-375.png")
    page.click("#viewer-delete")
    expect(name).to_have_text("phone-1.jpg")
    page.click("#viewer-delete")
    page.click("#viewer-close")
    expect(tiles).to_have_count(1)

    # Search by file name.
    page.goto(f"{server.url}/?q=phone-0")
    expect(tiles).to_have_count(1)
    page.goto(f"{server.url}/?q=nothing-like-this")
    expect(page.locator(".empty-state")).to_contain_text("No photos match")

    # In the trash: destroy one now, then empty the rest.
    page.goto(f"{server.url}/trash")
    items = page.locator(".trash-item")
    expect(items).to_have_count(2)
    _shot(page, "trash-375.png")
    items.first.locator("button.destroy").click()
    expect(items).to_have_count(1)
    page.click("#empty-trash")
    expect(page.locator("#trash-status")).to_have_text("The trash is empty.")
    page.reload()
    expect(page.locator("#trash-status")).to_have_text("The trash is empty.")

    # More photos than one page of the API: scrolling down loads the next page.
    token = server.imgbackup("token", "alice").strip().splitlines()[-1]
    for batch in (range(100), range(100, 110)):
        answer = httpx.post(f"{server.url}/api/v2/photos", timeout=60,
                            headers={"Authorization": f"Bearer {token}"},
                            files=[("file", (f"bulk-{i}.jpg", make_jpeg(100 + i)))
                                   for i in batch])
        assert answer.status_code == 201, answer.text
    page.goto(server.url)
    expect(tiles).to_have_count(100)
    page.locator("#sentinel").scroll_into_view_if_needed()
    expect(tiles).to_have_count(111)
    context.close()
