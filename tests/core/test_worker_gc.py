"""A serving worker freezes what it loaded out of the garbage collector's reach
(imgbackup/worker_gc.py): full collections then walk what requests made, not the whole
application, which set the month page's p99 (bench/analysis.md, "The month page's tail")."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from imgbackup.server import combined_hooks
from imgbackup.worker_gc import YOUNG, freeze_loaded

pytestmark = pytest.mark.backend_independent


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()  # the test process keeps collecting as usual
        gc.set_threshold(*threshold)


def test_a_worker_freezes_the_loaded_application_after_it_loads(unfrozen: None) -> None:
    gc.collect()
    loaded = len(gc.get_objects(generation=2))
    assert loaded > 10_000  # Django and imgbackup, as a worker holds them
    combined_hooks()["post_worker_init"](object())  # as gunicorn calls it in each worker
    assert gc.get_freeze_count() >= loaded * 0.9
    # What a full collection still walks: only what was made since.
    assert len(gc.get_objects(generation=2)) < loaded / 10
    assert gc.get_threshold()[0] == YOUNG  # a page of 500 is built between two collections


def test_objects_made_after_the_freeze_are_still_collected(unfrozen: None) -> None:
    freeze_loaded()

    class Node:
        partner: object = None

    first, second = Node(), Node()
    first.partner, second.partner = second, first  # a cycle, unreachable once deleted
    count = len([o for o in gc.get_objects() if type(o) is Node])
    del first, second
    gc.collect()
    assert count == 2
    assert not [o for o in gc.get_objects() if type(o) is Node]


def test_the_views_are_loaded_before_the_freeze(unfrozen: None) -> None:
    from django.urls import clear_url_caches, get_resolver

    clear_url_caches()  # a fresh worker has not read its URL configuration
    freeze_loaded()
    resolver = get_resolver()
    assert "url_patterns" in resolver.__dict__  # read by the freeze, so frozen with the rest
