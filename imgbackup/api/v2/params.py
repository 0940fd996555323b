"""Reading what a v2 request says: its JSON body and its query parameters, or a 400."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from imgbackup.api.errors import ApiError, bad_request

WHOLE_NUMBER = re.compile(r"-?[0-9]{1,16}")
MAX_LIMIT = 500
DEFAULT_LIMIT = 100
TRUE = {"1", "true", "yes"}
FALSE = {"0", "false", "no"}
MAX_IDS = 5000  # photo ids in one request (bulk actions, zips, albums, shares)


def json_body(request: HttpRequest, allowed: set[str]) -> dict[str, Any]:
    """The request's JSON object; a 400 for anything else or for a field not in ``allowed``."""
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send a JSON body (application/json)")
    try:
        body = json.loads(request.body or b"null")
    except RequestDataTooBig:
        raise ApiError(413, "too_large", "the JSON body is too large") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise bad_request("the body is not valid JSON: it is nested too deeply") from None
    if not is_unicode(body):
        raise bad_request("the body holds text that is not valid Unicode (a lone surrogate "
                          "such as \\ud800)")
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    if unknown := sorted(set(body) - allowed):
        raise bad_request(f"unknown field(s): {', '.join(unknown)}")
    return body


def is_unicode(value: Any) -> bool:
    """False when parsed JSON holds a lone surrogate ("\\ud800" is valid JSON, but no UTF-8 can
    carry it: the database driver would fail on it, a 500)."""
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def text_field(body: dict[str, Any], name: str, *, required: bool = True,
               max_length: int = 150) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise bad_request(f"{name} must be a non-empty string")
    if len(value) > max_length:
        raise bad_request(f"{name} is longer than {max_length} characters")
    return no_nul(value, name)


def no_nul(value: str, name: str) -> str:
    # PostgreSQL cannot store or compare text holding NUL: refuse it before a query fails.
    if "\x00" in value:
        raise bad_request(f"{name} must not contain NUL characters")
    return value


def ids_field(raw: object) -> list[str]:
    """A non-empty list of photo ids, lower-cased and without repeats, in their order."""
    if not isinstance(raw, list) or not raw or not all(isinstance(i, str) for i in raw):
        raise bad_request("ids must be a non-empty list of photo ids")
    if len(raw) > MAX_IDS:
        raise bad_request(f"at most {MAX_IDS} ids at once")
    return list(dict.fromkeys(i.lower() for i in raw))


def text_param(request: HttpRequest, name: str) -> str | None:
    raw = request.GET.get(name)
    return None if raw is None else no_nul(raw, name)


def limit_param(request: HttpRequest) -> int:
    """The page size: default 100; above 500 means 500."""
    raw = request.GET.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise bad_request("limit must be a whole number") from None
    if limit < 1:
        raise bad_request("limit must be at least 1")
    return min(limit, MAX_LIMIT)


def bool_param(request: HttpRequest, name: str) -> bool | None:
    raw = request.GET.get(name)
    if raw is None:
        return None
    if raw.lower() in TRUE:
        return True
    if raw.lower() in FALSE:
        return False
    raise bad_request(f"{name} must be true or false")


def instant_param(request: HttpRequest, name: str, *, upper: bool = False) -> datetime | None:
    """An ISO date or date-time parameter as an aware UTC datetime (naive means UTC).

    With ``upper`` it is an exclusive upper bound that includes what was named: ``until=2024-05-01``
    includes all of 1 May, ``until=2024-05-01T12:00:00`` includes noon itself. Instants beyond
    the calendar's ends in UTC (year 1 at +05:00) mean its first or last moment."""
    raw = request.GET.get(name)
    if raw is None:
        return None
    try:
        if len(raw) == 10:
            moment = datetime.combine(date.fromisoformat(raw), time.min, tzinfo=UTC)
            step = timedelta(days=1)
        else:
            moment = datetime.fromisoformat(raw)
            step = timedelta(microseconds=1)
    except ValueError:
        raise bad_request(f"{name} must be an ISO date (2024-05-01) or date-time") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        return (moment + step if upper else moment).astimezone(UTC)
    except OverflowError:
        edge = datetime.min if moment.year == 1 else datetime.max
        return edge.replace(tzinfo=UTC)


def ms_timestamp(raw: str, name: str) -> datetime:
    """A client's whole milliseconds since 1970 (JavaScript's File.lastModified) as a datetime."""
    try:
        if not WHOLE_NUMBER.fullmatch(raw):
            raise ValueError(raw)
        return datetime.fromtimestamp(int(raw) / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise bad_request(f"{name} must be whole milliseconds since 1970, not {raw[:40]!r}") \
            from None
