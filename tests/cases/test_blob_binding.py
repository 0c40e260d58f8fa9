"""A blob reference swapped in the database (one case serving another case's evidence) is caught:
the download is refused before a byte goes, and `custody verify` and `reconcile` name the rows;
for rows made before bindings, through the custody entry of their upload."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from integrity.cases.tables import Attachment
from integrity.settings import Settings
from tests import samples
from tests.cases.test_intake import file_case, upload
from tests.factories import AccountFactory, run_integrity

SWAPPED = ("blob_id", "wrapped_key", "key_id", "size", "sha256")


async def two_files(accounts: AccountFactory) -> tuple[Any, list[tuple[str, str]]]:
    member = await accounts.as_role("member")
    files = []
    for text in ("prvi dokaz", "drugi dokaz, iz drugog slučaja"):
        case = await file_case(member)
        stored = await upload(member, case["id"], [("dokaz.txt", samples.text(text))])
        assert stored.status_code == 201, stored.text
        files.append((case["id"], stored.json()[0]["id"]))
    return member, files


async def swap(first: str, second: str, *, with_bindings: bool = False) -> None:
    columns = [getattr(Attachment, name) for name in SWAPPED]
    if with_bindings:
        columns.append(Attachment.blob_binding_sealed)
    one = await Attachment.select(*columns).where(Attachment.id == uuid.UUID(first)).first()
    other = await Attachment.select(*columns).where(Attachment.id == uuid.UUID(second)).first()
    # Blob ids are unique: out of the way first, as an attacker would.
    await Attachment.update({Attachment.blob_id: "0" * 32}).where(Attachment.id == uuid.UUID(first))
    await Attachment.update({getattr(Attachment, k): v for k, v in one.items()}).where(
        Attachment.id == uuid.UUID(second)
    )
    await Attachment.update({getattr(Attachment, k): v for k, v in other.items()}).where(
        Attachment.id == uuid.UUID(first)
    )


@pytest.mark.parametrize("how", ["bound", "bindings swapped too", "filed before bindings"])
async def test_a_swapped_blob_reference_is_refused_and_reported(
    accounts: AccountFactory, settings: Settings, how: str
) -> None:
    member, [(first_case, first), (second_case, second)] = await two_files(accounts)
    before = await member.get(f"/api/v1/cases/{first_case}/attachments/{first}/content")
    assert before.status_code == 200 and "prvi dokaz" in before.text
    assert run_integrity(settings, "custody", "verify").returncode == 0
    if how == "filed before bindings":
        await Attachment.update({Attachment.blob_binding_sealed: None}).where(
            Attachment.id.is_in([uuid.UUID(first), uuid.UUID(second)])
        )
    await swap(first, second, with_bindings=how == "bindings swapped too")

    refused = await member.get(f"/api/v1/cases/{first_case}/attachments/{first}/content")
    assert refused.status_code == 500 and refused.json()["code"] == "blob_swapped"
    assert "drugi dokaz" not in refused.text
    assert (await member.get(f"/api/v1/cases/{second_case}/attachments/{second}/content")).status_code == 500

    verified = run_integrity(settings, "custody", "verify")
    assert verified.returncode == 2
    assert f"attachment:{first}" in verified.stderr and f"attachment:{second}" in verified.stderr
    reconciled = run_integrity(settings, "reconcile")
    assert reconciled.returncode == 1 and f"attachment:{first}" in reconciled.stdout
