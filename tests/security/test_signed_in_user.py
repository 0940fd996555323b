"""Views learn who is signed in one way: ``caller(request)`` in the APIs (what ``endpoint``
authenticated), ``signed_in(request)`` in web pages. Reading ``request.user`` elsewhere needs a
cast, and an API view that read it in a public endpoint would get an anonymous user."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent

PACKAGE = Path(__file__).resolve().parent.parent.parent / "imgbackup"
# Where the signed-in user is put into the request, or read out of it for everyone else.
READERS = {"api/auth.py", "api/endpoint.py", "web/views.py"}


def reads_of_request_user(source: str) -> list[int]:
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and node.attr == "user"
            and isinstance(node.value, ast.Name) and node.value.id == "request"]


def test_only_the_helpers_read_request_user() -> None:
    found = {f"{path.relative_to(PACKAGE)}:{line}"
             for path in PACKAGE.rglob("*.py")
             if path.relative_to(PACKAGE).as_posix() not in READERS
             for line in reads_of_request_user(path.read_text())}
    assert not found, f"use caller(request) (API) or signed_in(request) (web): {sorted(found)}"


def test_it_finds_a_read_of_request_user() -> None:
    assert reads_of_request_user("def f(request):\n    return request.user.pk\n") == [2]
    assert reads_of_request_user("def f(request):\n    return caller(request).pk\n") == []
