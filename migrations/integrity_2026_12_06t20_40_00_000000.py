"""The leak check reads every rendition as the public gets it (OCR, and the original's text layer),
as a job: each rendition's reading has a state, and existing renditions start `pending`, so they are
read before anything more is approved."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, Bytea, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Case(Table, tablename="case_file", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


class Member(Table, tablename="member", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


ID = "2026-12-06T20:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "Renditions: the leak check's reading (state, progress, sealed words); the approved draft's "
    "digest; corrections and retractions proposed by one editor for another to confirm; the salt "
    "of each original's public hash commitment; takedowns"
)


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


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    columns = [
        (
            "check_state",
            Varchar,
            _params(
                length=10,
                default="pending",
                null=False,
                index=True,
                choices=Enum(
                    "CheckState",
                    {"pending": "pending", "running": "running", "done": "done", "failed": "failed"},
                ),
            ),
        ),
        ("checked_pages", Integer, _params(default=0, null=False)),
        ("check_claimed_at", Timestamptz, _params()),
        ("check_problem", Varchar, _params(length=40)),
        ("check_sealed", Bytea, _params()),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="Rendition",
            tablename="rendition",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    manager.add_column(
        table_class_name="Attachment",
        tablename="attachment",
        column_name="sha256_salt_sealed",
        db_column_name="sha256_salt_sealed",
        column_class_name="Bytea",
        column_class=Bytea,
        params=_params(),
        schema=None,
    )
    manager.add_column(
        table_class_name="PublicationDraft",
        tablename="publication_draft",
        column_name="incident_date_precision",
        db_column_name="incident_date_precision",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=5),
        schema=None,
    )
    manager.add_column(
        table_class_name="PublicationDraft",
        tablename="publication_draft",
        column_name="approved_digest",
        db_column_name="approved_digest",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=64),
        schema=None,
    )
    manager.add_table(
        class_name="PublicChangeProposal", tablename="public_change_proposal", schema=None, columns=None
    )
    proposal_columns = [
        (
            "case",
            ForeignKey,
            _params(
                null=False,
                unique=True,
                index=True,
                references=Case,
                on_delete=OnDelete.cascade,
                on_update=OnUpdate.cascade,
                target_column=None,
            ),
        ),
        (
            "kind",
            Varchar,
            _params(
                length=12,
                null=False,
                default="",
                choices=Enum("ProposalKind", {"correction": "correction", "retraction": "retraction"}),
            ),
        ),
        ("reason_sealed", Bytea, _params(null=False, default=b"")),
        ("draft_digest", Varchar, _params(length=64)),
        (
            "proposed_by",
            ForeignKey,
            _params(
                null=False,
                references=Member,
                on_delete=OnDelete.restrict,
                on_update=OnUpdate.cascade,
                target_column=None,
            ),
        ),
        ("proposed_at", Timestamptz, _params(null=False, default=TimestamptzNow())),
    ]
    for name, column_class, params in proposal_columns:
        manager.add_column(
            table_class_name="PublicChangeProposal",
            tablename="public_change_proposal",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    for table_class, tablename in (("PublishedRevision", "published_revision"), ("PublishedFile", "published_file")):
        manager.add_column(
            table_class_name=table_class,
            tablename=tablename,
            column_name="withdrawn_at",
            db_column_name="withdrawn_at",
            column_class_name="Timestamptz",
            column_class=Timestamptz,
            params=_params(),
            schema=None,
        )
        manager.add_column(
            table_class_name=table_class,
            tablename=tablename,
            column_name="withdrawal_reason",
            db_column_name="withdrawal_reason",
            column_class_name="Varchar",
            column_class=Varchar,
            params=_params(length=20),
            schema=None,
        )
    reasons = Enum(
        "TakedownReason",
        {r: r for r in ("court_order", "safety", "privacy", "error", "other")},
    )
    statuses = Enum("TakedownStatus", {"pending": "pending", "confirmed": "confirmed"})
    member_fk = {
        "references": Member,
        "on_delete": OnDelete.restrict,
        "on_update": OnUpdate.cascade,
        "target_column": None,
    }
    manager.add_table(class_name="Takedown", tablename="takedown", schema=None, columns=None)
    takedown_columns = [
        ("id", UUID, _params(default=UUID4(), null=False, primary_key=True)),
        (
            "case",
            ForeignKey,
            _params(
                null=False,
                index=True,
                references=Case,
                on_delete=OnDelete.cascade,
                on_update=OnUpdate.cascade,
                target_column=None,
            ),
        ),
        ("revision", Integer, _params(default=0, null=False)),
        ("attachment", UUID, _params()),
        ("reason_category", Varchar, _params(length=20, null=False, default="", choices=reasons)),
        ("status", Varchar, _params(length=10, null=False, default="pending", choices=statuses)),
        ("proposed_by", ForeignKey, _params(null=False, **member_fk)),
        ("proposed_at", Timestamptz, _params(null=False, default=TimestamptzNow())),
        ("confirmed_by", ForeignKey, _params(**member_fk)),
        ("confirmed_at", Timestamptz, _params()),
    ]
    for name, column_class, params in takedown_columns:
        manager.add_column(
            table_class_name="Takedown",
            tablename="takedown",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
