"""The shipped reference data: Serbia's districts, cities and municipalities, and the taxonomy."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib.resources import files

import pytest

from integrity.reference import (
    KINDS,
    REGIONS,
    Category,
    District,
    Municipality,
    categories,
    category,
    district,
    districts,
    fold,
    municipalities,
    municipalities_in_district,
    municipality,
    slugify,
    to_cyrillic,
    to_latin,
)
from integrity.reference.script import SERBIAN_CYRILLIC, SERBIAN_LATIN

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CATEGORY_CODE = re.compile(r"[a-z]+(?:_[a-z]+)*")

# Expected counts, verified against the Law on Territorial Organisation of the Republic of Serbia
# ("Sl. glasnik RS" 129/2007, 18/2016, 47/2018, 9/2020) as summarised by Wikipedia, "Municipalities
# and cities of Serbia": 145 municipalities (37 in Vojvodina, 42 in Šumadija and Western Serbia,
# 38 in Southern and Eastern Serbia, 28 in Kosovo and Metohija) and 29 cities (Belgrade; 8 in
# Vojvodina, 10 in Šumadija and Western Serbia, 9 in Southern and Eastern Serbia, 1 in Kosovo and
# Metohija). Districts: the Government's Decree on administrative districts, 29 districts plus the
# City of Belgrade (ISO 3166-2:RS RS-00 .. RS-29). City municipalities: the statutes of the cities:
# Belgrade 17, Niš 5; Novi Sad (Petrovaradin), Požarevac (Kostolac), Užice (Sevojno) and Vranje
# (Vranjska Banja) one each besides the part that keeps the city's own name, which is the city
# entry itself here. Assignment of municipalities to districts and the Cyrillic names were
# cross-checked against a public government data set listing all 198 local units with okrug.
EXPECTED_MUNICIPALITIES = {
    "vojvodina": 37,
    "sumadija_western": 42,
    "southern_eastern": 38,
    "kosovo_metohija": 28,
    "belgrade": 0,
}
EXPECTED_CITIES = {
    "belgrade": 1,
    "vojvodina": 8,
    "sumadija_western": 10,
    "southern_eastern": 9,
    "kosovo_metohija": 1,
}
EXPECTED_CITY_MUNICIPALITIES = {
    "beograd": 17,
    "nis": 5,
    "novi-sad": 1,
    "pozarevac": 1,
    "uzice": 1,
    "vranje": 1,
}
EXPECTED_DISTRICTS_PER_REGION = {
    "belgrade": 1,
    "vojvodina": 7,
    "sumadija_western": 8,
    "southern_eastern": 9,
    "kosovo_metohija": 5,
}


def is_cyrillic_name(text: str) -> bool:
    return all(c in SERBIAN_CYRILLIC or c in " -" for c in text) and any(c in SERBIAN_CYRILLIC for c in text)


def is_latin_name(text: str) -> bool:
    return all(c in SERBIAN_LATIN or c in " -" for c in text) and any(c in SERBIAN_LATIN for c in text)


# --- loading and API ----------------------------------------------------------------------------


def test_data_loads_into_frozen_dataclasses() -> None:
    assert all(isinstance(m, Municipality) for m in municipalities())
    assert all(isinstance(d, District) for d in districts())
    assert all(isinstance(c, Category) for c in categories())
    m = municipality("cacak")
    assert m is not None
    with pytest.raises(AttributeError):
        m.name_latn = "x"  # type: ignore[misc]


def test_loaded_once() -> None:
    assert municipalities() is municipalities()
    assert districts() is districts()
    assert categories() is categories()


def test_lookups() -> None:
    cacak = municipality("cacak")
    assert cacak == Municipality(
        code="cacak",
        name_latn="Čačak",
        name_cyrl="Чачак",
        district="moravicki",
        kind="city",
        parent=None,
        region="sumadija_western",
    )
    assert cacak.name("sr-Cyrl") == "Чачак"
    assert cacak.name("sr-Latn") == cacak.name("en") == "Čačak"
    zemun = municipality("beograd-zemun")
    assert zemun is not None and zemun.kind == "city_municipality" and zemun.parent == "beograd"
    assert municipality("nis-medijana").name_cyrl == "Медијана"
    assert municipality("novi-sad-petrovaradin").parent == "novi-sad"
    assert municipality("nowhere") is None
    assert district("zlatiborski").seat == "uzice"
    assert district("zlatiborski").iso_code == "RS-16"
    assert district("nowhere") is None
    assert category("media_capture").label("sr-Cyrl") == "Контрола медија и притисци на новинаре"
    assert category("nowhere") is None
    with pytest.raises(ValueError):
        cacak.name("de")


def test_municipalities_in_district() -> None:
    codes = {m.code for m in municipalities_in_district("pcinjski")}
    assert codes == {
        "vranje",
        "vranje-vranjska-banja",
        "bosilegrad",
        "bujanovac",
        "vladicin-han",
        "presevo",
        "surdulica",
        "trgoviste",
    }
    assert municipalities_in_district("nowhere") == ()


def test_json_rows_have_exactly_the_documented_fields() -> None:
    data = files("integrity.reference").joinpath("data")
    rows = json.loads(data.joinpath("municipalities.json").read_text("utf-8"))["municipalities"]
    fields = {"code", "name_latn", "name_cyrl", "district", "kind", "parent", "region"}
    assert all(set(r) == fields for r in rows)
    rows = json.loads(data.joinpath("districts.json").read_text("utf-8"))["districts"]
    assert all(set(r) == {"code", "iso_code", "name_latn", "name_cyrl", "seat", "region"} for r in rows)


# --- municipalities -------------------------------------------------------------------------------


def test_codes_unique_and_slug_shaped() -> None:
    codes = [m.code for m in municipalities()]
    assert len(codes) == len(set(codes))
    assert all(SLUG.fullmatch(c) for c in codes)
    dcodes = [d.code for d in districts()]
    assert len(dcodes) == len(set(dcodes))
    assert all(SLUG.fullmatch(c) for c in dcodes)


def test_codes_derive_from_names() -> None:
    # Stable codes: the slug of the Latin name, prefixed by the city for city municipalities.
    for m in municipalities():
        expected = slugify(m.name_latn) if m.parent is None else f"{m.parent}-{slugify(m.name_latn)}"
        assert m.code == expected


def test_every_municipality_names_an_existing_district_and_region() -> None:
    for m in municipalities():
        d = district(m.district)
        assert d is not None, m
        assert m.kind in KINDS
        assert m.region in REGIONS
        assert m.region == d.region, m


def test_parents() -> None:
    for m in municipalities():
        if m.kind == "city_municipality":
            parent = municipality(m.parent or "")
            assert parent is not None and parent.kind == "city", m
            assert parent.district == m.district
        else:
            assert m.parent is None, m


def test_belgrade_has_exactly_17_city_municipalities() -> None:
    belgrade = [m for m in municipalities() if m.parent == "beograd"]
    assert len(belgrade) == 17
    assert {m.name_latn for m in belgrade} == {
        "Barajevo", "Voždovac", "Vračar", "Grocka", "Zvezdara", "Zemun", "Lazarevac", "Mladenovac",
        "Novi Beograd", "Obrenovac", "Palilula", "Rakovica", "Savski venac", "Sopot", "Stari grad",
        "Surčin", "Čukarica",
    }  # fmt: skip
    assert all(m.district == "beograd" and m.region == "belgrade" for m in belgrade)


def test_counts_match_the_law() -> None:
    by = Counter((m.region, m.kind) for m in municipalities())
    for region, n in EXPECTED_MUNICIPALITIES.items():
        assert by[(region, "municipality")] == n, region
    for region, n in EXPECTED_CITIES.items():
        assert by[(region, "city")] == n, region
    assert sum(by[(r, "municipality")] for r in REGIONS) == 145
    assert sum(by[(r, "city")] for r in REGIONS) == 29
    parents = Counter(m.parent for m in municipalities() if m.kind == "city_municipality")
    assert dict(parents) == EXPECTED_CITY_MUNICIPALITIES
    assert len(municipalities()) == 145 + 29 + 26
    # Without Kosovo and Metohija: 117 municipalities and 28 cities.
    outside = [m for m in municipalities() if m.region != "kosovo_metohija"]
    assert sum(m.kind == "municipality" for m in outside) == 117
    assert sum(m.kind == "city" for m in outside) == 28


def test_districts() -> None:
    ds = districts()
    assert len(ds) == 30  # 29 districts + the City of Belgrade
    assert len([d for d in ds if d.region != "kosovo_metohija"]) == 25  # 24 okrugs + Belgrade
    assert [d.iso_code for d in ds] == [f"RS-{i:02d}" for i in range(30)]
    assert Counter(d.region for d in ds) == EXPECTED_DISTRICTS_PER_REGION
    for d in ds:
        seat = municipality(d.seat)
        assert seat is not None and seat.district == d.code, d
        assert municipalities_in_district(d.code), d
        assert is_latin_name(d.name_latn) and is_cyrillic_name(d.name_cyrl), d
        assert to_cyrillic(d.name_latn) == d.name_cyrl


def test_both_scripts_present_and_consistent() -> None:
    for m in municipalities():
        assert is_latin_name(m.name_latn), m
        assert is_cyrillic_name(m.name_cyrl), m
        assert to_cyrillic(m.name_latn) == m.name_cyrl, m
        assert to_latin(m.name_cyrl) == m.name_latn, m
        assert fold(m.name_latn) == fold(m.name_cyrl)


def test_names_agree_with_cyrtranslit() -> None:
    cyrtranslit = pytest.importorskip("cyrtranslit")
    for m in municipalities():
        assert cyrtranslit.to_cyrillic(m.name_latn, "sr") == m.name_cyrl, m


def test_spot_check_tricky_names() -> None:
    names = {m.name_latn: m.name_cyrl for m in municipalities()}
    assert names["Kanjiža"] == "Кањижа"
    assert names["Bač"] == "Бач"
    assert names["Inđija"] == "Инђија"
    assert names["Đakovica"] == "Ђаковица"
    assert names["Gadžin Han"] == "Гаџин Хан"
    assert names["Ljubovija"] == "Љубовија"
    assert names["Žitorađa"] == "Житорађа"
    assert names["Ćićevac"] == "Ћићевац"


def test_no_duplicate_names_within_a_district() -> None:
    for d in districts():
        names = [fold(m.name_latn) for m in municipalities_in_district(d.code)]
        assert len(names) == len(set(names)), d.code


def test_kosovo_and_metohija_as_serbian_law_lists_it() -> None:
    km = [m for m in municipalities() if m.region == "kosovo_metohija"]
    assert len(km) == 29
    assert municipality("pristina").kind == "city"
    assert {m.district for m in km} == {
        "kosovski",
        "pecki",
        "prizrenski",
        "kosovskomitrovacki",
        "kosovskopomoravski",
    }


# --- categories -----------------------------------------------------------------------------------


def test_categories() -> None:
    cats = categories()
    codes = [c.code for c in cats]
    assert codes == [
        "police_security",
        "prosecution_courts",
        "procurement_public_money",
        "employment_patronage",
        "urban_planning_land",
        "media_capture",
        "elections_vote_buying",
        "intimidation",
        "public_companies_utilities",
        "inspections_regulators",
        "other",
    ]
    for c in cats:
        assert CATEGORY_CODE.fullmatch(c.code)
        for lang in ("en", "sr-Latn", "sr-Cyrl"):
            assert c.label(lang).strip() and c.description(lang).strip()
            assert c.description(lang).endswith(".")
        assert to_cyrillic(c.label_latn) == c.label_cyrl
        assert to_cyrillic(c.description_latn) == c.description_cyrl
        assert not any(ch in SERBIAN_CYRILLIC for ch in c.label_latn + c.description_latn + c.label_en)
        assert not any(ch in SERBIAN_LATIN for ch in c.label_cyrl + c.description_cyrl)
    assert len({c.label_en for c in cats}) == len(cats)
    assert fold(category("employment_patronage").label_cyrl).startswith("zaposljavanje")
