"""Every stored file bound to its row, so a blob reference swapped in the database is caught.

A row (an attachment, or a copy made for publication) points at its blob: id, wrapped key, size and
SHA-256. Someone with write access to the database could swap two rows' references, and one case
would serve another case's evidence: the blob still decrypts (its key goes with it), and its
size and hash match the values swapped along with it. So each row also carries a binding, sealed
with its case's key under a context naming the row ("blob:attachment:<id>"): it says which blob
the row holds. It cannot be forged without the key ring, nor moved to another row or case (it would
not open). Rows made before bindings are checked against the custody entry that recorded their
upload or making (the hash, or the salted commitment to it, whose salt is sealed to the row).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from integrity.cases.sealing import CaseKey
from integrity.custody.tables import CustodyEntry
from integrity.errors import Gone, IntegrityError, TamperedBlob
from integrity.vault import SealedBlob

__all__ = [
    "binding_for",
    "check_binding",
    "check_custody",
    "is_shredded",
    "require_stored",
    "stored_blob",
    "swapped",
]


def is_shredded(row: dict[str, Any]) -> bool:
    """Whether the row's data key was destroyed: an original shredded under its published case's
    retention (``preservation.retention``). Its row stays; no blob is stored for it any more."""
    return not row["wrapped_key"]


def require_stored(row: dict[str, Any]) -> None:
    """Gone (410) for an original that was shredded: nothing can be read or made from it."""
    if is_shredded(row):
        raise Gone(
            "this original was shredded (its retention ran out, or two editors asked for it); the "
            "published copies remain",
            code="file_shredded",
        )


def stored_blob(row: dict[str, Any]) -> SealedBlob:
    """The blob an attachment's or a rendition's row holds (what the vault opens); 410 for an
    original that was shredded."""
    require_stored(row)
    return SealedBlob(
        blob_id=row["blob_id"],
        wrapped_key=bytes(row["wrapped_key"]),
        key_id=row["key_id"],
        size=int(row["size"]),
        sha256=row["sha256"],
    )


def _field(subject: str) -> str:
    return f"blob:{subject}"


def _bound_value(blob_id: str, sha256: str, size: int) -> str:
    return f"{blob_id}:{sha256}:{int(size)}"


def binding_for(key: CaseKey, subject: str, blob: SealedBlob) -> bytes:
    """The sealed binding of ``subject`` ("attachment:<id>" or "rendition:<id>") to ``blob``."""
    return key.seal(_field(subject), _bound_value(blob.blob_id, blob.sha256, blob.size))


def _refuse() -> TamperedBlob:
    # Names nothing of the file: the operators' alert and `custody verify` say which row.
    return TamperedBlob(
        "the file's storage reference does not match its record: it may have been tampered with",
        code="blob_swapped",
    )


async def check_binding(key: CaseKey, subject: str, row: dict[str, Any]) -> None:
    """Raise ``TamperedBlob`` unless the row's blob reference is the one bound to it."""
    sealed = row.get("blob_binding_sealed")
    if sealed is not None:
        try:
            bound = key.open_text(_field(subject), bytes(sealed))
        except IntegrityError:
            raise _refuse() from None
        if bound != _bound_value(row["blob_id"], row["sha256"], row["size"]):
            raise _refuse()
        return
    await check_custody(key, subject, row)


async def check_custody(key: CaseKey, subject: str, row: dict[str, Any]) -> None:
    """Raise ``TamperedBlob`` unless the custody entry that recorded the row's upload or making
    names it and holds its SHA-256 (or the salted commitment to it)."""
    from integrity.custody.service import commit_sha256

    entry = (
        await CustodyEntry.select(CustodyEntry.subject, CustodyEntry.details)
        .where(CustodyEntry.seq == row["custody_seq"])
        .first()
    )
    if entry is None or entry["subject"] != subject:
        raise _refuse()
    details = json.loads(entry["details"])
    if "sha256" in details:
        if details["sha256"] != row["sha256"]:
            raise _refuse()
        return
    commitment = details.get("sha256_commitment")
    salt_sealed = row.get("sha256_salt_sealed")
    if commitment is None or salt_sealed is None:
        raise _refuse()
    try:
        salt = bytes.fromhex(key.open_text(f"salt:{row['id']}", bytes(salt_sealed)))
    except IntegrityError:
        raise _refuse() from None
    if commit_sha256(salt, row["sha256"]) != commitment:
        raise _refuse()


async def swapped(rows: AsyncIterator[tuple[CaseKey, str, dict[str, Any]]]) -> list[str]:
    """The subjects among ``rows`` whose blob reference is not theirs (for `custody verify` and
    `reconcile`)."""
    found = []
    async for key, subject, row in rows:
        try:
            await check_binding(key, subject, row)
        except TamperedBlob:
            found.append(subject)
    return found
