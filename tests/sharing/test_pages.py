"""The sharing pages through Django's test client: who may open them, what they are sent with."""

from __future__ import annotations

from conftest import Persona
from django.test import Client

from api_v2.conftest import call, upload
from sharing.conftest import make_album, make_link, share_with


def test_the_albums_page_and_an_album_page_are_for_members_only(client: Client, alice: Persona,
                                                                bob: Persona,
                                                                carol: Persona) -> None:
    album_id = make_album(client, alice, "Trip <b>")
    share_with(client, alice, album_id, bob, "viewer")
    owner, member, other = Client(), Client(), Client()
    owner.force_login(alice.user)
    member.force_login(bob.user)
    other.force_login(carol.user)
    assert owner.get("/albums").status_code == 200
    page = owner.get(f"/albums/{album_id}")
    assert page.status_code == 200 and b"Trip &lt;b&gt;" in page.content
    assert b'id="link-form"' in page.content
    seen = member.get(f"/albums/{album_id}")
    assert seen.status_code == 200 and b'id="link-form"' not in seen.content
    assert other.get(f"/albums/{album_id}").status_code == 404
    assert Client().get(f"/albums/{album_id}").status_code == 302


def test_the_link_page_is_public_and_gone_when_revoked(client: Client, alice: Persona) -> None:
    photos = upload(client, alice, 1)
    link = make_link(client, alice, ids=photos, password="pw")
    page = Client().get(f"/s/{link['key']}")
    assert page.status_code == 200
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert page["Referrer-Policy"] == "no-referrer"
    assert b'id="unlock" class="card narrow">' in page.content  # the password form shows
    assert photos[0].encode() not in page.content  # nothing of the photos before the password
    call(client, "DELETE", f"/shares/{link['key']}", alice)
    assert Client().get(f"/s/{link['key']}").status_code == 404
    assert Client().get("/s/not-a-key").status_code == 404
