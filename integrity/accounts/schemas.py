"""What the accounts API takes and returns (msgspec Structs; never a table row)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from integrity.accounts.tables import GrantKind, GrantStatus, Profession, Role

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320)]
Secret = Annotated[str, msgspec.Meta(max_length=1024)]


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Secret
    #: A six-digit TOTP code or, when the authenticator is lost, one of the recovery codes.
    totp: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class MemberOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    display_name: str
    profession: Profession
    role: Role
    totp_enabled: bool


class LoginOut(msgspec.Struct):
    member: MemberOut
    #: True for a review-team member without a second factor: the session can only enrol one.
    totp_required: bool
    #: The CSRF token for this session (also in the `csrftoken` cookie), for the x-csrftoken header.
    csrf_token: str


class TotpEnrolmentOut(msgspec.Struct):
    #: Base32, for typing into an authenticator app.
    secret: str
    otpauth_uri: str


class TotpConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(max_length=16)]


class TotpConfirmedOut(msgspec.Struct):
    totp_enabled: bool
    #: Single-use codes for a lost authenticator; shown only now.
    recovery_codes: list[str]


class PasswordChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Secret
    new_password: Secret


class TokenCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    #: The member's password again (and ``totp`` when they have a second factor).
    password: Annotated[str, msgspec.Meta(max_length=1024)]
    expires_in_days: Annotated[int, msgspec.Meta(ge=1, le=365)] | None = None
    totp: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class TokenCreatedOut(msgspec.Struct):
    id: uuid.UUID
    #: Shown once; only its hash is kept.
    token: str
    name: str
    expires_at: datetime


class TokenOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None


class InvitationIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    role: Role


class GrantOut(msgspec.Struct):
    """A change of power waiting for (or given) a second person's confirmation."""

    id: uuid.UUID
    status: GrantStatus
    kind: GrantKind = GrantKind.role
    role: Role | None = None
    member_id: uuid.UUID | None = None
    requested_at: datetime | None = None
    confirmed_at: datetime | None = None


class InvitationCreatedOut(msgspec.Struct):
    id: uuid.UUID
    #: Shown once; only its hash is kept.
    token: str
    expires_at: datetime
    email: str
    role: Role
    #: For a reviewer, editor or admin invitation: the role holds only once this is confirmed.
    grant: GrantOut | None = None


class InvitationOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None


class AcceptInvitationIn(msgspec.Struct, forbid_unknown_fields=True):
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    profession: Profession
    password: Secret


class AcceptedOut(msgspec.Struct):
    member: MemberOut


class MemberAdminOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    display_name: str
    profession: Profession
    role: Role
    totp_enabled: bool
    is_active: bool
    created_at: datetime
    #: Set while failed log-ins keep the account locked.
    locked_until: datetime | None
    #: In the answer to a role raise: the grant a second person must confirm.
    grant: GrantOut | None = None


class MemberUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    role: Role | None = None
    is_active: bool | None = None
