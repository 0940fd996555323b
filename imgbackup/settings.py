"""The one settings module. Every knob is an ``IMGBACKUP_*`` environment variable, read through
the typed helpers below and documented in docs/configuration.md (a test enforces that)."""

from __future__ import annotations

import math
import os
import secrets
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url

from imgbackup.sizes import parse_size


def env(name: str, default: str) -> str:
    return os.environ.get(f"IMGBACKUP_{name}", default)


def env_int(name: str, default: int, minimum: int = 1) -> int:
    """A whole number of at least ``minimum``: 1 unless 0 means something (a limit off)."""
    raw = env(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"IMGBACKUP_{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SystemExit(f"IMGBACKUP_{name} must be {minimum} or more, not {raw!r}")
    return value


def env_float(name: str, default: float) -> float:
    """A number of 0 or more (seconds)."""
    raw = env(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"IMGBACKUP_{name} must be a number, not {raw!r}") from None
    if not 0 <= value < math.inf:  # also refuses nan
        raise SystemExit(f"IMGBACKUP_{name} must be 0 or more, not {raw!r}")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = env(name, "1" if default else "0").strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off", ""}:
        return False
    raise SystemExit(f"IMGBACKUP_{name} must be true or false, not {raw!r}")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_networks(name: str, default: str) -> list[IPv4Network | IPv6Network]:
    """Comma-separated IP addresses or CIDR networks. Strict, as gunicorn is: a network with
    host bits set (10.0.0.1/8) is refused, being most likely a typing mistake."""
    networks: list[IPv4Network | IPv6Network] = []
    for item in env_list(name, default):
        try:
            networks.append(ip_network(item))
        except ValueError as exc:
            raise SystemExit(f"IMGBACKUP_{name} must be IP addresses or networks (CIDR, e.g. "
                             f"10.0.0.0/8 or fd00::/8) separated by commas: {exc}") from None
    return networks


def _secret_key(data_dir: Path) -> str:
    """The key from IMGBACKUP_SECRET_KEY, else one generated once and kept in the data folder.
    The key is written whole to a file of its own, then linked into place: concurrent first
    starts (the server and its job worker) agree on one key and never read a half-written one."""
    if given := env("SECRET_KEY", ""):
        return given
    path = data_dir / "secret_key"
    if not path.exists():
        draft = data_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(50))
                f.flush()
                os.fsync(f.fileno())
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: its key is the one
        finally:
            draft.unlink(missing_ok=True)
    key = path.read_text().strip()
    if not key:
        raise SystemExit(f"{path} is empty: delete it and start again")
    return key


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("DATA_DIR", "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = _secret_key(DATA_DIR)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto and make cookies Secure.
HTTPS = env_bool("HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", True)
    # A load balancer's health check speaks plain HTTP to the app server: answer it, not 301.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # The HSTS header covers the subdomains of the host serving imgbackup; an operator with
    # plain-HTTP subdomains under that host turns this off.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    # Preloading a domain into browsers is a promise only the domain's owner can make (and is
    # slow to take back), so imgbackup never sends it; the deploy check asking for it is moot.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "imgbackup.accounts",
    "imgbackup.photos",
    "imgbackup.sharing",
    "imgbackup.api",
    "imgbackup.wechat",
    "imgbackup.web",
    "imgbackup.jobs",
    "imgbackup",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First: everything after it, the HTTPS redirect included, sees the client's address and
    # only the forwarding headers of trusted proxies (imgbackup/proxies.py).
    "imgbackup.proxies.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "imgbackup.framing.ChunkedBodyMiddleware",
    "imgbackup.api.limits.RequestSizeLimitMiddleware",
    "imgbackup.api.unavailable.DependencyUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's, for web pages only (API requests never carry one-time messages).
    "imgbackup.web.messages.WebMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "imgbackup.urls"
WSGI_APPLICATION = "imgbackup.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url: str) -> dict[str, Any]:
    # Persistent connections, checked before each request reuses one: after the database
    # restarts, the first request gets a fresh connection instead of an error.
    scheme = url.split("://", 1)[0] if "://" in url else ""
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=600,
                                                            conn_health_checks=True))
    except ValueError:  # an unknown scheme, or no URL at all
        config = {"ENGINE": ""}
    if config["ENGINE"] not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
        # Not the URL itself: it may hold a password, and this goes to the logs.
        raise SystemExit("IMGBACKUP_DATABASE_URL must be sqlite:///path or "
                         f"postgres://user:password@host:port/name, not a {scheme!r} URL")
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Fail fast (503, retry later) rather than hold a worker while the server is away.
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Connections persist here too (no CONN_MAX_AGE = 0): closing the last connection to
        # a WAL database checkpoints it and deletes the WAL, so a connection per request cost
        # every upload ~4 more disk syncs (bench/, BENCHMARKS.md).
        # Tests on a file like production, not Django's shared-cache in-memory database, whose
        # table locks fail concurrent writers at once instead of letting them wait.
        config["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
        config["OPTIONS"] = {
            # IMMEDIATE: a write transaction takes the lock when it starts, so two writers
            # queue instead of failing with "database is locked" half-way through.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            # WAL lets readers run beside a writer; synchronous=FULL makes every commit
            # durable before the upload is acknowledged.
            "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL",
        }
    return config


DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'imgbackup.sqlite3'}")
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Every password check goes through this backend, so the login form, the token endpoint and
# anything added later are throttled alike (accounts/throttle.py).
AUTHENTICATION_BACKENDS = ["imgbackup.accounts.throttle.ThrottledModelBackend"]
# Failed-login counts must be shared by the worker processes: a file cache in the data folder.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                      "LOCATION": str(DATA_DIR / "cache")}}
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login"

LANGUAGE_CODE = "en"
TIME_ZONE = env("TIME_ZONE", "UTC")
try:
    ZoneInfo(TIME_ZONE)
except (ValueError, ZoneInfoNotFoundError):
    raise SystemExit(f"IMGBACKUP_TIME_ZONE must be a time zone name such as UTC or "
                     f"Europe/Paris, not {TIME_ZONE!r}") from None
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Served straight from the apps' static folders by WhiteNoise: no collectstatic step to forget.
WHITENOISE_USE_FINDERS = True
WHITENOISE_MAX_AGE = 3600

# --- Storage -----------------------------------------------------------------------------
# IMGBACKUP_STORAGE is a local folder (default: the data folder) or s3://bucket.
STORAGE_URL = env("STORAGE", str(DATA_DIR))
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL", "")
S3_REGION = env("S3_REGION", "us-east-1")
S3_ACCESS_KEY_ID = env("S3_ACCESS_KEY_ID", "")
S3_SECRET_ACCESS_KEY = env("S3_SECRET_ACCESS_KEY", "")
S3_PRESIGNED_DOWNLOADS = env_bool("S3_PRESIGNED_DOWNLOADS", False)
# Behind nginx with local storage: answer downloads with X-Accel-Redirect to this internal
# location (e.g. /_blobs/) and let nginx send the file; empty means the server sends it.
ACCEL_REDIRECT = env("ACCEL_REDIRECT", "")


def _blob_storage(url: str) -> dict[str, Any]:
    if url.startswith("s3://"):
        bucket, _, prefix = url[len("s3://"):].partition("/")
        return {
            "BACKEND": "imgbackup.storage.s3.S3BlobStorage",
            "OPTIONS": {
                "bucket_name": bucket,
                "location": prefix.strip("/"),
                "endpoint_url": S3_ENDPOINT_URL or None,
                "region_name": S3_REGION,
                "access_key": S3_ACCESS_KEY_ID or None,
                "secret_key": S3_SECRET_ACCESS_KEY or None,
                "file_overwrite": True,
                "default_acl": None,
                "querystring_expire": 300,
            },
        }
    return {
        "BACKEND": "imgbackup.storage.local.LocalBlobStorage",
        "OPTIONS": {"location": str(Path(url).resolve())},
    }


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(DATA_DIR / "media")}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "blobs": _blob_storage(STORAGE_URL),
}

# --- Uploads -----------------------------------------------------------------------------
# 4 GiB: a long phone video (an iPhone's 4K at 60 fps is ~400 MB a minute).
MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 4096)
MAX_UPLOAD_FILES = env_int("MAX_UPLOAD_FILES", 100)
MAX_PIXELS = env_int("MAX_PIXELS", 250_000_000)
# Decoding for thumbnails and previews (imaging/decode.py): the memory one render may take,
# and how many run at once in a process.
RENDER_MEMORY_MB = env_int("RENDER_MEMORY_MB", 512)
RENDER_JOBS = env_int("RENDER_JOBS", 2)
# /healthz says "degraded" when a folder the server writes to has less free space than this.
MIN_FREE_MB = env_int("MIN_FREE_MB", 1024, minimum=0)
FILE_UPLOAD_HANDLERS = ["imgbackup.photos.uploads.HashingUploadHandler"]
DATA_UPLOAD_MAX_NUMBER_FILES = MAX_UPLOAD_FILES
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # non-file fields and JSON bodies
# Videos (imgbackup/video): no pixel limit (a frame is never a bomb), a length limit instead,
# and FFmpeg reads them in a child process limited to this much memory.
MAX_VIDEO_SECONDS = env_int("MAX_VIDEO_SECONDS", 6 * 3600)
VIDEO_MEMORY_MB = env_int("VIDEO_MEMORY_MB", 1536)
# auto: a playable H.264/AAC copy of each video browsers cannot play as it is; off: none.
VIDEO_TRANSCODE = env("VIDEO_TRANSCODE", "auto").strip().lower()
if VIDEO_TRANSCODE not in {"auto", "off"}:
    raise SystemExit(f"IMGBACKUP_VIDEO_TRANSCODE must be auto or off, not {VIDEO_TRANSCODE!r}")
# The playable copy's shorter side (its height, for a landscape video), at most.
VIDEO_MAX_HEIGHT = env_int("VIDEO_MAX_HEIGHT", 1080)
TRASH_DAYS = env_int("TRASH_DAYS", 30, minimum=0)
# Resumable (tus) uploads: one left alone this long is removed with its bytes (by the purge),
# and one user may have this many unfinished at once (429 beyond).
UPLOAD_EXPIRY_HOURS = env_int("UPLOAD_EXPIRY_HOURS", 72)
MAX_OPEN_UPLOADS = env_int("MAX_OPEN_UPLOADS", 50)

# The storage quota a new user gets (photos/quota.py): a size like 50G, or none.
try:
    DEFAULT_QUOTA = parse_size(env("DEFAULT_QUOTA", "none"))
except ValueError as exc:
    raise SystemExit(f"IMGBACKUP_DEFAULT_QUOTA: {exc}") from None
# gc and verify leave alone spool files and row-less objects younger than this: an upload in
# flight writes its object before its row commits. Longer than the request timeout (10 min).
GC_GRACE_MINUTES = env_int("GC_GRACE_MINUTES", 60)

# --- Serving -----------------------------------------------------------------------------
WORKERS = env_int("WORKERS", 2)
THREADS = env_int("THREADS", 8)
# Slow clients (imgbackup/slow_clients.py): a request head must arrive within HEADER_TIMEOUT
# seconds; a body read or answer write that makes no progress for BODY_TIMEOUT seconds fails.
HEADER_TIMEOUT = env_int("HEADER_TIMEOUT", 10)
BODY_TIMEOUT = env_int("BODY_TIMEOUT", 60)
# Connections one worker process holds open (most without a thread: heads, keep-alive).
MAX_CONNECTIONS = env_int("MAX_CONNECTIONS", 4096)
# Uploads one user may have in flight at once on one server (more: 429 at once, unread).
MAX_CONCURRENT_UPLOADS = env_int("MAX_CONCURRENT_UPLOADS", 4, minimum=0)
# The reverse proxies in front of the server: only their X-Forwarded-For (the client's
# address, imgbackup/proxies.py) and X-Forwarded-Proto (gunicorn's forwarded_allow_ips) count.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", "127.0.0.1,::1")
# `imgbackup serve` runs `imgbackup purge` this often (seconds); 0 turns it off (use cron).
PURGE_INTERVAL = env_int("PURGE_INTERVAL", 3600, minimum=0)

# --- Background jobs (imgbackup/jobs) ------------------------------------------------------
# A queue in the database itself (django-tasks-db): no other service to run.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Worker processes `imgbackup serve` starts beside the web server; 0 when `imgbackup worker`
# runs elsewhere.
JOB_WORKERS = env_int("JOB_WORKERS", 1, minimum=0)
# Jobs one worker process runs at once (threads): one per core, at most 4; they work only
# once uploads go quiet.
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
JOB_THREADS = env_int("JOB_THREADS", min(_CORES or 1, 4))
# A failing job is tried this many times, waiting JOB_RETRY_SECONDS, then 4x longer each time.
JOB_ATTEMPTS = env_int("JOB_ATTEMPTS", 5)
JOB_RETRY_SECONDS = env_int("JOB_RETRY_SECONDS", 30, minimum=0)
# A job running longer than this is taken to have lost its worker and is run again.
JOB_LEASE_MINUTES = env_int("JOB_LEASE_MINUTES", 120)
# A worker on this machine starts a job only when no upload is in flight and the last one
# ended this long ago (jobs/quiet.py).
JOB_QUIET_SECONDS = env_float("JOB_QUIET_SECONDS", 0.5)

# --- Logins ------------------------------------------------------------------------------
# Every password check (web form, POST /api/v2/auth/token) fails for a user name from one
# address after this many failed passwords, until the window since the first failure passes.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 10)
LOGIN_WINDOW_SECONDS = env_int("LOGIN_WINDOW_SECONDS", 900)

# --- WeChat mini program login -----------------------------------------------------------
WECHAT_APPID = env("WECHAT_APPID", "")
WECHAT_SECRET = env("WECHAT_SECRET", "")
WECHAT_CODE2SESSION_URL = env(
    "WECHAT_CODE2SESSION_URL", "https://api.weixin.qq.com/sns/jscode2session"
)
# Every login calls jscode2session and spends the app's WeChat quota: at most this many
# attempts per address per fixed window (accounts/throttle.py spend); a limit of 0 turns it off.
WECHAT_LOGIN_LIMIT = env_int("WECHAT_LOGIN_LIMIT", 30, minimum=0)
WECHAT_LOGIN_WINDOW_SECONDS = env_int("WECHAT_LOGIN_WINDOW_SECONDS", 60)
# Who may become a user by logging in with WeChat: anyone (open), anyone but inactive until an
# admin enables them on the Users page (approve), or nobody new (closed).
WECHAT_SIGNUP = env("WECHAT_SIGNUP", "approve").strip().lower()
if WECHAT_SIGNUP not in {"open", "approve", "closed"}:
    raise SystemExit(f"IMGBACKUP_WECHAT_SIGNUP must be open, approve or closed, not "
                     f"{WECHAT_SIGNUP!r}")

LOG_LEVEL = env("LOG_LEVEL", "INFO").strip().upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise SystemExit(f"IMGBACKUP_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
                     f"not {env('LOG_LEVEL', '')!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # httpx logs every request's URL at INFO, and WeChat's jscode2session takes the app
        # secret in its query string.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
