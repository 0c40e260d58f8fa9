"""`integrity seed-demo`, then the maintenance commands on the data it made, as an operator runs them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from integrity.cases.tables import Attachment, Case
from integrity.custody import service as custody
from integrity.publication import case_files, search
from integrity.settings import Settings


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "INTEGRITY_DATA_DIR": str(settings.data_dir),
        "INTEGRITY_DATABASE_URL": settings.database.url,
    }
    return subprocess.run(
        [sys.executable, "-m", "integrity.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


async def test_demo_data_then_rotation_reconcile_and_verify(settings: Settings, engine: object) -> None:
    seeded = run_cli(settings, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    credentials = settings.data_dir / "demo-accounts.txt"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    text = credentials.read_text()
    assert "@demo.integrity.invalid" in text and "reviewer" in text
    assert await Case.count() == 4
    assert await Case.count().where(Case.status == "submitted") == 2
    assert await Attachment.count() == 4
    # One case went through the whole review workflow: the public side has a case file, its photo
    # published without metadata, and a signed checkpoint covers it.
    (listed,) = (await search.list_cases(search.CaseFilters())).items
    shown = await case_files.get_case(listed.reference)
    assert shown.status == "published" and "(demo)" in shown.title
    (photo,) = shown.files
    assert photo.content_type == "image/png"
    checkpoint = await custody.latest_checkpoint()
    assert checkpoint is not None and checkpoint.tree_size >= photo.custody_seq

    refused = run_cli(settings, "seed-demo")
    assert refused.returncode == 1 and "not empty" in refused.stderr
    skipped = run_cli(settings, "seed-demo", "--if-empty")
    assert skipped.returncode == 0 and "not added" in skipped.stdout

    before = {row["id"]: row["key_id"] for row in await Attachment.select(Attachment.id, Attachment.key_id)}
    rotated = run_cli(settings, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "cases.attachments: 4 wrapped key(s) re-wrapped" in rotated.stdout
    assert "cases.case_keys: 4 wrapped key(s) re-wrapped" in rotated.stdout
    assert "publication.renditions: 1 wrapped key(s) re-wrapped" in rotated.stdout
    after = {row["id"]: row["key_id"] for row in await Attachment.select(Attachment.id, Attachment.key_id)}
    assert before.keys() == after.keys() and all(before[k] != after[k] for k in before)

    reconciled = run_cli(settings, "reconcile")
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    assert "Every referenced blob has its object." in reconciled.stdout

    verified = run_cli(settings, "custody", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("custody log verified:")


async def test_reconcile_reports_a_row_whose_object_is_gone(settings: Settings, engine: object) -> None:
    assert run_cli(settings, "seed-demo").returncode == 0
    row = await Attachment.select(Attachment.blob_id).first()
    objects = [p for p in Path(settings.data_dir / "vault").rglob(row["blob_id"])]
    assert len(objects) == 1
    objects[0].unlink()
    reconciled = run_cli(settings, "reconcile")
    assert reconciled.returncode == 1
    assert row["blob_id"] in reconciled.stdout
