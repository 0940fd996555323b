"""The server's access log (imgbackup/access_log.py): the same lines as gunicorn's own logger,
with only the fields the format names worked out per request."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from imgbackup.access_log import AccessLogger, plain_fields
from imgbackup.server import gunicorn_options

pytestmark = pytest.mark.backend_independent

SERVED = gunicorn_options("127.0.0.1", 8000, 1, 1)["access_log_format"]
EVERY_PLAIN = " ".join(f"%({name})s" for name in "hlutrsmUqHbBfaTDMLp")


class _Response:
    status = '201 Created'
    sent = 1234
    headers = [("Content-Type", "application/json"), ("X-Request", 'with "quotes"')]


class _Request:
    headers = [("HOST", "127.0.0.1:8000"), ("USER-AGENT", 'phone "7"'),
               ("AUTHORIZATION", "Basic dXNlcjpwdw==")]


ENVIRON = {"REMOTE_ADDR": "192.0.2.7", "REQUEST_METHOD": "POST",
           "RAW_URI": '/api/v2/photos?x="1"', "SERVER_PROTOCOL": "HTTP/1.1",
           "PATH_INFO": "/api/v2/photos", "QUERY_STRING": 'x="1"',
           "HTTP_USER_AGENT": 'phone "7"', "HTTP_AUTHORIZATION": "Basic dXNlcjpwdw==",
           "wsgi.url_scheme": "http"}
TOOK = datetime.timedelta(seconds=1, microseconds=23456)
UPLOAD = (_Response(), _Request(), ENVIRON, TOOK)


class _Unsent:
    """A response that sent nothing (no ``sent``), its status a number."""
    status = 499
    headers: list[tuple[str, str]] = []


class _Bare:
    headers: list[tuple[str, str]] = []


# No client address, user, user agent or query string; a referer; under a millisecond (its
# 0.987 ms truncated to 0, not rounded).
BARE = (_Unsent(), _Bare(), {"REQUEST_METHOD": "GET", "RAW_URI": "/healthz",
                             "SERVER_PROTOCOL": "HTTP/1.0", "PATH_INFO": "/healthz",
                             "HTTP_REFERER": "https://example.com/?a=\"b\""},
        datetime.timedelta(microseconds=987))
Served = tuple[Any, Any, dict[str, Any], datetime.timedelta]


def _lines(logger_class: type[Logger], log_format: str, served: Served = UPLOAD) -> list[str]:
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", log_format)
    logger = logger_class(config)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger.access_log.handlers = [Keep()]
    logger.access(*served)
    return lines


@pytest.mark.parametrize("served", [UPLOAD, BARE], ids=["upload", "bare"])
@pytest.mark.parametrize("log_format", [
    SERVED, EVERY_PLAIN,
    '%(h)s %({user-agent}i)s %({content-type}o)s %({wsgi.url_scheme}e)s %(missing)s'])
def test_each_line_is_the_one_gunicorns_logger_writes(log_format: str, served: Served) -> None:
    ours = _lines(AccessLogger, log_format, served)
    assert len(ours) == 1
    if "%(t)s" in log_format:  # the time of day may tick between the two
        theirs = _lines(Logger, log_format, served)
        assert ours[0].split("[")[0] == theirs[0].split("[")[0]
        assert ours[0].split("]")[1] == theirs[0].split("]")[1]
    else:
        assert ours == _lines(Logger, log_format, served)


def test_the_served_line_reads_as_it_did() -> None:
    assert _lines(AccessLogger, SERVED) == [
        '192.0.2.7 "POST /api/v2/photos?x=\\"1\\" HTTP/1.1" 201 1234 1023ms']


def test_only_the_named_fields_are_worked_out() -> None:
    assert plain_fields(SERVED) == ("h", "r", "s", "B", "M")
    # A header, response header, environ or unknown field: gunicorn's whole dict.
    assert plain_fields("%(h)s %({host}i)s") is None
    assert plain_fields("%(h)s %(nothing)s") is None
    config = Config()
    config.set("access_log_format", SERVED)
    atoms: dict[str, Any] = AccessLogger(config).atoms(_Response(), _Request(), ENVIRON, TOOK)
    assert sorted(atoms) == sorted(["h", "r", "s", "B", "M"])


def test_a_format_changed_by_a_configuration_reload_is_followed() -> None:
    config = Config()
    config.set("access_log_format", SERVED)
    logger = AccessLogger(config)
    assert sorted(logger.atoms(*UPLOAD)) == sorted(["h", "r", "s", "B", "M"])
    config.set("access_log_format", "%(m)s %(U)s")
    assert logger.atoms(*UPLOAD) == {"m": "POST", "U": "/api/v2/photos"}


def test_the_server_logs_through_it() -> None:
    config = Config()
    for key, value in gunicorn_options("127.0.0.1", 8000, 1, 1).items():
        config.set(key, value)
    assert config.logger_class is AccessLogger
