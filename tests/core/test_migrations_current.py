"""The models and their migrations agree: a model changed without its migration would give a
fresh install (which migrates) a schema other than the one the code expects, and an
upgraded one a different schema again."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.django_db, pytest.mark.backend_independent]


def test_no_model_change_lacks_its_migration() -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}")
