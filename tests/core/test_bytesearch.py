"""The delimiter search with the C library's memmem (imgbackup/bytesearch.py) gives exactly
``bytearray.find``'s answers: random buffers with the needle planted at the edges of the
range, just outside it, cut off by it, and near-misses that differ in one byte."""

from __future__ import annotations

import os
import random
import sys

import pytest

from imgbackup import bytesearch
from imgbackup.bytesearch import Finder

pytestmark = pytest.mark.backend_independent
NEEDLE = b"\r\n--" + b"-" * 24 + b"9f3a7c01e4b2d6a8"  # a boundary as browsers make them


def planted(rng: random.Random, size: int, needle: bytes) -> bytearray:
    """Random bytes with whole needles, needles missing their last or first byte, and
    needles with one byte changed, at random places (some overlapping)."""
    data = bytearray(rng.randbytes(size))
    for _ in range(rng.randrange(1, 8)):
        at = rng.randrange(0, max(1, size - len(needle)))
        kind = rng.randrange(4)
        copy = bytearray(needle)
        if kind == 1:
            copy = copy[:-1]
        elif kind == 2:
            copy = copy[1:]
        elif kind == 3:
            copy[rng.randrange(len(copy))] ^= 1 << rng.randrange(8)
        data[at:at + len(copy)] = copy
    return data


def ranges(rng: random.Random, data: bytearray, needle: bytes) -> list[tuple[int, int]]:
    """Ranges that start or end on, just before and just after each planted needle."""
    size = len(data)
    points = [0, size, size - 1, 1]
    at = data.find(needle)
    while at >= 0:
        points += [at - 1, at, at + 1, at + len(needle) - 1, at + len(needle),
                   at + len(needle) + 1]
        at = data.find(needle, at + 1)
    points = [p for p in points if 0 <= p <= size]
    return [(rng.choice(points), rng.choice(points)) for _ in range(40)] + [
        (rng.randrange(size + 1), rng.randrange(size + 1)) for _ in range(20)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's memmem")
def test_memmem_is_used_where_the_c_library_has_it() -> None:
    assert bytesearch.available()
    assert Finder(bytearray(8))._memmem is not None


@pytest.mark.parametrize("use_memmem", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_every_answer_is_bytearray_find_s(seed: int, use_memmem: bool) -> None:
    rng = random.Random(seed)
    needle = NEEDLE if seed % 2 else os.urandom(rng.randrange(1, 80))
    data = planted(rng, rng.choice([len(needle) - 1, 100, 4096, 70_000]), needle)
    finder = Finder(data, use_memmem=use_memmem)
    for start, end in ranges(rng, data, needle):
        assert finder.find(needle, start, end) == data.find(needle, start, end), (start, end)


def test_a_needle_past_the_end_or_cut_by_it_is_not_found() -> None:
    data = bytearray(b"x" * 100) + NEEDLE + bytearray(b"y" * 100)
    finder = Finder(data)
    at = 100
    assert finder.find(NEEDLE, 0, at + len(NEEDLE)) == at
    assert finder.find(NEEDLE, 0, at + len(NEEDLE) - 1) == -1  # its last byte is past end
    assert finder.find(NEEDLE, at + 1, len(data)) == -1  # it began before start
    assert finder.find(NEEDLE, at, at) == -1
    assert finder.find(NEEDLE, at - 10, at - 20) == -1  # start past end, needle after both


def test_out_of_range_and_empty_needles_behave_as_find() -> None:
    data = bytearray(b"ab" * 50) + NEEDLE
    finder = Finder(data)
    for needle, start, end in [(b"", 3, 10), (b"", 500, 600), (NEEDLE, -60, len(data)),
                               (NEEDLE, 0, 10_000), (b"ab", -3, -1), (NEEDLE, 500, 400)]:
        assert finder.find(needle, start, end) == data.find(needle, start, end)


def test_the_buffer_is_pinned_while_a_finder_holds_its_address() -> None:
    data = bytearray(64)
    finder = Finder(data)
    with pytest.raises(BufferError):
        data.extend(b"more")  # a resized buffer would move under the address
    del finder
    data.extend(b"more")


@pytest.mark.skipif(not bytesearch.available(), reason="no memmem here")
def test_memmem_never_gets_a_range_shorter_than_the_needle(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A negative length would reach C as a huge ``size_t``: memmem would read past the
    buffer. Ranges that short are answered without it."""
    real = bytesearch._memmem
    assert real is not None
    lengths: list[int] = []

    def checked(address: int, length: int, needle: bytes, size: int) -> int | None:
        lengths.append(length)
        assert length >= size
        return real(address, length, needle, size)

    monkeypatch.setattr(bytesearch, "_memmem", checked)
    data = bytearray(b"x" * 100) + NEEDLE
    finder = Finder(data)
    for start, end in [(90, 80), (100, 100 + len(NEEDLE) - 1), (5, 0), (0, len(data))]:
        assert finder.find(NEEDLE, start, end) == data.find(NEEDLE, start, end)
    assert lengths == [len(data)]


@pytest.mark.parametrize(("start", "end"), [(-40, 4096), (0, 4096 + 64), (-4096, 10**9)])
def test_a_range_outside_the_buffer_is_bytearray_find_s_never_a_read_past_it(
        start: int, end: int) -> None:
    """A negative start counts from the end and an end past the buffer is clipped, as for
    bytearray.find; memmem given such a range would read memory outside the buffer."""
    data = bytearray(random.Random(7).randbytes(4096))
    data[-len(NEEDLE):] = NEEDLE
    data[:len(NEEDLE)] = NEEDLE
    assert Finder(data).find(NEEDLE, start, end) == data.find(NEEDLE, start, end)
