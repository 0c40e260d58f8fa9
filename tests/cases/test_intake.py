"""Filing a case through the API: drafts, streamed evidence, downloads, submission and receipts."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from litestar import Litestar
from litestar.testing import AsyncTestClient

from integrity.app import create_app
from integrity.cases.tables import Attachment, Case
from integrity.custody.tables import CustodyEntry
from integrity.settings import Settings
from integrity.tables import all_tables
from tests import samples
from tests.factories import AccountFactory, Caller

NEW_CASE: dict[str, Any] = {
    "title": "Nameštena javna nabavka za rasvetu",
    "narrative": "Opštinska uprava je ugovor dodelila firmi povezanoj sa odbornikom.",
    "incident_date": "2026-03-14",
    "incident_date_precision": "day",
    "municipality": "cacak",
    "categories": ["procurement_public_money"],
    "actors": [
        {"name": "Javno komunalno preduzeće Primer", "kind": "company", "role": "institution_involved"},
        {"name": "Petar Izmišljenović", "kind": "person", "role": "witness", "protect_identity": True},
    ],
}


async def file_case(caller: Caller, **changes: Any) -> dict[str, Any]:
    response = await caller.post("/api/v1/cases", json={**NEW_CASE, **changes})
    assert response.status_code == 201, response.text
    return response.json()


async def upload(caller: Caller, case_id: str, files: list[tuple[str, bytes]]) -> Any:
    body, content_type = samples.multipart(files)
    return await caller.post(
        f"/api/v1/cases/{case_id}/attachments", content=body, headers={"content-type": content_type}
    )


async def test_a_member_files_a_case_with_three_files_and_gets_a_verifiable_receipt(
    accounts: AccountFactory,
) -> None:
    member = await accounts.as_role("member")
    case = await file_case(member)
    assert case["status"] == "draft"
    assert case["reference"].startswith("PR-20")
    assert "submit" in case["actions"]
    assert [a["name"] for a in case["actors"]] == ["Javno komunalno preduzeće Primer", "Petar Izmišljenović"]

    photo, document, note = samples.jpeg(b"photo"), samples.pdf("Zapisnik"), samples.text("beleska")
    response = await upload(
        member, case["id"], [("foto.jpg", photo), ("zapisnik.pdf", document), ("beleska.txt", note)]
    )
    assert response.status_code == 201, response.text
    stored = response.json()
    assert [(f["filename"], f["content_type"], f["size"]) for f in stored] == [
        ("foto.jpg", "image/jpeg", len(photo)),
        ("zapisnik.pdf", "application/pdf", len(document)),
        ("beleska.txt", "text/plain", len(note)),
    ]
    for item, content in zip(stored, (photo, document, note), strict=True):
        assert item["sha256"] == hashlib.sha256(content).hexdigest()
        download = await member.get(f"/api/v1/cases/{case['id']}/attachments/{item['id']}/content")
        assert download.status_code == 200
        assert download.content == content
        assert download.headers["content-disposition"].startswith("attachment;")
        assert download.headers["content-type"].startswith(item["content_type"])
        assert download.headers["content-security-policy"].startswith("sandbox")

    # A range comes back byte-identical too.
    ranged = await member.get(
        f"/api/v1/cases/{case['id']}/attachments/{stored[0]['id']}/content",
        headers={"range": "bytes=100-1099"},
    )
    assert ranged.status_code == 206
    assert ranged.content == photo[100:1100]
    assert ranged.headers["content-range"] == f"bytes 100-1099/{len(photo)}"

    submitted = await member.post(f"/api/v1/cases/{case['id']}/submit")
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["case"]["status"] == "submitted"
    receipt = body["receipt"]

    # Verify with nothing but the published public key.
    keys = (await accounts.anonymous().get("/api/v1/public/keys")).json()["keys"]
    public = {key["key_id"]: key["public_key"] for key in keys}[receipt["key_id"]]
    Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(
        base64.b64decode(receipt["signature"]), receipt["payload"].encode("utf-8")
    )
    payload = json.loads(receipt["payload"])
    assert receipt["payload"] == json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert payload["reference"] == case["reference"]
    assert payload["case_id"] == case["id"]
    assert [{k: f[k] for k in ("sha256", "size")} for f in payload["files"]] == [
        {"sha256": hashlib.sha256(c).hexdigest(), "size": len(c)} for c in (photo, document, note)
    ]
    entry = await CustodyEntry.select().where(CustodyEntry.seq == payload["custody_seq"]).first()
    assert entry["action"] == "case.submitted"
    # Each file's upload entry commits to its hash with the salt the receipt gives the member: with
    # both, anyone can check that the entry is about this very file (and without the salt, nobody
    # can test a guess of which document was filed).
    for item, filed in zip(payload["files"], stored, strict=True):
        upload_entry = await CustodyEntry.select().where(CustodyEntry.seq == filed["custody_seq"]).first()
        details = json.loads(upload_entry["details"])
        assert "sha256" not in details
        salted = hashlib.sha256(bytes.fromhex(item["sha256_salt"]) + bytes.fromhex(item["sha256"]))
        assert details["sha256_commitment"] == salted.hexdigest()
        assert upload_entry["at"].endswith("T00:00:00.000000Z")  # the day, not the moment
    again = await member.get(f"/api/v1/cases/{case['id']}/receipt")
    assert again.json() == receipt

    # Filed material is frozen.
    assert (await member.patch(f"/api/v1/cases/{case['id']}", json={"title": "Other"})).status_code == 409
    assert (await upload(member, case["id"], [("more.txt", samples.text())])).status_code == 409
    removal = await member.delete(f"/api/v1/cases/{case['id']}/attachments/{stored[0]['id']}")
    assert removal.status_code == 409
    assert (await member.post(f"/api/v1/cases/{case['id']}/submit")).status_code == 409


async def test_other_members_and_outsiders_cannot_tell_a_case_exists(accounts: AccountFactory) -> None:
    owner = await accounts.as_role("member")
    case = await file_case(owner)
    stored = (await upload(owner, case["id"], [("a.txt", samples.text())])).json()
    content = f"/api/v1/cases/{case['id']}/attachments/{stored[0]['id']}/content"
    other = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    admin = await accounts.as_role("admin")
    for caller in (other, reviewer, admin):  # a draft is the submitter's alone
        assert (await caller.get(f"/api/v1/cases/{case['id']}")).status_code == 404
        assert (await caller.get(content)).status_code == 404
    assert (await accounts.anonymous().get(f"/api/v1/cases/{case['id']}")).status_code == 401
    assert (await other.patch(f"/api/v1/cases/{case['id']}", json={"title": "x"})).status_code == 404
    assert (await upload(other, case["id"], [("b.txt", samples.text())])).status_code == 404
    assert (await other.post(f"/api/v1/cases/{case['id']}/submit")).status_code == 404

    await owner.post(f"/api/v1/cases/{case['id']}/submit")
    assert (await reviewer.get(f"/api/v1/cases/{case['id']}")).status_code == 200
    assert (await reviewer.get(content)).status_code == 200
    assert (await other.get(f"/api/v1/cases/{case['id']}")).status_code == 404
    assert (await admin.get(f"/api/v1/cases/{case['id']}")).status_code == 404
    # The review team reads the case but may not act as its submitter.
    assert (await reviewer.get(f"/api/v1/cases/{case['id']}/receipt")).status_code == 403


async def test_the_list_shows_members_their_own_and_the_team_every_filed_case(
    accounts: AccountFactory,
) -> None:
    alice = await accounts.as_role("member")
    bob = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    drafted = await file_case(alice, title="Prvi slučaj")
    filed = await file_case(alice, title="Drugi slučaj o zapošljavanju", categories=["employment_patronage"])
    await alice.post(f"/api/v1/cases/{filed['id']}/submit")
    await file_case(bob, title="Bobov slučaj", municipality="novi-sad")

    mine = (await alice.get("/api/v1/cases")).json()
    assert mine["total"] == 2 and {c["id"] for c in mine["items"]} == {drafted["id"], filed["id"]}
    team = (await reviewer.get("/api/v1/cases")).json()
    assert [c["id"] for c in team["items"]] == [filed["id"]]
    assert (await reviewer.get("/api/v1/cases", params={"category": "employment_patronage"})).json()[
        "total"
    ] == 1
    assert (await reviewer.get("/api/v1/cases", params={"category": "media_capture"})).json()["total"] == 0
    # Text search opens the sealed texts in the service; script and diacritics do not matter.
    assert (await alice.get("/api/v1/cases", params={"q": "ЗАПОШЉАВАЊУ"})).json()["total"] == 1
    assert (await alice.get("/api/v1/cases", params={"q": "zaposljavanju"})).json()["total"] == 1
    assert (await alice.get("/api/v1/cases", params={"status": "draft"})).json()["total"] == 1
    paged = (await alice.get("/api/v1/cases", params={"page_size": 1, "page": 2})).json()
    assert paged["total"] == 2 and len(paged["items"]) == 1 and paged["page"] == 2


async def test_drafts_can_be_edited_by_their_submitter(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    case = await file_case(member)
    response = await member.patch(
        f"/api/v1/cases/{case['id']}",
        json={
            "title": "  Ispravljen naslov ",
            "categories": ["media_capture", "media_capture"],
            "actors": [],
        },
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["title"] == "Ispravljen naslov"
    assert updated["categories"] == ["media_capture"]
    assert updated["actors"] == []
    assert updated["narrative"] == NEW_CASE["narrative"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"municipality": "atlantis"}, "municipality"),
        ({"categories": []}, "at least one category"),
        ({"categories": ["not_a_category"]}, "categories"),
        ({"incident_date": "2999-01-01"}, "future"),
        ({"title": "   "}, "title"),
        ({"actors": [{"role": "witness"}]}, "name and a kind"),
        (
            {"actors": [{"actor_id": "00000000-0000-0000-0000-000000000000", "role": "witness"}]},
            "no such actor",
        ),
    ],
)
async def test_bad_case_data_is_refused_with_a_clear_error(
    accounts: AccountFactory, change: dict[str, Any], message: str
) -> None:
    member = await accounts.as_role("member")
    response = await member.post("/api/v1/cases", json={**NEW_CASE, **change})
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert await Case.count() == 0


async def test_unknown_fields_and_wrong_types_are_refused(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    assert (await member.post("/api/v1/cases", json={**NEW_CASE, "status": "published"})).status_code in {
        400,
        422,
    }
    assert (await member.post("/api/v1/cases", json={**NEW_CASE, "categories": "x"})).status_code in {
        400,
        422,
    }
    assert await Case.count() == 0


async def test_references_are_unique_under_concurrent_filing(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    cases = await asyncio.gather(*(file_case(member) for _ in range(8)))
    numbers = sorted(int(case["reference"].rsplit("-", 1)[1]) for case in cases)
    assert numbers == list(range(1, 9))


async def test_a_refused_file_leaves_no_row_and_no_object(
    accounts: AccountFactory, settings: Settings
) -> None:
    member = await accounts.as_role("member")
    case = await file_case(member)
    response = await upload(
        member, case["id"], [("ok.txt", samples.text()), ("invoice.pdf", samples.windows_executable())]
    )
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "invoice" not in response.text
    assert await Attachment.count() == 0
    assert stored_objects(settings) == []


async def test_an_oversized_file_is_refused_while_streaming(settings: Settings, engine: Any) -> None:
    small = settings.with_overrides(max_upload_bytes=10_000)
    app = create_app(small, engine=engine)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        accounts = AccountFactory(app=app, client=client, settings=small)
        member = await accounts.as_role("member")
        case = await file_case(member)
        response = await upload(member, case["id"], [("big.txt", samples.text("x" * 20_000))])
        assert response.status_code == 413
        body, content_type = samples.multipart([("big.txt", samples.text("x" * 20_000))])
        declared = await member.post(
            f"/api/v1/cases/{case['id']}/attachments",
            content=body,
            headers={"content-type": content_type},
        )
        assert declared.status_code == 413
    assert await Attachment.count() == 0
    assert stored_objects(small) == []


async def test_uploads_that_are_not_files_are_refused(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    case = await file_case(member)
    as_json = await member.post(f"/api/v1/cases/{case['id']}/attachments", json={"file": "x"})
    assert as_json.status_code == 422
    body, content_type = samples.multipart([("a.txt", samples.text())], field="other")
    no_file = await member.post(
        f"/api/v1/cases/{case['id']}/attachments", content=body, headers={"content-type": content_type}
    )
    assert no_file.status_code == 422
    broken = await member.post(
        f"/api/v1/cases/{case['id']}/attachments",
        content=body[: len(body) // 2],
        headers={"content-type": content_type},
    )
    assert broken.status_code in {400, 422}
    assert await Attachment.count() == 0


async def test_deleting_a_draft_file_shreds_it(accounts: AccountFactory, settings: Settings) -> None:
    member = await accounts.as_role("member")
    case = await file_case(member)
    stored = (await upload(member, case["id"], [("a.txt", samples.text("obrisati"))])).json()
    assert len(stored_objects(settings)) == 1
    response = await member.delete(f"/api/v1/cases/{case['id']}/attachments/{stored[0]['id']}")
    assert response.status_code == 204
    assert await Attachment.count() == 0
    assert stored_objects(settings) == []
    actions = [
        row["action"] for row in await CustodyEntry.select(CustodyEntry.action).order_by(CustodyEntry.seq)
    ]
    assert actions == ["case.created", "attachment.uploaded", "attachment.deleted"]
    again = await member.delete(f"/api/v1/cases/{case['id']}/attachments/{stored[0]['id']}")
    assert again.status_code == 404


async def test_every_step_is_in_the_custody_log(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    case = await file_case(member)
    stored = (await upload(member, case["id"], [("a.txt", samples.text())])).json()
    await member.get(f"/api/v1/cases/{case['id']}/attachments/{stored[0]['id']}/content")
    await member.post(f"/api/v1/cases/{case['id']}/submit")
    rows = await CustodyEntry.select().order_by(CustodyEntry.seq)
    assert [row["action"] for row in rows] == [
        "case.created",
        "attachment.uploaded",
        "attachment.downloaded",
        "case.submitted",
    ]
    upload_entry = json.loads(rows[1]["details"])
    assert "sha256" not in upload_entry and len(upload_entry["sha256_commitment"]) == 64
    assert upload_entry["size"] == stored[0]["size"]
    assert stored[0]["custody_seq"] == rows[1]["seq"]
    assert all(str(member.member.id) not in row["actor"] for row in rows)
    # The same member's uploads to another case carry another pseudonym: entries that become public
    # with a published file cannot be used to group published cases by who filed them.
    other = await file_case(member)
    (again,) = (await upload(member, other["id"], [("b.txt", samples.text("drugi"))])).json()
    second = await CustodyEntry.select().where(CustodyEntry.seq == again["custody_seq"]).first()
    assert second["actor"] != rows[1]["actor"]
    assert (
        rows[0]["actor"]
        == (await CustodyEntry.select().where(CustodyEntry.action == "case.created"))[1]["actor"]
    )


async def test_a_database_dump_reveals_no_private_text(accounts: AccountFactory, settings: Settings) -> None:
    member = await accounts.as_role("member")
    secret_title = "Tajni naslov 7f3a9c"
    secret_story = "Tajna priča 5e1b2d"
    protected = "Zaštićeni Svedok 9d4e"
    case = await file_case(
        member,
        title=secret_title,
        narrative=secret_story,
        location_detail="Ulica bez imena 3c2f",
        actors=[{"name": protected, "kind": "person", "role": "witness", "protect_identity": True}],
    )
    await upload(member, case["id"], [("izvestaj-6a8b.txt", samples.text("sadržaj 1d9e"))])
    dump = await dump_database()
    for secret in (
        secret_title,
        secret_story,
        protected,
        "Ulica bez imena 3c2f",
        "izvestaj-6a8b",
        "sadržaj 1d9e",
    ):
        assert secret not in dump, secret
    shown = (await member.get(f"/api/v1/cases/{case['id']}")).json()
    assert shown["title"] == secret_title and shown["actors"][0]["name"] == protected


async def test_the_local_vault_holds_only_ciphertext_under_random_names(
    accounts: AccountFactory, settings: Settings
) -> None:
    member = await accounts.as_role("member")
    case = await file_case(member)
    marker = b"PLAINTEXT-MARKER-" + os.urandom(6).hex().encode()
    await upload(member, case["id"], [("dokaz.png", samples.png(marker)), ("note.txt", marker * 3000)])
    objects = stored_objects(settings)
    assert len(objects) == 2
    for path in objects:
        assert "dokaz" not in str(path) and case["id"] not in str(path)
        assert marker not in path.read_bytes()


def stored_objects(settings: Settings) -> list[Path]:
    root = settings.data_dir / "vault"
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


async def dump_database() -> str:
    parts = []
    for table in all_tables():
        for row in await table.select():
            parts.append(repr(row))
    return "\n".join(parts)


async def test_reference_lists_are_public(client: AsyncTestClient[Litestar]) -> None:
    municipalities = (await client.get("/api/v1/municipalities")).json()
    cacak = next(m for m in municipalities if m["code"] == "cacak")
    assert cacak["name_latn"] == "Čačak" and cacak["name_cyrl"] == "Чачак" and cacak["district"]
    categories = (await client.get("/api/v1/categories")).json()
    assert {c["code"] for c in categories} >= {"procurement_public_money", "other"}
    assert all(c["name_latn"] and c["name_cyrl"] and c["name_en"] for c in categories)


async def test_on_s3_the_bucket_holds_only_ciphertext_under_random_names(
    settings: Settings, engine: Any, s3_endpoint: Any
) -> None:
    import re
    import secrets

    bucket = "intake-" + secrets.token_hex(4)
    on_s3 = settings.with_overrides(
        storage="s3",
        s3=type(settings.s3)(
            endpoint=s3_endpoint.endpoint,
            access_key=s3_endpoint.access_key,
            secret_key=s3_endpoint.secret_key,
            bucket=bucket,
            secure=s3_endpoint.secure,
            region=s3_endpoint.region,
        ),
    )
    app = create_app(on_s3, engine=engine)
    marker = b"S3-PLAINTEXT-" + os.urandom(6).hex().encode()
    photo = samples.png(marker)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        accounts = AccountFactory(app=app, client=client, settings=on_s3)
        member = await accounts.as_role("member")
        case = await file_case(member)
        stored = (await upload(member, case["id"], [("tajna-fotografija.png", photo)])).json()
        back = await member.get(f"/api/v1/cases/{case['id']}/attachments/{stored[0]['id']}/content")
        assert back.content == photo
    minio_client = s3_endpoint.client()
    names = [item.object_name for item in minio_client.list_objects(bucket_name=bucket, recursive=True)]
    assert len(names) == 1
    assert re.fullmatch(r"blobs/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}", names[0]), names
    response = minio_client.get_object(bucket_name=bucket, object_name=names[0])
    try:
        stored_bytes = response.read()
    finally:
        response.close()
        response.release_conn()
    assert marker not in stored_bytes and photo[:64] not in stored_bytes
    minio_client.remove_object(bucket_name=bucket, object_name=names[0])
    minio_client.remove_bucket(bucket_name=bucket)


async def test_an_idempotency_key_makes_a_retried_upload_safe(
    accounts: AccountFactory, settings: Settings
) -> None:
    member = await accounts.as_role("member")
    case = await file_case(member)
    files = [("a.txt", samples.text("prvi")), ("b.png", samples.png())]
    body, content_type = samples.multipart(files)
    headers = {"content-type": content_type, "idempotency-key": "upload-7f3a"}
    first = await member.post(f"/api/v1/cases/{case['id']}/attachments", content=body, headers=headers)
    assert first.status_code == 201, first.text
    # The retry comes with a fresh boundary, as a new request from the client would.
    again_body, again_type = samples.multipart(files)
    again = await member.post(
        f"/api/v1/cases/{case['id']}/attachments",
        content=again_body,
        headers={"content-type": again_type, "idempotency-key": "upload-7f3a"},
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert await Attachment.count() == 2
    assert len(stored_objects(settings)) == 2

    other_body, other_type = samples.multipart([("a.txt", samples.text("drugi"))])
    other = await member.post(
        f"/api/v1/cases/{case['id']}/attachments",
        content=other_body,
        headers={"content-type": other_type, "idempotency-key": "upload-7f3a"},
    )
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    assert await Attachment.count() == 2 and len(stored_objects(settings)) == 2

    fresh = await member.post(
        f"/api/v1/cases/{case['id']}/attachments",
        content=other_body,
        headers={"content-type": other_type, "idempotency-key": "upload-8b1c"},
    )
    assert fresh.status_code == 201 and await Attachment.count() == 3
    # Keys belong to their member and case: another case may use the same key.
    second = await file_case(member)
    elsewhere = await member.post(
        f"/api/v1/cases/{second['id']}/attachments",
        content=other_body,
        headers={"content-type": other_type, "idempotency-key": "upload-7f3a"},
    )
    assert elsewhere.status_code == 201


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"municipality": "atlantis"}, "municipality_unknown", "municipality"),
        ({"categories": []}, "categories_missing", "categories"),
        ({"incident_date": "2999-01-01"}, "incident_date_future", "incident_date"),
        ({"title": "   "}, "text_empty", "title"),
        ({"actors": [{"role": "witness"}]}, "actor_incomplete", "actors"),
    ],
)
async def test_a_refusal_names_its_stable_code_and_the_field_at_fault(
    accounts: AccountFactory, change: dict[str, Any], code: str, field: str
) -> None:
    member = await accounts.as_role("member")
    response = await member.post("/api/v1/cases", json={**NEW_CASE, **change})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert (problem["code"], problem["field"]) == (code, field)


async def test_every_problem_document_has_a_code(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    unknown_case = await member.get("/api/v1/cases/00000000-0000-0000-0000-000000000000")
    assert unknown_case.status_code == 404 and unknown_case.json()["code"] == "case_not_found"
    no_route = await member.get("/api/v1/no-such-thing")
    assert no_route.status_code == 404 and no_route.json()["code"] == "not_found"
    wrong_type = await member.post("/api/v1/cases", json={**NEW_CASE, "categories": "x"})
    assert wrong_type.json()["code"] in {"validation_failed", "bad_request"}
    assert "field" not in no_route.json()


async def test_a_member_naming_the_same_person_never_gets_another_members_aliases(
    accounts: AccountFactory,
) -> None:
    first = await accounts.as_role("member")
    second = await accounts.as_role("member")
    # Member A's unsubmitted draft names a councillor, with a telling alias.
    drafted = await file_case(
        first,
        actors=[
            {
                "name": "Marko Izmišljenović",
                "kind": "person",
                "role": "alleged_perpetrator",
                "aliases": ["kum ministra Primerovića"],
            }
        ],
    )
    # Member B names the same person, spelt another way, with an alias of their own.
    named = await file_case(
        second,
        actors=[
            {
                "name": "marko izmisljenovic",
                "kind": "person",
                "role": "alleged_perpetrator",
                "aliases": ["Maki"],
            }
        ],
    )
    seen = (await second.get(f"/api/v1/cases/{named['id']}")).json()["actors"]
    assert [(a["name"], a["aliases"]) for a in seen] == [("marko izmisljenovic", ["Maki"])]
    assert "kum ministra" not in str(seen)
    # And A's view holds only what A typed.
    mine = (await first.get(f"/api/v1/cases/{drafted['id']}")).json()["actors"]
    assert [(a["name"], a["aliases"]) for a in mine] == [
        ("Marko Izmišljenović", ["kum ministra Primerovića"])
    ]
    # Filing matched nothing (matching is the review team's, `tests/review/test_actors.py`): each
    # case has an actor of its own, and no shared record was made.
    from integrity.cases.tables import Actor

    assert mine[0]["actor_id"] != seen[0]["actor_id"] and not seen[0]["shared"]
    assert await Actor.count().where(Actor.owner_case.is_null()) == 0
