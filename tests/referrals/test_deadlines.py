"""Deadlines of referrals: the law's, cited; the network's, configurable; days off moved past."""

from __future__ import annotations

import datetime

import pytest

from integrity.errors import ConfigurationError
from integrity.reference import referral_kind, referral_kinds
from integrity.referrals.deadlines import due_date, is_working_day, orthodox_easter, public_holidays, status
from integrity.settings import Settings

D = datetime.date


def test_every_legal_deadline_cites_the_article_it_comes_from() -> None:
    legal = [kind for kind in referral_kinds() if kind.deadline_days is not None]
    assert {kind.code for kind in legal} >= {"information_request", "commissioner_complaint"}
    for kind in legal:
        assert kind.source and "čl." in kind.source and "Zakon" in kind.source, kind.code
    for kind in referral_kinds():
        assert kind.name_en and kind.name_latn and kind.name_cyrl
        assert kind.appeal is None or referral_kind(kind.appeal) is not None


def test_orthodox_easter_and_the_days_off_of_serbia() -> None:
    assert [orthodox_easter(year) for year in (2023, 2024, 2025, 2026)] == [
        D(2023, 4, 16),
        D(2024, 5, 5),
        D(2025, 4, 20),
        D(2026, 4, 12),
    ]
    days = public_holidays(2023)
    # New Year on a Sunday gives the Tuesday off too; Good Friday to Easter Monday; Christmas.
    assert {
        D(2023, 1, 1),
        D(2023, 1, 2),
        D(2023, 1, 3),
        D(2023, 1, 7),
        D(2023, 4, 14),
        D(2023, 4, 17),
    } <= days
    # Statehood Day 2026 falls on a Sunday: the Monday and the Tuesday after are off.
    assert not is_working_day(D(2026, 2, 17)) and is_working_day(D(2026, 2, 18))


def test_a_deadline_counts_calendar_days_and_moves_past_days_off() -> None:
    request = referral_kind("information_request")
    assert request is not None
    # Sent on a Tuesday: 15 days later is a Wednesday.
    assert due_date(request, D(2026, 3, 3), {}) == D(2026, 3, 18)
    # 2026-03-14 + 15 days is a Sunday: Monday the 30th.
    assert due_date(request, D(2026, 3, 14), {}) == D(2026, 3, 30)
    # Landing on Statehood Day's Monday moves past its Tuesday, to Wednesday.
    assert due_date(request, D(2026, 2, 1), {}) == D(2026, 2, 18)
    complaint = referral_kind("commissioner_complaint")
    assert complaint is not None and due_date(complaint, D(2026, 3, 18), {}) == D(2026, 4, 17)


def test_the_networks_interval_applies_where_the_law_sets_none_and_is_configurable() -> None:
    criminal = referral_kind("criminal_complaint")
    assert criminal is not None and criminal.deadline_days is None
    settings = Settings.from_env({"INTEGRITY_DATA_DIR": "/tmp/x"})
    assert due_date(criminal, D(2026, 3, 2), settings.referral_follow_up) == D(
        2026, 5, 1
    ) + datetime.timedelta(
        days=3
    )  # 60 days is Friday 1 May (Labour Day) -> the 2nd too -> the 3rd is a Sunday -> Monday 4
    configured = Settings.from_env(
        {"INTEGRITY_DATA_DIR": "/tmp/x", "INTEGRITY_REFERRAL_FOLLOW_UP": "default=30, criminal_complaint=90"}
    )
    assert due_date(criminal, D(2026, 3, 2), configured.referral_follow_up) == D(2026, 6, 1)
    ombudsman = referral_kind("ombudsman_complaint")
    assert ombudsman is not None
    assert due_date(ombudsman, D(2026, 3, 2), configured.referral_follow_up) == D(2026, 4, 1)
    for wrong in ("criminal_complaint", "criminal_complaint=0", "=5", "x=many"):
        with pytest.raises(ConfigurationError):
            Settings.from_env({"INTEGRITY_DATA_DIR": "/tmp/x", "INTEGRITY_REFERRAL_FOLLOW_UP": wrong})


def test_a_referral_is_awaiting_then_overdue_then_long_overdue() -> None:
    sent, due = D(2026, 3, 3), D(2026, 3, 18)
    assert status(sent, due, answered=False, closed=False, on=D(2026, 3, 18)) == ("awaiting", 0)
    assert status(sent, due, answered=False, closed=False, on=D(2026, 3, 19)) == ("overdue", 1)
    assert status(sent, due, answered=False, closed=False, on=D(2026, 4, 2)) == ("overdue", 15)
    assert status(sent, due, answered=False, closed=False, on=D(2026, 4, 3)) == ("long_overdue", 16)
    assert status(sent, due, answered=True, closed=False, on=D(2026, 4, 3)) == ("answered", 0)
    assert status(sent, due, answered=True, closed=True, on=D(2026, 4, 3)) == ("closed", 0)
