"""Where the client finds its server and token: ``IMGBACKUP_URL`` / ``IMGBACKUP_TOKEN`` when set
(scripts, CI), else what ``imgbackup login`` stored in the user's config folder.

The file holds a secret, so it is created with mode 0600 from the start (never written and
then chmod-ed, which would leave a window), and replaced atomically."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from imgbackup.client._errors import AuthError, UsageError


@dataclass(frozen=True)
class Login:
    url: str
    token: str
    token_id: str | None = None  # lets ``logout`` revoke the token on the server


def config_path() -> Path:
    return Path(platformdirs.user_config_dir("imgbackup")) / "login.json"


def normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise UsageError(f"not a server address: {url!r} (expected e.g. https://photos.example.org)")
    return url


def save(login: Login) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".login-")  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(asdict(login), f)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def stored() -> Login | None:
    path = config_path()
    try:
        data = json.loads(path.read_text())
        return Login(str(data["url"]), str(data["token"]), data.get("token_id"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuthError(f"cannot read {path} ({exc}): run 'imgbackup login URL' again") from None


def remove() -> bool:
    path = config_path()
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def current() -> Login:
    """The login to use, environment first. Raises AuthError when there is none."""
    env_url = os.environ.get("IMGBACKUP_URL", "").strip()
    env_token = os.environ.get("IMGBACKUP_TOKEN", "").strip()
    saved = stored() if not (env_url and env_token) else None
    url = normalize_url(env_url) if env_url else (saved.url if saved else "")
    if not url:
        raise AuthError("not logged in: run 'imgbackup login URL' "
                        "(or set IMGBACKUP_URL and IMGBACKUP_TOKEN)")
    if env_token:
        return Login(url, env_token)
    # The stored token belongs to the stored server: never send it to another one.
    if saved is None or saved.url != url:
        raise AuthError(f"no token for {url}: run 'imgbackup login {url}' "
                        "(or set IMGBACKUP_TOKEN)")
    return saved
