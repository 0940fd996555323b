"""Helpers for sharing tests: a third user, and albums and links made through the API."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Persona, _persona
from django.core.cache import cache
from django.test import Client

from api_v2.conftest import call


@pytest.fixture(autouse=True)
def _fresh() -> None:
    """No login failures counted from an earlier test (the fast password hash is every test's:
    tests/conftest.py ``_fast_passwords``)."""
    cache.clear()


@pytest.fixture
def carol(db: None) -> Persona:
    return _persona("carol")


def make_album(client: Client, owner: Persona, name: str = "Holiday",
               ids: list[str] | None = None) -> str:
    answer = call(client, "POST", "/albums", owner, {"name": name})
    assert answer.status_code == 201, answer.content
    album_id: str = answer.json()["id"]
    if ids:
        added = call(client, "POST", f"/albums/{album_id}/photos", owner, {"ids": ids})
        assert added.json()["done"] == ids, added.content
    return album_id


def share_with(client: Client, owner: Persona, album_id: str, who: Persona, role: str) -> None:
    answer = call(client, "POST", f"/albums/{album_id}/members", owner,
                  {"username": who.user.username, "role": role})
    assert answer.status_code == 201, answer.content


def make_link(client: Client, owner: Persona, **body: Any) -> dict[str, Any]:
    answer = call(client, "POST", "/shares", owner, body)
    assert answer.status_code == 201, answer.content
    link: dict[str, Any] = answer.json()
    return link
