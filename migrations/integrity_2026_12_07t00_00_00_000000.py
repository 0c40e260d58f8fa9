"""The job queue: procrastinate's schema on PostgreSQL (the embedded default keeps its queue in
process), and each notification's e-mail state, so the need to mail it outlives a process.

procrastinate is pinned to one minor release (pyproject): its schema is created here from the
installed package, and a later release's schema migrations come as migrations of ours.
"""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, Bytea, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table
from procrastinate.schema import SchemaManager

from integrity.db import bound_engine


class Attachment(Table, tablename="attachment", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


class Member(Table, tablename="member", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


class Rendition(Table, tablename="rendition", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


class Invitation(Table, tablename="invitation", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


ID = "2026-12-07T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "The job queue (procrastinate on PostgreSQL); notifications' e-mail state; notifications that "
    "a change to the draft voided an approval or a proposed correction; copies of files requested "
    "from the queue; each stored file's binding to its row; no signing keys in the database; what each member typed for a shared actor"
)

PROCRASTINATE_BACKWARDS = """
DROP TABLE IF EXISTS procrastinate_periodic_defers, procrastinate_events, procrastinate_jobs,
    procrastinate_workers CASCADE;
DROP TYPE IF EXISTS procrastinate_job_status, procrastinate_job_event_type CASCADE;
DO $$ DECLARE f record; BEGIN
  FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%' LOOP
    EXECUTE 'DROP FUNCTION IF EXISTS ' || f.sig || ' CASCADE';
  END LOOP;
END $$;
"""


async def _execute_on_postgres(sql: str, *, unless_table: str | None = None) -> None:
    engine = bound_engine()
    if not isinstance(engine, PostgresEngine):
        return
    transaction = engine.current_transaction.get()
    connection = transaction.connection if transaction else await engine.get_new_connection()
    try:
        if unless_table and await connection.fetchval("SELECT to_regclass($1)", unless_table):
            return
        # Several statements: asyncpg's execute (no arguments) sends them as one simple query.
        await connection.execute(sql)
    finally:
        if not transaction:
            await connection.close()


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
    manager.add_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="email_state",
        db_column_name="email_state",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(
            length=10,
            index=True,
            choices=Enum("EmailState", {"pending": "pending", "sent": "sent", "failed": "failed"}),
        ),
        schema=None,
    )
    manager.add_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="email_attempts",
        db_column_name="email_attempts",
        column_class_name="Integer",
        column_class=Integer,
        params=_params(default=0, null=False),
        schema=None,
    )

    manager.add_table(class_name="CopyRequest", tablename="copy_request", schema=None, columns=None)

    def foreign(references, on_delete, **changes):
        return _params(
            references=references,
            on_delete=on_delete,
            on_update=OnUpdate.cascade,
            target_column=None,
            **changes,
        )

    states = Enum("CheckState", {s: s for s in ("pending", "running", "done", "failed")})
    copy_columns = [
        ("id", UUID, _params(default=UUID4(), null=False, primary_key=True)),
        ("attachment", ForeignKey, foreign(Attachment, OnDelete.cascade, null=False, index=True)),
        ("kind", Varchar, _params(length=10, null=False, default="")),
        ("boxes", Text, _params(null=False, default="[]")),
        ("requested_by", ForeignKey, foreign(Member, OnDelete.restrict, null=False)),
        ("state", Varchar, _params(length=10, null=False, default="pending", index=True, choices=states)),
        ("claimed_at", Timestamptz, _params()),
        ("problem", Varchar, _params(length=40)),
        ("problem_status", Integer, _params()),
        ("problem_detail", Varchar, _params(length=300)),
        ("rendition", ForeignKey, foreign(Rendition, OnDelete.set_null)),
        ("created_at", Timestamptz, _params(null=False, default=TimestamptzNow())),
    ]
    for name, column_class, params in copy_columns:
        manager.add_column(
            table_class_name="CopyRequest",
            tablename="copy_request",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )

    for name in ("name_sealed", "aliases_sealed"):
        manager.add_column(
            table_class_name="CaseActor",
            tablename="case_actor",
            column_name=name,
            db_column_name=name,
            column_class_name="Bytea",
            column_class=Bytea,
            params=_params(),
            schema=None,
        )
    for table_class, tablename in (("Attachment", "attachment"), ("Rendition", "rendition")):
        manager.add_column(
            table_class_name=table_class,
            tablename=tablename,
            column_name="blob_binding_sealed",
            db_column_name="blob_binding_sealed",
            column_class_name="Bytea",
            column_class=Bytea,
            params=_params(),
            schema=None,
        )

    manager.add_table(class_name="Grant", tablename="access_grant", schema=None, columns=None)
    roles = Enum("Role", {r: r for r in ("member", "reviewer", "editor", "admin")})
    grant_columns = [
        ("id", UUID, _params(default=UUID4(), null=False, primary_key=True)),
        (
            "kind",
            Varchar,
            _params(
                length=20,
                null=False,
                default="",
                choices=Enum("GrantKind", {"role": "role", "second_factor_reset": "second_factor_reset"}),
            ),
        ),
        ("member", ForeignKey, foreign(Member, OnDelete.cascade, index=True)),
        ("invitation", ForeignKey, foreign(Invitation, OnDelete.cascade)),
        ("role", Varchar, _params(length=20, choices=roles)),
        ("requested_by", ForeignKey, foreign(Member, OnDelete.set_null)),
        ("requested_at", Timestamptz, _params(null=False, default=TimestamptzNow())),
        (
            "status",
            Varchar,
            _params(
                length=10,
                null=False,
                default="pending",
                index=True,
                choices=Enum("GrantStatus", {"pending": "pending", "confirmed": "confirmed"}),
            ),
        ),
        ("confirmed_by", ForeignKey, foreign(Member, OnDelete.set_null)),
        ("confirmed_at", Timestamptz, _params()),
    ]
    for name, column_class, params in grant_columns:
        manager.add_column(
            table_class_name="Grant",
            tablename="access_grant",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )

    # Trusted public keys come from the key files now, never from a table someone could extend.
    manager.drop_table(class_name="SigningKey", tablename="signing_key", schema=None)

    kinds = ["new_submission", "info_requested", "info_provided", "ready_to_approve", "assigned"]
    manager.alter_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="kind",
        db_column_name="kind",
        params={
            "choices": Enum(
                "NotificationKind", {k: k for k in [*kinds, "approval_voided", "proposal_voided"]}
            )
        },
        old_params={"choices": Enum("NotificationKind", {k: k for k in kinds})},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    async def run():
        await _execute_on_postgres(SchemaManager.get_schema(), unless_table="procrastinate_jobs")

    async def run_backwards():
        await _execute_on_postgres(PROCRASTINATE_BACKWARDS)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
