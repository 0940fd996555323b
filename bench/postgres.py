"""A throwaway PostgreSQL server for the list benchmark, when this machine has one installed:
the tests' own (tests/backends.py), so the benchmarks and the suite run the same way."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.servers import ROOT

# A database name -> the URL of that (new) database on the running server.
Database = Callable[[str], str]


def _backends() -> Any:
    spec = importlib.util.spec_from_file_location("bench_backends", ROOT / "tests" / "backends.py")
    if spec is None or spec.loader is None:
        raise ImportError("tests/backends.py is missing")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@contextmanager
def server() -> Iterator[tuple[Database | None, str]]:
    """(a function creating databases, "") on a running server, or (None, why not)."""
    try:
        backends = _backends()
    except (ImportError, OSError) as exc:
        yield None, f"no PostgreSQL test infrastructure in this build ({exc})"
        return
    postgres = backends.Postgres()
    try:
        postgres.start()
    except backends.BackendMissing as exc:
        postgres.destroy()
        yield None, str(exc)
        return
    try:
        yield postgres.create_database, ""
    finally:
        postgres.destroy()
