"""The web app in a real browser (Debian's Chromium driven by Playwright) against a real
``imgbackup serve``: what a person does on the first day, end to end."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, LiveServer, make_jpeg, start_server
from PIL import Image, ImageOps

try:
    from playwright.sync_api import expect

    # Assertions wait as long as actions do: on a shared, loaded machine the timeline's
    # refresh after an upload can take more than the default 5 s.
    expect.set_options(timeout=20_000)
except ImportError:  # the browser fixture then skips, or fails where a browser is required
    expect = None

# The web app's own behaviour: the API under it runs on both backends in tests/api_v2; the
# browser tests that exercise the storage itself (tus, ZIPs of links, video copies) run twice.
pytestmark = pytest.mark.backend_independent

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "first-admin-pass-phrase"
NEW_PASSWORD = "a-second-long-pass-phrase"
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


def _log_in(page: Any, url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
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
    _browse_places(page, server.url)
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
    expect(page.locator("#viewer-meta")).to_contain_text("Paris, Île-de-France, France")
    expect(page.locator("#viewer-image")).to_have_js_property("complete", True)
    _shot(page, "viewer.png")
    expect(page.locator("#viewer-download")).to_have_attribute(
        "href", re.compile(r"/original\?download=1$"))


def _browse_places(page: Any, url: str) -> None:
    """The photo with GPS is in Paris: one city, its cover, a link to its photos."""
    page.goto(url + "/places")
    cards = page.locator(".place-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Paris")
    expect(cards.first).to_contain_text("France · 1 photo")
    expect(cards.first.locator("img")).to_have_js_property("complete", True)
    _shot(page, "places.png")
    cards.first.locator("a").click()
    expect(page.locator("#timeline .tile")).to_have_count(1)
    page.goto(url + "/")


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
    mine = page.locator("tr", has_text="(you)")
    expect(mine).to_contain_text("just now")
    # No Disable, no Remove admin for yourself (Set quota is offered on every row).
    expect(mine.locator("button", has_text=re.compile("Disable|Remove admin"))).to_have_count(0)
    expect(page.locator("details.rules ul")).to_be_hidden()  # the rules are folded away
    _shot(page, "users.png")
    page.locator("tr", has_text="dora").locator("text=Set password").click()
    expect(page.locator("h1")).to_have_text("New password for dora")
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("#set-password button[type=submit]")
    expect(page.locator(".notice")).to_contain_text("New password set for dora")
    page.click("text=Log out")
    _log_in(page, server.url, "dora", NEW_PASSWORD)
    expect(page.locator(".empty-state")).to_be_visible()
    expect(page.locator("nav")).not_to_contain_text("Users")
    assert errors == []
    page.context.close()
    for scheme in ("dark", "light"):
        _date_icons_are_drawn_in_the_text_colour(browser, server.url, scheme)


def _date_icons_are_drawn_in_the_text_colour(browser: Any, url: str, scheme: str) -> None:
    """The search form's date-picker icons: as clear as the text on a dark field too (the
    browser's own is a thin outline that all but vanishes there)."""
    page = _new_page(browser, 1440, 600, color_scheme=scheme)
    _log_in(page, url, "dora", NEW_PASSWORD)
    field = page.locator("input[name=since]")
    text = field.evaluate("input => getComputedStyle(input).color")
    fg = tuple(int(v) for v in re.findall(r"\d+", text)[:3])
    box = field.bounding_box()
    assert box
    shot = Image.open(io.BytesIO(page.screenshot(clip={  # the icon sits at the field's right
        "x": box["x"] + box["width"] - 34, "y": box["y"] + 4, "width": 30,
        "height": box["height"] - 8}))).convert("RGB")
    inked = sum(1 for pixel in shot.get_flattened_data()
                if all(abs(a - b) <= 10 for a, b in zip(pixel, fg, strict=True)))
    assert inked >= 60, (scheme, fg, inked)  # solid strokes in the text's colour
    if scheme == "dark":
        _shot(page, "search-dark-1440.png")
        page.set_viewport_size({"width": 390, "height": 600})
        page.click("#search-toggle")
        _shot(page, "search-dark-390.png")
    page.context.close()


@pytest.mark.slow
def test_on_a_phone_failed_uploads_are_retried_and_the_trash_emptied(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    server.imgbackup("createuser", "alice", "--password", PASSWORD)
    page = _new_page(browser, 375, 740, is_mobile=True, has_touch=True)
    page.on("dialog", lambda dialog: dialog.accept())
    _log_in(page, server.url, "alice")
    _the_header_keeps_one_line_with_a_menu(page)
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
    expect(_row(page, "notes.jpg").locator(".state")).to_have_text(
        re.compile(r"^failed: not a recognised image"))
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


def _the_header_keeps_one_line_with_a_menu(page: Any) -> None:
    header = page.locator("header.bar")
    assert header.bounding_box()["height"] < 60
    trash = header.locator("a", has_text="Trash")
    expect(trash).to_be_hidden()
    header.locator(".menu-button").click()
    expect(trash).to_be_visible()
    header.locator(".menu-button").click()
    expect(trash).to_be_hidden()
    _fits_the_screen(page)


def _scroll_past_one_page(page: Any, server: LiveServer) -> None:
    """More photos than a few screens hold: the page has the whole library's height at once,
    only the tiles near the viewport are in the DOM, and scrolling to the end brings the
    oldest in and drops the newest."""
    token = server.imgbackup("token", "alice").strip().splitlines()[-1]
    ids = []
    for batch in (range(100), range(100, 110)):
        photos = [make_jpeg(100 + i) for i in batch]
        ids += [hashlib.sha256(data).hexdigest() for data in photos]
        answer = httpx.post(f"{server.url}/api/v2/photos", timeout=60,
                            headers={"Authorization": f"Bearer {token}"},
                            files=[("file", (f"bulk-{i}.jpg", data))
                                   for i, data in zip(batch, photos, strict=True)])
        assert answer.status_code == 201, answer.text
    page.goto(server.url)
    tile = lambda photo_id: page.locator(f'#timeline .tile[data-id="{photo_id}"]')  # noqa: E731
    expect(tile(ids[-1])).to_be_visible()
    assert page.locator("#timeline .tile").count() < 111
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    expect(tile(ids[0])).to_be_attached()
    expect(tile(ids[-1])).to_have_count(0)
    assert page.locator("#timeline .tile").count() < 111
    _shot(page, "timeline-scrolled-375.png")


def test_a_missing_browser_skips_but_fails_where_one_is_required(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMGBACKUP_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="browser tests skipped: no Chromium"):
        _unavailable("no Chromium at /nowhere")
    monkeypatch.setenv("IMGBACKUP_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="IMGBACKUP_REQUIRE_BROWSER=1"):
        _unavailable("no Chromium at /nowhere")


def _upload_as(server: LiveServer, user: str, paths: list[Path]) -> list[str]:
    token = server.imgbackup("token", user).strip().splitlines()[-1]
    answer = httpx.post(f"{server.url}/api/v2/photos", timeout=60,
                        headers={"Authorization": f"Bearer {token}"},
                        files=[("file", (p.name, p.read_bytes())) for p in paths])
    assert answer.status_code == 201, answer.text
    return [item["id"] for item in answer.json()["items"]]


@pytest.mark.slow
def test_a_selection_is_favourited_downloaded_trashed_and_brought_back(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    server.imgbackup("createuser", "alice", "--password", PASSWORD)
    files = [_photo(tmp_path, f"d{n}.jpg", n, f"2024:07:14 1{n}:00:00", "A") for n in range(3)]
    files.append(_photo(tmp_path, "older.jpg", 7, "2024:07:13 10:00:00", "A"))
    files += [_photo(tmp_path, f"old{n}.jpg", 8 + n, f"2019:03:01 1{n}:00:00", "A")
              for n in range(2)]
    ids = _upload_as(server, "alice", files)
    page = _new_page(browser, 1280, 860)
    page.on("dialog", lambda dialog: dialog.accept())
    _log_in(page, server.url, "alice")
    tiles = page.locator("#timeline .tile")
    expect(tiles).to_have_count(6)
    checks = page.locator("#timeline .tile .check")
    checks.nth(0).click()
    expect(page.locator("#selection-count")).to_have_text("1 photo selected")
    checks.nth(2).click(modifiers=["Shift"])  # the range, in timeline order
    expect(page.locator("#selection-count")).to_have_text("3 photos selected")
    page.click("#selection-favourite")
    expect(page.locator("#timeline .tile.favourite")).to_have_count(3)
    page.keyboard.press("Escape")
    expect(page.locator("#selection-bar")).to_be_hidden()

    page.locator('#timeline .day[data-day="2019-03-01"] .day-check').click()
    expect(page.locator("#selection-count")).to_have_text("2 photos selected")
    with page.expect_download() as download:
        page.click("#selection-download")
    archive = zipfile.ZipFile(download.value.path())
    assert sorted(archive.namelist()) == ["old0.jpg", "old1.jpg"]
    for name in archive.namelist():
        assert archive.read(name) == (tmp_path / name).read_bytes()

    page.click("#selection-trash")
    expect(tiles).to_have_count(4)
    expect(page.locator('#timeline .day[data-day="2019-03-01"]')).to_have_count(0)
    page.click("#toast-action")  # Undo
    expect(tiles).to_have_count(6)
    assert set(ids) == {t.get_attribute("data-id") for t in tiles.all()}
    _shot(page, "timeline-selection.png")

    # Two ticked photos go into a new album.
    checks.nth(0).click()
    checks.nth(1).click()
    page.click("#selection-album")
    dialog = page.locator("#album-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#album-choice").select_option(label="New album…")
    dialog.locator("#album-name").fill("Trip")
    dialog.locator("button[value=add]").click()
    expect(page.locator("#toast-text")).to_have_text("Added 2 photos to Trip.")
    token = server.imgbackup("token", "alice").strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    albums = httpx.get(f"{server.url}/api/v2/albums", headers=auth).json()["items"]
    assert [(a["name"], a["count"]) for a in albums] == [("Trip", 2)]
    page.keyboard.press("Escape")

    # The trash takes a selection too: ticked photos restored, or deleted forever.
    page.keyboard.press("Control+a")
    expect(page.locator("#selection-count")).to_have_text("6 photos selected")
    page.keyboard.press("Delete")
    expect(tiles).to_have_count(0)
    page.goto(f"{server.url}/trash")
    ticks = page.locator(".trash-item .tick input")
    expect(ticks).to_have_count(6)
    ticks.nth(0).click()
    ticks.nth(3).click(modifiers=["Shift"])
    expect(page.locator("#selection-count")).to_have_text("4 photos selected")
    page.click("#selection-restore")
    expect(ticks).to_have_count(2)
    ticks.nth(1).click()
    page.click("#selection-destroy")  # the confirmation is accepted by the dialog handler
    expect(ticks).to_have_count(1)
    page.goto(server.url)
    expect(tiles).to_have_count(4)


@pytest.mark.slow
def test_the_scrubber_jumps_to_a_month_years_back(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    server.imgbackup("createuser", "alice", "--password", PASSWORD)
    files = [_photo(tmp_path, f"m{n}.jpg", n, f"{2024 - n // 4}:{1 + 3 * (n % 4):02d}:10 12:00:00",
                    "A") for n in range(40)]
    _upload_as(server, "alice", files)
    page = _new_page(browser, 1280, 700)
    _log_in(page, server.url, "alice")
    scrubber = page.locator("#scrubber")
    expect(scrubber).to_be_visible()
    year = scrubber.locator('.scrubber-year[data-month="2017-10"]')
    expect(year).to_have_text("2017")
    box = year.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] / 2 + 2)
    page.mouse.down()
    expect(page.locator(".scrubber-bubble")).to_contain_text("2017")
    page.mouse.up()
    heading = page.locator('#timeline .month[data-month="2017-10"]')
    expect(heading).to_be_in_viewport()
    expect(page.locator('#timeline .day[data-day="2017-10-10"]')).to_be_in_viewport()
    # Far from the top, the newest months are no longer in the page.
    expect(page.locator('#timeline .month[data-month="2024-10"]')).to_have_count(0)
    _shot(page, "timeline-scrubbed.png")


@pytest.mark.slow
def test_zooming_in_the_viewer_shows_the_original(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    server.imgbackup("createuser", "alice", "--password", PASSWORD)
    big = tmp_path / "big.jpg"
    picture = ImageOps.colorize(Image.linear_gradient("L").resize((2400, 1600)),
                                black=(20, 30, 60), white=(240, 200, 120))
    picture.save(big, "JPEG", quality=80)
    _upload_as(server, "alice", [big])
    page = _new_page(browser, 1280, 860)
    _log_in(page, server.url, "alice")
    page.locator("#timeline .tile .open").first.click()
    image = page.locator("#viewer-image")
    expect(image).to_have_js_property("complete", True)
    expect(image).to_have_attribute("src", re.compile(r"/preview$"))
    image.dblclick()
    expect(image).to_have_class(re.compile(r"\bzoomed\b"))
    expect(image).to_have_attribute("src", re.compile(r"/original$"))
    expect(image).to_have_js_property("naturalWidth", 2400)
    image.dblclick()  # back to fit
    expect(image).not_to_have_class(re.compile(r"\bzoomed\b"))
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_be_hidden()


def _noisy_photo(folder: Path, name: str, side: int) -> Path:
    """A JPEG that does not compress (random pixels): a few hundred KB in a few ms."""
    path = folder / name
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(path, "JPEG",
                                                                           quality=95)
    return path


def _row(page: Any, name: str) -> Any:
    return page.locator("#upload-list li", has=page.locator(".name", has_text=name))


@pytest.mark.slow
def test_the_upload_panel_shows_thumbnails_speed_and_short_errors(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    server.imgbackup("createuser", "alice", "--password", PASSWORD)
    page = _new_page(browser, 1440, 900)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, server.url, "alice")
    big = _noisy_photo(tmp_path, "IMG_20240714_101112_a_long_name_from_a_phone_HDR.jpg", 420)
    small = _photo(tmp_path, "beach.jpg", 1, "2024:07:14 10:00:00", "Model A")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    words = tmp_path / "notes.jpg"
    words.write_text("these are words, not pixels")
    # About 60 KB/s upstream: the big file (~400 KB) takes ~7 s, long enough to show a speed
    # and a time left even on a loaded machine (the estimate needs a second of samples, and
    # "left" is only said while bytes remain to be sent; at 150 KB/s a busy run missed it).
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 60_000})
    _choose_files(page, [str(p) for p in (big, small, empty, words)])
    speed = page.locator("#upload-speed")
    expect(speed).to_have_text(re.compile(r"^[\d.]+ (KB|MB|bytes)/s( · about \d+ (s|min) left)?$"))
    expect(speed).to_contain_text("left")
    _shot(page, "upload-progress-1440.png")
    expect(page.locator("#upload-summary")).to_contain_text("Done with 4 files")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    expect(speed).to_have_text("")  # nothing running, nothing to estimate
    # The error says what went wrong, without the name the row already shows.
    expect(_row(page, "empty.jpg").locator(".state")).to_have_text("failed: the file is empty")
    expect(_row(page, "notes.jpg").locator(".state")).to_have_text(
        re.compile(r"^failed: not a recognised image"))
    # Each photo's own picture, from the chosen file, its object URL let go once shown.
    for name in (big.name, small.name):
        thumb = _row(page, name).locator(".thumb img")
        expect(thumb).to_have_js_property("complete", True)
        assert thumb.evaluate("img => img.naturalWidth") > 0
        src = thumb.get_attribute("src")
        assert src and src.startswith("blob:")
        assert page.evaluate("""(src) => new Promise((resolve) => {
            const probe = new Image();
            probe.onload = () => resolve("still alive");
            probe.onerror = () => resolve("revoked");
            probe.src = src;
        })""", src) == "revoked"
    expect(_row(page, "empty.jpg").locator(".thumb img")).to_have_count(0)  # a grey square
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        heights = page.locator("#upload-list li").evaluate_all(
            "rows => rows.map((row) => row.getBoundingClientRect().height)")
        # A thumbnail high, two lines of error at most: no row grows tall.
        assert len(heights) == 4 and max(heights) < 72, heights
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _shot(page, f"upload-panel-{width}.png")
    assert errors == []
    page.context.close()


@pytest.mark.slow
def test_signed_out_in_another_tab_the_upload_list_stays_and_goes_on_after_login(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    """No "Leave site?", no jump to the login form: the uploader says what happened, keeps its
    list, refuses to carry on as somebody else, and sends the rest once alice is back."""
    server.imgbackup("createuser", "alice", "--password", PASSWORD)
    server.imgbackup("createuser", "bob", "--password", PASSWORD)
    page = _new_page(browser, 1440, 900)
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, server.url, "alice")
    held: list[Any] = []
    holding = [True]

    def hold(route: Any) -> None:
        if route.request.method == "POST" and holding[0]:
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/v2/photos", hold)
    photos = [_photo(tmp_path, f"trip-{i}.jpg", 30 + i, f"2024:08:0{i + 1} 09:00:00", "Cam")
              for i in range(4)]
    _choose_files(page, [str(p) for p in photos])
    rows = page.locator("#upload-list li")
    expect(page.locator("#upload-list li[data-state=uploading]")).to_have_count(3)
    held.pop(0).continue_()  # one file gets through before the other tab signs out
    expect(page.locator("#upload-list li[data-state=uploaded]")).to_have_count(1)
    expect(page.locator("#upload-list li[data-state=uploading]")).to_have_count(3)

    other = page.context.new_page()
    other.goto(server.url)
    other.click("text=Log out")
    expect(other).to_have_url(re.compile(r"/login$"))
    holding[0] = False
    while held:
        held.pop(0).continue_()  # they carry the old session: 401

    summary = page.locator("#upload-summary")
    expect(summary).to_contain_text("Signed out: log in again, then retry")
    expect(summary).to_contain_text("1 uploaded · 3 not sent yet")
    expect(page.locator("#upload-signed-out")).to_be_visible()
    expect(rows).to_have_count(4)
    expect(page.locator("#upload-list li[data-state=paused] .state").first).to_have_text(
        "not sent yet: signed out")
    page.wait_for_timeout(2500)  # the timeline's refresh after the upload meets the 401 too
    assert page.url == f"{server.url}/"
    expect(rows).to_have_count(4)
    _shot(page, "upload-signed-out-1440.png")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "upload-signed-out-390.png")
    page.set_viewport_size({"width": 1440, "height": 900})

    _log_in(other, server.url, "bob")  # somebody else signs in in the other tab
    page.click("#upload-retry")
    expect(page.locator("#upload-signed-out")).to_contain_text("Signed in as bob now")
    expect(page.locator("#upload-list li[data-state=paused]")).to_have_count(3)

    other.click("text=Log out")
    _log_in(other, server.url, "alice")
    page.click("#upload-retry")
    expect(summary).to_contain_text("Done with 4 files · 4 uploaded")
    expect(page.locator("#upload-signed-out")).to_be_hidden()
    expect(page.locator("#timeline .tile")).to_have_count(4)
    assert dialogs == [] and errors == []
    assert server.sql("SELECT count(*) FROM photos_photo p JOIN auth_user u ON u.id = p.owner_id "
                      "WHERE u.username = 'bob'") == [(0,)]
    page.context.close()


@pytest.mark.slow
def test_the_viewer_says_so_when_the_server_is_down(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    """A sentence and a Try again button where the photo would be, never a broken image."""
    token = server.user_with_token("alice")
    for i in range(2):
        with _photo(tmp_path, f"pier-{i}.jpg", 40 + i, f"2024:09:0{i + 1} 08:00:00",
                    "Cam").open("rb") as body:
            answer = httpx.post(f"{server.url}/api/v2/photos", files={"file": body},
                                headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201, answer.text
    page = _new_page(browser, 1440, 900)
    _log_in(page, server.url, "alice", "alice-password-123")
    tiles = page.locator("#timeline .tile img")
    expect(tiles).to_have_count(2)
    for i in range(2):
        expect(tiles.nth(i)).to_have_js_property("complete", True)
    server.stop()
    restarted = None
    try:
        page.locator("#timeline .tile").first.click()
        message = page.locator("#viewer-error")
        expect(message).to_be_visible()
        expect(message).to_contain_text("The server cannot be reached")
        expect(page.locator("#viewer-image")).to_be_hidden()
        expect(page.locator("#viewer-filename")).to_have_text("pier-1.jpg")  # the rest still shows
        _shot(page, "viewer-server-down-1440.png")
        page.set_viewport_size({"width": 390, "height": 844})
        expect(message).to_be_in_viewport()
        _shot(page, "viewer-server-down-390.png")
        page.set_viewport_size({"width": 1440, "height": 900})
        same = {k: v for k, v in server.env.items()  # the same database and storage
                if k in {"IMGBACKUP_DATABASE_URL", "IMGBACKUP_STORAGE"}}
        restarted = start_server(tmp_path, same, port=int(server.url.rsplit(":", 1)[1]))
        page.click("#viewer-retry")
        image = page.locator("#viewer-image")
        expect(image).to_be_visible()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
        expect(message).to_be_hidden()
    finally:
        if restarted:
            restarted.stop()
    page.context.close()
