"""The institutions' ranking kept per choice of filters, counted again when what is public or the
day has changed (``integrity.publication.institutions``)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-16T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The institutions' ranking kept per choice of filters"


def _params(**changes):
    return {
        "default": "",
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **changes,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    manager.add_table(class_name="InstitutionRanking", tablename="institution_ranking", schema=None, columns=None)
    for name, column_class, params in [
        ("scope", Varchar, _params(length=200, primary_key=True)),
        ("state", Varchar, _params(length=64)),
        ("figures", Text, _params()),
    ]:
        manager.add_column(
            table_class_name="InstitutionRanking",
            tablename="institution_ranking",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
