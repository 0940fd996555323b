"""CSRF tokens made from one read of the system's randomness instead of one per character.

Django's CSRF middleware makes a page's token with ``get_random_string``, which calls
``secrets.choice`` per character, each an ``os.urandom``, that is a ``getrandom`` system call:
32 for the mask every rendered token gets, 32 more for a new secret (a visitor without the
cookie: a first visit, a crawler's 404s). Each call lets go of the interpreter lock and takes
it again; with requests in other threads, each is a futex wake-up and a context switch
(bench/analysis.md, issue 17, eighth round: 66 ``getrandom`` per 404 page).

``random_string`` makes the same kind of string, each character uniform over the alphabet
(bytes past the largest multiple of its length are dropped, never folded in with a bias), from
one ``secrets.token_bytes`` call. ``install`` gives it to the CSRF middleware's module alone;
session keys, API tokens and the rest of Django keep theirs."""

from __future__ import annotations

import secrets

import django.middleware.csrf


def random_string(length: int, allowed_chars: str) -> str:
    """``length`` characters of ``allowed_chars`` (at most 256 of them), each uniform."""
    size = len(allowed_chars)
    if not 0 < size <= 256:
        raise ValueError("between 1 and 256 allowed characters")
    usable = 256 - 256 % size
    chars: list[str] = []
    while len(chars) < length:
        # Twice what is needed: one read almost always suffices (at most 8 % are dropped).
        for byte in secrets.token_bytes(2 * (length - len(chars))):
            if byte < usable:
                chars.append(allowed_chars[byte % size])
                if len(chars) == length:
                    break
    return "".join(chars)


def install() -> None:
    """Make Django's CSRF secrets and masks with ``random_string`` (AppConfig.ready)."""
    django.middleware.csrf.get_random_string = random_string  # type: ignore[attr-defined]
