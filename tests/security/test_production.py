"""Production settings (IMGBACKUP_HTTPS=1) on a real served server: Django's deploy check,
cookie flags and security headers; tokens hashed at rest; no secret in the server's log."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import LiveServer, make_jpeg, start_server

pytestmark = pytest.mark.slow
PRODUCTION = {"IMGBACKUP_HTTPS": "1", "IMGBACKUP_LOG_LEVEL": "DEBUG"}
HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS-terminating proxy adds


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("production"), PRODUCTION)
    yield server
    server.stop()


def test_the_deploy_check_is_clean_with_production_settings(tmp_path: Path) -> None:
    import os

    env = {**os.environ, **PRODUCTION, "IMGBACKUP_DATA_DIR": str(tmp_path),
           "IMGBACKUP_ALLOWED_HOSTS": "photos.example.com"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run([sys.executable, "-m", "imgbackup", "check", "--deploy",
                          "--fail-level", "WARNING"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


def test_plain_http_is_redirected_except_the_health_check(live: LiveServer) -> None:
    r = httpx.get(live.url + "/login")
    assert r.status_code == 301 and r.headers["location"].startswith("https://")
    assert httpx.get(live.url + "/healthz").status_code == 200


def test_security_headers_and_cookie_flags(live: LiveServer) -> None:
    page = httpx.get(live.url + "/setup", headers=HTTPS, follow_redirects=False)
    if page.status_code == 302:  # an account exists already: the login page has a form too
        page = httpx.get(live.url + "/login", headers=HTTPS)
    assert page.status_code == 200
    headers = page.headers
    assert re.fullmatch(r"max-age=\d{7,}; includeSubDomains", headers["strict-transport-security"])
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    csrf = cookie_line(page, "csrftoken")
    assert "Secure" in csrf and "SameSite=Lax" in csrf


def test_the_session_cookie_is_secure_httponly_and_samesite(live: LiveServer) -> None:
    live.imgbackup("createuser", "carol", "--password", "carol-password-123")
    session = sign_in(live, "carol", "carol-password-123")
    cookie = cookie_line(session, "sessionid")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in cookie, cookie


def test_tokens_are_hashed_at_rest_and_no_secret_reaches_the_log(live: LiveServer) -> None:
    live.imgbackup("createuser", "dave", "--password", "dave-password-123")
    token = live.imgbackup("token", "dave").strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}", **HTTPS}
    body = make_jpeg(5)
    url = live.url + "/api/v1.0/service/image/"
    assert httpx.post(url, headers=headers, files={"p": ("a.jpg", body)}).status_code == 200
    md5 = hashlib.md5(body).hexdigest()
    assert httpx.get(url, params={"md5": md5}, headers=headers).status_code == 200
    wrong = token[:-4] + "AAAA"
    assert httpx.get(url, params={"md5": md5}, headers={
        "Authorization": f"Bearer {wrong}", **HTTPS}).status_code == 401
    session = sign_in(live, "dave", "dave-password-123")
    session_id = cookie_line(session, "sessionid").split(";", 1)[0].split("=", 1)[1]
    for _ in range(3):
        sign_in(live, "dave", "not-daves-password", expect=200)

    rows = live.sql("SELECT digest, prefix, name FROM accounts_apitoken")
    assert hashlib.sha256(token.encode()).hexdigest() in {row[0] for row in rows}
    assert not any(token in str(value) for row in rows for value in row)
    # On SQLite, the database files themselves (WAL included) never hold the raw token.
    at_rest = b"".join(p.read_bytes() for p in live.data_dir.glob("imgbackup.sqlite3*"))
    assert token.encode() not in at_rest and token[3:].encode() not in at_rest
    assert b"dave-password-123" not in at_rest

    log = live.log.read_text(errors="replace")
    assert "/api/v1.0/service/image/" in log  # the log is the one these requests wrote
    secret = (live.data_dir / "secret_key").read_text().strip()
    for needle in (token, wrong, token[3:], "dave-password-123", "not-daves-password",
                   session_id, secret):
        assert needle not in log, f"{needle[:6]}... is in the server log"


def cookie_line(response: httpx.Response, name: str) -> str:
    for line in response.headers.get_list("set-cookie"):
        if line.startswith(f"{name}="):
            return line
    raise AssertionError(f"no {name} cookie set: {response.headers.get_list('set-cookie')}")


def sign_in(live: LiveServer, username: str, password: str,
            expect: int = 302) -> httpx.Response:
    page = httpx.get(live.url + "/login", headers=HTTPS)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None, page.text
    # The cookie is Secure, so an HTTP client will not send it back over the loopback's plain
    # HTTP by itself; behind the proxy the browser does. Over HTTPS Django also checks that the
    # Referer is this site.
    csrf_cookie = cookie_line(page, "csrftoken").split(";", 1)[0]
    response = httpx.post(live.url + "/login", data={
        "username": username, "password": password, "csrfmiddlewaretoken": token.group(1),
    }, headers={**HTTPS, "Cookie": csrf_cookie,
                "Referer": live.url.replace("http://", "https://") + "/login"})
    assert response.status_code == expect, response.text[:500]
    return response
