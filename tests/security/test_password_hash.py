"""The test process hashes passwords with a fast hash (tests/conftest.py ``_fast_passwords``)
unless a test is marked ``real_password_hash``; the server keeps Django's default, a slow
PBKDF2, which the marked test checks."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User

pytestmark = pytest.mark.backend_independent


@pytest.mark.real_password_hash
def test_passwords_are_stored_with_the_slow_default_hash(db: None) -> None:
    user = User.objects.create_user("dora", password="a-long-password-123")
    algorithm, rounds, _salt, _hash = user.password.split("$")
    assert algorithm == "pbkdf2_sha256"
    assert int(rounds) >= 1_000_000
    assert user.check_password("a-long-password-123")
    assert not user.check_password("a-long-password-12")


def test_unmarked_tests_get_the_fast_hash(db: None) -> None:
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert User.objects.create_user("erin", password="x-123").password.startswith("md5$")
