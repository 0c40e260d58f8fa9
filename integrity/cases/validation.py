"""Checks of what a member files: texts, the incident date, the municipality and the categories."""

from __future__ import annotations

import datetime

from integrity.errors import Invalid
from integrity.reference import category, municipality

EARLIEST_INCIDENT = datetime.date(1990, 1, 1)


def clean_text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    """The one text cleaner of every text a person writes (case texts, public texts, reasons,
    comments): line ends made one, outer space trimmed, then the length and NUL checks, each
    refusal naming `field`."""
    text = value.replace("\r\n", "\n").strip()
    if required and not text:
        raise Invalid(f"{field} must not be empty", code="text_empty", field=field)
    if len(text) > limit:
        raise Invalid(f"{field} must have at most {limit} characters", code="text_too_long", field=field)
    if "\x00" in text:
        raise Invalid(f"{field} must not contain NUL characters", code="text_has_nul", field=field)
    return text


def check_date(value: datetime.date) -> None:
    if value > datetime.datetime.now(datetime.UTC).date():
        raise Invalid(
            "incident_date must not be in the future", code="incident_date_future", field="incident_date"
        )
    if value < EARLIEST_INCIDENT:
        raise Invalid(
            "incident_date is too far in the past", code="incident_date_too_old", field="incident_date"
        )


def check_municipality(code: str) -> str:
    if municipality(code) is None:
        raise Invalid(
            "municipality must be a code from GET /api/v1/municipalities",
            code="municipality_unknown",
            field="municipality",
        )
    return code


def check_categories(codes: list[str]) -> list[str]:
    if not codes:
        raise Invalid("choose at least one category", code="categories_missing", field="categories")
    unique = list(dict.fromkeys(codes))
    for code in unique:
        if category(code) is None:
            raise Invalid(
                "categories must be codes from GET /api/v1/categories",
                code="category_unknown",
                field="categories",
            )
    return unique
