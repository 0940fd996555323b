"""File name search (``q``): "the file name contains this text", without reading the library.

Semantics (the same on both engines, and the same as before this index existed): the name
contains ``q`` as a substring, case-insensitively for ASCII letters (Django's ``icontains``).
Each candidate the index gives is checked again with exactly that condition, so the index only
decides what is read, never what is found.

The index, chosen by measurement (docs/architecture.md, "Search"):
- SQLite: an FTS5 table with the ``trigram`` tokenizer over ``photos_photo.filename``
  (external content, so names are not stored twice; ~51 MB per million names), asked for the
  text as a phrase: its trigrams at consecutive positions. (``detail=none`` halves the size
  but then only ``LIKE`` can ask, and it checks every name holding a common trigram against
  the photo table: 43 ms for ``0000`` at 100 000 photos, 5 ms as a phrase.) Kept by
  triggers, which SQLite drops when Django rebuilds the photo table: ``ensure_index`` (on
  ``post_migrate``) makes them again and rebuilds the index.
- PostgreSQL: a GIN ``pg_trgm`` index over ``UPPER(filename)``, the very expression of
  ``icontains``; the extension ships in Debian's ``postgresql`` package (contrib).

Which way a page is read: first a bounded read of the timeline in order (``WINDOW`` rows from
where the page starts): when a page of names is among them, the timeline is read in order and
the page is filled within those rows. Otherwise a bounded probe of the index (at most ``CAP``
+ 1 ids). Few hits: the page is read from those ids and sorted (at most ``CAP`` rows). Many
hits (or a text without a run of three letters or digits): the timeline index is read in
order and each row checked, which fills a page after about ``100 x library / hits`` rows when
the matches are spread over the years, at most ``100 x library / CAP`` (more when they bunch
among the oldest photos: the price of not sorting them). Neither read grows with the library
for a name in most photos: PostgreSQL's trigram probe did (a GIN scan builds its bitmap of
every matching photo before ``LIMIT`` applies: 77 ms p50 at 10 000 photos, 139 ms at
100 000). On SQLite the probe counts every user's matching names (the FTS table has no
owner), so a text common in another library but rare in yours is read the second way;
PostgreSQL's probe is per owner."""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet

if TYPE_CHECKING:
    from imgbackup.photos.models import Photo

# Where reading by id (and sorting) costs about what reading the timeline in order does: a
# candidate read by id cost ~8x a row of the timeline read in order (100 000 photos), so the
# balance is near sqrt(100 x library / 8): ~1 100 at 100 000 photos, ~3 500 at a million.
CAP = 2000
TRIGRAM = 3
# Read first: the timeline's newest rows from where the page starts. When a page of names
# (and one more, for the next cursor) is among them, reading the timeline in order fills the
# page within these rows, and the trigram index is not asked: a name in most photos is a
# bitmap of the whole library there (PostgreSQL's GIN scan finishes before LIMIT applies).
WINDOW = 2000
PAGE_HITS = 101
# The window's names checked as ``icontains`` checks them (SQLite's LIKE ignores ASCII case).
WINDOW_LIKE = {"sqlite": "recent.filename LIKE %s ESCAPE '\\'",
               "postgresql": 'UPPER(recent.filename::text) LIKE UPPER(%s)'}

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS photos_name_fts USING fts5(filename,"
    " content='photos_photo', content_rowid='id', tokenize='trigram')",
    """CREATE TRIGGER photos_name_insert AFTER INSERT ON photos_photo BEGIN
        INSERT INTO photos_name_fts (rowid, filename) VALUES (NEW.id, NEW.filename); END""",
    """CREATE TRIGGER photos_name_delete AFTER DELETE ON photos_photo BEGIN
        INSERT INTO photos_name_fts (photos_name_fts, rowid, filename)
        VALUES ('delete', OLD.id, OLD.filename); END""",
    """CREATE TRIGGER photos_name_update AFTER UPDATE OF filename ON photos_photo BEGIN
        INSERT INTO photos_name_fts (photos_name_fts, rowid, filename)
        VALUES ('delete', OLD.id, OLD.filename);
        INSERT INTO photos_name_fts (rowid, filename) VALUES (NEW.id, NEW.filename); END""",
    "INSERT INTO photos_name_fts (photos_name_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS photos_name_{name}" for name in ("insert", "delete", "update")),
    "DROP TABLE IF EXISTS photos_name_fts",
]
POSTGRES_CREATE = [
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    'CREATE INDEX IF NOT EXISTS photos_name_trgm ON photos_photo'
    ' USING gin ((UPPER("filename"::text)) gin_trgm_ops)',
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS photos_name_trgm"]
# The probe reads the trigram index and nothing else: without these, on a library whose
# statistics do not know how rare a text is, PostgreSQL may filter every photo of the owner.
POSTGRES_PROBE = ["SET LOCAL enable_seqscan = off", "SET LOCAL enable_indexscan = off"]
SQLITE_TRIGGERS = ("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                   "AND name LIKE 'photos_name_%'")


def statements(vendor: str, create: bool) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    if vendor == "postgresql":
        return POSTGRES_CREATE if create else POSTGRES_DROP
    raise RuntimeError(f"imgbackup supports SQLite and PostgreSQL, not {vendor}")


def ensure_index(conn: BaseDatabaseWrapper) -> bool:
    """SQLite: make the triggers and rebuild the index if any trigger is missing; whether it
    had to. (PostgreSQL keeps an index through every schema change.)"""
    if conn.vendor != "sqlite" or "photos_photo" not in conn.introspection.table_names():
        return False
    with conn.cursor() as cursor:
        cursor.execute(SQLITE_TRIGGERS)
        (found,) = cursor.fetchone()
        if found == 3:
            return False
        for statement in [*SQLITE_DROP, *SQLITE_CREATE]:
            cursor.execute(statement)
    return True


def indexable(text: str) -> bool:
    """Whether the trigram index can find ``text``: it has a run of three letters or digits
    (pg_trgm makes trigrams of those only; with none, both engines would read every name)."""
    run = 0
    for char in text:
        run = run + 1 if char.isalnum() else 0
        if run >= TRIGRAM:
            return True
    return False


def longest_run(text: str) -> str:
    """The longest run of letters or digits in ``text`` (the first of equals).

    PostgreSQL's probe asks the trigram index for it before the whole text: every name that
    contains the text contains it (the candidates are checked again), and a GIN scan reads
    the posting list of every trigram it is given, so a text's common part costs as many
    entries as the library has photos: ``img_0000123`` read 869 index pages at a million
    photos (18-20 ms on a quiet machine), ``0000123`` 26 pages (4 ms)."""
    runs = "".join(char if char.isalnum() else " " for char in text).split()
    return max(runs, key=len, default=text)


def _like(text: str) -> str:
    """``text`` as a LIKE pattern of "contains", ``%`` and ``_`` matching only themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fills_a_page(timeline: QuerySet[Photo], text: str) -> bool:
    """Whether the first ``WINDOW`` rows of ``timeline`` (newest first from where the page
    starts) hold ``PAGE_HITS`` names containing ``text``: a bounded read in timeline order
    (the owner's timeline index, at most ``WINDOW`` rows, whatever the library's size)."""
    window = timeline.order_by("-taken_at", "-id").values("filename")[:WINDOW]
    sql, params = window.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) recent"  # noqa: S608 (Django's SQL)
                       f" WHERE {WINDOW_LIKE[connection.vendor]}", [*params, _like(text)])
        (hits,) = cursor.fetchone()
    return bool(hits >= PAGE_HITS)


def candidates(owner: User, text: str, timeline: QuerySet[Photo] | None = None
               ) -> list[int] | None:
    """Ids of photos whose name may contain ``text`` (a superset: check them), or None when
    the timeline read in order fills the page: when the first rows of ``timeline`` (from
    where the page starts) already hold a page of such names, when the index cannot say, or
    when it would give more than ``CAP``."""
    if not indexable(text):
        return None
    if timeline is not None and fills_a_page(timeline, text):
        return None
    # PostgreSQL's probe settings are SET LOCAL: they need a transaction. SQLite's starts
    # IMMEDIATE (settings.py), which takes the write lock: a read must not wait for an upload.
    sqlite = connection.vendor == "sqlite"
    with nullcontext() if sqlite else transaction.atomic(), connection.cursor() as cursor:
        if sqlite:
            # A phrase of the text's trigrams, in order: the text as a substring, in any case.
            phrase = '"' + text.replace('"', '""') + '"'
            cursor.execute("SELECT rowid FROM photos_name_fts WHERE photos_name_fts MATCH %s"
                           " LIMIT %s", [phrase, CAP + 1])
            ids = [row_id for (row_id,) in cursor.fetchall()]
        else:
            for setting in POSTGRES_PROBE:
                cursor.execute(setting)
            for part in dict.fromkeys([longest_run(text), text]):
                # "owner_id + 0": checked on each row the trigram index gives, not an index
                # of its own (the owner's photos are exactly what the probe must not read).
                cursor.execute('SELECT id FROM photos_photo WHERE UPPER("filename"::text)'
                               ' LIKE UPPER(%s) AND owner_id + 0 = %s LIMIT %s',
                               [_like(part), owner.pk, CAP + 1])
                ids = [row_id for (row_id,) in cursor.fetchall()]
                if len(ids) <= CAP:
                    break
    return ids if len(ids) <= CAP else None
