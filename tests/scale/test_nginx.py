"""deploy/nginx/imgbackup.conf, for real: uploads stream through nginx, downloads of local
originals are sent by nginx itself (X-Accel-Redirect) with the server's headers, and clients
behind nginx keep their own addresses for the login limits."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from backends import free_port
from conftest import ROOT, LiveServer, make_jpeg, start_server

URL = "/api/v1.0/service/image/"
pytestmark = pytest.mark.slow


def nginx_conf(tmp: Path, port: int, upstream: str, storage: Path) -> Path:
    site = (ROOT / "deploy" / "nginx" / "imgbackup.conf").read_text()
    for documented, here in [("server 127.0.0.1:8000;", f"server {upstream};"),
                             ("listen 80;", f"listen 127.0.0.1:{port};"),
                             ("alias /var/lib/imgbackup/;", f"alias {storage}/;")]:
        assert documented in site
        site = site.replace(documented, here)
    (tmp / "site.conf").write_text(site)
    temp = "\n".join(f"{kind}_temp_path {tmp}/{kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = tmp / "nginx.conf"
    # As root the workers must stay root to read pytest's private temp folders.
    conf.write_text(f"""{'user root;' if os.geteuid() == 0 else ''}
daemon off; worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{ worker_connections 4096; }}
http {{ include /etc/nginx/mime.types; access_log {tmp}/access.log; {temp}
       include {tmp}/site.conf; }}
""")
    return conf


@contextmanager
def behind_nginx(tmp_path: Path, server_env: dict[str, str]) -> Iterator[tuple[str, LiveServer]]:
    """An ``imgbackup serve`` with ``server_env``, and nginx in front of it with the shipped
    site; yields nginx's URL and the server."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("CI must test the nginx configuration: apt-get install nginx")
        pytest.skip("nginx is not installed")
    storage = tmp_path / "data"
    server = start_server(tmp_path, {"IMGBACKUP_STORAGE": str(storage), **server_env})
    port = free_port()
    conf = nginx_conf(tmp_path, port, server.url.removeprefix("http://"), storage)
    process = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path)],
                               stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url, server
    finally:
        process.terminate()
        process.wait(10)
        server.stop()


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[str, LiveServer]]:
    with behind_nginx(tmp_path, {"IMGBACKUP_ACCEL_REDIRECT": "/_blobs/"}) as proxied:
        yield proxied


def test_nginx_streams_uploads_in_and_sends_originals_itself(
        proxied: tuple[str, LiveServer]) -> None:
    url, server = proxied
    token = server.user_with_token("alice")
    headers = {"Authorization": f"Bearer {token}"}
    body = make_jpeg(7) + os.urandom(5 * 1024 * 1024)  # bytes after the JPEG's end are kept
    r = httpx.post(url + URL, headers=headers, files={"p": ("a.jpg", body, "image/jpeg")},
                   timeout=60)
    assert r.status_code == 200, r.text
    got = httpx.get(url + URL, params={"md5": hashlib.md5(body).hexdigest()}, headers=headers)
    assert got.status_code == 200 and got.content == body
    sha = hashlib.sha256(body).hexdigest()
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["etag"] == f'"{sha}"'
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in got.headers["cache-control"]
    assert "x-accel-redirect" not in got.headers
    # Ranges are nginx's to answer here; If-Range is compared with the server's ETag.
    ranged = {**headers, "Range": "bytes=100-199", "If-Range": f'"{sha}"'}
    part = httpx.get(url + URL, params={"md5": hashlib.md5(body).hexdigest()}, headers=ranged)
    assert part.status_code == 206 and part.content == body[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(body)}"
    # The internal location cannot be asked for directly.
    direct = httpx.get(f"{url}/_blobs/originals/{sha[:2]}/{sha[2:4]}/{sha}")
    assert direct.status_code == 404


def test_behind_nginx_each_client_address_is_throttled_on_its_own(tmp_path: Path) -> None:
    # The clients connect to nginx from 127.0.0.2 and 127.0.0.3 (all of 127/8 is loopback);
    # nginx connects to the server from 127.0.0.1, the only IPv4 address trusted by default.
    # So the server can tell the clients apart only through the X-Forwarded-For entry that the
    # shipped site appends ($proxy_add_x_forwarded_for), walked from the right.
    with behind_nginx(tmp_path, {"IMGBACKUP_LOGIN_MAX_FAILURES": "2"}) as (url, server):
        server.user_with_token("alice")

        def login(source: str, password: str, claimed: str | None = None) -> int:
            headers = {"X-Forwarded-For": claimed} if claimed else {}
            with httpx.Client(transport=httpx.HTTPTransport(local_address=source)) as client:
                answer = client.post(url + "/api/v2/auth/token", headers=headers,
                                     json={"username": "alice", "password": password})
            return answer.status_code

        assert [login("127.0.0.2", "wrong") for _ in range(2)] == [401, 401]
        assert login("127.0.0.2", "alice-password-123") == 429
        # Claiming another client's address in front of nginx's entry changes nothing.
        assert login("127.0.0.2", "alice-password-123", claimed="127.0.0.3") == 429
        assert login("127.0.0.3", "alice-password-123") == 201
    # gunicorn's access log shows the address the server resolved, not nginx's.
    logged = server.log.read_text().splitlines()
    assert sum(line.startswith('127.0.0.2 "POST /api/v2/auth/token') for line in logged) == 4
    assert sum(line.startswith('127.0.0.3 "POST /api/v2/auth/token') for line in logged) == 1


def test_web_login_through_nginx_on_a_port_of_its_own(tmp_path: Path) -> None:
    # A browser posting the login form sends `Origin: http://HOST:PORT`; Django's CSRF check
    # compares it with the Host the server sees. nginx's `$host` drops the port, so on any
    # port but 80/443 every web form answered 403 "CSRF verification failed"; `$http_host`
    # passes the browser's Host, port included.
    with behind_nginx(tmp_path, {}) as (url, server):
        server.user_with_token("alice")
        with httpx.Client(base_url=url) as browser:
            form = browser.get("/login")
            assert form.status_code == 200
            token = form.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
            answer = browser.post("/login", headers={"Origin": url, "Referer": url + "/login"},
                                  data={"csrfmiddlewaretoken": token, "username": "alice",
                                        "password": "alice-password-123"})
            assert answer.status_code == 302, answer.text[:300]
            assert browser.get("/api/v2/photos").status_code == 200
