"""Throwaway PostgreSQL databases: made and dropped through the server's maintenance database, for
the test session (`INTEGRITY_TEST_DATABASE_URL`) and the search benchmark."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def with_database(base_url: str, name: str) -> str:
    """`base_url` (a server's URL, any database) pointed at the database `name`."""
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def admin_execute(base_url: str, sql: str, *, timeout: float = 10) -> None:
    """Run one statement (CREATE or DROP DATABASE) on the database `base_url` names."""
    import asyncpg

    parts = urlsplit(base_url)
    connection = await asyncpg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        database=parts.path.lstrip("/") or "postgres",
        timeout=timeout,
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()
