"""Stopping a pool of transfers: on a fatal error or Ctrl-C, start nothing new."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any


@contextmanager
def cancel_on_error(stop: threading.Event, futures: Sequence[Future[Any]]) -> Iterator[None]:
    """Around the loop that collects ``futures``: when it raises (Ctrl-C included), tell the
    running workers to start nothing new (``stop``), cancel those not started, re-raise."""
    try:
        yield
    except BaseException:
        stop.set()
        for future in futures:
            future.cancel()
        raise
