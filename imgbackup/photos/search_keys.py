"""The normalised search columns of a photo, and the rule that matches a query against them.

Pure functions: no ORM, no HTTP. The same fold is applied to what is stored and to what is
asked, so matching is case-insensitive and accent-insensitive everywhere ("sao paulo" finds
"São Paulo", "APPLE iphone" finds "Apple" + "iPhone 15 Pro").

- ``camera_key``: the words of make and model together, folded, a word that repeats (the make
  inside the model: "Canon" + "Canon EOS R6") kept once.
- ``lens_key``: the folded words of the lens.
- ``place_key``: ``country_code|country|region|city`` as the geocoder named them (not folded:
  the places list shows them), one value per city, so a library's cities can be listed from
  an index without reading its photos.

A camera or lens query matches a key when **each word of the query is found in the key**, in
any order (so "phone" still finds an iPhone, as the old substring search did). A place query
matches when each of its words **is a whole word** of the city, region or country name (or
the country code), so "Paris" does not find "Saint Ann Parish" nor "Parisot"; a city's
names in other scripts count too ("京都", "Москва": geo/local_names.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from imgbackup.geo.fold import fold
from imgbackup.geo.geocoder import Place
from imgbackup.geo.local_names import local_names, non_latin

SEPARATOR = "|"
KEY_PART = 60  # place_key is at most 4 parts of this, plus separators: < 255
PLACE_WORDS_CACHED = 20_000  # places whose folded words are kept (search.MAX_KEYS per library)


def _unique_words(*texts: str) -> str:
    seen: dict[str, None] = {}
    for text in texts:
        for word in fold(text).split():
            seen.setdefault(word, None)
    return " ".join(seen)[:200]


def camera_key(make: str, model: str) -> str:
    return _unique_words(make, model)


def lens_key(lens: str) -> str:
    return _unique_words(lens)


def words_in(query: str, key: str) -> bool:
    """Each word of ``query`` is found in the (folded) ``key``; an empty query matches nothing."""
    words = fold(query).split()
    return bool(words) and all(word in key for word in words)


@dataclass(frozen=True)
class PlaceName:
    city: str
    region: str
    country: str
    country_code: str


def place_key(place: Place | None) -> str:
    if place is None:
        return ""
    parts = (place.country_code, place.country, place.region, place.city)
    return SEPARATOR.join(part.replace(SEPARATOR, " ")[:KEY_PART] for part in parts)


def place_of(key: str) -> PlaceName | None:
    """The names a ``place_key`` holds; None for the empty key (no place)."""
    if not key:
        return None
    country_code, country, region, city = [*key.split(SEPARATOR), "", "", ""][:4]
    return PlaceName(city=city, region=region, country=country, country_code=country_code)


def place_matches(query: str, key: str) -> bool:
    """Each word of ``query`` is a word of the place's city, region or country name, or its
    country code."""
    words, other_script = _query_words(query)
    if not key or not words:
        return False
    names = _place_words(key)
    if other_script:  # 京都, Москва: the city's names in other scripts (geo/local_names.py)
        name = place_of(key)
        assert name is not None
        names = names.union(*(local.split()
                              for local in local_names(name.country_code, name.city)))
    return all(word in names for word in words)


@lru_cache(maxsize=256)
def _query_words(query: str) -> tuple[tuple[str, ...], bool]:
    """A place query's folded words, and whether it has letters of a non-Latin script (asked
    once per city the library holds)."""
    return tuple(fold(query).split()), non_latin(query)


@lru_cache(maxsize=PLACE_WORDS_CACHED)
def _place_words(key: str) -> frozenset[str]:
    """The folded words of a place's city, region and country names, and its country code.
    Kept: a place query checks every city of the library (folding them all was 1.6 ms of a
    request at ~200 cities), and a key's words never change."""
    name = place_of(key)
    if name is None:
        return frozenset()
    return frozenset({*fold(" ".join((name.city, name.region, name.country))).split(),
                      name.country_code.casefold()})
