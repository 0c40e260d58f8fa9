"""Piccolo's configuration module (`PICCOLO_CONF=integrity.piccolo_conf`).

`DB` starts unset and is bound by `integrity.db.bind_engine` from the settings, so the engine always
follows `INTEGRITY_DATABASE_URL` and tests can point it at a fresh database.
"""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

DB: Engine | None = None

APP_REGISTRY = AppRegistry(apps=["integrity.piccolo_app"])
