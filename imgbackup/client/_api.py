"""The HTTP side: one ``httpx.Client`` shared by every worker thread (httpx pools connections
and is thread-safe), the API v2 calls the commands need, retries with backoff, and the one
place that turns an HTTP answer into the client's errors."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from imgbackup import __version__
from imgbackup.client import _sendfile as sendfile
from imgbackup.client._errors import AuthError, Rejected, ServerError, Unreachable
from imgbackup.client._multipart import Body
from imgbackup.client._sendfile import Poster, Sendable

# Worth another try: the server or a proxy in front of it is restarting or overloaded. 4xx are
# about the request and would fail again; a 429 is tried again only when its Retry-After is
# short (too many of this user's uploads in flight, e.g. one of a killed run still finishing),
# never the login throttle's many minutes.
RETRY_STATUSES = frozenset({500, 502, 503, 504})
SHORT_WAIT = 60  # seconds of Retry-After on a 429 still worth waiting for
PAGE = 500  # the largest page API v2 serves
CHECK_BATCH = 1000  # hashes per /photos/check (the API takes up to 10 000)

Json = dict[str, Any]


@dataclass(frozen=True)
class Retry:
    """Exponential backoff with jitter, so many clients do not retry in lockstep."""

    attempts: int = 5  # tries after the first one
    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int) -> float:
        jitter = 0.5 + random.random() / 2  # noqa: S311 - spreading retries, not a secret
        return float(min(self.cap, self.base * 2**attempt) * jitter)

    def pause(self, attempt: int) -> None:
        _sleep(self.delay(attempt))


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # one seam, so tests retry without waiting


@dataclass(frozen=True)
class Check:
    present: set[str]
    missing: set[str]
    trashed: set[str]


class Api:
    def __init__(self, url: str, token: str | None = None, *, connections: int = 4,
                 retry: Retry | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url
        self.retry = retry or Retry()
        headers = {"User-Agent": f"imgbackup-cli/{__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(
            base_url=f"{url}/api/v2/", headers=headers, transport=transport,
            # Reading waits for the server to hash and store a whole upload: be patient.
            timeout=httpx.Timeout(120, connect=10),
            limits=httpx.Limits(max_connections=connections,
                                max_keepalive_connections=connections),
        )
        # Uploads' file bytes go by sendfile where they can (not through a test's transport).
        self._poster = (Poster(str(self.http.base_url), self.http.headers, self.http.timeout)
                        if transport is None and sendfile.usable(url) else None)

    def close(self) -> None:
        self.http.close()
        if self._poster is not None:
            self._poster.close()

    def post_body(self, path: str, body: Body) -> httpx.Response:
        """POST a multipart ``body`` (one try; see ``call``)."""
        if self._poster is not None:
            return self._poster.post(path, body)
        return self.http.post(path, content=iter(body), headers={
            "Content-Type": body.content_type, "Content-Length": str(len(body))})

    def sends_files_to(self, url: str) -> bool:
        """Whether a request to ``url`` (absolute) can put a file's bytes on the socket with
        sendfile (``send_file``): plain HTTP to this server, no proxy, no test transport."""
        return self._poster is not None and self._poster.serves(url)

    def send_file(self, method: str, url: str, headers: dict[str, str], size: int,
                  source: Sendable) -> httpx.Response:
        """One request (one try) whose ``size`` body bytes ``source`` puts on the socket; only
        where ``sends_files_to(url)``. Network failures are httpx's errors."""
        assert self._poster is not None
        return self._poster.send(method, url, headers, size, [source])

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, send: Callable[[], httpx.Response]) -> httpx.Response:
        """``send()`` once, then again after a pause while the network fails or the server
        answers a transient status; the final answer is checked (see ``checked``)."""
        attempt = 0
        while True:
            try:
                response = send()
            except httpx.TransportError as exc:
                if attempt >= self.retry.attempts:
                    raise Unreachable(f"cannot reach {self.url}: {describe(exc)}") from None
            else:
                wait = _short_wait(response)
                transient = response.status_code in RETRY_STATUSES or wait is not None
                if not transient or attempt >= self.retry.attempts:
                    return checked(response, self.url)
                response.close()
                if wait:
                    _sleep(wait)
            self.retry.pause(attempt)
            attempt += 1

    def _get(self, path: str, **params: Any) -> Json:
        return json_object(self.call(functools.partial(self.http.get, path, params=params)))

    def _post(self, path: str, body: Json) -> Json:
        return json_object(self.call(functools.partial(self.http.post, path, json=body)))

    def create_token(self, username: str, password: str, name: str) -> Json:
        return self._post("auth/token", {"username": username, "password": password,
                                         "name": name})

    def revoke_token(self, token_id: str) -> None:
        self.call(functools.partial(self.http.delete, f"tokens/{token_id}"))

    def me(self) -> Json:
        return self._get("me")

    def check(self, hashes: list[str]) -> Check:
        result = Check(set(), set(), set())
        for start in range(0, len(hashes), CHECK_BATCH):
            body = self._post("photos/check", {"hashes": hashes[start:start + CHECK_BATCH]})
            result.present.update(body.get("present", []))
            result.missing.update(body.get("missing", []))
            result.trashed.update(body.get("trashed", []))
        return result

    def photos(self, **filters: str) -> Iterator[Json]:
        """Every photo of the user's own matching ``filters`` (since, until, q, camera, lens,
        place), newest taken first: never a partner's shown in their timeline, which this
        client can neither pull as a backup nor remove."""
        params: dict[str, str | int] = {"limit": PAGE, "partners": "false", **filters}
        while True:
            body = self._get("photos", **params)
            items = body.get("items")
            if not isinstance(items, list):
                raise ServerError(f"unexpected answer from {self.url}: a page without items")
            yield from items
            if not body.get("next_cursor"):
                return
            params["cursor"] = body["next_cursor"]

    def trash(self, photo_id: str) -> Json:
        return json_object(self.call(functools.partial(self.http.delete, f"photos/{photo_id}")))

    def restore(self, photo_id: str) -> Json:
        """Take the photo out of the trash (a photo outside it is left as it is)."""
        return json_object(self.call(functools.partial(self.http.post,
                                                       f"photos/{photo_id}/restore")))

    @contextmanager
    def original(self, photo_id: str, offset: int = 0) -> Iterator[httpx.Response]:
        """The original's bytes as a streamed response (status checked), from ``offset`` if
        the server honours ranges (then 206). Not retried here: the caller resumes.

        ``If-Range`` with the photo's ETag (its id, quoted): should the server hold other
        bytes under that URL, it answers them whole (200) instead of a range to splice.

        Redirects are followed: a server with presigned S3 downloads answers with the object
        store's URL (httpx drops the token when a redirect leaves the server's origin)."""
        headers = {"Range": f"bytes={offset}-", "If-Range": f'"{photo_id}"'} if offset else {}
        request = self.http.build_request("GET", f"photos/{photo_id}/original", headers=headers)
        try:
            response = self.http.send(request, stream=True, follow_redirects=True)
        except httpx.TransportError as exc:
            raise Unreachable(f"cannot reach {self.url}: {describe(exc)}") from None
        try:
            if response.status_code >= 300:
                response.read()
                checked(response, self.url)
            yield response
        finally:
            response.close()


def checked(response: httpx.Response, url: str) -> httpx.Response:
    """``response`` if it is a success, else the error that fits it."""
    status = response.status_code
    if status < 300:
        return response
    response.read()
    code, message, body = _error_of(response)
    if status == 401:
        raise AuthError(f"{url} refused the credentials ({message}): "
                        f"run 'imgbackup login {url}' to get a new token")
    if status == 404 and not code:
        raise ServerError(f"{url} has no {response.request.url.path}: is it an imgbackup "
                          "server with API v2?", status)
    error: ServerError = (ServerError if status >= 500 or status < 400 else Rejected)(
        f"{message} (HTTP {status})", status, code)
    error.body = body
    error.retry_after = _seconds(response.headers.get("Retry-After", ""))
    raise error


def waited_as_asked(response: httpx.Response) -> bool:
    """Whether ``response`` is a 429 with a Retry-After short enough to wait for; if so, waited
    (then the request is worth sending again, as ``Api.call`` does)."""
    wait = _short_wait(response)
    if wait:
        _sleep(wait)
    return wait is not None


def _short_wait(response: httpx.Response) -> int | None:
    """The seconds a 429 asks to wait, when that is short enough to wait for."""
    if response.status_code != 429:
        return None
    seconds = _seconds(response.headers.get("Retry-After", ""))
    return seconds if seconds is not None and seconds <= SHORT_WAIT else None


def _seconds(value: str) -> int | None:
    """Retry-After in seconds (the HTTP-date form is not used by imgbackup servers)."""
    return int(value) if value.strip().isdigit() else None


def _error_of(response: httpx.Response) -> tuple[str, str, Json]:
    try:
        body = response.json()
    except ValueError:
        return "", response.reason_phrase or "error", {}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        return str(err.get("code", "")), str(err.get("message", "")), body
    return "", response.reason_phrase or "error", body if isinstance(body, dict) else {}


def json_object(response: httpx.Response) -> Json:
    """The JSON object a success carries, or ServerError (a proxy's HTML page...)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ServerError(f"unexpected answer from {response.request.url}: not a JSON object",
                          response.status_code)
    return body


def describe(exc: httpx.TransportError) -> str:
    """A short reason a person can act on, instead of a chained traceback."""
    kinds: list[tuple[type[Exception], str]] = [
        (httpx.ConnectTimeout, "connection timed out"),
        (httpx.ConnectError, "connection refused or no route"),
        (httpx.TimeoutException, "the server stopped answering (timeout)"),
        (httpx.RemoteProtocolError, "the connection was closed mid-answer"),
    ]
    for kind, text in kinds:
        if isinstance(exc, kind):
            return f"{text}: {exc}" if str(exc) else text
    return str(exc) or type(exc).__name__
