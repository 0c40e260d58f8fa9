"""`integrity seed-demo`, then the maintenance commands on the data it made, as an operator runs them."""

from __future__ import annotations

import json
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from integrity.cases.tables import Attachment, Case
from integrity.custody import service as custody
from integrity.errors import ConfigurationError
from integrity.publication import case_files, search
from integrity.settings import Settings
from integrity.vault import Keyring
from tests.factories import run_integrity

run_cli = run_integrity


async def no_protected_name_in_the_published_files(settings: Settings, reference: str) -> None:
    from integrity.cases.sealing import case_key
    from integrity.context import ServiceContext
    from integrity.custody.signing import load_or_create_signer
    from integrity.publication.drafts import protected_names
    from integrity.publication.leakcheck import check_texts
    from integrity.publication.renditions import read_blob
    from integrity.publication.tables import PublicCase, PublishedFile, PublishedRevision, Rendition
    from integrity.vault import build_vault

    public = await PublicCase.select().where(PublicCase.reference == reference).first()
    case = await Case.select().where(Case.id == public["case"]).first()
    current = (PublishedRevision.public_case == public["id"]) & (PublishedRevision.is_current == True)  # noqa: E712
    revision = await PublishedRevision.select().where(current).first()
    files = await PublishedFile.select(PublishedFile.rendition).where(
        PublishedFile.revision == revision["id"]
    )
    signer = load_or_create_signer(
        settings.signing_key_file, generated_in_data_dir=settings.keys_generated_in_data_dir
    )
    vault = await build_vault(settings)
    try:
        ctx = ServiceContext(vault=vault, signer=signer, settings=settings)
        names = await protected_names(case_key(ctx, case), case["id"])
        assert names, "the demo's published case protects someone"
        for item in files:
            rendition = await Rendition.select().where(Rendition.id == item["rendition"]).first()
            content = await read_blob(ctx, rendition)
            with tempfile.TemporaryDirectory() as folder:
                if rendition["content_type"] == "application/pdf":
                    (Path(folder) / "file.pdf").write_bytes(content)
                    subprocess.run(
                        ["pdftoppm", "-r", "200", "-png", "file.pdf", "page"], cwd=folder, check=True
                    )
                    images = sorted(Path(folder).glob("page*.png"))
                else:
                    images = [Path(folder) / f"file.{rendition['extension']}"]
                    images[0].write_bytes(content)
                for image in images:
                    read = subprocess.run(
                        ["tesseract", str(image), "-", "-l", "srp+srp_latn+eng"],
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                    assert check_texts(names, {"file": read}) == [], image.name
    finally:
        await vault.aclose()


async def test_demo_data_then_rotation_reconcile_and_verify(settings: Settings, engine: object) -> None:
    seeded = run_cli(settings, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    credentials = settings.data_dir / "demo-accounts.txt"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    text = credentials.read_text()
    assert "@demo.integrity.invalid" in text and "reviewer" in text
    assert await Case.count() == 14
    assert await Case.count().where(Case.status == "submitted") == 2
    assert await Attachment.count() == 4
    # Eleven cases went through the whole review workflow, across places and categories, one of
    # them corrected and one retracted (each by two editors), so every public page has something.
    items = (await search.list_cases(search.CaseFilters())).items
    assert len(items) == 11 and len({item.municipality for item in items}) >= 8
    assert [item.status.value for item in items].count("retracted") == 1
    assert [item.revision for item in items].count(2) == 1
    assert (await search.list_cases(search.CaseFilters(q="Kraljevo"))).total >= 2
    # Some of them went to the municipal administrations: answered late, or overdue.
    from integrity.publication import institutions

    ranked = await institutions.ranking(institutions.InstitutionFilters())
    assert ranked and sum(i.overdue_now for i in ranked) >= 2 and sum(i.answered for i in ranked) >= 2
    # One has a photo, published without metadata, and a signed checkpoint covers it.
    (listed,) = [item for item in items if "Parcela" in item.title]
    shown = await case_files.get_case(listed.reference)
    assert shown.status == "published" and "(demo)" in shown.title
    (photo,) = shown.files
    assert photo.content_type == "image/png"
    checkpoint = await custody.latest_checkpoint()
    assert checkpoint is not None and checkpoint.tree_size >= photo.custody_seq
    # Read by tools nobody here wrote (poppler's pdftoppm for PDFs, Debian's tesseract), every file
    # of the published case names no one the case protects.
    await no_protected_name_in_the_published_files(settings, listed.reference)

    refused = run_cli(settings, "seed-demo")
    assert refused.returncode == 1 and "not empty" in refused.stderr
    skipped = run_cli(settings, "seed-demo", "--if-empty")
    assert skipped.returncode == 0 and "not added" in skipped.stdout

    before = {row["id"]: row["key_id"] for row in await Attachment.select(Attachment.id, Attachment.key_id)}
    rotated = run_cli(settings, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "cases.attachments: 4 wrapped key(s) re-wrapped" in rotated.stdout
    assert "cases.case_keys: 14 wrapped key(s) re-wrapped" in rotated.stdout
    assert "publication.renditions: 1 wrapped key(s) re-wrapped" in rotated.stdout
    after = {row["id"]: row["key_id"] for row in await Attachment.select(Attachment.id, Attachment.key_id)}
    assert before.keys() == after.keys() and all(before[k] != after[k] for k in before)

    reconciled = run_cli(settings, "reconcile")
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    assert "Every referenced blob has its object." in reconciled.stdout

    verified = run_cli(settings, "custody", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("custody log verified:")

    # One step to leave a database backup taken now unreadable: rotate, and retire every older key.
    backup = {row["id"]: row for row in await Attachment.select()}
    two_step = run_cli(settings, "keys", "rotate", "--retire-previous")
    assert two_step.returncode == 0, two_step.stderr
    assert two_step.stdout.count(" retired;") == 2  # the seed's key and the first rotation's
    ring = json.loads(settings.keyring_file.read_text())
    assert len(ring["keys"]) == 1
    ring_now = Keyring.load(settings.keyring_file)
    for row in backup.values():
        with pytest.raises(ConfigurationError):  # the backup's wrapped key names a retired key
            ring_now.unwrap(bytes(row["wrapped_key"]), row["key_id"])
    assert run_cli(settings, "vault", "verify").returncode == 0  # what is live still opens
    assert run_cli(settings, "custody", "verify").returncode == 0


async def test_reconcile_reports_a_row_whose_object_is_gone(settings: Settings, engine: object) -> None:
    assert run_cli(settings, "seed-demo").returncode == 0
    row = await Attachment.select(Attachment.blob_id).first()
    objects = [p for p in Path(settings.data_dir / "vault").rglob(row["blob_id"])]
    assert len(objects) == 1
    objects[0].unlink()
    reconciled = run_cli(settings, "reconcile")
    assert reconciled.returncode == 1
    assert row["blob_id"] in reconciled.stdout
