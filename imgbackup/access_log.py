"""gunicorn's access log, with only the fields its format names worked out.

For every request gunicorn's ``Logger.access`` builds a dict of every field a format could
name - nineteen plain ones (``h``, ``r``, ``s``...) and one per request header, response
header and WSGI environ variable (``{name}i``, ``{name}o``, ``{name}e``: ~60 for an upload) -
then copies it, escaping quotes, before one line uses five of them: ~0.2 ms of a server
thread's CPU per request, a tenth of gunicorn's own cost per upload (bench/analysis.md, issue
17, seventh round). ``AccessLogger`` works out only the fields the format names, each as
gunicorn does; a format that names a header or environ field gets gunicorn's own dict. The
lines are the same, and they are still written through the ``gunicorn.access`` logger."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from gunicorn import glogging

_NAMED = re.compile(r"%\(([^)]*)\)")


def _status(resp: Any) -> Any:
    status = resp.status
    return status.split(None, 1)[0] if isinstance(status, str) else status


def _sent(resp: Any) -> Any:
    return getattr(resp, "sent", None)


# Each plain field as gunicorn's Logger.atoms computes it: (logger, resp, environ, duration).
_FIELDS: dict[str, Callable[[Any, Any, dict[str, Any], Any], Any]] = {
    "h": lambda log, resp, env, t: env.get("REMOTE_ADDR", "-"),
    "l": lambda log, resp, env, t: "-",
    "u": lambda log, resp, env, t: log._get_user(env) or "-",
    "t": lambda log, resp, env, t: log.now(),
    "r": lambda log, resp, env, t: (f"{env['REQUEST_METHOD']} {env['RAW_URI']} "
                                    f"{env['SERVER_PROTOCOL']}"),
    "s": lambda log, resp, env, t: _status(resp),
    "m": lambda log, resp, env, t: env.get("REQUEST_METHOD"),
    "U": lambda log, resp, env, t: env.get("PATH_INFO"),
    "q": lambda log, resp, env, t: env.get("QUERY_STRING"),
    "H": lambda log, resp, env, t: env.get("SERVER_PROTOCOL"),
    "b": lambda log, resp, env, t: (_sent(resp) is not None and str(resp.sent)) or "-",
    "B": lambda log, resp, env, t: _sent(resp),
    "f": lambda log, resp, env, t: env.get("HTTP_REFERER", "-"),
    "a": lambda log, resp, env, t: env.get("HTTP_USER_AGENT", "-"),
    "T": lambda log, resp, env, t: t.seconds,
    "D": lambda log, resp, env, t: (t.seconds * 1000000) + t.microseconds,
    "M": lambda log, resp, env, t: (t.seconds * 1000) + int(t.microseconds / 1000),
    "L": lambda log, resp, env, t: f"{t.seconds:d}.{t.microseconds:06d}",
    "p": lambda log, resp, env, t: f"<{os.getpid()}>",
}


def plain_fields(log_format: str) -> tuple[str, ...] | None:
    """The fields ``log_format`` names, when all of them are plain ones; else None."""
    named = tuple(dict.fromkeys(_NAMED.findall(log_format)))
    return named if all(name in _FIELDS for name in named) else None


class AccessLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's Logger, its access-log fields worked out only when the format names them."""

    _format: str | None = None
    _fields: tuple[str, ...] | None = None

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any],
              request_time: Any) -> dict[str, Any]:
        log_format = self.cfg.access_log_format
        if log_format != self._format:  # read again after a configuration reload
            self._format, self._fields = log_format, plain_fields(log_format)
        if self._fields is None:
            return dict(super().atoms(resp, req, environ, request_time))
        return {name: _FIELDS[name](self, resp, environ, request_time)
                for name in self._fields}
