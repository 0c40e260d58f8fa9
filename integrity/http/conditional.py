"""Conditional requests (RFC 9110 section 13): whether the caller's copy, named by `If-None-Match` or
dated by `If-Modified-Since`, is still the one we would send."""

from __future__ import annotations

import datetime
import email.utils


def etag_matches(header: str | None, etag: str) -> bool:
    """`If-None-Match` against our strong `etag` (weak comparison, as RFC 9110 asks for GET)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def not_modified_since(header: str | None, last_modified: datetime.datetime | None) -> bool:
    if not header or last_modified is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since
