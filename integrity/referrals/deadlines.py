"""When an institution's answer to a referral is due, and how late it is.

A kind's deadline comes from the law that sets it (``reference/data/referral_kinds.json`` cites the
article), or, where the law sets none, from the network's own follow-up interval
(``INTEGRITY_REFERRAL_FOLLOW_UP``). Calendar days are counted from the day after the referral was
sent; a deadline that falls on a day institutions do not work (a Saturday, a Sunday, a public
holiday of the Republic of Serbia) moves to the next working day. Working days, where a kind counts
them, skip the same days.

A referral is ``awaiting`` until its deadline, ``overdue`` after it, and ``long_overdue`` once it
is late by as long again as it had to answer.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from functools import cache

from integrity.reference import ReferralKind

#: The follow-up interval of a kind without a legal deadline, unless configured per kind.
DEFAULT_FOLLOW_UP_DAYS = 60


def today() -> datetime.date:
    """The day the platform is on (in Serbia's time zone). Tests move it forward."""
    return datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=1))).date()


def orthodox_easter(year: int) -> datetime.date:
    """Easter Sunday of the Serbian Orthodox Church, in the Gregorian calendar (1900 to 2099)."""
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    julian = datetime.date(year, month, day + 1)
    return julian + datetime.timedelta(days=13)


@cache
def public_holidays(year: int) -> frozenset[datetime.date]:
    """The days off work of the Republic of Serbia's public holidays (Zakon o državnim i drugim
    praznicima u Republici Srbiji, čl. 2 and 3): New Year (two days), Orthodox Christmas,
    Statehood Day (two days), Labour Day (two days), Armistice Day, and Orthodox Good Friday to
    Easter Monday. A holiday on a Sunday gives the Monday off, except Christmas and Easter."""
    days: set[datetime.date] = set()
    for month, first, length in [(1, 1, 2), (2, 15, 2), (5, 1, 2), (11, 11, 1)]:
        held = [datetime.date(year, month, first + offset) for offset in range(length)]
        days.update(held)
        if any(day.weekday() == 6 for day in held):
            days.add(held[-1] + datetime.timedelta(days=1))
    easter = orthodox_easter(year)
    easter_days = {easter + datetime.timedelta(days=offset) for offset in (-2, -1, 0, 1)}
    return frozenset(days | easter_days | {datetime.date(year, 1, 7)})


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def follow_up_days(kind: ReferralKind, follow_up: Mapping[str, int]) -> int:
    """The days the institution has: the law's, or the network's interval for the kind."""
    if kind.deadline_days is not None:
        return kind.deadline_days
    return follow_up.get(kind.code, follow_up.get("default", DEFAULT_FOLLOW_UP_DAYS))


def due_date(kind: ReferralKind, sent: datetime.date, follow_up: Mapping[str, int]) -> datetime.date:
    """The last day of the institution's time to answer a referral sent on ``sent``."""
    days = follow_up_days(kind, follow_up)
    if kind.working_days:
        day, counted = sent, 0
        while counted < days:
            day += datetime.timedelta(days=1)
            counted += is_working_day(day)
        return day
    day = sent + datetime.timedelta(days=days)
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def status(
    sent: datetime.date,
    due: datetime.date,
    *,
    answered: bool,
    closed: bool,
    on: datetime.date,
) -> tuple[str, int]:
    """The referral's status on day ``on`` and how many days its answer is overdue (0 when not)."""
    late = max(0, (on - due).days)
    if closed:
        return "closed", 0
    if answered:
        return "answered", 0
    if late == 0:
        return "awaiting", 0
    allowed = max(1, (due - sent).days)
    return ("long_overdue" if late > allowed else "overdue"), late
