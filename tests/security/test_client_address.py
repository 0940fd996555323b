"""The client's address behind trusted reverse proxies (imgbackup/proxies.py), the setting that
names them (IMGBACKUP_TRUSTED_PROXIES) and gunicorn's use of it."""

from __future__ import annotations

from ipaddress import ip_network
from typing import Any

import pytest
from conftest import Persona
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from imgbackup.proxies import PEER, ClientAddressMiddleware, Network, client_address
from imgbackup.settings import env_networks

CLIENT = "198.51.100.7"  # a client on the Internet
OTHER = "203.0.113.9"  # another one


def nets(*items: str) -> list[Network]:
    return [ip_network(item) for item in items]


LOOPBACK = nets("127.0.0.1", "::1")


@pytest.mark.parametrize(("peer", "forwarded_for", "trusted", "client"), [
    # No proxy: the peer is the client, whatever it claims.
    (CLIENT, None, LOOPBACK, CLIENT),
    (CLIENT, OTHER, LOOPBACK, CLIENT),
    (CLIENT, f"{OTHER}, 127.0.0.1", LOOPBACK, CLIENT),
    # A trusted proxy (nginx on loopback) appended the client's address.
    ("127.0.0.1", CLIENT, LOOPBACK, CLIENT),
    # What the client sent itself stands left of what nginx appended: never believed.
    ("127.0.0.1", f"{OTHER}, {CLIENT}", LOOPBACK, CLIENT),
    ("127.0.0.1", f"{OTHER},{CLIENT}", LOOPBACK, CLIENT),
    # Two trusted proxies: a load balancer at 10.1.2.3, then nginx on loopback.
    ("127.0.0.1", f"{OTHER}, {CLIENT}, 10.1.2.3", nets("127.0.0.1", "10.0.0.0/8"), CLIENT),
    # ... but a 10.x entry is not skipped when only loopback is trusted.
    ("127.0.0.1", f"{CLIENT}, 10.1.2.3", LOOPBACK, "10.1.2.3"),
    # Every entry trusted: the farthest one reached is the client (a host on the inside).
    ("127.0.0.1", "10.9.9.9, 10.1.2.3", nets("127.0.0.1", "10.0.0.0/8"), "10.9.9.9"),
])
def test_the_client_is_the_first_untrusted_address_from_the_right(
        peer: str, forwarded_for: str | None, trusted: list[Network], client: str) -> None:
    assert client_address(peer, forwarded_for, trusted) == client


@pytest.mark.parametrize(("peer", "forwarded_for", "trusted", "client"), [
    ("::1", "2001:db8::7", LOOPBACK, "2001:db8::7"),
    # One client, one text form (a throttle key): canonical, compressed, lower case.
    ("::1", "2001:DB8:0:0:0:0:0:7", LOOPBACK, "2001:db8::7"),
    ("fd00::5", f"2001:db8::7, {CLIENT}, fd00::9", nets("fd00::/8"), CLIENT),
    ("10.0.0.2", "2001:db8::7", nets("10.0.0.0/8"), "2001:db8::7"),
    ("2001:db8::7", CLIENT, LOOPBACK, "2001:db8::7"),
    # A dual-stack socket shows IPv4 peers as IPv4-mapped IPv6 addresses.
    ("::ffff:127.0.0.1", CLIENT, LOOPBACK, CLIENT),
    ("::ffff:198.51.100.7", None, LOOPBACK, CLIENT),
])
def test_ipv6_peers_entries_and_networks(peer: str, forwarded_for: str | None,
                                         trusted: list[Network], client: str) -> None:
    assert client_address(peer, forwarded_for, trusted) == client


@pytest.mark.parametrize(("forwarded_for", "client"), [
    ("", "127.0.0.1"),
    (" ", "127.0.0.1"),
    (",", "127.0.0.1"),
    ("garbage", "127.0.0.1"),
    (f"{CLIENT}:4321", "127.0.0.1"),  # a port: not a bare address
    (f"[{'2001:db8::7'}]", "127.0.0.1"),
    (f"{CLIENT}, unknown", "127.0.0.1"),
    # Garbage behind a trusted proxy's entry: the last address reached, that proxy's.
    (f"{CLIENT}, unknown, 10.1.2.3", "10.1.2.3"),
    (f"{CLIENT},, 10.1.2.3", "10.1.2.3"),
    # Garbage left of the client's entry is never reached.
    (f"unknown, {CLIENT}", CLIENT),
    ("\u00e9\u00e9, 999.1.1.1", "127.0.0.1"),
])
def test_a_malformed_entry_stops_the_walk_at_the_last_address_reached(
        forwarded_for: str, client: str) -> None:
    trusted = nets("127.0.0.1", "10.0.0.0/8")
    assert client_address("127.0.0.1", forwarded_for, trusted) == client


def test_no_trusted_proxy_means_the_header_is_never_read() -> None:
    assert client_address("127.0.0.1", CLIENT, []) == "127.0.0.1"


def test_a_peer_that_is_not_an_ip_address_is_kept_as_it_is() -> None:
    assert client_address("", CLIENT, LOOPBACK) == ""


# --- The middleware ----------------------------------------------------------------------

def through_middleware(settings: Any, trusted: str, **meta: str) -> HttpRequest:
    settings.TRUSTED_PROXIES = nets(*trusted.split(","))
    request = RequestFactory().get("/", **meta)
    ClientAddressMiddleware(lambda r: HttpResponse())(request)
    return request


def test_the_middleware_puts_the_client_in_remote_addr_and_keeps_the_peer(
        settings: Any) -> None:
    request = through_middleware(settings, "127.0.0.1", REMOTE_ADDR="127.0.0.1",
                                 HTTP_X_FORWARDED_FOR=f"{OTHER}, {CLIENT}",
                                 HTTP_X_FORWARDED_PROTO="https")
    assert request.META["REMOTE_ADDR"] == CLIENT
    assert request.META[PEER] == "127.0.0.1"
    # A trusted proxy's forwarding headers stay for whoever reads them next.
    assert request.META["HTTP_X_FORWARDED_FOR"] == f"{OTHER}, {CLIENT}"
    assert request.META["HTTP_X_FORWARDED_PROTO"] == "https"


def test_the_middleware_removes_a_direct_clients_forwarding_headers(settings: Any) -> None:
    request = through_middleware(settings, "127.0.0.1", REMOTE_ADDR=CLIENT,
                                 HTTP_X_FORWARDED_FOR=OTHER, HTTP_X_FORWARDED_PROTO="https")
    assert request.META["REMOTE_ADDR"] == CLIENT
    assert "HTTP_X_FORWARDED_FOR" not in request.META
    assert "HTTP_X_FORWARDED_PROTO" not in request.META


def test_the_middleware_comes_first(settings: Any) -> None:
    assert settings.MIDDLEWARE[0] == "imgbackup.proxies.ClientAddressMiddleware"


def test_a_direct_client_cannot_claim_https_to_escape_the_redirect(
        alice: Persona, settings: Any) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    direct = Client(REMOTE_ADDR=CLIENT).get("/login", HTTP_X_FORWARDED_PROTO="https")
    assert direct.status_code == 301
    assert direct["Location"].startswith("https://")
    proxied = Client(REMOTE_ADDR="127.0.0.1").get("/login", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200


# --- IMGBACKUP_TRUSTED_PROXIES -----------------------------------------------------------

def test_the_setting_takes_addresses_and_networks_of_both_families(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMGBACKUP_TRUSTED_PROXIES", " 10.0.0.0/8, fd00::/8,192.0.2.1 ,::1")
    trusted = env_networks("TRUSTED_PROXIES", "127.0.0.1,::1")
    assert trusted == nets("10.0.0.0/8", "fd00::/8", "192.0.2.1/32", "::1/128")
    assert client_address("10.200.0.1", f"{CLIENT}, fd12::1", trusted) == CLIENT
    assert client_address("192.0.2.2", CLIENT, trusted) == "192.0.2.2"


def test_the_setting_defaults_to_loopback_and_may_trust_nobody(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMGBACKUP_TRUSTED_PROXIES", raising=False)
    assert env_networks("TRUSTED_PROXIES", "127.0.0.1,::1") == nets("127.0.0.1", "::1")
    monkeypatch.setenv("IMGBACKUP_TRUSTED_PROXIES", "")
    assert env_networks("TRUSTED_PROXIES", "127.0.0.1,::1") == []


@pytest.mark.parametrize("value", ["*", "nginx.internal", "10.0.0.1/8", "10.0.0.0/33",
                                   "127.0.0.1;::1", "1.2.3.4:80"])
def test_a_malformed_setting_stops_the_server_at_start_up_saying_why(
        monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("IMGBACKUP_TRUSTED_PROXIES", value)
    with pytest.raises(SystemExit) as stopped:
        env_networks("TRUSTED_PROXIES", "127.0.0.1,::1")
    message = str(stopped.value)
    assert "IMGBACKUP_TRUSTED_PROXIES" in message and "CIDR" in message


def test_gunicorn_trusts_the_same_networks_for_x_forwarded_proto() -> None:
    from gunicorn.config import Config

    from imgbackup.server import gunicorn_options

    def gunicorn_trusts(trusted: list[Network]) -> list[Network]:
        config = Config()
        # gunicorn validates the value here and refuses what it cannot read.
        config.set("forwarded_allow_ips",
                   gunicorn_options("127.0.0.1", 8000, 1, 1, trusted)["forwarded_allow_ips"])
        return list(config.forwarded_allow_networks())

    trusted = nets("10.0.0.0/8", "fd00::/8", "192.0.2.1")
    assert gunicorn_trusts(trusted) == trusted
    assert gunicorn_trusts([]) == []
    assert gunicorn_trusts(LOOPBACK) == LOOPBACK
