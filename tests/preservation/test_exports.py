"""A court-ready package: asked for by one editor, approved by another, encrypted to the named
recipient; opened with the recipient's age key it is a BagIt bag the Library of Congress validator
accepts, its originals are the files of the member's receipt, its custody entries are proved by
an independent RFC 9162 verifier against the signed checkpoint it carries, and one flipped byte
makes it fail. Without the second editor, nothing is exported."""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from litestar import Litestar

from integrity.context import provide_service_context
from integrity.custody.tables import CustodyEntry
from integrity.preservation import retention
from integrity.preservation.exports import EXPORT_DAYS
from integrity.preservation.tables import CaseExport
from integrity.settings import Settings
from tests.custody import rfc9162
from tests.factories import AccountFactory, run_integrity
from tests.publication.test_publishing import act, change_publicly, draft, verified_case


def validate(bag: Path) -> subprocess.CompletedProcess[str]:
    """The Library of Congress's own validator, as a recipient runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bagit", "--validate", str(bag)], capture_output=True, text=True, check=False
    )


def opened(package: bytes, identity: Any, folder: Path) -> Path:
    plain = pyrage.decrypt(package, [identity])
    with tarfile.open(fileobj=io.BytesIO(plain)) as archive:
        (top,) = {member.name.split("/")[0] for member in archive.getmembers()}
        archive.extractall(folder, filter="data")
    return folder / top


async def test_an_approved_export_is_a_bag_the_recipient_can_open_and_verify(
    accounts: AccountFactory, app: Litestar, settings: Settings, tmp_path: Path
) -> None:
    case, reviewer, editor, files = await verified_case(accounts)
    case_id = case["id"]
    body = draft(files, "Prva verzija javnog teksta.")
    body["attachments"] = [{**a, "decision": "withhold"} for a in body["attachments"]]
    assert (await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=body)).status_code == 200
    assert (await act(editor, case_id, "approve")).status_code == 200
    assert (await act(editor, case_id, "publish")).status_code == 200
    body["public_body"] = "Druga, ispravljena verzija javnog teksta."
    assert (await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=body)).status_code == 200
    corrected = await change_publicly(accounts, editor, case_id, "correct", "Ispravljen tekst.")
    assert corrected.status_code == 200, corrected.text

    identity = pyrage.x25519.Identity.generate()
    recipient = str(identity.to_public())
    exports = f"/api/v1/cases/{case_id}/exports"
    assert (await reviewer.post(exports, json={"recipient": recipient})).status_code == 403
    bad = await editor.post(exports, json={"recipient": "age1nije-kljuc"})
    assert (bad.status_code, bad.json()["code"]) == (422, "recipient_invalid")
    asked = await editor.post(exports, json={"recipient": recipient})
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "pending"
    export_id = asked.json()["id"]

    # Without the second editor's approval, nothing is exported: not by the API, not by the command.
    early = await editor.get(f"{exports}/{export_id}/package")
    assert (early.status_code, early.json()["code"]) == (409, "export_not_approved")
    reference = (await reviewer.get(f"/api/v1/cases/{case_id}")).json()["reference"]
    refused = run_integrity(
        settings, "export-case", reference, "--recipient", recipient, "--out", str(tmp_path / "x")
    )
    assert refused.returncode == 2 and "approves" in refused.stderr
    assert not (tmp_path / "x").exists()
    own = await editor.post(f"{exports}/{export_id}/approve")
    assert (own.status_code, own.json()["code"]) == (409, "four_eyes_export")
    second = await accounts.as_role("editor")
    approved = await second.post(f"{exports}/{export_id}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    package = await second.get(f"{exports}/{export_id}/package")
    assert package.status_code == 200, package.text
    # Only the recipient opens it.
    other = pyrage.x25519.Identity.generate()
    try:
        pyrage.decrypt(package.content, [other])
        raise AssertionError("another key opened the package")
    except pyrage.DecryptError:
        pass
    bag = opened(package.content, identity, tmp_path / "api")
    checked = validate(bag)
    assert checked.returncode == 0, checked.stderr

    # The originals are the files of the member's receipt, byte for byte.
    originals = json.loads((bag / "data" / "originals.json").read_text())
    hashes = [hashlib.sha256((bag / "data" / item["file"]).read_bytes()).hexdigest() for item in originals]
    receipt = json.loads((bag / "data" / "receipts" / "submission.json").read_text())
    assert sorted(hashes) == sorted(f["sha256"] for f in json.loads(receipt["payload"])["files"])
    assert sorted(item["filename"] for item in originals) == ["beleska.txt", "foto.jpg", "zapisnik.pdf"]
    # Both revisions as the public got them.
    revisions = sorted(p.name for p in (bag / "data" / "revisions").iterdir())
    assert revisions == ["revision-1.json", "revision-2.json"]
    assert "ispravljena" in (bag / "data" / "revisions" / "revision-2.json").read_text()

    # Every custody entry is in the signed log, by an independent RFC 9162 verifier.
    keys = {
        k["key_id"]: k["public_key"] for k in json.loads((bag / "data" / "custody" / "keys.json").read_text())
    }
    checkpoint = json.loads((bag / "data" / "custody" / "checkpoint.json").read_text())
    message = rfc9162.canonical({key: checkpoint[key] for key in ("tree_size", "root_hash", "signed_at")})
    assert rfc9162.ed25519_verifies(keys[checkpoint["key_id"]], message, checkpoint["signature"])
    entries = [
        json.loads(line) for line in (bag / "data" / "custody" / "entries.jsonl").read_text().splitlines()
    ]
    proofs = {p["seq"]: p for p in json.loads((bag / "data" / "custody" / "proofs.json").read_text())}
    assert {e["action"] for e in entries} >= {"attachment.uploaded", "export.requested", "export.approved"}
    for entry in entries:
        proof = proofs[entry["seq"]]
        assert proof["entry_hash"] == entry["entry_hash"]
        leaf = rfc9162.hash_leaf(bytes.fromhex(entry["entry_hash"]))
        path = [bytes.fromhex(node) for node in proof["audit_path"]]
        root = bytes.fromhex(checkpoint["root_hash"])
        assert rfc9162.verifies_inclusion(entry["seq"] - 1, checkpoint["tree_size"], leaf, path, root)
    # The payload manifest is signed with the platform's key.
    signature = base64.b64decode((bag / "manifest-sha256.txt.sig").read_text().strip())
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(keys[checkpoint["key_id"]]))
    public.verify(signature, (bag / "manifest-sha256.txt").read_bytes())
    info = (bag / "bag-info.txt").read_text()
    for field in (
        "Collector-Pseudonym",
        "Collection-Date",
        "Export-Date",
        "Export-Tool",
        "Hash-Algorithms: sha256",
    ):
        assert field in info, field
    assert "bagit.py --validate" in (bag / "README.txt").read_text()

    # The export is on record: the recipient's fingerprint and the package's hash.
    exported = (
        await CustodyEntry.select(CustodyEntry.details)
        .where(CustodyEntry.action == "case.exported")
        .order_by(CustodyEntry.seq, ascending=False)
        .first()
    )
    details = json.loads(exported["details"])
    assert details["package_sha256"] == hashlib.sha256(package.content).hexdigest()
    assert details["recipient_sha256"] == hashlib.sha256(recipient.encode()).hexdigest()

    # One flipped byte of an original, and the bag no longer validates.
    first = bag / "data" / originals[0]["file"]
    data = bytearray(first.read_bytes())
    data[0] ^= 0x01
    first.write_bytes(bytes(data))
    assert validate(bag).returncode != 0

    # The operator's command writes the same kind of package for the approved recipient.
    out = tmp_path / "package.tar.age"
    written = run_integrity(settings, "export-case", reference, "--recipient", recipient, "--out", str(out))
    assert written.returncode == 0, written.stderr
    assert validate(opened(out.read_bytes(), identity, tmp_path / "cli")).returncode == 0

    # Once the published case's originals are shredded under retention, a package still carries
    # everything that remains and validates; the shredded originals are listed, with no file.
    await retention.shred_originals(provide_service_context(app.state), uuid.UUID(case_id), reason="request")
    later = tmp_path / "later.tar.age"
    written = run_integrity(settings, "export-case", reference, "--recipient", recipient, "--out", str(later))
    assert written.returncode == 0, written.stderr
    bag = opened(later.read_bytes(), identity, tmp_path / "later")
    assert validate(bag).returncode == 0
    listed = json.loads((bag / "data" / "originals.json").read_text())
    assert len(listed) == 3 and all(item["file"] is None and item["shredded_at"] for item in listed)
    assert not any((bag / "data" / "originals").iterdir())
    assert "case.originals_shredded" in (bag / "data" / "custody" / "entries.jsonl").read_text()


async def test_an_export_lapses_when_it_waits_or_stays_approved_too_long(
    accounts: AccountFactory, settings: Settings, tmp_path: Path
) -> None:
    case, reviewer, editor, _ = await verified_case(accounts)
    exports = f"/api/v1/cases/{case['id']}/exports"
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    second = await accounts.as_role("editor")
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=EXPORT_DAYS + 1)
    # Asked for long ago and never approved: the approval comes too late.
    waited = (await editor.post(exports, json={"recipient": recipient})).json()
    await CaseExport.update({CaseExport.created_at: long_ago}).where(CaseExport.id == uuid.UUID(waited["id"]))
    late = await second.post(f"{exports}/{waited['id']}/approve")
    assert (late.status_code, late.json()["code"]) == (409, "export_lapsed")
    # Approved, and then left: no package any more, by the API or the command.
    asked = (await editor.post(exports, json={"recipient": recipient})).json()
    assert (await second.post(f"{exports}/{asked['id']}/approve")).status_code == 200
    assert (await editor.get(f"{exports}/{asked['id']}/package")).status_code == 200
    await CaseExport.update({CaseExport.approved_at: long_ago}).where(CaseExport.id == uuid.UUID(asked["id"]))
    lapsed = await editor.get(f"{exports}/{asked['id']}/package")
    assert (lapsed.status_code, lapsed.json()["code"]) == (409, "export_lapsed")
    reference = (await reviewer.get(f"/api/v1/cases/{case['id']}")).json()["reference"]
    out = tmp_path / "late.tar.age"
    refused = run_integrity(settings, "export-case", reference, "--recipient", recipient, "--out", str(out))
    assert refused.returncode == 2 and "ask for it again" in refused.stderr and not out.exists()
    page = await editor.get(f"/app/cases/{case['id']}/exports?lang=en")
    assert page.text.count("Lapsed: ask for it again") == 2
    assert f"/exports/{asked['id']}/package" not in page.text
