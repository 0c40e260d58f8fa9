"""Crash safety of publication: `integrity serve` SIGKILLed at labelled points of publishing, then restarted.

A case is filed, verified, redacted, drafted and approved through the API (the helpers of
`tests/publication/test_publishing.py`), then a server armed with `INTEGRITY_FAULT_POINT` gets the
request and dies at one of these points (`integrity.faults.fault_point`):

- `publication.rendition_stored`: a redacted (or cleaned) copy is in the vault, its `Rendition` row
  and custody entry are not written yet (here: drawing the redaction boxes);
- `publication.uncommitted`: the publish transaction has written the revision, its files, the custody
  entry and the new status, and not committed;
- `publication.committed`: the publish transaction has committed, the checkpoint covering the newly
  public custody entries is not signed yet;
- `publication.checkpointed`: the checkpoint is signed, no answer sent.

After `integrity reconcile --apply --grace-hours 0` and a restart: no orphan object or unfinished
write, every `Rendition` row's blob reads back with its sha256, the evidence as filed reads back
unchanged, `integrity custody verify` passes, and the case is published completely (public API shows
it, its files download with their sha256, each file's custody entries are proven by a signed
checkpoint) or not at all (public API 404, and publishing again through the API succeeds). Run on the
local vault, and on S3 for the points that leave something behind or publish. A retraction and a
correction, which go through the same transaction points, are killed before and after their commit
too: each is public completely (and covered by a signed checkpoint) or not at all (and can be made
again).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from integrity.app import create_app
from integrity.cases.tables import Attachment, Transition
from integrity.custody.service import verify_log
from integrity.custody.signing import load_trusted_keys
from integrity.publication.revisions import next_public_reference
from integrity.publication.tables import PublicCase, PublishedFile, PublishedRevision, Rendition
from integrity.settings import Settings
from integrity.vault import reconcile
from tests.custody import rfc9162
from tests.factories import AccountFactory, Caller, files_read
from tests.faults.conftest import (
    assert_no_traceback,
    crash_storage,
    credentials,
    reconcile_after_crash,
    request_and_die,
    serving,
)
from tests.publication.test_publishing import act, draft, redact_files, verified_case

POINTS = (
    "publication.rendition_stored",
    "publication.uncommitted",
    "publication.committed",
    "publication.checkpointed",
)
#: Points after the publish transaction committed: the case is public when the server comes back.
PUBLISHED_AT_CRASH = frozenset({"publication.committed", "publication.checkpointed"})
BOXES = {"boxes": [{"page": 1, "x": 0.0, "y": 0.0, "width": 0.5, "height": 1.0}]}
PUBLIC_BODY = "Prema rečima svedoka, ugovor je dodeljen bez tendera."
CORRECTED_BODY = "Prema rečima svedoka, ugovor je dodeljen bez tendera, a cena je bila dvostruka."
CHANGE_NOTE = "Izvor je dopunio svoju izjavu."


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def redact_draft_and_approve(
    reviewer: Caller, editor: Caller, case_id: str, files: list[dict[str, Any]]
) -> None:
    """Everything before publishing: the photo and the PDF redacted, the draft saved and read by the
    leak check, approval."""
    await redact_files(reviewer, case_id, files)
    saved = await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=draft(files, PUBLIC_BODY))
    assert saved.status_code == 200, saved.text
    assert (await files_read(reviewer, case_id))["missing"] == []
    approved = await act(editor, case_id, "approve")
    assert approved.status_code == 200, approved.text


async def assert_proven(public: Caller, seqs: list[int], *, publish_seq: int) -> None:
    """Each entry is public and included in the latest signed checkpoint, which also covers the
    publication itself: checked as an outsider would, from the public API alone."""
    keys = {k["key_id"]: k["public_key"] for k in (await public.get("/api/v1/public/keys")).json()["keys"]}
    latest = await public.get("/api/v1/public/custody/checkpoint")
    assert latest.status_code == 200, latest.text
    checkpoint = latest.json()
    assert checkpoint["tree_size"] >= publish_seq
    message = rfc9162.canonical({k: checkpoint[k] for k in ("tree_size", "root_hash", "signed_at")})
    assert rfc9162.ed25519_verifies(keys[checkpoint["key_id"]], message, checkpoint["signature"])
    for seq in seqs:
        assert (await public.get(f"/api/v1/public/custody/entries/{seq}")).status_code == 200
        answer = await public.get("/api/v1/public/custody/proof", params={"seq": seq})
        assert answer.status_code == 200, answer.text
        proof = answer.json()
        assert proof["tree_size"] == checkpoint["tree_size"]
        leaf = rfc9162.hash_leaf(bytes.fromhex(proof["entry_hash"]))
        path = [bytes.fromhex(node) for node in proof["audit_path"]]
        assert rfc9162.verifies_inclusion(
            seq - 1, proof["tree_size"], leaf, path, bytes.fromhex(checkpoint["root_hash"])
        )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "storage"),
    # On S3 the point that leaves an object behind, and one that leaves the case published.
    [(point, "local") for point in POINTS]
    + [("publication.rendition_stored", "s3"), ("publication.committed", "s3")],
)
async def test_a_killed_publication_is_complete_or_absent_and_leaves_nothing_behind(
    point: str,
    storage: str,
    settings: Settings,
    engine: Any,
    server_process: Any,
    request: pytest.FixtureRequest,
) -> None:
    settings, env = crash_storage(storage, settings, request)
    # The app object makes the key ring every server process shares, and lets the factory open sessions.
    app = create_app(settings, engine=engine)

    # Up to the step that crashes, in process: no server needed before the one that dies.
    async with serving(app) as client:
        accounts = AccountFactory(app=app, client=client, settings=settings)  # type: ignore[arg-type]
        case, reviewer, editor, files = await verified_case(accounts)
        case_id = case["id"]
        # The only case published here: it will get the year's first public reference.
        reference = await next_public_reference(datetime.now(UTC).year)
        if point != "publication.rendition_stored":
            await redact_draft_and_approve(reviewer, editor, case_id, files)
    filed = {uuid.UUID(item["id"]): item["sha256"] for item in files}

    doomed = server_process({**env, "INTEGRITY_FAULT_POINT": point}, "doomed.log")
    doomed.start()
    if point == "publication.rendition_stored":
        path, caller, body = (
            f"/api/v1/cases/{case_id}/attachments/{files[0]['id']}/redactions",
            reviewer,
            BOXES,
        )
    else:
        path, caller, body = f"/api/v1/cases/{case_id}/transitions", editor, {"action": "publish"}
    await request_and_die(doomed, "POST", path, json=body, headers=credentials(caller))

    # The redacted copy stored before its row is the one object a crash leaves; nothing else is.
    reconcile_after_crash(doomed.env, aborted=0, removed=1 if point == "publication.rendition_stored" else 0)
    report = await reconcile(settings, apply=False, grace=timedelta(0))
    assert report.orphans == () and report.stale_uploads == () and report.missing == (), report.summary()
    renditions = await Rendition.select(Rendition.id, Rendition.sha256).where(
        Rendition.attachment.is_in(list(filed))
    )
    assert report.objects == await Attachment.count().where(Attachment.case == case_id) + len(renditions)
    # All or nothing: the revision and its files exist exactly when the publication committed.
    revisions = await PublishedRevision.select(PublishedRevision.id).where(
        PublishedRevision.public_case.case == case_id
    )
    public_files = await PublishedFile.count().where(
        PublishedFile.revision.is_in([r["id"] for r in revisions] or [0])
    )
    if point in PUBLISHED_AT_CRASH:
        assert len(revisions) == 1 and public_files == 2
    else:
        assert revisions == [] and public_files == 0
        assert not await PublicCase.exists().where(PublicCase.case == case_id)

    restarted = server_process(env, "restarted.log")
    restarted.start()
    async with httpx.AsyncClient(base_url=restarted.url, timeout=60) as client:
        public = Caller(client)  # type: ignore[arg-type]
        reviewer.client = editor.client = client  # type: ignore[assignment]
        shown = await public.get(f"/api/v1/public/cases/{reference}")
        if point in PUBLISHED_AT_CRASH:
            assert shown.status_code == 200, shown.text
            # Published once: publishing again is refused, not a second revision.
            assert (await act(editor, case_id, "publish")).status_code == 409
        else:
            assert shown.status_code == 404
            if point == "publication.rendition_stored":
                await redact_draft_and_approve(reviewer, editor, case_id, files)
            published = await act(editor, case_id, "publish")
            assert published.status_code == 200, published.text
            shown = await public.get(f"/api/v1/public/cases/{reference}")
            assert shown.status_code == 200, shown.text

        # Published completely: both files download as listed, and a signed checkpoint proves their
        # custody entries (the creation of the copy and the upload of its original).
        revision = shown.json()
        assert revision["revision"] == revision["latest_revision"] == 1
        assert len(revision["files"]) == 2
        for item in revision["files"]:
            download = await public.get(f"/api/v1/public/cases/{reference}/files/{item['id']}")
            assert download.status_code == 200 and sha256(download.content) == item["sha256"]
        publish_seq = (
            await Transition.select(Transition.custody_seq)
            .where((Transition.case == case_id) & (Transition.action == "publish"))
            .first()
        )["custody_seq"]
        seqs = [seq for item in revision["files"] for seq in (item["custody_seq"], item["source_seq"])]
        await assert_proven(public, seqs, publish_seq=publish_seq)

        # No row without its object: every copy made for publication reads back with its sha256 ...
        renditions = await Rendition.select(Rendition.id, Rendition.sha256).where(
            Rendition.attachment.is_in(list(filed))
        )
        assert len(renditions) == 2
        for row in renditions:
            copy = await reviewer.get(f"/api/v1/cases/{case_id}/renditions/{row['id']}/content")
            assert copy.status_code == 200 and sha256(copy.content) == row["sha256"]
        # ... and the evidence as filed is unchanged.
        for attachment_id, filed_sha256 in filed.items():
            original = await reviewer.get(f"/api/v1/cases/{case_id}/attachments/{attachment_id}/content")
            assert original.status_code == 200 and sha256(original.content) == filed_sha256
    restarted.stop()

    report = await reconcile(settings, apply=False, grace=timedelta(0))
    assert report.orphans == () and report.stale_uploads == () and report.missing == (), report.summary()
    verified = await verify_log(load_trusted_keys(settings.signing_key_file))
    assert verified.ok and verified.checkpoints >= 1, verified.first_problem
    assert_no_traceback(doomed, restarted)


def changed(shown: dict[str, Any], action: str) -> bool:
    """Whether the public case file shows the retraction or the correction."""
    if action == "retract":
        return shown["status"] == "retracted" and shown["retraction"]["note"] == CHANGE_NOTE
    return shown["revision"] == 2 and shown["body"] == CORRECTED_BODY


@pytest.mark.slow
@pytest.mark.parametrize("action", ["retract", "correct"])
@pytest.mark.parametrize("point", ["publication.uncommitted", "publication.committed"])
async def test_a_killed_retraction_or_correction_is_complete_or_absent(
    point: str,
    action: str,
    settings: Settings,
    engine: Any,
    server_process: Any,
    request: pytest.FixtureRequest,
) -> None:
    """Confirming a retraction or a correction runs through the same points as publishing: killed
    before the commit the case file is as it was and the change can be confirmed again; killed after
    it, the change is public and a signed checkpoint covers it once the server is back."""
    settings, env = crash_storage("local", settings, request)
    app = create_app(settings, engine=engine)
    async with serving(app) as client:
        accounts = AccountFactory(app=app, client=client, settings=settings)  # type: ignore[arg-type]
        case, reviewer, editor, files = await verified_case(accounts)
        case_id = case["id"]
        # The only case published here: it will get the year's first public reference.
        reference = await next_public_reference(datetime.now(UTC).year)
        await redact_draft_and_approve(reviewer, editor, case_id, files)
        assert (await act(editor, case_id, "publish")).status_code == 200
        if action == "correct":
            saved = await reviewer.put(
                f"/api/v1/cases/{case_id}/publication", json=draft(files, CORRECTED_BODY)
            )
            assert saved.status_code == 200, saved.text
        # One editor proposes the change; the public change is a second editor's confirmation.
        assert (await act(editor, case_id, action, reason=CHANGE_NOTE)).status_code == 200
        confirmer = await accounts.as_role("editor")
    confirm = {"retract": "confirm_retraction", "correct": "confirm_correction"}[action]

    doomed = server_process({**env, "INTEGRITY_FAULT_POINT": point}, "doomed.log")
    doomed.start()
    body = {"action": confirm}
    await request_and_die(
        doomed, "POST", f"/api/v1/cases/{case_id}/transitions", json=body, headers=credentials(confirmer)
    )
    reconcile_after_crash(doomed.env, aborted=0, removed=0)

    restarted = server_process(env, "restarted.log")
    restarted.start()
    async with httpx.AsyncClient(base_url=restarted.url, timeout=60) as client:
        public = Caller(client)  # type: ignore[arg-type]
        confirmer.client = client  # type: ignore[assignment]
        shown = (await public.get(f"/api/v1/public/cases/{reference}")).json()
        if point == "publication.committed":
            assert changed(shown, action), shown
        else:
            # The proposal outlived the crash: the second editor confirms it again.
            assert shown["status"] == "published" and shown["revision"] == 1, shown
            again = await act(confirmer, case_id, confirm)
            assert again.status_code == 200, again.text
            shown = (await public.get(f"/api/v1/public/cases/{reference}")).json()
            assert changed(shown, action), shown
        (made,) = await Transition.select(Transition.custody_seq).where(
            (Transition.case == case_id) & (Transition.action == confirm)
        )
        # The change's own entry is not public, but the latest signed checkpoint covers it, and the
        # published files' entries are still proven.
        seqs = [seq for item in shown["files"] for seq in (item["custody_seq"], item["source_seq"])]
        await assert_proven(public, seqs, publish_seq=made["custody_seq"])
    restarted.stop()

    assert await PublishedRevision.count().where(PublishedRevision.reference == reference) == (
        2 if action == "correct" else 1
    )
    verified = await verify_log(load_trusted_keys(settings.signing_key_file))
    assert verified.ok, verified.first_problem
    assert_no_traceback(doomed, restarted)
