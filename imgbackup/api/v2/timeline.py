"""The timeline's skeleton, so a client can lay out a library of any size before loading it:
``GET /timeline/buckets`` (months, newest first, with their counts and versions) and
``GET /timeline/buckets/{YYYY-MM}`` (that month's photos in timeline order, a page at a time).

Months are UTC clock months: the timeline shows each photo on the day its ``taken_at`` reads in
UTC, which for a camera clock without a zone is the camera's own clock (docs/architecture.md).
Unfiltered, or filtered by favourite only, the counts come from ``MonthCount``, which database
triggers keep exact; any other filter counts the matching photos, as the list would find them.
A month's ``version`` (kept by the same triggers, whatever the filter) changes whenever anything
its items show does, so a client can tell which months to fetch again even when their counts
stayed the same.
Partners' photos the caller chose to show are merged in (sharing/merged.py)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse, JsonResponse

from imgbackup.api.endpoint import endpoint
from imgbackup.api.errors import ApiError
from imgbackup.api.v2.light_rows import light
from imgbackup.api.v2.pages import page
from imgbackup.api.v2.params import bool_param
from imgbackup.api.v2.photos import search_filters
from imgbackup.api.v2.serialize import photo_json
from imgbackup.photos.models import Photo
from imgbackup.sharing.merged import Merged, merged_for

MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
# Query parameters that the trigger-kept counts can answer; any other filter is counted.
COUNTED_FILTERS = {"favourite", "partners"}


@endpoint("GET")
def buckets(request: HttpRequest) -> HttpResponse:
    merged = merged_for(request)
    if set(request.GET) - COUNTED_FILTERS:
        months = _counted(request, merged)
    else:
        months = merged.month_counts(bool_param(request, "favourite"))
    return JsonResponse({"buckets": [{"month": month, "count": n, "version": version}
                                     for month, n, version in months if n]})


def _counted(request: HttpRequest, merged: Merged) -> list[tuple[str, int, int]]:
    """Months of the photos the list would find: counted per part of the search (disjoint
    parts, each read through its own index; photos/search.py) and added up, each with the
    whole month's version (every column a filter reads is one whose change bumps it)."""
    counts: Counter[str] = Counter()
    for rows in merged.parts(search_filters(request)):
        grouped = (rows.order_by().annotate(bucket=TruncMonth("taken_at", tzinfo=UTC))
                   .values("bucket").annotate(n=Count("id")))
        counts.update({row["bucket"].strftime("%Y-%m"): row["n"] for row in grouped})
    versions = merged.month_versions()
    return [(month, n, versions.get(month, 0)) for month, n in sorted(counts.items(),
                                                                      reverse=True)]


@endpoint("GET")
def bucket(request: HttpRequest, month: str) -> HttpResponse:
    """One month's photos, newest first, paged like the list (``limit``, ``cursor``)."""
    merged = merged_for(request)
    start, end = month_range(month)
    parts = [light(rows.filter(taken_at__gte=start, taken_at__lt=end))
             for rows in merged.parts(search_filters(request))]
    return JsonResponse(page(request, parts, "taken_at", merged.render(_item)))


def month_range(month: str) -> tuple[datetime, datetime]:
    """The first moment of a ``YYYY-MM`` month and of the next, in UTC; a 404 for anything else
    (a month is part of the path, like an id)."""
    match = MONTH.fullmatch(month)
    if match is None or match.group(1) == "0000":
        raise ApiError(404, "not_found", "month not found (YYYY-MM)")
    year, number = int(match.group(1)), int(match.group(2))
    start = datetime(year, number, 1, tzinfo=UTC)
    if number < 12:
        return start, start.replace(month=number + 1)
    if year == 9999:
        return start, datetime.max.replace(tzinfo=UTC)
    return start, start.replace(year=year + 1, month=1)


def _item(photo: Photo) -> dict[str, Any]:
    """A photo as the list shows it, with the aspect ratio a justified layout needs (null when
    the size is unknown: lay it out square)."""
    item = photo_json(photo)
    item["aspect"] = (round(photo.width / photo.height, 4)
                      if photo.width and photo.height else None)
    return item

