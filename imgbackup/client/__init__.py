"""The command-line backup client (``imgbackup login|logout|push|pull|ls|rm``).

It talks HTTP (API v2, see docs/api.md) and never imports Django, so it starts fast and runs
on machines that only back photos up. The public surface is ``main`` and ``ExitCode``; the
underscored modules are private and may change."""

from imgbackup.client._errors import ExitCode
from imgbackup.client.cli import main

__all__ = ["ExitCode", "main"]
