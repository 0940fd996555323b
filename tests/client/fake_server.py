"""An in-memory API v2 server for httpx.MockTransport: enough of docs/api.md for the client's
unit tests (auth, check, multipart upload with checksum verification, keyset-ish listing,
originals with ranges, trash), plus fault injection. The live-server tests check the real one."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from imgbackup.client._sniff import HEAD_SIZE, media_type

TOKEN = "good-token"


def _error(status: int, code: str, message: str, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}, **extra})


@dataclass
class FakeServer:
    photos: dict[str, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    upload_bytes: int = 0  # multipart body bytes received by POST /photos
    ranges: bool = True  # answer Range (with a current If-Range) with 206
    original_bytes: int = 0  # bytes of originals sent
    # Each call pops the first fault, if any: an int is answered as that status, an exception
    # is raised (as the network would). ``when`` limits faults to matching requests.
    faults: list[int | Exception | httpx.Response] = field(default_factory=list)
    when: Callable[[httpx.Request], bool] = lambda request: True
    corrupt: set[str] = field(default_factory=set)  # ids whose original is served altered
    albums: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {name, ids}
    quota_bytes: int | None = None  # GET /me's quota; its usage is the photos' bytes

    def usage_bytes(self) -> int:
        return sum(len(self.blobs.get(photo_id, b"")) for photo_id in self.photos)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.faults and self.when(request):
            fault = self.faults.pop(0)
            if isinstance(fault, Exception):
                raise fault
            if isinstance(fault, httpx.Response):
                return fault
            return _error(fault, "unavailable", "injected fault")
        path = request.url.path.removeprefix("/api/v2/")
        if path == "auth/token" and request.method == "POST":
            body = json.loads(request.content)
            if body["username"] == "locked-out":
                return httpx.Response(429, headers={"Retry-After": "900"}, json={"error": {
                    "code": "throttled", "message": "too many failed logins; try again later"}})
            if (body["username"], body["password"]) != ("alice", "alice-password-123"):
                return _error(401, "not_authenticated", "bad credentials")
            return httpx.Response(201, json={"token": TOKEN, "id": "7", "name": body["name"]})
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _error(401, "not_authenticated", "the API token is not valid")
        return self._route(request, path)

    def _albums(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        if request.method == "GET" and len(parts) == 1:
            return httpx.Response(200, json={"items": [
                {"id": key, "name": a["name"], "role": "owner"} for key, a in self.albums.items()]})
        body = json.loads(request.content)
        if request.method == "POST" and len(parts) == 1:
            key = f"album{len(self.albums) + 1}"
            self.albums[key] = {"name": body["name"], "ids": []}
            return httpx.Response(201, json={"id": key, "name": body["name"]})
        album = self.albums[parts[1]]
        done = [i for i in body["ids"] if i in self.photos]
        album["ids"] += [i for i in done if i not in album["ids"]]
        return httpx.Response(200, json={"done": done, "not_found": []})

    def _route(self, request: httpx.Request, path: str) -> httpx.Response:
        method, parts = request.method, path.split("/")
        if (method, path) == ("GET", "me"):
            return httpx.Response(200, json={"username": "alice", "is_admin": False,
                                             "usage_bytes": self.usage_bytes(),
                                             "quota_bytes": self.quota_bytes})
        if (method, path) == ("POST", "photos/check"):
            return self._check(request)
        if (method, path) == ("POST", "photos"):
            return self._upload(request)
        if (method, path) == ("GET", "photos"):
            return self._list(request)
        if parts[0] == "albums":
            return self._albums(request, parts)
        if method == "DELETE" and parts[0] == "tokens":
            return httpx.Response(204)
        if method == "GET" and parts[0] == "photos" and parts[2:] == ["original"] \
                and parts[1] in self.blobs:
            return self._original(request, parts[1])  # a Live Photo's clip is not an item
        if parts[0] == "photos" and len(parts) >= 2 and parts[1] in self.photos:
            if method == "GET" and parts[2:] == ["original"]:
                return self._original(request, parts[1])
            if method == "DELETE" and len(parts) == 2:
                self.photos[parts[1]]["trashed_at"] = "2026-01-01T00:00:00+00:00"
                return httpx.Response(200, json=self.photos[parts[1]])
            if method == "POST" and parts[2:] == ["restore"]:
                self.photos[parts[1]]["trashed_at"] = None
                return httpx.Response(200, json=self.photos[parts[1]])
        return _error(404, "not_found", "photo not found")

    def _check(self, request: httpx.Request) -> httpx.Response:
        hashes = json.loads(request.content)["hashes"]
        present = [h for h in hashes if h in self.photos]
        return httpx.Response(200, json={
            "present": present, "missing": [h for h in hashes if h not in self.photos],
            "trashed": [h for h in present if self.photos[h]["trashed_at"]]})

    def _upload(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        self.upload_bytes += len(body)
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + body)
        fields: dict[str, list[str]] = {}
        files = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if part.get_filename() is None:
                fields.setdefault(str(name), []).append(payload.decode())
            else:
                files.append((str(name), part.get_filename(), payload))
        items, rejected = [], []
        for i, (name, filename, data) in enumerate(files):
            sha = hashlib.sha256(data).hexdigest()
            claimed = fields.get("sha256", [])
            if i < len(claimed) and claimed[i] != sha:
                rejected.append({"name": name, "filename": filename, "error": {
                    "code": "checksum_mismatch", "message": "checksum mismatch"}})
                continue
            # Like the server: images and videos recognised from their bytes are kept.
            if not media_type(data[:HEAD_SIZE]):
                rejected.append({"name": name, "filename": filename, "error": {
                    "code": "unsupported_media_type",
                    "message": f"{filename}: the file is empty" if not data else
                    "not a recognised image"}})
                continue
            modified = fields.get("last_modified", [])
            created = sha not in self.photos
            if created:
                taken = datetime.fromtimestamp(int(modified[i]) / 1000, UTC) \
                    if i < len(modified) else datetime.now(UTC)
                self.blobs[sha] = data
                self.photos[sha] = {
                    "id": sha, "sha256": sha, "filename": filename, "size": len(data),
                    "content_type": "image/jpeg", "taken_at": taken.isoformat(),
                    "uploaded_at": f"2026-01-01T00:00:{len(self.photos):02d}+00:00",
                    "trashed_at": None, "width": 1, "height": 1}
            items.append({"id": sha, "sha256": sha, "created": created, "name": name,
                          "filename": filename, "photo": self.photos[sha]})
        if not items and rejected:
            return _error(400, rejected[0]["error"]["code"], "nothing kept", items=[],
                          rejected=rejected)
        status = 201 if any(item["created"] for item in items) else 200
        return httpx.Response(status, json={"items": items, "rejected": rejected})

    def _list(self, request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params.get("limit", 100))
        start = int(request.url.params.get("cursor", 0))
        since = request.url.params.get("since", "")
        rows = sorted((p for p in self.photos.values()
                       if not p["trashed_at"] and p["taken_at"][:10] >= since),
                      key=lambda p: (p["taken_at"], p["id"]), reverse=True)
        page = rows[start:start + limit]
        more = start + limit < len(rows)
        return httpx.Response(200, json={"items": page,
                                         "next_cursor": str(start + limit) if more else None})

    def _original(self, request: httpx.Request, photo_id: str) -> httpx.Response:
        data = self.blobs[photo_id]
        if photo_id in self.corrupt:
            data = b"X" + data[1:]
        wanted = request.headers.get("range", "")
        current = request.headers.get("if-range", f'"{photo_id}"') == f'"{photo_id}"'
        if self.ranges and wanted.startswith("bytes=") and current:
            start = int(wanted.removeprefix("bytes=").rstrip("-"))
            self.original_bytes += len(data) - start
            return httpx.Response(206, content=data[start:], headers={
                "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"})
        self.original_bytes += len(data)
        return httpx.Response(200, content=data)
