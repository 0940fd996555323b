"""The web app in a real browser (Debian's Chromium driven by Playwright) against a real
``imgbackup serve``: what a person does on the first day, end to end."""

from __future__ import annotations

import base64
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

try:
    from playwright.sync_api import expect

    # Assertions wait as long as actions do: on a shared, loaded machine the timeline's
    # refresh after an upload can take more than the default 5 s.
    expect.set_options(timeout=20_000)
except ImportError:  # the browser fixture then skips, or fails where a browser is required
    expect = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "first-admin-pass-phrase"
# A name that would run script if any page built HTML from it.
EVIL_NAME = "<img src=x onerror=alert(1)>.jpg"  # (a " would reach the server as %22)


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


def _photo(folder: Path, name: str, seed: int, taken: str, model: str,
           gps: bool = False) -> Path:
    """A JPEG with EXIF date and camera, and a file time on the same day."""
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0110] = model  # Model
    exif.get_ifd(0x8769)[0x9003] = taken  # DateTimeOriginal
    if gps:
        place = exif.get_ifd(0x8825)
        place[1], place[2] = "N", (48.0, 51.0, 30.0)  # latitude
        place[3], place[4] = "E", (2.0, 21.0, 0.0)  # longitude
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


def _new_page(browser: Any, width: int, height: int, **options: Any) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    context.set_default_timeout(20_000)
    return context.new_page()


def _log_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{url}/")


def _choose_files(page: Any, files: list[str]) -> None:
    """Set the file input once the page's module has attached its listeners: module scripts run
    after the page loads, and a change event fired before that would be lost."""
    # A locator wait, not wait_for_function: polling a JS string needs eval, which the
    # page's CSP forbids (it failed whenever the page was not ready at the first check).
    page.locator("html[data-ready='timeline']").wait_for(state="attached")
    page.set_input_files("#file-input", files)


def _fits_the_screen(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.slow
def test_a_person_backs_up_browses_trashes_and_restores(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    page = _new_page(browser, 1280, 860)
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    files = [
        _photo(tmp_path, "beach.jpg", 1, "2024:07:14 10:00:00", "Model A", gps=True),
        _photo(tmp_path, EVIL_NAME, 2, "2024:07:14 18:30:00", "Model B"),
        _photo(tmp_path, "snow.jpg", 3, "2023:12:24 09:15:00", "Model A"),
    ]
    _create_the_admin_log_out_and_in(page, server.url)
    _upload_three_then_one_again(page, files)
    _step_through_the_viewer(page)
    _favourite_then_delete_with_undo(page)
    _restore_from_the_trash(page)
    _filter_and_close_the_viewer_with_back(page, server.url)
    _create_a_token_that_works(page, server.url, files[0])
    _drop_a_photo(page, tmp_path)
    assert dialogs == []  # nothing asked, nothing alerted
    assert errors == []
    page.context.close()


def _create_the_admin_log_out_and_in(page: Any, url: str) -> None:
    page.goto(url)
    expect(page).to_have_url(re.compile(r"/setup$"))
    page.fill("#id_username", "admin")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".empty-state")).to_contain_text("No photos yet")
    page.click("text=Log out")
    expect(page).to_have_url(re.compile(r"/login$"))
    _log_in(page, url, "admin")
    expect(page.locator(".empty-state")).to_be_visible()


def _upload_three_then_one_again(page: Any, files: list[Path]) -> None:
    """Through the file picker; they appear grouped by day, newest first. The same photo sent
    again is not uploaded: the server already has it."""
    _choose_files(page, [str(f) for f in files])
    summary = page.locator("#upload-summary")
    expect(summary).to_contain_text("Done with 3 files")
    expect(summary).to_contain_text("3 uploaded")
    expect(page.locator("#timeline .tile")).to_have_count(3)
    days = page.locator("#timeline .day")
    expect(days).to_have_count(2)
    expect(days.nth(0).locator(".count")).to_have_text("2 photos")
    expect(days.nth(1).locator(".count")).to_have_text("1 photo")

    _choose_files(page, [str(files[2])])
    expect(summary).to_contain_text("1 already backed up")
    expect(page.locator("#upload-list li[data-state=skipped] .state")).to_have_text(
        "already backed up")
    expect(page.locator("#upload-list li")).to_have_count(4)
    _shot(page, "timeline.png")
    page.click("#upload-toggle")
    expect(page.locator("#upload-list")).to_be_hidden()


def _step_through_the_viewer(page: Any) -> None:
    """Newest first, by keyboard and buttons, with the metadata beside the photo."""
    page.locator("#timeline .tile").first.click()
    name = page.locator("#viewer-filename")
    expect(page.locator("#viewer")).to_be_visible()
    expect(name).to_have_text(EVIL_NAME)  # shown as text, never run
    expect(page.locator("#viewer-meta")).to_contain_text("TestCam Model B")
    page.keyboard.press("ArrowRight")
    expect(name).to_have_text("beach.jpg")
    page.click("#viewer-next")
    expect(name).to_have_text("snow.jpg")
    expect(page.locator("#viewer-next")).to_be_disabled()
    page.keyboard.press("ArrowLeft")
    expect(name).to_have_text("beach.jpg")
    expect(page.locator("#viewer-meta")).to_contain_text("48.85833, 2.35000")
    expect(page.locator("#viewer-image")).to_have_js_property("complete", True)
    _shot(page, "viewer.png")
    expect(page.locator("#viewer-download")).to_have_attribute(
        "href", re.compile(r"/original\?download=1$"))


def _favourite_then_delete_with_undo(page: Any) -> None:
    tiles = page.locator("#timeline .tile")
    page.click("#viewer-favourite")
    expect(page.locator("#viewer-favourite")).to_have_attribute("aria-pressed", "true")
    page.click("#viewer-delete")
    expect(page.locator("#toast-text")).to_contain_text("beach.jpg to the trash")
    expect(tiles).to_have_count(2)
    page.click("#toast-action")  # Undo
    expect(tiles).to_have_count(3)
    expect(page.locator("#viewer-filename")).to_have_text("beach.jpg")
    page.click("#viewer-delete")
    expect(tiles).to_have_count(2)
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_be_hidden()


def _restore_from_the_trash(page: Any) -> None:
    page.click("nav >> text=Trash")
    item = page.locator(".trash-item")
    expect(item).to_have_count(1)
    expect(item.locator(".name")).to_have_text("beach.jpg")
    expect(item.locator(".days-left")).to_have_text("30 days left")
    item.locator("button.restore").click()
    expect(item).to_have_count(0)
    expect(page.locator("#trash-status")).to_have_text("The trash is empty.")
    page.click("nav >> text=Photos")
    expect(page.locator("#timeline .tile")).to_have_count(3)
    expect(page.locator("#timeline .tile.favourite")).to_have_count(1)


def _filter_and_close_the_viewer_with_back(page: Any, url: str) -> None:
    tiles = page.locator("#timeline .tile")
    page.check("input[name=favourite]")
    page.click("form.search button[type=submit]")
    expect(tiles).to_have_count(1)
    page.goto(f"{url}/?since=2024-01-01&until=2024-12-31")
    expect(tiles).to_have_count(2)
    tiles.first.click()
    expect(page.locator("#viewer")).to_be_visible()
    page.go_back()
    expect(page.locator("#viewer")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"until=2024-12-31$"))


def _create_a_token_that_works(page: Any, url: str, photo: Path) -> None:
    """For the command-line tool: shown once, and it authenticates."""
    page.click("nav >> text=Tokens")
    page.fill("#id_name", "laptop")
    page.click("text=Create token")
    secret = page.locator("#new-token").inner_text().strip()
    assert secret.startswith("ib_")
    # The Copy button (its script shows it): the clipboard, or a selection for Ctrl+C.
    page.click("#copy-token")
    expect(page.locator("#copy-token")).to_have_text(re.compile(r"Copied|Ctrl\+C"))
    md5 = hashlib.md5(photo.read_bytes()).hexdigest()
    answer = httpx.get(f"{url}/api/v1.0/service/image/", params={"md5": md5},
                       headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200
    assert answer.content == photo.read_bytes()
    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.locator("table.tokens")).to_contain_text("laptop")


def _drop_a_photo(page: Any, tmp_path: Path) -> None:
    page.click("nav >> text=Photos")
    tiles = page.locator("#timeline .tile")
    expect(tiles).to_have_count(3)
    _drop(page, _photo(tmp_path, "dropped.jpg", 4, "2025:01:02 08:00:00", "Model C"))
    expect(page.locator("#upload-list li[data-state=uploaded]")).to_have_count(1)
    expect(tiles).to_have_count(4)
    expect(page.locator("#timeline .day time").first).to_have_attribute("datetime", "2025-01-02")


def _drop(page: Any, path: Path) -> None:
    """Drop a file on the page as a desktop would (a DataTransfer carrying a File)."""
    # A locator wait, not wait_for_function: polling a JS string needs eval, which the
    # page's CSP forbids (it failed whenever the page was not ready at the first check).
    page.locator("html[data-ready='timeline']").wait_for(state="attached")
    page.evaluate("""([name, data]) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, {type: "image/jpeg"}));
        for (const type of ["dragenter", "dragover", "drop"]) {
            document.body.dispatchEvent(new DragEvent(type, {
                bubbles: true, cancelable: true, dataTransfer: transfer}));
        }
    }""", [path.name, base64.b64encode(path.read_bytes()).decode()])


def _swipe(page: Any, dx: int) -> None:
    """A horizontal finger swipe over the viewer's photo."""
    page.evaluate("""(dx) => {
        const stage = document.querySelector(".viewer-stage");
        const at = (type, x) => stage.dispatchEvent(new PointerEvent(type, {
            bubbles: true, pointerType: "touch", clientX: x, clientY: 200}));
        at("pointerdown", 200);
        at("pointerup", 200 + dx);
    }""", dx)


@pytest.mark.slow
def test_an_admin_creates_a_user_who_then_signs_in(browser: Any, server: LiveServer) -> None:
    server.imgbackup("createuser", "root", "--password", PASSWORD, "--admin")
    page = _new_page(browser, 1280, 860)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, server.url, "root")
    page.click("nav >> text=Users")
    expect(page).to_have_url(f"{server.url}/users")
    form = page.locator("#create-user")
    form.locator("#id_username").fill("dora")
    form.locator("#id_password1").fill(PASSWORD)
    form.locator("#id_password2").fill("not the same")
    form.locator("button[type=submit]").click()
    expect(form.locator(".error")).to_contain_text("The two passwords differ.")
    form.locator("#id_password1").fill(PASSWORD)
    form.locator("#id_password2").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{server.url}/users")
    expect(page.locator(".notice")).to_have_text("Created user dora.")
    expect(page.locator("tr", has_text="dora")).to_contain_text("active")
    _shot(page, "users.png")
    page.click("text=Log out")
    _log_in(page, server.url, "dora")
    expect(page.locator(".empty-state")).to_be_visible()
    expect(page.locator("nav")).not_to_contain_text("Users")
    assert errors == []
    page.context.close()


@pytest.mark.slow
def test_on_a_phone_failed_uploads_are_retried_and_the_trash_emptied(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    server.imgbackup("createuser", "alice", "--password", PASSWORD)
    page = _new_page(browser, 375, 740, is_mobile=True, has_touch=True)
    page.on("dialog", lambda dialog: dialog.accept())
    _log_in(page, server.url, "alice")
    _upload_with_a_dropped_connection_then_retry(page, tmp_path)
    _swipe_then_delete_two(page)
    _search_by_file_name(page, server.url)
    _destroy_one_then_empty_the_trash(page, server.url)
    _scroll_past_one_page(page, server)
    page.context.close()


def _upload_with_a_dropped_connection_then_retry(page: Any, tmp_path: Path) -> None:
    """The first upload request dies on the way and the person retries it; a file that is not
    an image is refused for good (no retry)."""
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
    _choose_files(page, [str(p) for p in [*photos, not_a_photo]])
    summary = page.locator("#upload-summary")
    expect(summary).to_contain_text("Done with 4 files")
    expect(summary).to_contain_text("2 failed")
    expect(page.locator("#upload-list li[data-state=failed]")).to_have_count(2)
    expect(page.locator("#upload-list")).to_contain_text("notes.jpg: not a recognised image")
    expect(page.locator("#upload-list li[data-state=failed] button:visible")).to_have_count(1)
    page.click("#upload-retry")
    expect(summary).to_contain_text("3 uploaded")
    expect(summary).to_contain_text("1 failed")
    expect(page.locator("#timeline .tile")).to_have_count(3)
    _fits_the_screen(page)
    _shot(page, "timeline-375.png")


def _swipe_then_delete_two(page: Any) -> None:
    """The viewer follows a finger and fits the narrow screen."""
    page.locator("#timeline .tile").first.click()
    name = page.locator("#viewer-filename")
    expect(name).to_have_text("phone-2.jpg")
    _fits_the_screen(page)
    _swipe(page, -200)
    expect(name).to_have_text("phone-1.jpg")
    _swipe(page, 200)
    expect(name).to_have_text("phone-2.jpg")
    _shot(page, "viewer-375.png")
    page.click("#viewer-delete")
    expect(name).to_have_text("phone-1.jpg")
    page.click("#viewer-delete")
    page.click("#viewer-close")
    expect(page.locator("#timeline .tile")).to_have_count(1)


def _search_by_file_name(page: Any, url: str) -> None:
    page.goto(f"{url}/?q=phone-0")
    expect(page.locator("#timeline .tile")).to_have_count(1)
    page.goto(f"{url}/?q=nothing-like-this")
    expect(page.locator(".empty-state")).to_contain_text("No photos match")


def _destroy_one_then_empty_the_trash(page: Any, url: str) -> None:
    page.goto(f"{url}/trash")
    items = page.locator(".trash-item")
    expect(items).to_have_count(2)
    _shot(page, "trash-375.png")
    items.first.locator("button.destroy").click()
    expect(items).to_have_count(1)
    page.click("#empty-trash")
    expect(page.locator("#trash-status")).to_have_text("The trash is empty.")
    page.reload()
    expect(page.locator("#trash-status")).to_have_text("The trash is empty.")


def _scroll_past_one_page(page: Any, server: LiveServer) -> None:
    """More photos than one page of the API: scrolling down loads the next page."""
    token = server.imgbackup("token", "alice").strip().splitlines()[-1]
    for batch in (range(100), range(100, 110)):
        answer = httpx.post(f"{server.url}/api/v2/photos", timeout=60,
                            headers={"Authorization": f"Bearer {token}"},
                            files=[("file", (f"bulk-{i}.jpg", make_jpeg(100 + i)))
                                   for i in batch])
        assert answer.status_code == 201, answer.text
    page.goto(server.url)
    tiles = page.locator("#timeline .tile")
    expect(tiles).to_have_count(100)
    page.locator("#sentinel").scroll_into_view_if_needed()
    expect(tiles).to_have_count(111)


def test_a_missing_browser_skips_but_fails_where_one_is_required(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMGBACKUP_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="browser tests skipped: no Chromium"):
        _unavailable("no Chromium at /nowhere")
    monkeypatch.setenv("IMGBACKUP_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="IMGBACKUP_REQUIRE_BROWSER=1"):
        _unavailable("no Chromium at /nowhere")
