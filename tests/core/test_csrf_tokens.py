"""CSRF tokens from one read of the system's randomness (imgbackup/csrf_tokens.py): the same
tokens Django makes, each character uniform, and one ``os.urandom`` per secret or mask."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import django.middleware.csrf
import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from imgbackup import csrf_tokens
from imgbackup.csrf_tokens import random_string

pytestmark = pytest.mark.backend_independent
csrf: Any = django.middleware.csrf  # its private helpers are not in the type stubs


def _view(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def test_the_csrf_middleware_uses_it() -> None:
    assert csrf.get_random_string is random_string


def test_a_page_token_reads_the_systems_randomness_once_per_secret_and_mask(
        monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []
    urandom = random._urandom  # type: ignore[attr-defined]  # what SystemRandom reads

    def counted(n: int) -> bytes:
        reads.append(n)
        return urandom(n)  # type: ignore[no-any-return]

    monkeypatch.setattr(random, "_urandom", counted)
    request = RequestFactory().get("/nothing-here")
    token = csrf.get_token(request)  # a visitor without the cookie: a new secret, masked
    assert 2 <= len(reads) <= 4  # Django's own: one per character, 64
    secret = request.META["CSRF_COOKIE"]
    assert len(token) == csrf.CSRF_TOKEN_LENGTH
    assert set(token + secret) <= set(csrf.CSRF_ALLOWED_CHARS)
    assert csrf._unmask_cipher_token(token) == secret


def test_a_token_it_made_passes_djangos_check() -> None:
    request = RequestFactory().get("/")
    token = csrf.get_token(request)
    post = RequestFactory().post("/", HTTP_X_CSRFTOKEN=token)
    post.COOKIES[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    middleware = csrf.CsrfViewMiddleware(_view)
    middleware.process_request(post)
    assert middleware.process_view(post, _view, (), {}) is None


def test_each_character_is_uniform_over_the_alphabet() -> None:
    """62 characters from 256 byte values: folding every byte in (``byte % 62``) would make
    the first 8 characters 25 % more frequent than the rest."""
    alphabet = csrf.CSRF_ALLOWED_CHARS
    counts = Counter(random_string(248_000, alphabet))
    first = sum(counts[c] for c in alphabet[:8]) / 8
    rest = sum(counts[c] for c in alphabet[8:]) / (len(alphabet) - 8)
    assert abs(first / rest - 1) < 0.08
    assert set(counts) == set(alphabet)


@pytest.mark.parametrize("alphabet", ["", "x" * 257])
def test_an_alphabet_it_cannot_draw_from_is_refused(alphabet: str) -> None:
    with pytest.raises(ValueError):
        random_string(4, alphabet)


def test_install_is_what_puts_it_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csrf, "get_random_string", None)
    csrf_tokens.install()
    assert csrf.get_random_string is random_string
