"""The case form: what the page sends, turned into `CaseIn`, with a message per field when it
cannot be (the services still check every rule; this only parses and says where a value is missing).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from integrity.cases import actors as cases_actors
from integrity.cases import service as cases_service
from integrity.cases.schemas import ActorIn, CaseIn, CaseOut
from integrity.cases.tables import ActorKind, ActorRole, DatePrecision
from integrity.errors import IntegrityError
from integrity.reference import (
    categories,
    category,
    district,
    districts,
    fold,
    municipalities_in_district,
    municipality,
)
from integrity.web.i18n import SR_CYRL, SR_LATN
from integrity.web.labels import N_

#: Empty actor rows a new-case form offers; an edit form offers this many beyond the case's own.
BLANK_ACTOR_ROWS = 3
_ACTOR_FIELD = re.compile(r"^actor-(\d{1,2})-(name|kind|role|protect|aliases)$")

MESSAGES = {
    "title_missing": N_("Give the case a title."),
    "narrative_missing": N_("Describe what happened."),
    "too_long": N_("This text is too long."),
    "date_missing": N_("Give the date of the incident (any day of the month or year if you know no more)."),
    "date_invalid": N_("This is not a date."),
    "precision_invalid": N_("Choose how exactly you know the date."),
    "municipality_missing": N_("Choose the municipality."),
    "categories_missing": N_("Choose at least one category."),
    "actor_name_missing": N_("Give the name, or clear the other fields of this row."),
    "actor_kind_missing": N_("Choose what kind of actor this is."),
    "actor_role_missing": N_("Choose the actor's role in the case."),
    "too_many_actors": N_("A case may name at most 50 actors."),
    "files_lost": N_("The files were not kept: choose them again."),
    "no_files": N_("Choose one or more files."),
    "answer_empty": N_("Write your answer to the review team's request; the files alone are not sent."),
    "choose_profession": N_("choose a profession"),
    "passwords_differ": N_("the two passwords differ"),
    "login_expired": N_("It took too long to enter the code: log in again."),
    "bad_form": N_("the request does not match the expected fields"),
}


@dataclass
class ActorRow:
    name: str = ""
    kind: str = ""
    role: str = ""
    protect: bool = False
    aliases: str = ""

    @property
    def blank(self) -> bool:
        return not (self.name.strip() or self.kind or self.role or self.protect or self.aliases.strip())


@dataclass
class CaseForm:
    """The values to show in the form (what the member typed) and the messages per field."""

    title: str = ""
    narrative: str = ""
    incident_date: str = ""
    incident_date_precision: str = DatePrecision.day.value
    municipality: str = ""
    categories: list[str] = field(default_factory=list)
    location_detail: str = ""
    actors: list[ActorRow] = field(default_factory=list)
    errors: dict[str, IntegrityError | str] = field(default_factory=dict)

    def actor_rows(self) -> list[ActorRow]:
        """The member's rows and some blank ones, up to the service's limit."""
        rows = [row for row in self.actors if not row.blank]
        room = max(0, cases_actors.MAX_ACTORS - len(rows))
        return rows + [ActorRow() for _ in range(min(BLANK_ACTOR_ROWS, room))]

    def actor_error(self, index: int) -> IntegrityError | str | None:
        return self.errors.get(f"actor-{index}")

    @classmethod
    def from_case(cls, case: CaseOut) -> CaseForm:
        return cls(
            title=case.title,
            narrative=case.narrative,
            incident_date=case.incident_date.isoformat(),
            incident_date_precision=str(case.incident_date_precision),
            municipality=case.municipality,
            categories=list(case.categories),
            location_detail=case.location_detail or "",
            actors=[
                ActorRow(
                    name=a.name,
                    kind=str(a.kind),
                    role=str(a.role),
                    protect=a.protect_identity,
                    aliases=", ".join(a.aliases),
                )
                for a in case.actors
            ],
        )


def _one(fields: Mapping[str, list[str]], name: str) -> str:
    values = fields.get(name) or [""]
    return values[0]


def parse_case_form(fields: Mapping[str, list[str]]) -> tuple[CaseForm, CaseIn | None]:
    """The form as typed, and the `CaseIn` it stands for (None when a field needs fixing)."""
    form = CaseForm(
        title=_one(fields, "title"),
        narrative=_one(fields, "narrative"),
        incident_date=_one(fields, "incident_date").strip(),
        incident_date_precision=_one(fields, "incident_date_precision") or DatePrecision.day.value,
        municipality=_one(fields, "municipality"),
        categories=[code for code in fields.get("categories", []) if category(code) is not None],
        location_detail=_one(fields, "location_detail"),
    )
    errors = form.errors
    if not form.title.strip():
        errors["title"] = MESSAGES["title_missing"]
    elif len(form.title.strip()) > cases_service.MAX_TITLE:
        errors["title"] = MESSAGES["too_long"]
    if not form.narrative.strip():
        errors["narrative"] = MESSAGES["narrative_missing"]
    elif len(form.narrative) > cases_service.MAX_NARRATIVE:
        errors["narrative"] = MESSAGES["too_long"]
    if len(form.location_detail) > cases_service.MAX_LOCATION:
        errors["location_detail"] = MESSAGES["too_long"]
    incident_date = None
    if not form.incident_date:
        errors["incident_date"] = MESSAGES["date_missing"]
    else:
        try:
            incident_date = datetime.date.fromisoformat(form.incident_date)
        except ValueError:
            errors["incident_date"] = MESSAGES["date_invalid"]
    if form.incident_date_precision not in DatePrecision.__members__:
        errors["incident_date_precision"] = MESSAGES["precision_invalid"]
    if municipality(form.municipality) is None:
        errors["municipality"] = MESSAGES["municipality_missing"]
    if not form.categories:
        errors["categories"] = MESSAGES["categories_missing"]

    rows: dict[int, ActorRow] = {}
    for name, values in fields.items():
        match = _ACTOR_FIELD.match(name)
        if match is None:
            continue
        row = rows.setdefault(int(match.group(1)), ActorRow())
        value = values[0] if values else ""
        if match.group(2) == "protect":
            row.protect = bool(value)
        else:
            setattr(row, match.group(2), value)
    form.actors = [rows[index] for index in sorted(rows) if not rows[index].blank]
    actors: list[ActorIn] = []
    if len(form.actors) > cases_actors.MAX_ACTORS:
        errors["actors"] = MESSAGES["too_many_actors"]
    for index, row in enumerate(form.actors):
        problem = None
        if not row.name.strip():
            problem = MESSAGES["actor_name_missing"]
        elif len(row.name.strip()) > cases_actors.MAX_ACTOR_NAME:
            problem = MESSAGES["too_long"]
        elif row.kind not in ActorKind.__members__:
            problem = MESSAGES["actor_kind_missing"]
        elif row.role not in ActorRole.__members__:
            problem = MESSAGES["actor_role_missing"]
        if problem:
            errors[f"actor-{index}"] = problem
            continue
        aliases = [alias.strip() for alias in row.aliases.split(",") if alias.strip()]
        actors.append(
            ActorIn(
                role=ActorRole(row.role),
                name=row.name.strip(),
                kind=ActorKind(row.kind),
                protect_identity=row.protect,
                aliases=aliases[: cases_actors.MAX_ALIASES],
            )
        )
    if errors or incident_date is None:
        return form, None
    return form, CaseIn(
        title=form.title,
        narrative=form.narrative,
        incident_date=incident_date,
        incident_date_precision=DatePrecision(form.incident_date_precision),
        municipality=form.municipality,
        categories=form.categories,
        location_detail=form.location_detail or None,
        actors=actors,
    )


#: The form's fields a refusal can name (`IntegrityError.field`); any other refusal is about the form.
FORM_FIELDS = frozenset(
    {"title", "narrative", "location_detail", "incident_date", "municipality", "categories", "actors"}
)


def field_of(problem: IntegrityError) -> str:
    """Which form field a service's refusal is about ("form" when it is about none); a refusal about
    one actor (`actors[2].name`) is shown with the actors."""
    name = re.split(r"[.\[]", problem.field or "", maxsplit=1)[0]
    return name if name in FORM_FIELDS else "form"


# --- the municipality list ----------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ChoiceGroup:
    label: str
    choices: list[Choice]


def municipality_groups(lang: str) -> list[ChoiceGroup]:
    """Municipalities grouped by district, in the page's script, sorted as people read them."""
    script = SR_CYRL if lang == SR_CYRL else SR_LATN
    groups = []
    for region in districts():
        members = municipalities_in_district(region.code)
        choices = sorted((Choice(m.code, m.name(script)) for m in members), key=lambda c: fold(c.label))
        groups.append(ChoiceGroup(region.name(script), choices))
    return groups


def category_codes() -> list[str]:
    return [c.code for c in categories()]


def form_fields(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, value in items:
        fields.setdefault(name, []).append(value)
    return fields


def district_of(code: str) -> Any:
    found = municipality(code)
    return district(found.district) if found else None
