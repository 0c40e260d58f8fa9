"""Court-ready packages: a case exported for one named recipient, as an age-encrypted POSIX tar
holding one BagIt bag (RFC 8493), asked for by one editor and approved by another.

The bag (written and checked with the Library of Congress `bagit` package) holds, under `data/`:

- `originals/`: every file as filed, byte for byte, with `originals.json` (filed names, types,
  sizes, SHA-256, and the salts that open the public commitments to their hashes); an original
  shredded under its published case's retention is listed (``file`` null, ``shredded_at``) but
  no longer exists to be carried;
- `copies/`: every copy made for publication (redacted or cleaned), with `copies.json`;
- `revisions/`: every published revision of the case as the public got it (JSON);
- `receipts/`: the receipt the member got on submitting, signed by the platform;
- `custody/entries.jsonl`: the case's custody entries, one JSON object a line; `proofs.json`: an
  inclusion proof of each against `checkpoint.json`, a checkpoint of the whole log signed now;
  `keys.json`: the platform's public keys.

`manifest-sha256.txt.sig` is the platform's Ed25519 signature of the payload manifest, and
`bag-info.txt` carries the Berkeley Protocol's fields. `README.txt` says how to check it all with
standard tools. Plain text of the evidence exists only in a private temporary folder while the
package is made, and is removed at once.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import aclosing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import bagit
import pyrage

from integrity import db
from integrity.cases.blobs import is_shredded, stored_blob
from integrity.cases.sealing import CaseKey, case_key
from integrity.cases.tables import Attachment, Case
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.custody.tables import CustodyEntry
from integrity.errors import Forbidden, Invalid, NotFound, WrongState
from integrity.notifications import service as notifications
from integrity.notifications.tables import NotificationKind
from integrity.preservation.access import ask_others, editor_row
from integrity.preservation.tables import CaseExport, ExportStatus
from integrity.publication.search import as_utc
from integrity.publication.tables import PublicCase, PublishedRevision, Rendition
from integrity.security.guards import Principal

TOOL = "Integrity Network platform 0.1.0"


@dataclass(frozen=True)
class Export:
    id: uuid.UUID
    status: str
    recipient: str


def fingerprint(recipient: str) -> str:
    """What the custody log says of the recipient: the SHA-256 of its age public key."""
    return hashlib.sha256(recipient.encode("ascii")).hexdigest()


def _recipient(text: str) -> str:
    recipient = text.strip()
    try:
        pyrage.x25519.Recipient.from_str(recipient)
    except (pyrage.RecipientError, ValueError):
        raise Invalid(
            "the recipient is an age X25519 public key (age1...)", code="recipient_invalid", field="recipient"
        ) from None
    return recipient


async def request_export(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, recipient: str
) -> Export:
    """An editor asks for the case's package for ``recipient``; nothing is made until another
    editor approves."""
    case = await editor_row(principal, case_id)
    key = _recipient(recipient)
    export_id = uuid.uuid4()
    async with db.transaction():
        await custody.lock_log()
        entry = await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="export.requested",
            subject=f"case:{case_id}",
            details={"export": str(export_id), "recipient_sha256": fingerprint(key)},
        )
        await CaseExport.insert(
            CaseExport(
                id=export_id, case=case_id, recipient=key, requested_by=principal.id, custody_seq=entry.seq
            )
        )
        mails = await ask_others(ctx, principal.id, NotificationKind.export_approval_needed, case=case)
    await notifications.queue_emails(ctx.jobs, mails)
    return Export(id=export_id, status=ExportStatus.pending.value, recipient=key)


#: Days a request waits for its approval, and an approved export can be packaged, before it lapses
#: (asked for again, it is looked at again: the recipient, and the case as it is then).
EXPORT_DAYS = 14


def lapsed(row: dict[str, Any], now: datetime.datetime | None = None) -> bool:
    """Whether the export's request (pending) or approval (approved) is older than EXPORT_DAYS."""
    since = row["approved_at"] if row["status"] == ExportStatus.approved else row["created_at"]
    return as_utc(since) + datetime.timedelta(days=EXPORT_DAYS) < (now or datetime.datetime.now(datetime.UTC))


def refuse_lapsed(row: dict[str, Any]) -> None:
    if lapsed(row):
        raise WrongState(
            f"the export lapsed ({EXPORT_DAYS} days passed): ask for it again", code="export_lapsed"
        )


@dataclass(frozen=True)
class ExportItem:
    """An export as the editors' page lists it."""

    id: uuid.UUID
    status: str
    recipient: str
    created_at: datetime.datetime
    approved_at: datetime.datetime | None
    asked_by_me: bool
    approved_by_me: bool
    #: Waited, or was approved, longer than EXPORT_DAYS: nothing more is done with it.
    lapsed: bool = False

    @property
    def recipient_sha256(self) -> str:
        return fingerprint(self.recipient)


async def list_exports(principal: Principal, case_id: uuid.UUID) -> list[ExportItem]:
    """The case's exports, newest first (for an editor who may work on it)."""
    await editor_row(principal, case_id)
    rows = (
        await CaseExport.select()
        .where(CaseExport.case == case_id)
        .order_by(CaseExport.created_at, ascending=False)
    )
    return [
        ExportItem(
            id=row["id"],
            status=row["status"],
            recipient=row["recipient"],
            created_at=row["created_at"],
            approved_at=row["approved_at"],
            asked_by_me=row["requested_by"] == principal.id,
            approved_by_me=row["approved_by"] == principal.id,
            lapsed=lapsed(row),
        )
        for row in rows
    ]


async def _export_row(case_id: uuid.UUID, export_id: uuid.UUID) -> dict[str, Any]:
    row = await CaseExport.select().where((CaseExport.id == export_id) & (CaseExport.case == case_id)).first()
    if row is None:
        raise NotFound("the case has no such export", code="export_not_found")
    return row


async def approve_export(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, export_id: uuid.UUID
) -> Export:
    """A second editor approves the export (four eyes: not the one who asked)."""
    await editor_row(principal, case_id)
    row = await _export_row(case_id, export_id)
    if row["requested_by"] == principal.id:
        raise WrongState(
            "an export is approved by an editor other than the one who asked for it", code="four_eyes_export"
        )
    if row["status"] != ExportStatus.pending:
        raise WrongState("the export is approved already", code="export_approved")
    refuse_lapsed(row)
    async with db.transaction():
        await custody.lock_log()
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="export.approved",
            subject=f"case:{case_id}",
            details={"export": str(export_id), "recipient_sha256": fingerprint(row["recipient"])},
        )
        await CaseExport.update(
            {
                CaseExport.status: ExportStatus.approved.value,
                CaseExport.approved_by: principal.id,
                CaseExport.approved_at: datetime.datetime.now(datetime.UTC),
            }
        ).where(CaseExport.id == export_id)
    return Export(id=export_id, status=ExportStatus.approved.value, recipient=row["recipient"])


async def package_for(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, export_id: uuid.UUID, out: Path
) -> str:
    """Write the approved export's package to ``out`` (for one of the two editors); its SHA-256."""
    await editor_row(principal, case_id)
    row = await _export_row(case_id, export_id)
    if principal.id not in (row["requested_by"], row["approved_by"]):
        raise Forbidden(
            "the package goes to the editors who asked for and approved it", code="export_not_yours"
        )
    return await write_package(ctx, row, out, actor_id=str(principal.id))


async def approved_export(case_reference: str, recipient: str) -> dict[str, Any]:
    """For `integrity export-case`: the approved export of the case to that recipient."""
    case = await Case.select(Case.id).where(Case.reference == case_reference).first()
    if case is None:
        raise NotFound("no case with that reference", code="case_not_found")
    rows = await CaseExport.select().where(
        (CaseExport.case == case["id"]) & (CaseExport.recipient == recipient.strip())
    )
    approved = [row for row in rows if row["status"] == ExportStatus.approved]
    if not approved:
        raise WrongState(
            "no approved export of this case to that recipient: an editor asks for it, another approves it",
            code="export_not_approved",
        )
    return approved[-1]


async def write_package(
    ctx: ServiceContext, export: dict[str, Any], out: Path, *, actor_id: str | None
) -> str:
    """The package of an approved export, written to ``out``; recorded in the custody log with its
    SHA-256 and the recipient's fingerprint."""
    if export["status"] != ExportStatus.approved:
        raise WrongState("the export waits for a second editor's approval", code="export_not_approved")
    refuse_lapsed(export)
    case_id = export["case"]
    case_row = await Case.select().where(Case.id == case_id).first()
    assert case_row is not None  # a foreign key
    with _private_folder() as folder:
        bag_folder = folder / case_row["reference"]
        bag_folder.mkdir()
        collector = await _fill(ctx, case_row, case_key(ctx, case_row), bag_folder / "payload")
        await anyio.to_thread.run_sync(_bag, ctx, case_row, bag_folder, export["recipient"], collector)
        digest = await anyio.to_thread.run_sync(_seal, bag_folder, export["recipient"], out)
    await custody.record(
        ctx.signer,
        actor_id=actor_id,
        action="case.exported",
        subject=f"case:{case_id}",
        details={
            "export": str(export["id"]),
            "recipient_sha256": fingerprint(export["recipient"]),
            "package_sha256": digest,
        },
    )
    return digest


@contextmanager
def _private_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="integrity-export-"))
    os.chmod(folder, 0o700)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


async def _write_blob(ctx: ServiceContext, row: dict[str, Any], path: Path) -> None:
    with path.open("wb") as output:
        async with aclosing(ctx.vault.open(stored_blob(row))) as chunks:
            async for chunk in chunks:
                output.write(chunk)


async def _fill(ctx: ServiceContext, case: dict[str, Any], key: CaseKey, payload: Path) -> str:
    """Everything the bag carries, in ``payload`` (the bag's `data/` once bagged); the custody
    pseudonym of whoever recorded the case first (its collector)."""
    case_id = case["id"]
    for name in ("originals", "copies", "revisions", "receipts", "custody"):
        (payload / name).mkdir(parents=True)
    originals = []
    attachments = await Attachment.select().where(Attachment.case == case_id).order_by(Attachment.uploaded_at)
    for n, row in enumerate(attachments, start=1):
        name = f"{n:03d}-{row['id']}"
        if not is_shredded(row):
            await _write_blob(ctx, row, payload / "originals" / name)
        salt = (
            key.open_text(f"salt:{row['id']}", bytes(row["sha256_salt_sealed"]))
            if row["sha256_salt_sealed"]
            else None
        )
        originals.append(
            {
                # None for an original shredded under retention: its hash and custody entry stay.
                "file": None if is_shredded(row) else f"originals/{name}",
                "shredded_at": str(row["shredded_at"]) if row["shredded_at"] else None,
                "attachment_id": str(row["id"]),
                "filename": key.open_text(f"filename:{row['id']}", bytes(row["filename_sealed"])),
                "content_type": row["content_type"],
                "size": int(row["size"]),
                "sha256": row["sha256"],
                "uploaded_at": str(row["uploaded_at"]),
                "custody_seq": int(row["custody_seq"]),
                # Opens the public commitment of its custody entry: SHA-256(salt || digest).
                "sha256_salt": salt,
            }
        )
    _json(payload / "originals.json", originals)
    copies = []
    ids = [row["id"] for row in attachments] or [uuid.uuid4()]
    for row in await Rendition.select().where(Rendition.attachment.is_in(ids)).order_by(Rendition.created_at):
        name = f"{row['id']}.{row['extension']}"
        if not is_shredded(row):
            await _write_blob(ctx, row, payload / "copies" / name)
        copies.append(
            {
                # None for a withdrawn copy shredded with its original.
                "file": None if is_shredded(row) else f"copies/{name}",
                "of_attachment": str(row["attachment"]),
                "kind": row["kind"],
                "content_type": row["content_type"],
                "size": int(row["size"]),
                "sha256": row["sha256"],
                "custody_seq": int(row["custody_seq"]),
            }
        )
    _json(payload / "copies.json", copies)
    public = await PublicCase.select(PublicCase.id).where(PublicCase.case == case_id).first()
    if public is not None:
        for revision in await PublishedRevision.select().where(PublishedRevision.public_case == public["id"]):
            shown = {
                k: (str(v) if isinstance(v, datetime.datetime | datetime.date | uuid.UUID) else v)
                for k, v in revision.items()
            }
            _json(payload / "revisions" / f"revision-{int(revision['revision'])}.json", shown)
    if case["receipt_payload"]:
        _json(
            payload / "receipts" / "submission.json",
            {
                "payload": case["receipt_payload"],
                "signature": case["receipt_signature"],
                "key_id": case["receipt_key_id"],
            },
        )
    return await _custody(ctx, case_id, [row["id"] for row in attachments], payload / "custody")


async def _custody(
    ctx: ServiceContext, case_id: uuid.UUID, attachment_ids: list[uuid.UUID], folder: Path
) -> str:
    renditions = await Rendition.select(Rendition.id).where(
        Rendition.attachment.is_in(attachment_ids or [uuid.uuid4()])
    )
    subjects = (
        [f"case:{case_id}"]
        + [f"attachment:{a}" for a in attachment_ids]
        + [f"rendition:{r['id']}" for r in renditions]
    )
    entries = (
        await CustodyEntry.select().where(CustodyEntry.subject.is_in(subjects)).order_by(CustodyEntry.seq)
    )
    await custody.sign_checkpoint(ctx.signer)
    checkpoint = await custody.latest_checkpoint()
    assert checkpoint is not None
    with (folder / "entries.jsonl").open("w", encoding="utf-8") as lines:
        for entry in entries:
            shown = {k: v for k, v in entry.items() if k != "public"}
            shown["details"] = json.loads(entry["details"])
            lines.write(json.dumps(shown, sort_keys=True, ensure_ascii=False) + "\n")
    proofs = []
    for entry in entries:
        if int(entry["seq"]) <= checkpoint.tree_size:
            proof = await custody.inclusion_proof(int(entry["seq"]), checkpoint.tree_size)
            proofs.append(
                {
                    "seq": proof.seq,
                    "leaf_index": proof.leaf_index,
                    "tree_size": proof.tree_size,
                    "entry_hash": proof.entry_hash,
                    "audit_path": proof.audit_path,
                    "root_hash": proof.root_hash,
                }
            )
    _json(folder / "proofs.json", proofs)
    _json(
        folder / "checkpoint.json",
        {
            "tree_size": checkpoint.tree_size,
            "root_hash": checkpoint.root_hash,
            "signed_at": checkpoint.signed_at,
            "signature": checkpoint.signature,
            "key_id": checkpoint.key_id,
        },
    )
    _json(folder / "keys.json", await custody.public_keys(ctx.signer))
    return str(entries[0]["actor"]) if entries else ""


README = """How to check this package
=========================

1. It is a BagIt bag (RFC 8493). Validate every file against its SHA-256:
       bagit.py --validate {reference}
2. The payload manifest is signed by the platform (Ed25519): manifest-sha256.txt.sig is the
   base64 signature of manifest-sha256.txt's bytes, by the key data/custody/keys.json names
   ({key_id}), the same key /api/v1/public/keys lists.
3. data/originals/ holds the files as filed, byte for byte; data/originals.json gives each one's
   SHA-256 (the same as in the member's receipt, data/receipts/submission.json) and the salt that
   opens its custody entry's public commitment: sha256(salt || sha256 digest) in hex. An entry
   whose "file" is null was shredded when its retention ran out ("shredded_at", and the custody
   entry case.originals_shredded): only its record and its published copies remain.
4. data/custody/entries.jsonl holds the case's custody entries. Each entry's entry_hash is in the
   signed log: data/custody/proofs.json has an RFC 9162 inclusion proof of each (leaf =
   SHA-256(0x00 || entry_hash bytes)) against data/custody/checkpoint.json, whose Ed25519
   signature covers the canonical JSON of {{"root_hash", "signed_at", "tree_size"}}.
5. data/revisions/ holds what the public got, revision by revision; data/copies/ the redacted or
   cleaned copies that were published.
"""


def _bag(ctx: ServiceContext, case: dict[str, Any], folder: Path, recipient: str, collector: str) -> None:
    payload = folder / "payload"
    for item in payload.iterdir():
        item.rename(folder / item.name)
    payload.rmdir()
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    bag = bagit.make_bag(
        str(folder),
        {
            "Source-Organization": "Integrity Network",
            "External-Identifier": case["reference"],
            "External-Description": "Court-ready export of a case: originals, copies, revisions, custody.",
            # As the custody log names whoever recorded the case first: a pseudonym, never a name.
            "Collector-Pseudonym": collector,
            "Collection-Date": str(case["submitted_at"] or case["created_at"]),
            "Export-Date": now,
            "Export-Tool": TOOL,
            "Hash-Algorithms": "sha256",
            "Recipient-Key-SHA256": fingerprint(recipient),
        },
        checksums=["sha256"],
    )
    manifest = (folder / "manifest-sha256.txt").read_bytes()
    (folder / "manifest-sha256.txt.sig").write_text(ctx.signer.sign(manifest) + "\n", encoding="ascii")
    (folder / "README.txt").write_text(
        README.format(reference=case["reference"], key_id=ctx.signer.key_id), encoding="utf-8"
    )
    bag.save(manifests=False)  # the tag manifest now covers the signature and the README
    bag.validate()


def _seal(folder: Path, recipient: str, out: Path) -> str:
    """The bag as one POSIX tar, encrypted to ``recipient`` with age, written to ``out``; the
    SHA-256 of what was written."""
    plain = folder.parent / "package.tar"
    with tarfile.open(plain, "w", format=tarfile.PAX_FORMAT) as archive:
        archive.add(folder, arcname=folder.name)
    with plain.open("rb") as source, out.open("wb") as target:
        pyrage.encrypt_io(source, target, [pyrage.x25519.Recipient.from_str(recipient)])
    digest = hashlib.sha256()
    with out.open("rb") as written:
        while chunk := written.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
