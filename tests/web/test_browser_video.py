"""Videos in the web app, in Debian's Chromium (which plays H.264 but not HEVC): uploaded
through the page, shown as a poster with a duration, played in the viewer; an iPhone's HEVC
clip plays through the copy the server makes in the background."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import videos
from conftest import LiveServer

from .test_browser import PASSWORD, _choose_files, _log_in, _new_page, _shot, browser, expect

__all__ = ["browser"]  # the module-scoped Chromium, shared with test_browser.py


def _played(page: Any, timeout: float = 40) -> float:
    """Start the viewer's video (muted: autoplay rules) and wait until it has played a bit."""
    deadline = time.monotonic() + timeout
    position = 0.0
    while time.monotonic() < deadline:
        position = page.evaluate("""() => {
            const v = document.querySelector('#viewer-video');
            if (v.src && v.paused) { v.muted = true; v.play().catch(() => {}); }
            return v.currentTime; }""")
        if position > 0:
            return float(position)
        time.sleep(0.3)
    raise AssertionError(f"the video did not play (currentTime {position}); note: "
                         f"{page.locator('#viewer-video-note').text_content()!r}")


@pytest.mark.slow
def test_a_person_uploads_videos_sees_posters_and_durations_and_plays_them(
        browser: Any, server: LiveServer, tmp_path: Path) -> None:
    server.imgbackup("createuser", "admin", "--password", PASSWORD, "--admin")
    mp4 = tmp_path / "beach.mp4"
    mp4.write_bytes(videos.make_video("mp4", seed=1, seconds=3,
                                      tags={"creation_time": "2024-07-14T10:00:00Z"}))
    mov = tmp_path / "IMG_0042.MOV"  # HEVC, portrait: Chromium cannot play it as it is
    mov.write_bytes(videos.make_video("mov", seed=2, seconds=2, rotate=-90,
                                      tags=videos.APPLE_TAGS))
    page = _new_page(browser, 1280, 860)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, server.url, "admin")
    _choose_files(page, [str(mp4), str(mov)])
    expect(page.locator("#upload-summary")).to_contain_text("2 uploaded")
    tiles = page.locator("#timeline .tile")
    expect(tiles).to_have_count(2)
    expect(tiles.nth(0).locator(".badge")).to_have_text("0:03")  # newest taken first
    expect(tiles.nth(1).locator(".badge")).to_have_text("0:02")
    for i in range(2):  # posters, not broken images
        expect(tiles.nth(i).locator("img")).to_have_js_property("complete", True)
        assert tiles.nth(i).locator("img").evaluate("img => img.naturalWidth") > 0
    assert tiles.nth(1).locator("img").evaluate(
        "img => img.naturalHeight > img.naturalWidth")  # the portrait clip is upright
    _shot(page, "timeline-videos.png")

    tiles.nth(0).click()
    video = page.locator("#viewer-video")
    expect(video).to_be_visible()
    expect(page.locator("#viewer-image")).to_be_hidden()
    expect(page.locator("#viewer-meta")).to_contain_text("0:03")
    assert _played(page) > 0
    assert video.evaluate("v => v.src").endswith("/playback")

    page.keyboard.press("ArrowRight")  # the HEVC clip: its copy is made in the background
    expect(page.locator("#viewer-filename")).to_have_text("IMG_0042.MOV")
    assert _played(page) > 0
    assert video.evaluate("v => v.videoHeight > v.videoWidth")  # played upright
    _shot(page, "viewer-video.png")
    _a_live_photo_moves(page, tmp_path)
    _h264_in_mkv_plays_and_a_broken_clip_says_so(page, tmp_path)
    assert errors == []
    page.context.close()


def _a_live_photo_moves(page: Any, tmp_path: Path) -> None:
    """Its two files make one tile marked LIVE; in the viewer the Live button plays the clip
    (an HEVC MOV, through its copy) over the still, which comes back when it ends."""
    page.keyboard.press("Escape")
    still, clip = tmp_path / "IMG_0100.JPG", tmp_path / "IMG_0100.MOV"
    still.write_bytes(videos.live_still(seed=4))
    clip.write_bytes(videos.live_clip(seed=4))
    _choose_files(page, [str(still), str(clip)])
    tiles = page.locator("#timeline .tile")
    expect(tiles).to_have_count(3)  # the MOV is part of its still's tile
    live = page.locator("#timeline .tile:has(.badge.live)")
    expect(live).to_have_count(1)
    live.click()
    expect(page.locator("#viewer-filename")).to_have_text("IMG_0100.JPG")
    page.click("#viewer-live")
    assert _played(page) > 0
    expect(page.locator("#viewer-image")).to_be_visible(timeout=30_000)  # back to the still


def _h264_in_mkv_plays_and_a_broken_clip_says_so(page: Any, tmp_path: Path) -> None:
    """An H.264 MKV with Opus sound plays through the copy its packets were copied into; a
    clip whose frames do not decode is a tile with its duration and "no preview", and the
    viewer says why it shows nothing."""
    page.keyboard.press("Escape")
    mkv, broken = tmp_path / "holiday.mkv", tmp_path / "IMG_0999.MOV"
    mkv.write_bytes(videos.make_video("mkv", seed=5, seconds=2, audio_codec="libopus"))
    broken.write_bytes(videos.junk_mdat(videos.make_video("mov", seed=6)))
    _choose_files(page, [str(mkv), str(broken)])
    expect(page.locator("#timeline .tile")).to_have_count(5)
    broken_tile = page.locator('#timeline .tile:has(button.open[title="IMG_0999.MOV"])')
    expect(broken_tile.locator(".no-thumb")).to_have_text("no preview")
    expect(broken_tile.locator(".badge.duration")).to_have_text("0:01")
    page.locator('#timeline .tile:has(button.open[title="holiday.mkv"]) button.open').click()
    assert _played(page) > 0
    assert page.locator("#viewer-video").evaluate("v => v.src").endswith("/playback")
    page.keyboard.press("Escape")
    broken_tile.locator("button.open").click()
    expect(page.locator("#viewer-filename")).to_have_text("IMG_0999.MOV")
    note = page.locator("#viewer-video-note")
    expect(note).to_contain_text("No preview of this video", timeout=60_000)
    expect(note).to_contain_text("no playable copy can be made")
    _shot(page, "viewer-video-broken.png")
