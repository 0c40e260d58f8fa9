"""Referrals of cases to institutions and the institutions' answers; the right of reply of the
people and institutions a case names; an institution's number in the official register."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, Bytea, Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-13T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Referrals to institutions and their answers; the right of reply"


class Case(Table, tablename="case_file", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


class Actor(Table, tablename="actor", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


class Member(Table, tablename="member", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


class Referral(Table, tablename="referral", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


def _params(**changes):
    params = {
        "default": None,
        "null": True,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(changes)
    return params


def _fk(table, on_delete, **changes):
    return _params(
        references=table,
        on_delete=on_delete,
        on_update=OnUpdate.cascade,
        target_column=None,
        **changes,
    )


TABLES = {
    ("Referral", "referral"): [
        ("id", UUID, _params(default=UUID4(), null=False, primary_key=True)),
        ("case", ForeignKey, _fk(Case, OnDelete.cascade, index=True)),
        ("kind", Varchar, _params(length=40, default="", null=False)),
        ("institution", ForeignKey, _fk(Actor, OnDelete.restrict, index=True)),
        ("sent_at", Date, _params(default=DateNow(), null=False)),
        ("due_at", Date, _params(default=DateNow(), null=False, index=True)),
        ("channel", Varchar, _params(length=20, default="", null=False)),
        ("reference_number", Varchar, _params(length=100)),
        ("made_by", Varchar, _params(length=10, default="network", null=False)),
        ("appeal_of", UUID, _params(index=True)),
        ("closed_at", Date, _params()),
        ("closing_outcome", Varchar, _params(length=30)),
        ("recorded_by", ForeignKey, _fk(Member, OnDelete.restrict)),
        ("custody_seq", Integer, _params(default=0, null=False)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow(), null=False)),
        ("reminded_soon_at", Date, _params()),
        ("reminded_overdue_at", Date, _params()),
    ],
    ("ReferralAnswer", "referral_answer"): [
        ("id", UUID, _params(default=UUID4(), null=False, primary_key=True)),
        ("referral", ForeignKey, _fk(Referral, OnDelete.cascade, index=True)),
        ("received_at", Date, _params(default=DateNow(), null=False)),
        ("outcome", Varchar, _params(length=30, default="", null=False)),
        ("text_sealed", Bytea, _params()),
        ("recorded_by", ForeignKey, _fk(Member, OnDelete.restrict)),
        ("custody_seq", Integer, _params(default=0, null=False)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow(), null=False)),
    ],
    ("Reply", "case_reply"): [
        ("id", UUID, _params(default=UUID4(), null=False, primary_key=True)),
        ("case", ForeignKey, _fk(Case, OnDelete.cascade, index=True)),
        ("actor", ForeignKey, _fk(Actor, OnDelete.restrict, index=True)),
        ("asked_at", Date, _params(default=DateNow(), null=False)),
        ("channel", Varchar, _params(length=20, default="", null=False)),
        ("reply_by", Date, _params()),
        ("received_at", Date, _params()),
        ("text_sealed", Bytea, _params()),
        ("recorded_by", ForeignKey, _fk(Member, OnDelete.restrict)),
        ("custody_seq", Integer, _params(default=0, null=False)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow(), null=False)),
    ],
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Actor",
        tablename="actor",
        column_name="registry_number",
        db_column_name="registry_number",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=20, index=True),
        schema=None,
    )
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, params in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name=column_class.__name__,
                column_class=column_class,
                params=params,
                schema=None,
            )
    kinds = [
        "new_submission",
        "info_requested",
        "info_provided",
        "ready_to_approve",
        "assigned",
        "approval_voided",
        "proposal_voided",
    ]
    manager.alter_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="kind",
        db_column_name="kind",
        params={
            "choices": Enum(
                "NotificationKind", {k: k for k in [*kinds, "referral_due_soon", "referral_overdue"]}
            )
        },
        old_params={"choices": Enum("NotificationKind", {k: k for k in kinds})},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )
    return manager
