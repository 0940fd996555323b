"""Sharing's views stay thin (STYLE.md): they check access and read the request, and leave
every write to the workflow modules (sharing/albums.py, links.py, partners.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent

SHARING = Path(__file__).resolve().parent.parent.parent / "imgbackup" / "sharing"
VIEWS = ("api_albums.py", "api_links.py", "api_partners.py", "pages.py")
WRITES = {"save", "delete", "create", "get_or_create", "update_or_create", "bulk_create",
          "bulk_update", "update", "set", "add", "remove", "clear"}
# The workflow modules as the views import them: their functions are the writes' one place.
WORKFLOWS = {"albums", "workflow", "links", "partners"}


def writes_in(source: str) -> list[str]:
    return [f"{node.lineno}: .{node.func.attr}()" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and not (isinstance(node.func.value, ast.Name) and node.func.value.id in WORKFLOWS)]


@pytest.mark.parametrize("name", VIEWS)
def test_the_views_write_nothing_themselves(name: str) -> None:
    assert writes_in((SHARING / name).read_text()) == []


def test_it_finds_a_write() -> None:
    assert writes_in("def f(album):\n    album.save()\n") == ["2: .save()"]
    assert writes_in("def f(album):\n    album.members.all().delete()\n") == ["2: .delete()"]
    assert writes_in("def f(album):\n    albums.delete(album)\n") == []
