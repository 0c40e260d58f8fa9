"""Tables of the accounts domain."""

from __future__ import annotations

import enum
import uuid

from piccolo.columns import UUID, Boolean, Bytea, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Role(enum.StrEnum):
    member = "member"
    reviewer = "reviewer"
    editor = "editor"
    admin = "admin"


class Profession(enum.StrEnum):
    police = "police"
    journalist = "journalist"
    lawyer = "lawyer"
    academic = "academic"
    activist = "activist"
    other = "other"


class Member(Table, tablename="member"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    #: Stored lower-cased, so uniqueness is case-insensitive on every database.
    email = Varchar(length=320, unique=True, index=True)
    display_name = Varchar(length=120)
    profession = Varchar(length=20, choices=Profession, default=Profession.other.value)
    role = Varchar(length=20, choices=Role, default=Role.member.value)
    #: Argon2id PHC string.
    password_hash = Varchar(length=255)
    #: The TOTP secret sealed with the key ring; null until enrolment starts.
    totp_secret_sealed = Bytea(null=True, default=None)
    totp_enabled = Boolean(default=False)
    is_active = Boolean(default=True)
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
