"""The viewer's Camera row (format.js ``cameraName``): make and model, without the make twice
when the model repeats it, as Canon's and Nikon's EXIF do ("Canon" + "Canon EOS R6")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import start_server

from web.test_browser import _new_page, browser  # noqa: F401 (browser: the module's fixture)

pytestmark = pytest.mark.backend_independent

CASES = [
    (["Canon", "Canon EOS R6"], "Canon EOS R6"),
    (["NIKON CORPORATION", "NIKON D850"], "NIKON D850"),
    (["Apple", "iPhone 15 Pro"], "Apple iPhone 15 Pro"),
    (["SAMSUNG", "SM-G991B"], "SAMSUNG SM-G991B"),
    (["FUJIFILM", "X-T5"], "FUJIFILM X-T5"),
    (["Canon", ""], "Canon"),
    (["", "Canon EOS R6"], "Canon EOS R6"),
    ([None, None], ""),
]

CHECK = """async (cases) => {
  const { cameraName } = await import("/static/web/js/format.js");
  return cases.map(([args]) => cameraName(...args));
}"""


def test_the_camera_row_names_the_make_once(browser: Any,  # noqa: F811
                                             tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        page = _new_page(browser, 800, 600)
        page.goto(f"{server.url}/login")
        assert page.evaluate(CHECK, CASES) == [want for _, want in CASES]
    finally:
        server.stop()
