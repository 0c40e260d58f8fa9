"""A case published by the review team's own flow, read back through the public API."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET

from integrity.reference import fold
from tests.factories import AccountFactory, files_read
from tests.publication.test_publishing import (
    WITNESS,
    act,
    change_publicly,
    draft,
    redact_files,
    verified_case,
)


async def test_what_the_team_publishes_is_what_the_public_reads(accounts: AccountFactory) -> None:
    case, reviewer, editor, files = await verified_case(accounts)
    case_id, reference = case["id"], case["reference"]
    photo, _pdf, note = files
    view = (await reviewer.get(f"/api/v1/cases/{case_id}")).json()
    company = next(a for a in view["actors"] if not a["protect_identity"])
    await redact_files(reviewer, case_id, files)
    saved = await reviewer.put(
        f"/api/v1/cases/{case_id}/publication",
        json=draft(files, "Prema rečima svedoka, ugovor je nameštena.", [company["actor_id"]]),
    )
    assert saved.status_code == 200, saved.text
    assert (await files_read(reviewer, case_id))["leak_check"]["ok"]
    preview = (await reviewer.get(f"/api/v1/cases/{case_id}/publication/preview")).json()
    # The public reference is given at publication, in the order of publication; the preview
    # shows the one it will get.
    reference = preview["reference"]
    assert reference.startswith("IN-") and reference != case["reference"]
    public = accounts.anonymous()
    assert (await public.get(f"/api/v1/public/cases/{reference}")).status_code == 404

    assert (await act(editor, case_id, "approve")).status_code == 200
    assert (await act(editor, case_id, "publish")).status_code == 200

    shown = (await public.get(f"/api/v1/public/cases/{reference}")).json()
    for field in (
        "reference",
        "title",
        "summary",
        "body",
        "municipality",
        "categories",
        "incident_date",
    ):
        assert shown[field] == preview[field], field
    # Each actor as previewed; the public copy adds the actor page's address.
    assert [{k: v for k, v in a.items() if k != "slug"} for a in shown["actors"]] == preview["actors"]
    assert [(f["sha256"], f["size"], f["content_type"]) for f in shown["files"]] == [
        (f["sha256"], f["size"], f["content_type"]) for f in preview["files"]
    ]
    for item in shown["files"]:
        response = await public.get(f"/api/v1/public/cases/{reference}/files/{item['id']}")
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == item["sha256"]
        entry = (await public.get(f"/api/v1/public/custody/entries/{item['custody_seq']}")).json()
        assert entry["entry"]["details"]["sha256"] == item["sha256"]

    # Found in every script, by the shared actor too; the protected witness finds nothing.
    for q in ("nameštena rasvete", "НАМЕШТЕНА РАСВЕТЕ", "namestena", fold(company["name"])):
        found = (await public.get("/api/v1/public/cases", params={"q": q})).json()
        assert [item["reference"] for item in found["items"]] == [reference], q
    assert (await public.get("/api/v1/public/cases", params={"q": WITNESS})).json()["total"] == 0
    actor_page = (await public.get(f"/api/v1/public/actors/{company['actor_id']}")).json()
    assert [c["reference"] for c in actor_page["cases"]] == [reference]

    retracted = await change_publicly(accounts, editor, case_id, "retract", "Izvor je povukao izjavu.")
    assert retracted.status_code == 200
    after = (await public.get(f"/api/v1/public/cases/{reference}")).json()
    assert after["retraction"]["note"] == "Izvor je povukao izjavu."
    feed = ET.fromstring((await public.get("/feed.atom?lang=en")).content)
    titles = [
        e.findtext("{http://www.w3.org/2005/Atom}title")
        for e in feed.iter("{http://www.w3.org/2005/Atom}entry")
    ]
    assert titles[0].startswith("Retracted: ")

    everything = [
        await public.get(url)
        for url in (
            f"/api/v1/public/cases/{reference}",
            "/api/v1/public/cases",
            "/api/v1/public/export.csv",
            "/api/v1/public/export.json",
            "/feed.atom",
            f"/api/v1/public/actors/{company['actor_id']}",
        )
    ]
    private = [
        WITNESS,
        fold(WITNESS),
        note["sha256"],
        case_id,
        view["narrative"],
        photo["sha256"],
        photo["filename"],
    ]
    for response in everything:
        text = response.content.decode("utf-8-sig")
        for secret in private:
            assert secret not in text and fold(secret) not in fold(text), (str(response.url), secret)
    assert json.loads(everything[0].content)["status"] == "retracted"
