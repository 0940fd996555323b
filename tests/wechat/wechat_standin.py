"""A stand-in for WeChat's ``jscode2session`` on loopback, for the tests.

The code decides the answer (anything else is WeChat's "invalid code", 40029):
``ok-<openid>`` logs in as that openid, ``err-<errcode>`` answers
that WeChat error, ``http-<status>`` answers that HTTP status, ``garbage`` answers non-JSON,
``slow`` answers after half a second. Every query it received is kept in ``calls``."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PATH = "/sns/jscode2session"


@dataclass
class StandIn:
    url: str
    calls: list[dict[str, str]] = field(default_factory=list)


def answer(code: str) -> tuple[int, bytes]:
    if code.startswith("ok-"):
        openid = code[3:]
        body = {"openid": openid, "session_key": f"sk-{openid}", "unionid": f"u-{openid}"}
        return 200, json.dumps(body).encode()
    if match := re.fullmatch(r"err-(-?\d+)", code):
        errcode = int(match[1])
        return 200, json.dumps({"errcode": errcode, "errmsg": f"error {errcode}"}).encode()
    if match := re.fullmatch(r"http-([1-5]\d\d)", code):
        return int(match[1]), b"<html>bad gateway</html>"
    if code == "garbage":
        return 200, b"<html>not json</html>"
    if code == "slow":
        time.sleep(0.5)
        return 200, b"{}"
    return 200, json.dumps({"errcode": 40029, "errmsg": "invalid code"}).encode()


@contextmanager
def standin() -> Iterator[StandIn]:
    calls: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            calls.append(query)
            status, body = (404, b"") if url.path != PATH else answer(query.get("js_code", ""))
            try:
                self.send_response(status)
                # WeChat itself answers JSON as text/plain.
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server under test gave up waiting (the timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield StandIn(f"http://127.0.0.1:{httpd.server_address[1]}{PATH}", calls)
    finally:
        httpd.shutdown()
        httpd.server_close()
