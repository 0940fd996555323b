"""Storage sizes as people write them: ``500M``, ``50G``, ``1.5T``, ``none``. Pure functions
(no Django): the settings module and the command-line client use them too.

Units are powers of 1024, as IMGBACKUP_MAX_UPLOAD_MB's are: ``1G`` is 1 GiB."""

from __future__ import annotations

import re

UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGTP]?)(?:I?B)?\s*", re.IGNORECASE)
NONE_WORDS = {"none", "unlimited", "off"}


def parse_size(text: str) -> int | None:
    """Bytes of ``text`` (``500M``, ``50G``, ``1.5T``, ``123456``), or None for ``none``.
    Raise ValueError with a readable message for anything else."""
    if text.strip().lower() in NONE_WORDS:
        return None
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a size: write it like 500M, 50G or 2T (or none)")
    number, unit = match.groups()
    return int(float(number) * UNITS[unit.upper()])


def format_size(size: int | None) -> str:
    """``1.5 GiB``; ``none`` for None."""
    if size is None:
        return "none"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
