"""Photo ids as people type them: the whole SHA-256 that ``ls`` shows, or any prefix of it at
least ``MIN_PREFIX`` hex characters long that names one photo, as git takes commit ids.

A whole id needs no lookup. Prefixes are matched against the photos outside the trash, listed
once for all the prefixes of one command (API v2 looks photos up by their whole id only)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from imgbackup.client._errors import UsageError

MIN_PREFIX = 8
FULL = 64
SHOWN = 4  # candidates named when a prefix is ambiguous
_HEX = re.compile(r"[0-9a-f]+")


@dataclass
class Resolved:
    ids: dict[str, str] = field(default_factory=dict)  # as given -> the whole id
    failed: dict[str, str] = field(default_factory=dict)  # as given -> why not


def check(given: Iterable[str]) -> None:
    """Raise UsageError for anything that cannot be an id or an id's prefix."""
    for text in given:
        if not (MIN_PREFIX <= len(text) <= FULL and _HEX.fullmatch(text.lower())):
            raise UsageError(f"not a photo id: {text!r} (the id 'imgbackup ls' shows, or its "
                             f"first {MIN_PREFIX} or more hex characters)")


def resolve(given: list[str], photo_ids: Iterable[str]) -> Resolved:
    """Each of ``given`` (already ``check``-ed) matched against ``photo_ids``; iterated only
    when some of ``given`` are prefixes."""
    resolved = Resolved()
    prefixes: dict[str, list[str]] = {}
    for text in given:
        if len(text) == FULL:
            resolved.ids[text] = text.lower()
        else:
            prefixes[text] = []
    if prefixes:
        for photo_id in photo_ids:
            for text, matches in prefixes.items():
                if photo_id.startswith(text.lower()):
                    matches.append(photo_id)
    for text, matches in prefixes.items():
        if len(matches) == 1:
            resolved.ids[text] = matches[0]
        elif matches:
            named = ", ".join(m[:len(text) + 4] + "..." for m in sorted(matches)[:SHOWN])
            more = ", ..." if len(matches) > SHOWN else ""
            resolved.failed[text] = (f"ambiguous: {len(matches)} photos have ids starting so "
                                     f"({named}{more}); give more characters")
        else:
            resolved.failed[text] = "not found"
    return resolved
