"""Why a file was not kept (shared by ingest and the quota check)."""

from __future__ import annotations


class Rejected(Exception):
    """A file that was not kept; ``status`` is the HTTP status that fits the reason."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
