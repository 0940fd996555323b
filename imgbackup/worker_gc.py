"""Python's cyclic garbage collector in a serving worker.

A month page of 500 photos (``GET /timeline/buckets/{YYYY-MM}``) allocates tens of thousands
of dicts and lists; every ~70 such requests the collector ran a full collection, and a full
collection walked every object the loaded application holds (~80 000: Django, the URL
configuration, the models), 60-95 ms. That request was the month page's p99: 18-21 ms of CPU
at p50, 64-72 ms at p99 on a quiet machine (bench/analysis.md, "The month page's tail").

``freeze_loaded`` imports what the first request would import (the URL configuration and so
every view), collects once, and moves everything alive into the collector's permanent
generation (``gc.freeze``): later collections look only at what requests made since. The
worker's memory does not grow by it - frozen objects are the ones that live as long as the
worker anyway - and cycles made by requests are still found and freed.

The youngest generation is collected after 10 000 net allocations instead of 700: a page of 500
holds ~2 000 dicts and tuples while it is built, so at 700 every page paid about two young
collections, each walking the half-built page (~1-2 ms of its ~21 ms of CPU); at 10 000 one page
in a hundred does. What requests leave behind in cycles is at most that many objects more.

The master freezes too, before it forks (``freeze_for_fork``): a worker's first collection
would otherwise walk, and so write, every object it inherited, copying the master's pages into
its own (bench item 2, the memory target)."""

from __future__ import annotations

import gc
from typing import Any

from django.db import connections
from django.urls import get_resolver
from PIL import Image

YOUNG = 10_000  # allocations (less deallocations) between two collections of generation 0


def freeze_loaded() -> int:
    """Load the application's views, collect, freeze; how many objects are now frozen."""
    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG, older, oldest)
    return gc.get_freeze_count()


def freeze_for_fork() -> int:
    """In the master, before it forks: load the views, close the database connections and the
    store's clients (no child may inherit one), collect and freeze. A child's collector then
    never writes the headers of the objects it inherited, so their pages stay shared with the
    master. Also what ``jobs.spawner.prepare_fork`` does before it checks."""
    from imgbackup.storage import forget_connections

    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    Image.init()  # Pillow's format plugins, which the first image read would import
    connections.close_all()
    forget_connections()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def server_hooks() -> dict[str, Any]:
    """gunicorn settings: each worker freezes what it loaded before its first request."""

    def post_worker_init(worker: Any) -> None:
        freeze_loaded()

    return {"post_worker_init": post_worker_init}
