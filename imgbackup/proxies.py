"""The client's address when reverse proxies stand in front of the server.

gunicorn sets REMOTE_ADDR to the TCP peer: behind nginx, nginx's address, the same for every
client. ``ClientAddressMiddleware``, first of all middleware, replaces it once per request with
the client's address (``client_address``), read from X-Forwarded-For only when the peer is one
of IMGBACKUP_TRUSTED_PROXIES. Whatever reads REMOTE_ADDR afterwards sees the client: the login
throttles (accounts/throttle.py ``address_of``), Django, and gunicorn's access log, which reads
the same WSGI environ once the response is sent. The peer stays in ``META[PEER]``.

A middleware rather than a function the throttles call: code added later that reads
REMOTE_ADDR, as Django and gunicorn do, gets the client too without knowing about proxies."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Network = IPv4Network | IPv6Network
# The TCP peer, as gunicorn gave it, before REMOTE_ADDR became the client's address.
PEER = "imgbackup.peer"
# Headers only a trusted proxy may send; a direct client's are removed before anyone reads them
# (Django's SECURE_PROXY_SSL_HEADER would believe X-Forwarded-Proto from anybody).
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")


# Every request parses its peer (and a proxy's X-Forwarded-For entries): the same few
# addresses again and again, ~8 us each. Remembered, a bounded number of them.
@lru_cache(maxsize=1024)
def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text.strip())
    except ValueError:
        return None
    # A dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d: one client, one address.
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: IPv4Address | IPv6Address, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)


def client_address(peer: str, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address, in canonical text form.

    The peer's own address unless the peer is a trusted proxy and X-Forwarded-For is present.
    Then the header's entries are walked from the right (each proxy appends the address it got
    the request from, so the rightmost entries are the ones our own proxies wrote) past those
    that are trusted proxies; the first address that is not is the client. An entry that is not
    a bare IP address (garbage, a port, an empty entry) stops the walk: what lies left of it
    was not written by a proxy we trust, so the answer is the last address reached (the peer,
    or the trusted proxy that passed the header on), which a client cannot choose. A walk that
    meets only trusted addresses answers the leftmost. A peer that is not an IP address (a UNIX
    socket) is answered as it is."""
    reached = _address(peer)
    if reached is None:
        return peer
    if forwarded_for is None or not is_trusted(reached, trusted):
        return str(reached)
    for entry in reversed(forwarded_for.split(",")):
        address = _address(entry)
        if address is None:
            break
        reached = address
        if not is_trusted(address, trusted):
            break
    return str(reached)


class ClientAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        peer = str(meta.get("REMOTE_ADDR", ""))
        trusted: Sequence[Network] = settings.TRUSTED_PROXIES
        meta[PEER] = peer
        meta["REMOTE_ADDR"] = client_address(peer, meta.get("HTTP_X_FORWARDED_FOR"), trusted)
        address = _address(peer)
        if address is None or not is_trusted(address, trusted):
            for header in FORWARDING_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)
