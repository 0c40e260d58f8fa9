"""Public search by place and by any inflected form: every published revision's `search_text` is
computed again, now with its municipality's and district's names and its words' stems
(`integrity.publication.search.search_text`). SQLite's full-text index follows through its
triggers, PostgreSQL's `search_vector` is generated from the column.
"""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.querystring import QueryString

from integrity.db import bound_engine
from integrity.publication.search import place_names, search_text

ID = "2026-12-09T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Public search: place names and word stems in every revision's search text"


async def _reindex():
    engine = bound_engine()
    revisions = await engine.run_querystring(
        QueryString(
            "SELECT r.id, r.title, r.summary, r.body, r.actors, r.municipality, r.is_current, "
            "c.retracted FROM published_revision AS r JOIN public_case AS c ON c.id = r.public_case"
        )
    )
    for row in revisions:
        names = [actor["name"] for actor in json.loads(row["actors"] or "[]")]
        # A retraction withdraws the body of the current revision: it is not found by its words.
        body = "" if row["retracted"] and row["is_current"] else row["body"]
        text = search_text(row["title"], row["summary"], body, names, place_names(row["municipality"]))
        await engine.run_querystring(
            QueryString("UPDATE published_revision SET search_text = {} WHERE id = {}", text, row["id"])
        )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    manager.add_raw(_reindex)
    return manager
