"""Searching a library: the timeline's filters as queries that each read one index in order.

Why this shape (measured in bench/, docs/architecture.md "Search"): a filter stays fast at any
library size only when an index hands over matching rows already in timeline order, so a page
reads about ``limit`` rows and sorts nothing. Each filter therefore has an index that starts
with an equality and continues in the timeline's order: (owner, camera_key, taken_at, id) and
the like, favourites and the trash as partial indexes.

A word query ("apple iphone", "kyoto") is not an equality, so it is resolved first against the
few distinct values the library holds (its cameras, lenses or cities), listed from the index
itself by a recursive "loose index scan" (one index seek per distinct value, on SQLite and
PostgreSQL alike, never a scan of the photos). The query then becomes one equality per
matching value, and those are read separately and merged by the pager (api/v2/pages.py): a
page costs ``limit`` rows per matching value, not the number of matching photos."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Concat

from imgbackup.photos.models import Photo
from imgbackup.photos.name_search import candidates
from imgbackup.photos.search_keys import place_matches, words_in

# Beyond this many matching values, one query with IN (...) that the database sorts: a library
# with more than 24 cameras matching one query is rare, and its page is still correct.
MAX_SPLIT = 24
MAX_KEYS = 20_000  # distinct values listed per column; a real library has far fewer
COUNT_CAP = 300  # rows read per condition when choosing which index drives
SIZE_CAP = 3_000  # rows counted of a condition whose newest rows pass none of the others
FACETS: dict[str, Callable[[str, str], bool]] = {
    "place_key": place_matches, "camera_key": words_in, "lens_key": words_in,
}


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    camera: str | None = None
    lens: str | None = None
    place: str | None = None
    name: str | None = None  # the file name contains this
    favourite: bool | None = None
    # Where the page starts (the keyset cursor's time and id): not a filter, only where the
    # file name's probe looks first (name_search.fills_a_page).
    after: tuple[datetime, int] | None = None


def distinct_keys(owner: User, column: str) -> list[str]:
    """The distinct non-empty values of ``column`` among ``owner``'s photos outside the trash,
    read from the column's index one seek per value (a recursive CTE: a loose index scan)."""
    if column not in FACETS:
        raise ValueError(column)
    table = connection.ops.quote_name(Photo._meta.db_table)
    col = connection.ops.quote_name(column)
    live = "owner_id = %s AND trashed_at IS NULL"
    sql = (f"WITH RECURSIVE found(k) AS ("  # noqa: S608
           f" SELECT MIN({col}) FROM {table} WHERE {live}"
           f" UNION ALL"
           f" SELECT (SELECT MIN({col}) FROM {table} WHERE {live} AND {col} > found.k)"
           f" FROM found WHERE found.k IS NOT NULL)"
           f" SELECT k FROM found WHERE k IS NOT NULL LIMIT {MAX_KEYS}")
    with connection.cursor() as cursor:
        # Only quoted names from FACETS and the model are formatted in; values are bound.
        cursor.execute(sql, [owner.pk, owner.pk])
        return [key for (key,) in cursor.fetchall() if key]


def matching_keys(owner: User, column: str, query: str) -> list[str]:
    match = FACETS[column]
    return [key for key in distinct_keys(owner, column) if match(query, key)]


def _plain(rows: QuerySet[Photo], filters: Filters) -> QuerySet[Photo]:
    if filters.since is not None:
        rows = rows.filter(taken_at__gte=filters.since)
    if filters.until is not None:
        rows = rows.filter(taken_at__lt=filters.until)
    if filters.favourite is False:
        rows = rows.filter(favourite=False)
    return rows


def _from_cursor(rows: QuerySet[Photo], after: tuple[datetime, int] | None) -> QuerySet[Photo]:
    """``rows`` from where the page starts, as the pager reads them (api/v2/pages.py)."""
    if after is None:
        return rows
    moment, row_id = after
    return rows.filter(Q(taken_at__lte=moment),
                       Q(taken_at__lt=moment) | Q(taken_at=moment, id__lt=row_id))


@dataclass(frozen=True)
class _Driver:
    """A condition that has an index in timeline order: a facet's values, or favourites."""

    column: str
    keys: list[str]

    def indexed(self, key: str | None = None) -> Q:
        if self.column == "favourite":
            return Q(favourite=True)
        if key is not None:
            return Q(**{self.column: key})
        return Q(**{f"{self.column}__in": self.keys})

    def unindexed(self, rows: QuerySet[Photo]) -> QuerySet[Photo]:
        """The same condition in a form no index serves (``column || ''``), so the database
        reads the index of the chosen driver and checks this one row by row."""
        rows, condition = self.plain(rows)
        return rows.filter(condition)

    def plain(self, rows: QuerySet[Photo]) -> tuple[QuerySet[Photo], Q]:
        """``rows`` with the unindexed form of the condition as an alias, and the condition
        on that alias."""
        alias = f"_plain_{self.column}"
        if self.column == "favourite":
            return (rows.alias(**{alias: Case(When(favourite=True, then=Value(1)), default=0)}),
                    Q(**{alias: 1}))
        return (rows.alias(**{alias: Concat(F(self.column), Value(""))}),
                Q(**{f"{alias}__in": self.keys}))


def _rows_per_page(owner: User, rows: QuerySet[Photo], driver: _Driver,
                   others: list[_Driver]) -> float:
    """About how many rows of ``driver``'s index a page of 100 reads when the ``others`` are
    checked on them, from bounded reads (at most ``COUNT_CAP`` rows, whatever the library's
    size): how many rows the index holds, and how many of its newest rows pass the others."""
    sample = rows.filter(driver.indexed())
    passes = Q()
    for other in others:
        sample, condition = other.plain(sample)
        passes &= condition
    # One read of the newest rows: how many there are, and how many pass the others (two
    # queries before, each a few milliseconds of Django for a fraction of one of the database).
    counted = (sample.annotate(_passes=Case(When(passes, then=Value(1)), default=Value(0)))
               .order_by("-taken_at", "-id")[:COUNT_CAP]
               .aggregate(held=Count("pk"), hits=Sum("_passes")))
    held, hits = int(counted["held"]), int(counted["hits"] or 0)
    if held < COUNT_CAP:
        return held  # a rare value: every page reads at most all of it
    if hits == 0:
        # None of its newest rows pass: a page may read all of it, so its size decides. A rare
        # camera in a common place that holds none of it: the camera's 1 000 rows, not the
        # place's 200 000 (775 ms at a million photos when the place drove). Counted in the
        # index alone (its entries, not the rows' other conditions): an upper bound.
        live = Photo.objects.filter(owner=owner, trashed_at__isnull=True)
        size = live.filter(driver.indexed())[:SIZE_CAP].count()
        return size if size < SIZE_CAP else held * 100 + 1
    return held * 100 / hits


def _by_id(rows: QuerySet[Photo], ids: list[int]) -> QuerySet[Photo]:
    """The photos of ``rows`` among ``ids``, read by id: every condition of ``rows`` is checked
    per id in a correlated ``EXISTS``. Written into one query, the owner's equality would be
    served by an owner index, which SQLite (no statistics) prices at 10 rows: it walked the
    owner's whole timeline and looked each row up in the list of ids (75 ms at 100 000).
    What ``rows`` joins in is fetched for the page only (``prefetch_related``): joined, it
    widened every candidate the database sorts (104 ms against 40 ms for 1 000 candidates)."""
    found = Photo.objects.filter(pk__in=ids).filter(Exists(rows.filter(pk=OuterRef("pk"))))
    return found.prefetch_related(*_paths(rows.query.select_related))


def _paths(related: dict[str, Any] | bool, prefix: str = "") -> list[str]:
    """``select_related``'s tree as lookups: {"motion": {"original": {}}} → motion__original."""
    if not isinstance(related, dict):
        return []
    found = []
    for name, below in related.items():
        found += _paths(below, f"{prefix}{name}__") or [f"{prefix}{name}"]
    return found


def timeline_parts(owner: User, rows: QuerySet[Photo], filters: Filters) -> list[QuerySet[Photo]]:
    """Querysets of ``rows`` (the owner's photos outside the trash) whose union is the filtered
    timeline, each readable in timeline order from one index; ``[]`` when nothing can match.

    With several indexed conditions (two facets, or a facet and favourites), the one whose
    index fills a page reading the fewest rows drives (``_rows_per_page``): its index is read
    in order, and the others are checked on the rows it gives, written so that no index
    serves them (left to itself, the database may pick the index of a common value and read
    most of the library to fill a page of a rare combination). A file name found by its own
    index in at most ``name_search.CAP`` photos beats them all: those are read and sorted."""
    rows = _plain(rows, filters)
    drivers: list[_Driver] = []
    for column, query in (("place_key", filters.place), ("camera_key", filters.camera),
                          ("lens_key", filters.lens)):
        if query:
            keys = matching_keys(owner, column, query)
            if not keys:
                return []
            drivers.append(_Driver(column, keys))
    if filters.favourite:
        drivers.append(_Driver("favourite", []))
    named = None
    if filters.name:
        named = candidates(owner, filters.name, _from_cursor(rows, filters.after))
        rows = rows.filter(filename__icontains=filters.name)
    if named is not None:  # few names match: they are read and sorted, the rest checked
        for condition in drivers:
            rows = rows.filter(condition.indexed())
        return [_by_id(rows, named)]
    if not drivers:
        return [rows]
    if len(drivers) > 1:
        # Costed before sorting: list.sort() empties the list while its key function runs.
        cost = {id(driver): _rows_per_page(owner, rows, driver,
                                           [o for o in drivers if o is not driver])
                for driver in drivers}
        drivers.sort(key=lambda driver: cost[id(driver)])
    driver, others = drivers[0], drivers[1:]
    for other in others:
        rows = other.unindexed(rows)
    if driver.column == "favourite" or len(driver.keys) == 1 or len(driver.keys) > MAX_SPLIT:
        return [rows.filter(driver.indexed())]
    return [rows.filter(driver.indexed(key)) for key in driver.keys]
