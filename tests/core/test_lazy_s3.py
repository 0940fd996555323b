"""A server storing on its disk never imports the S3 client: boto3 and botocore are ~10 MB in
every web worker that received a tus chunk (imgbackup/storage/partials.py; bench item 2,
"PSS sum after use")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent

_CHECK = """
import sys
import django
django.setup()
from imgbackup.storage.partials import LocalPartials, partial_store
assert isinstance(partial_store(), LocalPartials)
print(sorted(name for name in ("boto3", "botocore.client", "imgbackup.storage.s3")
             if name in sys.modules))
"""


def test_a_tus_store_on_local_storage_imports_no_s3_client(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGBACKUP_")}
    env.update(IMGBACKUP_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="imgbackup.settings")
    out = subprocess.run([sys.executable, "-c", _CHECK], env=env, capture_output=True,
                         text=True, check=True, timeout=120).stdout
    assert out.strip() == "[]"
