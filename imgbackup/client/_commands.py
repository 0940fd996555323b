"""What each command does once its arguments are parsed: connect, run, print, exit code.
Text goes to standard output, progress and failures to standard error."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import socket
import sqlite3
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from imgbackup.client import _config, _ids
from imgbackup.client._albums import AlbumOf, by_folder, named
from imgbackup.client._api import Api, Retry
from imgbackup.client._cache import HashCache
from imgbackup.client._errors import (
    AuthError,
    ClientError,
    ExitCode,
    Rejected,
    ServerError,
    UsageError,
)
from imgbackup.client._progress import Progress, count, human_bytes, human_wait
from imgbackup.client._pull import PullReport
from imgbackup.client._pull import pull as run_pull
from imgbackup.client._push import PushReport
from imgbackup.client._push import push as run_push
from imgbackup.client._upload import Failure
from imgbackup.client._usage import print_usage

# ls and rm are run by a person waiting for the answer: retry a little, then say what is wrong.
INTERACTIVE_RETRIES = 2


def login(args: argparse.Namespace) -> int:
    url = _config.normalize_url(args.url)
    if args.password_stdin and not args.username:
        raise UsageError("--password-stdin needs --username (standard input holds the password)")
    username = args.username or _ask("Username: ")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
    if not password:
        raise UsageError("empty password: type it, or give it on the first line of standard "
                         "input with --password-stdin")
    with _open_api(url, None, retries=2) as api:
        try:
            body = api.create_token(username, password, f"imgbackup CLI on {socket.gethostname()}")
        except AuthError:
            raise AuthError(f"{url} refused the user name or password") from None
        except Rejected as exc:  # 429: too many failed logins; 404: not a server's address
            if exc.status == 404:
                raise ServerError(_no_api(url), exc.status, exc.code) from None
            raise AuthError(_refused_login(url, exc)) from None
    path = _config.save(_config.Login(url, str(body["token"]), str(body.get("id", "")) or None))
    print(f"logged in to {url} as {username}; token saved in {path}")
    return ExitCode.OK


def _no_api(url: str) -> str:
    return (f"no imgbackup API at {url} (404 for /api/v2/auth/token): give the server's "
            "address alone, as its web app is opened, e.g. https://photos.example.org")


def _refused_login(url: str, exc: Rejected) -> str:
    if exc.status != 429:
        return f"{url} refused the login: {exc}"
    wait = f"in {human_wait(exc.retry_after)}" if exc.retry_after else "later"
    return f"{url} refused the login after too many wrong passwords: try again {wait}"


def logout(args: argparse.Namespace) -> int:
    saved = _config.stored()
    if saved is None:
        print("not logged in")
        return ExitCode.OK
    if saved.token_id:
        try:
            with _open_api(saved.url, saved.token, retries=1) as api:
                api.revoke_token(saved.token_id)
        except AuthError:  # revoked already (a password change) or expired: nothing to do
            print("imgbackup logout: the server no longer accepts this token (revoked or "
                  "expired already); nothing to revoke", file=sys.stderr)
        except ClientError as exc:
            # Forgetting the token locally still matters; say the server may keep it.
            print(f"imgbackup logout: could not revoke the token on the server ({exc}); "
                  "revoke it on the web app's tokens page", file=sys.stderr)
    _config.remove()
    print(f"logged out of {saved.url}")
    return ExitCode.OK


def push(args: argparse.Namespace) -> int:
    # A mistyped path is a usage error, told before anything is read or sent.
    for path in args.paths:
        if not os.path.lexists(path):  # a broken link "exists": it fails later, named
            raise UsageError(f"no such folder or file: {path}")
    progress = Progress(enabled=not args.quiet)
    with _connect(args.jobs, args.retries) as api:
        cache = _cache()
        try:
            report = run_push(api, cache, args.paths, jobs=args.jobs, dry_run=args.dry_run,
                              progress=progress, restore=not args.no_restore,
                              album_of=_album_of(args))
        finally:
            cache.close()
    _print_push(report, args.json)
    return report.exit_code


def _album_of(args: argparse.Namespace) -> AlbumOf | None:
    if args.album_from_folder:
        return by_folder
    return named(args.album) if args.album else None


def pull(args: argparse.Namespace) -> int:
    dest = Path(args.dest)
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} exists and is not a folder")
    progress = Progress(enabled=not args.quiet)
    with _connect(args.jobs, args.retries) as api:
        cache = _cache()
        try:
            report = run_pull(api, cache, dest.absolute(), since=args.since, jobs=args.jobs,
                              progress=progress)
        finally:
            cache.close()
    _print_pull(report, args.json)
    return report.exit_code


def ls(args: argparse.Namespace) -> int:
    # The server matches camera, lens and place word by word (docs/api.md): the same rule as
    # the web app's search.
    filters = {k: v for k, v in (("since", args.since), ("until", args.until),
                                 ("q", args.query), ("camera", args.camera),
                                 ("lens", args.lens), ("place", args.place)) if v}
    with _connect(1, INTERACTIVE_RETRIES) as api:
        if args.usage:
            print_usage(api.me(), args.json)
            return ExitCode.OK
        photos: list[dict[str, Any]] = []
        for photo in api.photos(**filters):
            if args.limit is not None and len(photos) >= args.limit:
                break
            photos.append(photo)
    if args.json:
        print(json.dumps(photos, indent=1))
        return ExitCode.OK
    for photo in photos:
        taken = str(photo.get("taken_at") or "")[:16].replace("T", " ")
        dims = f"{photo.get('width')}x{photo.get('height')}" if photo.get("width") else "-"
        print(f"{photo['id']}  {taken:16}  {human_bytes(int(photo.get('size') or 0)):>9}  "
              f"{dims:>11}  {_kind(photo):>7}  {photo.get('filename') or ''}")
    return ExitCode.OK


def _kind(photo: dict[str, Any]) -> str:
    """"photo", "live" (a Live or Motion Photo) or the video's length, e.g. "1:05"."""
    if photo.get("media_type") == "video":
        seconds = round(float(photo.get("duration") or 0))
        return f"{seconds // 60}:{seconds % 60:02d}" if seconds else "video"
    return "live" if photo.get("has_motion") else "photo"


def rm(args: argparse.Namespace) -> int:
    _ids.check(args.ids)
    failed: list[dict[str, str]] = []
    trashed: list[str] = []

    def fail(given: str, reason: str) -> None:
        failed.append({"id": given, "reason": reason})
        print(f"imgbackup rm: {given}: {reason}", file=sys.stderr)

    with _connect(1, INTERACTIVE_RETRIES) as api:
        resolved = _ids.resolve(args.ids, (str(p["id"]) for p in api.photos()))
        for given in args.ids:
            if given in resolved.failed:
                fail(given, resolved.failed[given])
                continue
            photo_id = resolved.ids[given]
            try:
                photo = api.trash(photo_id)
            except Rejected as exc:
                fail(given, "not found" if exc.status == 404 else str(exc))
                continue
            trashed.append(photo_id)
            if not args.json:
                print(f"moved to the trash: {photo_id} {photo.get('filename') or ''}".rstrip())
    if args.json:
        print(json.dumps({"trashed": trashed, "failed": failed}))
    return ExitCode.FAILED if failed else ExitCode.OK


def _connect(jobs: int, retries: int) -> Api:
    login = _config.current()
    return _open_api(login.url, login.token, jobs=jobs, retries=retries)


def _open_api(url: str, token: str | None, *, jobs: int = 1, retries: int) -> Api:
    return Api(url, token, connections=jobs, retry=Retry(attempts=retries))


def _cache() -> HashCache:
    try:
        return HashCache()
    except (OSError, sqlite3.Error) as exc:
        # Still correct without it, only slower: everything is hashed again next time.
        print(f"warning: hash cache unavailable ({exc}); every file will be read",
              file=sys.stderr)
        return HashCache(Path(":memory:"))


def _ask(prompt: str) -> str:
    try:
        answer = input(prompt).strip()
    except EOFError:
        answer = ""
    if not answer:
        raise UsageError("a user name is needed (or pass --username)")
    return answer


def _print_push(report: PushReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_summary(report)))
    elif report.error and not report.files_seen:
        pass  # stopped before looking at a file: "0 ... files found" would read as an empty folder
    else:
        if report.dry_run:
            sent = f"would upload {len(report.would_upload)} "
            sent += f"({human_bytes(report.would_upload_bytes)})"
        else:
            sent = f"uploaded {report.uploaded} ({human_bytes(report.uploaded_bytes)})"
        # Files, as found on disk: a Live Photo is two (its still and its clip).
        print(f"{count(report.images, 'photo or video file')} found "
              f"({count(report.not_images, 'other file')} "
              f"skipped, {count(report.duplicates, 'duplicate')}), "
              f"{count(report.read, 'file')} read ({human_bytes(report.read_bytes)}); "
              f"{report.already_backed_up} already backed up{_trash_note(report)}; {sent}")
        if report.in_albums:
            print(f"{count(report.in_albums, 'photo')} in albums")
        for path in report.would_upload:
            print(f"  {path}")
    _print_failures(report.failed, report.error, "push")


def _trash_note(report: PushReport) -> str:
    """What became of the photos found in the server's trash."""
    if not report.in_trash:
        return ""
    if not report.restore:
        return (f" ({count(report.in_trash, 'file')} of them left in the server's trash: "
                "--no-restore)")
    if report.dry_run:
        return f"; would restore {count(report.in_trash, 'file')} from the server's trash"
    left = report.in_trash - report.restored
    return (f"; restored {count(report.restored, 'file')} from the server's trash"
            + (f" ({left} could not be, named below)" if left else ""))


def _print_pull(report: PullReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_summary(report)))
    elif not (report.error and not report.photos):  # stopped before the list: no "0 photos"
        files = f" ({count(report.files, 'file')})" if report.files != report.photos else ""
        print(f"{count(report.photos, 'photo')} on the server{files}: {report.present} "
              f"already here and "
              f"verified, {report.downloaded} downloaded "
              f"({human_bytes(report.downloaded_bytes)}) and verified")
    _print_failures(report.failed, report.error, "pull")


def _summary(report: PushReport | PullReport) -> dict[str, Any]:
    summary = asdict(report)
    summary["failed"] = [{"path": f.path, "reason": f.reason} for f in report.failed]
    return summary


def _print_failures(failed: list[Failure], error: str, command: str) -> None:
    for failure in failed:
        print(f"imgbackup {command}: failed: {failure.path}: {failure.reason}", file=sys.stderr)
    if failed:
        print(f"imgbackup {command}: {count(len(failed), 'file')} failed", file=sys.stderr)
    if error:
        print(f"imgbackup {command}: {error}; run the same command again to finish",
              file=sys.stderr)
