"""``imgbackup thumbnails`` backfills what is missing, says how far it got, and reports (without
stopping) the originals it cannot render."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from conftest import Persona, make_jpeg
from imgbackup.photos.derived import SIZES, derived_name
from imgbackup.photos.models import Original
from imgbackup.storage import blobs

pytestmark = pytest.mark.django_db


def upload(client: Client, who: Persona, *bodies: bytes) -> list[str]:
    files = {f"f{i}": SimpleUploadedFile(f"{i}.jpg", body, "image/jpeg")
             for i, body in enumerate(bodies)}
    r = client.post("/api/v1.0/service/image/", files, **who.auth)
    assert r.status_code == 200, r.content
    return list(Original.objects.values_list("sha256", flat=True))


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("thumbnails", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def present(sha256: str, kind: str) -> bool:
    return bool(blobs().exists(derived_name(sha256, kind)))


def test_it_makes_every_missing_image_once(client: Client, alice: Persona) -> None:
    hashes = upload(client, alice, *(make_jpeg(seed) for seed in range(3)))
    out, _ = run()
    assert all(present(h, kind) for h in hashes for kind in SIZES)
    assert "3/3 originals (100%): 6 made, 0 failed" in out
    again, _ = run()
    assert "3/3 originals (100%): 0 made, 0 failed" in again


def test_it_can_make_one_kind_only(client: Client, alice: Persona) -> None:
    [sha256] = upload(client, alice, make_jpeg(7))
    run("--kind", "thumbnail")
    assert present(sha256, "thumbnail") and not present(sha256, "preview")


def test_an_original_that_does_not_render_is_reported_and_the_rest_done(
        client: Client, alice: Persona) -> None:
    hashes = upload(client, alice, make_jpeg(1), make_jpeg(2))
    broken = hashes[0]
    with blobs().open(Original.objects.get(pk=broken).storage_name, "wb") as f:
        f.write(b"\xff\xd8\xff damaged")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="2 derived images could not be made"):
        call_command("thumbnails", stdout=out, stderr=err)
    assert broken in err.getvalue()
    assert all(present(hashes[1], kind) for kind in SIZES)


def test_jobs_must_be_positive() -> None:
    with pytest.raises(CommandError):
        run("--jobs", "0")


SEED = """
import django, hashlib, io
django.setup()
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from imgbackup.photos.models import Original, Photo
from imgbackup.storage import blobs
owner = User.objects.create_user("dora")
for i in range(6):
    buf = io.BytesIO()
    Image.new("RGB", (900, 600), (i * 40, 50, 90)).save(buf, "JPEG")
    data = buf.getvalue()
    original = Original.objects.create(
        sha256=hashlib.sha256(data).hexdigest(), md5=hashlib.md5(data).hexdigest(),
        size=len(data), content_type="image/jpeg")
    blobs().save(original.storage_name, ContentFile(data))
    Photo.objects.create(owner=owner, original=original, taken_at=timezone.now(),
                         taken_at_source="upload")
"""


@pytest.mark.django_db(databases=[])
def test_parallel_jobs_fill_a_real_database(tmp_path: Path) -> None:
    """Worker threads each use their own connection to the on-disk database, as in production
    (the tests' in-memory database cannot be shared by writing threads)."""
    env = {**os.environ, "IMGBACKUP_DATA_DIR": str(tmp_path / "data"),
           "DJANGO_SETTINGS_MODULE": "imgbackup.settings"}
    env.pop("IMGBACKUP_STORAGE", None)

    def imgbackup(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "imgbackup", *args], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    imgbackup("migrate", "-v0")
    subprocess.run([sys.executable, "-c", SEED], env=env, check=True, timeout=120)
    out = imgbackup("thumbnails", "--jobs", "2")
    assert "6/6 originals (100%): 12 made, 0 failed" in out
    made = list((tmp_path / "data" / "derived").rglob("*-thumbnail"))
    assert len(made) == 6
