"""The Piccolo app of the platform: every domain's tables, and the top-level `migrations/` folder."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from integrity.tables import all_tables

MIGRATIONS_FOLDER = Path(__file__).resolve().parent.parent / "migrations"

APP_CONFIG = AppConfig(
    app_name="integrity",
    migrations_folder_path=str(MIGRATIONS_FOLDER),
    table_classes=all_tables(),
    migration_dependencies=[],
    commands=[],
)
