"""The client's pure parts: content sniffing, the restore layout, the login file, progress."""

from __future__ import annotations

import io
import random
import stat
from pathlib import Path

import pytest
from conftest import make_jpeg, make_png
from PIL import Image

from imgbackup.client import _config
from imgbackup.client._errors import AuthError
from imgbackup.client._layout import plan, safe_name
from imgbackup.client._progress import Progress, human_bytes
from imgbackup.client._sniff import image_type

pytestmark = pytest.mark.backend_independent


def encoded(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize(("data", "expected"), [
    (make_jpeg(1), "image/jpeg"),
    (make_png(1), "image/png"),
    (encoded("GIF"), "image/gif"),
    (encoded("WEBP"), "image/webp"),
    (encoded("TIFF"), "image/tiff"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
    (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "image/avif"),
    (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1avif", "image/avif"),
    (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", None),  # an MP4 video
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
    (b"%PDF-1.7", None),
    (b"", None),
])
def test_images_are_told_by_their_bytes(data: bytes, expected: str | None) -> None:
    assert image_type(data[:64]) == expected


def photo(pid: str, name: str, taken: str = "2024-05-01T23:30:00+09:00",
          uploaded: str = "2026-01-01T00:00:00+00:00") -> dict[str, str]:
    return {"id": pid * 64 if len(pid) == 1 else pid, "filename": name, "taken_at": taken,
            "uploaded_at": uploaded, "content_type": "image/jpeg"}


def test_the_layout_is_by_the_day_taken_in_its_own_time_zone() -> None:
    assert plan([photo("a", "IMG_1.JPG")]) == {"a" * 64: "2024/05/01/IMG_1.JPG"}


def test_same_day_same_name_is_resolved_the_same_way_whatever_the_order() -> None:
    photos = [photo("c", "img_1.jpg", uploaded="2026-01-03T00:00:00Z"),
              photo("a", "IMG_1.JPG", uploaded="2026-01-01T00:00:00Z"),
              photo("b", "IMG_1.JPG", uploaded="2026-01-02T00:00:00Z"),
              photo("d", "IMG_1.JPG", taken="2024-05-02T10:00:00+00:00")]
    expected = {"a" * 64: "2024/05/01/IMG_1.JPG", "b" * 64: "2024/05/01/IMG_1-bbbbbbbb.JPG",
                "c" * 64: "2024/05/01/img_1-cccccccc.jpg", "d" * 64: "2024/05/02/IMG_1.JPG"}
    for _ in range(5):
        random.shuffle(photos)
        assert plan(photos) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\IMG.jpg", "IMG.jpg"),
    (".hidden.jpg", "hidden.jpg"),
    ("a\x00b?.jpg", "a_b_.jpg"),
    ("", "eeeeeeeeeeeeeeee.jpg"),
    ("..", "eeeeeeeeeeeeeeee.jpg"),
])
def test_file_names_from_the_server_cannot_escape_or_hide(name: str, expected: str) -> None:
    assert safe_name(photo("e", name)) == expected


def test_login_is_stored_private_and_the_environment_overrides_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = _config.save(_config.Login("https://photos.example.org", "secret", "3"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _config.current() == _config.Login("https://photos.example.org", "secret", "3")
    monkeypatch.setenv("IMGBACKUP_TOKEN", "from-env")
    assert _config.current().token == "from-env"
    monkeypatch.setenv("IMGBACKUP_URL", "http://other:8000/")
    assert _config.current() == _config.Login("http://other:8000", "from-env")


def test_a_stored_token_is_never_sent_to_another_server(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _config.save(_config.Login("https://photos.example.org", "secret"))
    monkeypatch.setenv("IMGBACKUP_URL", "https://elsewhere.example.org")
    with pytest.raises(AuthError, match="no token for https://elsewhere"):
        _config.current()


def test_no_login_is_an_auth_error() -> None:
    with pytest.raises(AuthError, match="imgbackup login URL"):
        _config.current()


def test_progress_on_a_terminal_redraws_one_line() -> None:
    out = io.StringIO()
    progress = Progress(out, tty=True)
    progress.start("uploading", 10, 10_000_000)
    progress._last = 0  # let the next update draw
    progress.advance(files=5, size=5_000_000)
    progress.finish()
    text = out.getvalue()
    assert "\r\x1b[Kuploading: 5/10 files, 5.0 MB/10.0 MB" in text and "\n" not in text


def test_progress_elsewhere_is_plain_lines() -> None:
    out = io.StringIO()
    progress = Progress(out, tty=False)
    progress.start("uploading", 2, 2000)
    progress.advance(files=2, size=2000)
    progress.finish()
    assert out.getvalue().splitlines() == ["uploading: 2 files, 2.0 KB",
                                           "uploading: 2/2 files, 2.0 KB/2.0 KB"]


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (0, 999, 1000, 2_500_000, 3 * 10**12)] == [
        "0 B", "999 B", "1.0 KB", "2.5 MB", "3.0 TB"]


def test_the_cache_lives_in_the_user_cache_folder(home: Path) -> None:
    from imgbackup.client._cache import default_path

    assert default_path() == home / "cache" / "imgbackup" / "hashes.sqlite3"


def test_the_scan_follows_file_links_but_not_folder_links_and_skips_pulls_in_progress(
        tmp_path: Path) -> None:
    from imgbackup.client._scan import LocalFile, scan

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.jpg").write_bytes(b"x")
    (tmp_path / "a" / ".2.jpg.0123.imgbackup-part").write_bytes(b"half")
    (tmp_path / "a" / "loop").symlink_to(tmp_path)
    (tmp_path / "link.jpg").symlink_to(tmp_path / "a" / "1.jpg")
    found = [f.path for f in scan([str(tmp_path)]) if isinstance(f, LocalFile)]
    assert found == [str(tmp_path / "a" / "1.jpg"), str(tmp_path / "link.jpg")]


@pytest.mark.parametrize(("kind", "expected"), [
    ("mp4", "video/mp4"), ("mov", "video/quicktime"), ("m4v", "video/x-m4v"),
    ("3gp", "video/3gpp"), ("mkv", "video/x-matroska"), ("webm", "video/webm"),
    ("avi", "video/x-msvideo"), ("ts", "video/mp2t"), ("mts", "video/mp2t"),
])
def test_videos_are_told_by_their_bytes_too(kind: str, expected: str) -> None:
    import videos

    from imgbackup.client._sniff import HEAD_SIZE, media_type

    assert media_type(videos.make_video(kind)[:HEAD_SIZE]) == expected
    assert media_type(make_jpeg(1)[:HEAD_SIZE]) == "image/jpeg"
    assert media_type(b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(500)) is None


def test_a_cache_written_before_videos_forgets_what_it_called_no_image(tmp_path: Path) -> None:
    from imgbackup.client._cache import HashCache
    from imgbackup.client._hashing import Identity
    from imgbackup.client._scan import LocalFile

    cache = HashCache(tmp_path / "cache.sqlite3")
    old, other = LocalFile("/a/clip.mov", 10, 1), LocalFile("/a/notes.txt", 5, 1)
    cache._db.execute("INSERT INTO files VALUES (?, ?, ?, NULL, NULL)", ("/a/clip.mov", 10, 1))
    cache.put([(other, Identity(None, None))])
    assert cache.get(old) is None  # sniffed again: it may be a video
    assert cache.get(other) == Identity(None, None)  # known: neither
    cache.close()
