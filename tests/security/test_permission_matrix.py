"""Every URL of the URL configuration, every method it allows, as its owner, as another user and
anonymously (and, for admin pages, as an admin). Enumerated from Django's resolver, so a new
endpoint is covered the day it is added; each view declares what it needs (imgbackup/access.py)
and is held to it."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import Persona, make_jpeg
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from imgbackup.access import Access, access_of
from imgbackup.accounts.models import ApiToken
from imgbackup.photos.models import Photo

PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    route: str
    view: Any
    methods: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def has_params(self) -> bool:
        return bool(PARAM.search(self.route))


def methods_of(view: Any) -> tuple[str, ...]:
    declared = getattr(view, "allowed_methods", None)
    if declared:
        return tuple(declared)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        allowed = {m.upper() for m in view_class.http_method_names} - {"OPTIONS", "HEAD"}
        return tuple(m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m in allowed)
    return ("GET", "POST")


def walk(patterns: list[Any], prefix: str = "") -> list[Route]:
    found: list[Route] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            if not isinstance(entry.pattern, RoutePattern):
                raise AssertionError(f"{entry.pattern}: use path(), not re_path(), so the "
                                     "permission matrix can fill in its parameters")
            found.append(Route(prefix + str(entry.pattern), entry.callback,
                               methods_of(entry.callback)))
    return found


ROUTES = walk(get_resolver().url_patterns)
CASES = [(route, method) for route in ROUTES for method in route.methods]


@dataclass
class Scene:
    alice: Persona
    bob: Persona
    admin: Persona
    sha256: str
    md5: str
    token_id: int

    def url(self, route: Route) -> str:
        def fill(match: re.Match[str]) -> str:
            if match["name"] == "user_id":
                return str(self.alice.user.pk)
            return str(self.token_id) if match["converter"] == "int" else self.sha256

        return "/" + PARAM.sub(fill, route.route) + f"?md5={self.md5}"


@pytest.fixture
def scene(alice: Persona, bob: Persona, admin: Persona) -> Scene:
    import hashlib

    body = make_jpeg(77)
    r = Client().post("/api/v1.0/service/image/", {"photo": io.BytesIO(body)},
                      **alice.auth)  # type: ignore[arg-type]
    assert r.status_code == 200, r.content
    token = ApiToken.objects.filter(user=alice.user).first()
    assert token is not None
    return Scene(alice, bob, admin, hashlib.sha256(body).hexdigest(), hashlib.md5(body).hexdigest(),
                 token.pk)


def as_user(who: Persona | None) -> tuple[Client, dict[str, str]]:
    client = Client()
    if who is None:
        return client, {}
    client.force_login(who.user)
    return client, who.auth


def call(who: Persona | None, method: str, url: str) -> Any:
    client, headers = as_user(who)
    return client.generic(method, url, b"", content_type="application/octet-stream",
                          **headers)


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize(("route", "method"), CASES,
                         ids=[f"{m} /{r.route}" for r, m in CASES])
def test_every_endpoint_as_owner_other_user_and_anonymous(route: Route, method: str,
                                                          scene: Scene) -> None:
    access = access_of(route.view)
    assert access is not None, (f"/{route.route} declares no access: wrap its view with "
                                "imgbackup.access.public/signed_in or use @endpoint")
    url = scene.url(route)

    anonymous = call(None, method, url)
    assert anonymous.status_code < 500
    if access in {Access.USER, Access.ADMIN}:
        if route.is_api:
            assert anonymous.status_code == 401, body_of(anonymous)
            if method != "HEAD":  # a HEAD answer has no body to carry the error
                assert anonymous.json().get("result_code", anonymous.json().get("error"))
        else:
            assert anonymous.status_code in {302, 401, 403}
            if anonymous.status_code == 302:
                assert anonymous["Location"].startswith(("/login", "/setup"))

    other = call(scene.bob, method, url)
    assert other.status_code < 500
    seen = body_of(other)
    assert scene.sha256.encode() not in seen and scene.md5.encode() not in seen, seen[:300]
    if access is Access.USER and route.has_params:
        # 405: the view does not serve this method at all, whoever asks for whatever id.
        assert other.status_code in {404, 405}, seen[:300]
    photo = Photo.objects.get(owner=scene.alice.user)  # another user's call changed nothing
    assert photo.trashed_at is None

    owner = call(scene.alice, method, url)
    assert owner.status_code < 500
    assert owner.status_code not in {401, 403}, body_of(owner)[:300]

    if access is Access.ADMIN:
        # Not even the user it is about may see an admin page: to non-admins it does not exist.
        assert (other.status_code, owner.status_code) == (404, 404)
        admin = call(scene.admin, method, url)
        assert admin.status_code < 500
        assert admin.status_code not in {401, 403, 404}, body_of(admin)[:300]
        scene.alice.user.refresh_from_db()  # an empty form changed nothing
        assert scene.alice.user.is_active and not scene.alice.user.is_staff
        assert scene.alice.user.check_password("alice-password-123")


def test_every_route_is_in_the_matrix() -> None:
    assert len(ROUTES) >= 5
    assert all(route.methods for route in ROUTES)
