"""Partners' photos merged into one's own timeline (``Partner.in_timeline``, the choice of the
user who receives the sharing, never of the owner).

The merged timeline is a union of queries, one set per owner: the caller's own search parts
(photos/search.py), then the same parts over the photos of each user who shares with them and
whom they chose to show. The pager (api/v2/pages.py) merges the parts by (taken_at, id); ids are
row ids, unique across owners, so one cursor pages through every owner at once and each part
still reads its owner's index in timeline order (tests/api_v2/test_search_plans.py pins the
plans, merged too, on SQLite and PostgreSQL).

Rules:
- A partner's photo whose bytes the caller also holds outside the trash is left out: the caller
  sees their own copy once. The check is a scalar subquery with a LIMIT, a seek of the
  (owner, original) unique index per row read, whatever the size of either library (written
  so, not as NOT EXISTS: PostgreSQL turns that into an anti-join, and on small tables it read
  the caller's whole library first).
- Favourites are the caller's own marks: a partner's item says ``"favourite": false``, and with
  the ``favourite`` filter (true or false) only the caller's own photos are listed and counted.
- Month counts add up each owner's trigger-kept ``MonthCount`` rows, read from their index; a
  picture both hold is counted twice there until its month is loaded (clients then take the
  month's real length, as the web timeline does). A month's version is the sum of its owners'
  versions, which only grow: it changes whenever one of theirs does.
- Read-only: a partner's item carries ``"owner"`` and ``"read_only": true`` and its urls point
  below /partners/{owner}/photos/{id}/. Every action (/photos/{id}, /photos/bulk, albums) looks
  only at the caller's own photos, so a partner's id is 404 or "not_found" there."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest

from imgbackup.api.auth import caller
from imgbackup.api.v2.lookups import photos_of
from imgbackup.api.v2.params import bool_param
from imgbackup.api.v2.serialize import PREFIX, has_motion
from imgbackup.photos.models import MediaType, MonthCount, Photo
from imgbackup.photos.search import Filters, timeline_parts
from imgbackup.sharing.models import Partner

Render = Callable[[Photo], dict[str, Any]]


@dataclass(frozen=True)
class Merged:
    """Whose photos a user's timeline shows: their own, and these partners' (id -> name)."""

    user: User
    partners: dict[int, str] = field(default_factory=dict)

    def parts(self, filters: Filters) -> list[QuerySet[Photo]]:
        """Querysets whose union is the filtered timeline, each read from one index in order."""
        found = timeline_parts(self.user, _listed(photos_of(self.user)), filters)
        if filters.favourite is not None:
            return found
        for owner_id in self.partners:
            owner = User(pk=owner_id)
            theirs = _listed(photos_of(owner)).alias(
                _mine=Subquery(_held_by(self.user).values("pk")[:1])).filter(_mine__isnull=True)
            found.extend(timeline_parts(owner, theirs, filters))
        return found

    def month_counts(self, favourite: bool | None) -> list[tuple[str, int, int]]:
        """Months newest first with their counts and versions, from the trigger-kept rows of
        each owner (a merged month's version is the sum of its owners': each only grows)."""
        if favourite is not None:
            rows = MonthCount.objects.filter(owner=self.user).order_by("-month")
            return [(month, fav if favourite else live - fav, version)
                    for month, live, fav, version
                    in rows.values_list("month", "live", "favourite", "version")]
        counts: Counter[str] = Counter()
        versions: Counter[str] = Counter()
        for owner_id in (self.user.pk, *self.partners):
            for month, live, version in (MonthCount.objects.filter(owner_id=owner_id)
                                         .values_list("month", "live", "version")):
                counts[month] += live
                versions[month] += version
        return [(month, counts[month], versions[month]) for month in sorted(counts, reverse=True)]

    def month_versions(self) -> dict[str, int]:
        """Each month's version, summed over every owner the timeline shows: any filtered view
        of a month changes only with a change its version counts."""
        return {month: version for month, _, version in self.month_counts(None)}

    def render(self, base: Render) -> Render:
        """``base`` with whose photo it is; a partner's item read-only, its urls theirs."""
        # Read once: a session's user is a lazy object, each attribute a few calls (per item).
        mine, me = self.user.pk, self.user.get_username()

        def item(photo: Photo) -> dict[str, Any]:
            answer = base(photo)
            if photo.owner_id == mine:
                return {**answer, "owner": me, "read_only": False}
            username = self.partners[photo.owner_id]
            return {**answer, "owner": username, "read_only": True, "favourite": False,
                    "urls": partner_urls(username, photo)}
        return item


def merged_for(request: HttpRequest) -> Merged:
    """The caller's timeline as the request asks: with the partners they chose to show, unless
    it says ``partners=false`` (the CLI's backups and restores work on one's own photos)."""
    user = caller(request)
    if bool_param(request, "partners") is False:
        return Merged(user)
    rows = (Partner.objects.filter(partner=user, in_timeline=True, owner__is_active=True)
            .order_by("owner__username").values_list("owner_id", "owner__username"))
    return Merged(user, dict(rows))


def partner_urls(username: str, photo: Photo) -> dict[str, str]:
    """The item's urls as /photos/{id} has them, below /partners/{username}/photos/."""
    base = f"{PREFIX}/partners/{username}/photos/{photo.sha256}"
    kinds = ["original", "thumbnail", "preview"]
    if photo.media_type == MediaType.VIDEO:
        kinds.append("playback")
    if has_motion(photo):
        kinds.append("motion")
    return {kind: f"{base}/{kind}" for kind in kinds}


def _listed(rows: QuerySet[Photo]) -> QuerySet[Photo]:
    # A Live Photo's clip is part of its still's item, not an item of its own.
    return rows.filter(trashed_at__isnull=True, is_motion=False)


def _held_by(user: User) -> QuerySet[Photo]:
    return Photo.objects.filter(owner=user, original=OuterRef("original"),
                                trashed_at__isnull=True, is_motion=False)
