"""The case form, saved while the member writes it.

A report is long (the form is about six phone screens) and written by people under strain: a session
that ends, a closed tab or a dropped connection must not take it. The form's fields are saved to the
server as the member writes (by the page's script, or by a "save this part" button without one),
sealed under a key of their own like any private text, and addressed by the member's filer tag, so a
database dump says neither what was written nor by whom. The new-case and edit forms come back with
what was saved; filing or saving the case, or "start over", removes it.

Saving text that nobody but its writer has seen is not an act on evidence: it makes no custody entry
(the case's own creation and edits do).
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from piccolo.custom_types import Combinable

from integrity import db
from integrity.cases.access import load_case_row, require_draft, require_submitter
from integrity.cases.tables import FormDraft
from integrity.context import ServiceContext
from integrity.errors import TooLarge
from integrity.security.guards import Principal
from integrity.vault import open_sealed, seal_bytes

#: The case form's fields that are kept; anything else a browser sends (tokens, buttons) is not.
SAVED_FIELD = re.compile(
    r"(title|narrative|incident_date|incident_date_precision|municipality|categories|location_detail"
    r"|actor-\d{1,2}-(name|kind|role|aliases|protect))"
)
#: The most that is kept, in characters: the longest case (its narrative, title, place, fifty
#: actors) fits with room to spare.
MAX_SAVED_CHARS = 256 * 1024


@dataclass(frozen=True)
class SavedForm:
    fields: list[tuple[str, str]]
    saved_at: datetime.datetime


def _context(draft_id: uuid.UUID) -> bytes:
    return f"form-draft:{draft_id}".encode()


async def _target(principal: Principal, case_id: uuid.UUID | None) -> None:
    """A form for a new case is anyone's; the edit form is the submitter's, while the case is a draft
    (an unknown case and another member's look the same)."""
    if case_id is None:
        return
    row = await load_case_row(principal, case_id)
    require_submitter(principal, row, "edit it")
    require_draft(row)


def _where(principal: Principal, case_id: uuid.UUID | None) -> Combinable:
    owned = FormDraft.owner_tag == principal.filer_tag
    return owned & (FormDraft.case.is_null() if case_id is None else FormDraft.case == case_id)


def kept_fields(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The case form's own fields, in order; refuses more than `MAX_SAVED_CHARS`."""
    kept = [(name, value) for name, value in items if SAVED_FIELD.fullmatch(name)]
    if sum(len(name) + len(value) for name, value in kept) > MAX_SAVED_CHARS:
        raise TooLarge("the form is longer than a case can be", code="autosave_too_large")
    return kept


async def save(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID | None, items: Iterable[tuple[str, str]]
) -> datetime.datetime:
    """Keep the form as it is now (replacing what was kept before); returns when it was saved."""
    fields = kept_fields(items)
    await _target(principal, case_id)
    plaintext = json.dumps(fields, ensure_ascii=False).encode("utf-8")
    now = datetime.datetime.now(datetime.UTC)
    async with db.transaction():
        row = (
            await FormDraft.select(FormDraft.id, FormDraft.wrapped_key, FormDraft.key_id)
            .where(_where(principal, case_id))
            .order_by(FormDraft.saved_at, ascending=False)
            .first()
        )
        if row is not None:
            key = ctx.vault.keyring.unwrap(bytes(row["wrapped_key"]), row["key_id"])
            sealed = seal_bytes(key, _context(row["id"]), plaintext)
            await FormDraft.update({FormDraft.fields_sealed: sealed, FormDraft.saved_at: now}).where(
                FormDraft.id == row["id"]
            )
            return now
        draft_id = uuid.uuid4()
        key, wrapped, key_id = ctx.vault.keyring.new_data_key()
        await FormDraft.insert(
            FormDraft(
                id=draft_id,
                owner_tag=principal.filer_tag,
                case=case_id,
                wrapped_key=wrapped,
                key_id=key_id,
                fields_sealed=seal_bytes(key, _context(draft_id), plaintext),
                saved_at=now,
            )
        )
    return now


async def restore(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID | None) -> SavedForm | None:
    """What was last saved of this form by this member, if anything."""
    row = (
        await FormDraft.select()
        .where(_where(principal, case_id))
        .order_by(FormDraft.saved_at, ascending=False)
        .first()
    )
    if row is None:
        return None
    key = ctx.vault.keyring.unwrap(bytes(row["wrapped_key"]), row["key_id"])
    pairs = json.loads(open_sealed(key, _context(row["id"]), bytes(row["fields_sealed"])))
    return SavedForm(fields=[(str(name), str(value)) for name, value in pairs], saved_at=row["saved_at"])


async def discard(principal: Principal, case_id: uuid.UUID | None) -> None:
    """Forget the saved form (the case was filed or saved, or the member starts over)."""
    if case_id is not None:
        require_submitter(principal, await load_case_row(principal, case_id), "edit it")
    await FormDraft.delete().where(_where(principal, case_id))
