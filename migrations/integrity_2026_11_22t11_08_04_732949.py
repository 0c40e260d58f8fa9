from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-22T11:08:04:732949"
VERSION = "1.38.0"
DESCRIPTION = "Stored subtree hashes of the custody log's Merkle tree"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="integrity", description=DESCRIPTION
    )

    manager.add_table(
        class_name="CustodyNode",
        tablename="custody_node",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="CustodyNode",
        tablename="custody_node",
        column_name="node",
        db_column_name="node",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": True,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CustodyNode",
        tablename="custody_node",
        column_name="hash",
        db_column_name="hash",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
