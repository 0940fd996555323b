"""The matching rule of camera, lens and place search: words, any case, any accents."""

from __future__ import annotations

import pytest

from imgbackup.geo.geocoder import Place
from imgbackup.geo.local_names import non_latin
from imgbackup.photos.search_keys import (
    camera_key,
    fold,
    lens_key,
    place_key,
    place_matches,
    place_of,
    words_in,
)

pytestmark = pytest.mark.backend_independent

IPHONE = camera_key("Apple", "iPhone 15 Pro")
R6 = camera_key("Canon", "Canon EOS R6")
SAO_PAULO = place_key(Place("São Paulo", "São Paulo", "Brazil", "BR", 1))
KYOTO = place_key(Place("Kyoto", "Kyoto", "Japan", "JP", 1))


def test_make_and_model_are_one_text_of_folded_words() -> None:
    assert IPHONE == "apple iphone 15 pro"
    assert R6 == "canon eos r6"  # the make named again in the model counts once
    assert lens_key("EF24-70mm f/2.8L II USM") == "ef24 70mm f 2 8l ii usm"
    assert fold("ÎLE-de-France  Straße") == "ile de france strasse"


@pytest.mark.parametrize("query", ["Apple iPhone", "apple iphone", "iphone 15", "APPLE",
                                   "iPhone Apple", "phone", "  iphone   pro "])
def test_camera_words_match_make_and_model_together(query: str) -> None:
    assert words_in(query, IPHONE)


@pytest.mark.parametrize("query", ["iphone 14", "samsung", "", "   ", "apple pixel"])
def test_camera_words_that_are_not_all_there_do_not_match(query: str) -> None:
    assert not words_in(query, IPHONE)


def test_canon_r6() -> None:
    assert words_in("canon r6", R6) and not words_in("canon r5", R6)


@pytest.mark.parametrize("query", ["São Paulo", "sao paulo", "SAO PAULO", "paulo", "Brazil",
                                   "brasil br", "br", "Sao", "paulo brazil"])
def test_places_match_any_case_and_accents(query: str) -> None:
    if query == "brasil br":
        assert not place_matches(query, SAO_PAULO)  # the data's country name is English
        return
    assert place_matches(query, SAO_PAULO)


def test_place_words_are_whole_words() -> None:
    parish = place_key(Place("Saint Ann Parish", "Saint Ann", "Jamaica", "JM", 1))
    assert not place_matches("Paris", parish) and place_matches("parish", parish)
    assert place_matches("KYOTO", KYOTO) and place_matches("Japan", KYOTO)
    assert not place_matches("kyo", KYOTO) and not place_matches("", KYOTO)


def test_a_place_key_holds_its_names() -> None:
    name = place_of(SAO_PAULO)
    assert name is not None
    assert (name.city, name.region, name.country, name.country_code) == (
        "São Paulo", "São Paulo", "Brazil", "BR")
    assert place_key(None) == "" and place_of("") is None
    odd = place_key(Place("A|B", "", "C", "XX", 1))
    assert place_of(odd) is not None and place_of(odd).city == "A B"  # type: ignore[union-attr]


MOSCOW = "RU|Russia|Moscow|Moscow"


@pytest.mark.parametrize(("query", "key"), [
    ("京都", KYOTO), ("京都市", KYOTO), ("きょうとし", KYOTO), ("Киото", KYOTO),
    ("москва", MOSCOW), ("МОСКВА", MOSCOW), ("莫斯科", MOSCOW), ("교토 시", KYOTO),  # noqa: RUF001
])
def test_a_city_is_found_by_its_names_in_other_scripts(query: str, key: str) -> None:
    assert place_matches(query, key)


@pytest.mark.parametrize(("query", "key"), [
    ("京都", MOSCOW), ("Москва", KYOTO), ("東京", KYOTO),  # another city's name
    ("京", KYOTO),  # whole names only, as for Latin words
    ("Kioto", KYOTO),  # other Latin spellings are not kept: "paris" must mean Paris
])
def test_other_names_do_not_match(query: str, key: str) -> None:
    assert not place_matches(query, key)


def test_only_non_latin_names_are_kept() -> None:
    assert non_latin("京都") and non_latin("Москва") and non_latin("São京")
    assert not non_latin("São Paulo") and not non_latin("Kyōto") and not non_latin("123 _")
