"""Rules of the accounts domain: creating members, checking passwords."""

from __future__ import annotations

import re

from integrity.accounts.tables import Member, Profession, Role
from integrity.errors import Invalid, WrongState
from integrity.security.passwords import hash_password

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    if len(cleaned) > 320 or not _EMAIL.match(cleaned):
        raise Invalid("that is not a valid e-mail address")
    return cleaned


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")


async def create_member(
    *,
    email: str,
    password: str,
    display_name: str,
    role: Role = Role.member,
    profession: Profession = Profession.other,
) -> Member:
    address = normalise_email(email)
    check_password_policy(password)
    name = display_name.strip()
    if not 1 <= len(name) <= 120:
        raise Invalid("the display name must have 1 to 120 characters")
    if await Member.exists().where(Member.email == address):
        raise WrongState("a member with that e-mail address already exists")
    member = Member(
        email=address,
        display_name=name,
        role=role.value,
        profession=profession.value,
        password_hash=hash_password(password),
    )
    await member.save()
    return member


async def create_admin(*, email: str, password: str, display_name: str = "Administrator") -> Member:
    return await create_member(email=email, password=password, display_name=display_name, role=Role.admin)
