"""The shipped reference lists: Serbia's districts, cities and municipalities, and the taxonomy.

The data lives in ``integrity/reference/data/*.json`` (package data) and is read once, on first
use. Everything returned is immutable: frozen dataclasses in tuples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Literal, get_args

__all__ = [
    "KINDS",
    "REGIONS",
    "Category",
    "District",
    "Kind",
    "Municipality",
    "ReferralKind",
    "Region",
    "categories",
    "category",
    "district",
    "districts",
    "municipalities",
    "municipalities_in_district",
    "municipality",
    "referral_kind",
    "referral_kinds",
]

Kind = Literal["city", "municipality", "city_municipality"]
Region = Literal["belgrade", "vojvodina", "sumadija_western", "southern_eastern", "kosovo_metohija"]
KINDS: tuple[str, ...] = get_args(Kind)
REGIONS: tuple[str, ...] = get_args(Region)


def _script(lang: str) -> str:
    """``latn`` or ``cyrl`` (``en`` uses Latin names) for a language tag; ValueError otherwise."""
    tag = lang.lower()
    if tag in ("sr-cyrl", "cyrl"):
        return "cyrl"
    if tag in ("sr-latn", "sr", "latn", "en"):
        return "latn"
    raise ValueError(f"unknown language or script: {lang!r}")


@dataclass(frozen=True, slots=True)
class District:
    """An administrative district (upravni okrug), or the City of Belgrade, which has none."""

    code: str  # stable slug, e.g. "zlatiborski"; "beograd" for the City of Belgrade
    iso_code: str  # ISO 3166-2:RS, e.g. "RS-16"
    name_latn: str
    name_cyrl: str
    seat: str  # code of the city that is the district's seat
    region: Region

    def name(self, lang: str = "sr-Latn") -> str:
        return self.name_cyrl if _script(lang) == "cyrl" else self.name_latn


@dataclass(frozen=True, slots=True)
class Municipality:
    """A city (grad), municipality (opština) or city municipality (gradska opština)."""

    code: str  # stable slug, e.g. "cacak", "beograd-zemun", "nis-medijana"
    name_latn: str
    name_cyrl: str
    district: str  # District.code
    kind: Kind
    parent: str | None  # the city's code for a city municipality, else None
    region: Region

    def name(self, lang: str = "sr-Latn") -> str:
        return self.name_cyrl if _script(lang) == "cyrl" else self.name_latn


@dataclass(frozen=True, slots=True)
class Category:
    """A category of the state-capture taxonomy."""

    code: str  # stable, e.g. "procurement_public_money"
    label_en: str
    label_latn: str
    label_cyrl: str
    description_en: str
    description_latn: str
    description_cyrl: str

    def label(self, lang: str = "en") -> str:
        if lang.lower() == "en":
            return self.label_en
        return self.label_cyrl if _script(lang) == "cyrl" else self.label_latn

    def description(self, lang: str = "en") -> str:
        if lang.lower() == "en":
            return self.description_en
        return self.description_cyrl if _script(lang) == "cyrl" else self.description_latn


@dataclass(frozen=True, slots=True)
class ReferralKind:
    """A kind of referral to an institution, with the deadline the law sets for its answer."""

    code: str
    name_en: str
    name_latn: str
    name_cyrl: str
    #: Days the law gives the institution to answer; None where it sets none (the network's own
    #: follow-up interval applies, ``Settings.referral_follow_up``).
    deadline_days: int | None
    working_days: bool
    #: The article of law the deadline comes from (None with no legal deadline).
    source: str | None
    #: The kind of the appeal or complaint to a supervising body, where the law gives one.
    appeal: str | None

    def name(self, lang: str = "en") -> str:
        if lang.lower() == "en":
            return self.name_en
        return self.name_cyrl if _script(lang) == "cyrl" else self.name_latn


def _load(name: str, key: str) -> list[dict[str, Any]]:
    resource = files("integrity.reference").joinpath("data", name)
    with resource.open("r", encoding="utf-8") as f:
        return json.load(f)[key]


@cache
def referral_kinds() -> tuple[ReferralKind, ...]:
    """The kinds of referral, as shipped in ``data/referral_kinds.json``."""
    return tuple(ReferralKind(**row) for row in _load("referral_kinds.json", "referral_kinds"))


def referral_kind(code: str) -> ReferralKind | None:
    return next((kind for kind in referral_kinds() if kind.code == code), None)


@cache
def districts() -> tuple[District, ...]:
    """The City of Belgrade and the 29 administrative districts, in the Decree's order."""
    return tuple(District(**row) for row in _load("districts.json", "districts"))


@cache
def municipalities() -> tuple[Municipality, ...]:
    """Every city, municipality and city municipality, sorted by code."""
    return tuple(Municipality(**row) for row in _load("municipalities.json", "municipalities"))


@cache
def categories() -> tuple[Category, ...]:
    """The taxonomy in display order (``other`` last)."""
    out = []
    for row in _load("categories.json", "categories"):
        label, description = row["label"], row["description"]
        out.append(
            Category(
                code=row["code"],
                label_en=label["en"],
                label_latn=label["sr-Latn"],
                label_cyrl=label["sr-Cyrl"],
                description_en=description["en"],
                description_latn=description["sr-Latn"],
                description_cyrl=description["sr-Cyrl"],
            )
        )
    return tuple(out)


@cache
def _municipality_index() -> dict[str, Municipality]:
    return {m.code: m for m in municipalities()}


@cache
def _district_index() -> dict[str, District]:
    return {d.code: d for d in districts()}


@cache
def _category_index() -> dict[str, Category]:
    return {c.code: c for c in categories()}


@cache
def _by_district() -> dict[str, tuple[Municipality, ...]]:
    out: dict[str, list[Municipality]] = {}
    for m in municipalities():
        out.setdefault(m.district, []).append(m)
    return {k: tuple(v) for k, v in out.items()}


def municipality(code: str) -> Municipality | None:
    return _municipality_index().get(code)


def district(code: str) -> District | None:
    return _district_index().get(code)


def category(code: str) -> Category | None:
    return _category_index().get(code)


def municipalities_in_district(code: str) -> tuple[Municipality, ...]:
    """Every entry of the district (cities, municipalities and city municipalities); () if unknown."""
    return _by_district().get(code, ())
