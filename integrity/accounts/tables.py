"""Tables of the accounts domain."""

from __future__ import annotations

import enum
import uuid
from collections.abc import AsyncIterator

from piccolo.columns import UUID, BigInt, Boolean, Bytea, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from integrity.vault.references import KeyRewrap, register_reference_source


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
    #: The time step of the last TOTP code accepted; codes of that step or earlier are refused.
    totp_last_step = BigInt(null=True, default=None)
    is_active = Boolean(default=True)
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Invitation(Table, tablename="invitation"):
    """Registration is by invitation only; the one-time token is kept as its SHA-256 only."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    email = Varchar(length=320, index=True)
    role = Varchar(length=20, choices=Role, default=Role.member.value)
    token_hash = Varchar(length=64, unique=True, index=True)
    #: Null when the invitation came from the `integrity invite` command.
    invited_by = ForeignKey(references=Member, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)


class GrantKind(enum.StrEnum):
    #: A reviewer, editor or admin role, by invitation or promotion.
    role = "role"
    #: Clearing a member's lost second factor (they enrol again at their next log-in).
    second_factor_reset = "second_factor_reset"


class GrantStatus(enum.StrEnum):
    pending = "pending"
    confirmed = "confirmed"


class Grant(Table, tablename="access_grant"):
    """A change of power that takes two people (``accounts.grants``): one asks, a second confirms
    (or `integrity grants confirm` on the server); nothing changes before."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    kind = Varchar(length=20, choices=GrantKind)
    #: The account it is for; for an invitation, set when the invitation is accepted.
    member = ForeignKey(references=Member, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    invitation = ForeignKey(references=Invitation, null=True, default=None, on_delete=OnDelete.cascade)
    role = Varchar(length=20, null=True, default=None, choices=Role)
    #: Null when asked for by a command on the server.
    requested_by = ForeignKey(references=Member, null=True, default=None, on_delete=OnDelete.set_null)
    requested_at = Timestamptz(default=TimestamptzNow())
    status = Varchar(length=10, choices=GrantStatus, default=GrantStatus.pending, index=True)
    confirmed_by = ForeignKey(references=Member, null=True, default=None, on_delete=OnDelete.set_null)
    confirmed_at = Timestamptz(null=True, default=None)


class MemberSession(Table, tablename="member_session"):
    """A server-side session: the cookie holds a random id, the table only its SHA-256."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    id_hash = Varchar(length=64, unique=True, index=True)
    member = ForeignKey(references=Member, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    #: Absolute end, however busy the session is.
    expires_at = Timestamptz()


class ApiToken(Table, tablename="api_token"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    member = ForeignKey(references=Member, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)


class RecoveryCode(Table, tablename="recovery_code"):
    """Single-use codes for a lost second factor; only their SHA-256 is kept."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    member = ForeignKey(references=Member, on_delete=OnDelete.cascade, index=True)
    code_hash = Varchar(length=64, unique=True)
    used_at = Timestamptz(null=True, default=None)


class TotpSecretKeys:
    """Tells `integrity keys rotate` where the accounts domain keeps wrapped keys: the data keys of
    sealed TOTP secrets (no blobs)."""

    async def referenced_blob_ids(self) -> AsyncIterator[str]:
        for _ in ():
            yield _

    async def rewrap_keys(self, rewrap: KeyRewrap) -> int:
        from integrity.security.system_keys import rewrap_sealed

        rows = await Member.select(Member.id, Member.totp_secret_sealed).where(
            Member.totp_secret_sealed.is_not_null()
        )
        changed = 0
        for row in rows:
            sealed = bytes(row["totp_secret_sealed"])
            rewrapped = rewrap_sealed(sealed, rewrap)
            if rewrapped != sealed:
                # Only if nobody re-enrolled meanwhile: a newer secret is already under the active key.
                await Member.update({Member.totp_secret_sealed: rewrapped}).where(
                    (Member.id == row["id"]) & (Member.totp_secret_sealed == sealed)
                )
                changed += 1
        return changed


register_reference_source("accounts.totp_secrets", TotpSecretKeys())
