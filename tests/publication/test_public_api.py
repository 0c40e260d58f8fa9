"""The public API as an outside reader sees it: list, search, filters, case files, files, actors,
statistics, exports, the feed, and HTTP caching."""

from __future__ import annotations

import csv
import datetime
import email.utils
import hashlib
import io
import json
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from integrity.accounts.authentication import SESSION_COOKIE
from integrity.publication.search import fts5_query, search_terms, tsquery
from tests import samples
from tests.publication.factories import PublishedCase, Publisher

BASE = datetime.datetime(2026, 2, 1, 12, 0, tzinfo=datetime.UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
Client = AsyncTestClient[Litestar]


def at(hours: int) -> datetime.datetime:
    return BASE + datetime.timedelta(hours=hours)


@pytest.fixture
def publisher(app: Litestar, client: Client) -> Publisher:
    return Publisher(app)


async def get_json(client: Client, url: str, **params: Any) -> Any:
    response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def references(client: Client, **params: Any) -> list[str]:
    page = await get_json(client, "/api/v1/public/cases", **params)
    return [item["reference"] for item in page["items"]]


# --- the list and search --------------------------------------------------------------------------


async def test_the_list_shows_current_revisions_newest_first_with_their_status(
    client: Client, publisher: Publisher
) -> None:
    first = await publisher.publish(title="Prvi slučaj", published_at=at(1))
    second = await publisher.publish(title="Drugi slučaj", published_at=at(2))
    third = await publisher.publish(title="Treći slučaj", published_at=at(3))
    # A correction is news: the corrected case moves up, showing its new revision only.
    await publisher.correct(
        first, note="Ispravljen naslov", title="Prvi slučaj, ispravljen", published_at=at(4)
    )
    await publisher.retract(second, note="Povučeno", at=at(5))

    page = await get_json(client, "/api/v1/public/cases")
    assert page["total"] == 3
    assert (page["page"], page["page_size"]) == (1, 20)
    items = {item["reference"]: item for item in page["items"]}
    assert [item["reference"] for item in page["items"]] == [
        first.reference,
        third.reference,
        second.reference,
    ]
    assert items[first.reference]["title"] == "Prvi slučaj, ispravljen"
    assert items[first.reference]["revision"] == 2
    assert items[second.reference]["status"] == "retracted"
    assert items[third.reference]["status"] == "published"
    assert set(items[third.reference]) >= {
        "reference",
        "title",
        "summary",
        "municipality",
        "categories",
        "incident_date",
        "published_at",
        "status",
    }
    assert items[third.reference]["published_at"] == "2026-02-01T15:00:00Z"


async def test_search_ignores_script_case_and_diacritics(client: Client, publisher: Publisher) -> None:
    wanted = await publisher.publish(
        title="Partijsko zapošljavanje u javnom preduzeću",
        shared_actors=[("Dragan Žmirić", "person")],
    )
    await publisher.publish(title="Nabavka školskih udžbenika", body="Bez veze sa ostalim.")

    for spelling in ("zaposljavanje", "Запошљавање", "ZAPOŠLJAVANJE", "zapošljavanje"):
        assert await references(client, q=spelling) == [wanted.reference], spelling
    # Actor names are searched too, in any script.
    for spelling in ("zmiric", "Žmirić", "Жмирић", "DRAGAN zmiric"):
        assert await references(client, q=spelling) == [wanted.reference], spelling


async def test_search_needs_every_word_and_matches_word_beginnings(
    client: Client, publisher: Publisher
) -> None:
    lights = await publisher.publish(
        title="Tender za rasvetu", summary="Rasveta.", body="Ugovora o rasveti je bilo više."
    )
    roads = await publisher.publish(title="Tender za puteve", summary="Putevi.", body="Asfaltiranje ulica.")

    assert set(await references(client, q="tender")) == {lights.reference, roads.reference}
    assert await references(client, q="tender rasvetu") == [lights.reference]
    # Serbian declines: a word's beginning finds its other forms.
    assert await references(client, q="ugovor") == [lights.reference]
    assert await references(client, q="asfalt") == [roads.reference]
    assert await references(client, q="nepostojeca rec") == []


async def test_search_ranks_the_more_relevant_case_first(client: Client, publisher: Publisher) -> None:
    relevant = await publisher.publish(
        title="Subvencije za firmu odbornika",
        summary="Subvencije su dodeljene bez konkursa.",
        body="Subvencije, subvencije i opet subvencije: sve je otišlo jednoj firmi.",
        published_at=at(1),
    )
    passing = await publisher.publish(
        title="Izveštaj o radu opštinske uprave",
        summary="Godišnji pregled.",
        body=(
            "Opštinska uprava je u toku godine radila na mnogo stvari, od puteva do škola, "
            "od vodovoda do kulture, a pomenute su i subvencije. " * 5
        ),
        published_at=at(2),
    )
    # Newest first without a query; most relevant first with one.
    assert await references(client) == [passing.reference, relevant.reference]
    assert await references(client, q="subvencije") == [relevant.reference, passing.reference]


@pytest.mark.parametrize(
    "q",
    [
        '"tender',
        "tender OR NOT rasveta",
        "NEAR(tender rasveta)",
        "tender*",
        "-tender",
        "title:tender",
        "tender' & !rasveta | (x:*",
        "\\' ; DROP TABLE published_revision; --",
        "^tender",
        "!!!",
    ],
)
async def test_search_syntax_in_the_query_is_only_text(client: Client, publisher: Publisher, q: str) -> None:
    case = await publisher.publish(title="Tender za rasvetu")
    response = await client.get("/api/v1/public/cases", params={"q": q})
    assert response.status_code == 200, response.text
    found = [item["reference"] for item in response.json()["items"]]
    if search_terms(q) and set(search_terms(q)) <= {"tender", "rasveta", "rasvetu"}:
        assert found == [case.reference]
    # The table is still there.
    assert await references(client) == [case.reference]


def test_query_words_are_quoted_for_both_engines() -> None:
    terms = search_terms('Žmirić "OR" NEAR(x)')
    assert terms == ["zmiric", "or", "near", "x"]
    assert fts5_query(terms) == '"zmiric"* "or"* "near"* "x"*'
    assert tsquery(terms) == "'zmiric':* & 'or':* & 'near':* & 'x':*"
    assert search_terms("  ,.;  ") == []


async def test_filters_narrow_the_list(client: Client, publisher: Publisher) -> None:
    cacak = await publisher.publish(
        title="Čačak 2024",
        municipality_code="cacak",
        categories=["procurement_public_money"],
        incident_date=datetime.date(2024, 6, 1),
        shared_actors=[("Gradska uprava Čačak", "institution")],
    )
    zemun = await publisher.publish(
        title="Zemun 2025",
        municipality_code="beograd-zemun",
        categories=["employment_patronage"],
        incident_date=datetime.date(2025, 1, 1),
    )
    nis = await publisher.publish(
        title="Niš 2025",
        municipality_code="nis-medijana",
        categories=["employment_patronage", "procurement_public_money"],
        incident_date=datetime.date(2025, 12, 31),
        shared_actors=[("Gradska uprava Čačak", "institution")],
    )
    actor = cacak.actor_ids["Gradska uprava Čačak"]
    assert nis.actor_ids["Gradska uprava Čačak"] == actor  # one shared actor

    assert await references(client, municipality="cacak") == [cacak.reference]
    assert await references(client, district="beograd") == [zemun.reference]
    assert await references(client, district="nisavski") == [nis.reference]
    assert set(await references(client, category="procurement_public_money")) == {
        cacak.reference,
        nis.reference,
    }
    assert set(await references(client, year=2025)) == {zemun.reference, nis.reference}
    assert await references(client, year=2024) == [cacak.reference]
    assert set(await references(client, actor=str(actor))) == {cacak.reference, nis.reference}
    assert await references(client, actor=str(actor), year=2025, category="employment_patronage") == [
        nis.reference
    ]
    assert await references(client, q="Niš", category="procurement_public_money") == [nis.reference]
    assert await references(client, municipality="nowhere") == []
    assert await references(client, actor=str(uuid.uuid4())) == []
    # The category filter matches whole codes, not parts of them.
    assert await references(client, category="procurement") == []

    for wrong in ({"year": "soon"}, {"page_size": 101}, {"page": 0}, {"actor": "someone"}):
        assert (await client.get("/api/v1/public/cases", params=wrong)).status_code in (400, 422), wrong


async def test_an_actor_filter_sees_only_current_revisions(client: Client, publisher: Publisher) -> None:
    case = await publisher.publish(title="Slučaj sa akterom", shared_actors=[("JKP Primer", "company")])
    actor = case.actor_ids["JKP Primer"]
    await publisher.correct(case, note="Akter uklonjen", actors=[])
    assert await references(client, actor=str(actor)) == []
    assert (await client.get(f"/api/v1/public/actors/{actor}")).status_code == 404


async def test_pages_split_the_list(client: Client, publisher: Publisher) -> None:
    cases = [await publisher.publish(title=f"Slučaj broj {n}", published_at=at(n)) for n in range(5)]
    newest_first = [c.reference for c in reversed(cases)]
    seen = []
    for page in (1, 2, 3):
        body = await get_json(client, "/api/v1/public/cases", page=page, page_size=2)
        assert (body["total"], body["page"], body["page_size"]) == (5, page, 2)
        seen += [item["reference"] for item in body["items"]]
    assert seen == newest_first
    beyond = await get_json(client, "/api/v1/public/cases", page=4, page_size=2)
    assert (beyond["items"], beyond["total"]) == ([], 5)
    searched = await get_json(client, "/api/v1/public/cases", q="slucaj", page=2, page_size=3)
    assert searched["total"] == 5
    assert len(searched["items"]) == 2


# --- one case file -------------------------------------------------------------------------------


async def test_a_case_file_shows_its_latest_revision_with_corrections_and_files(
    client: Client, publisher: Publisher
) -> None:
    photo = samples.png(width=16, height=12)
    document = samples.pdf("Javni dokument")
    case = await publisher.publish(
        title="Nabavka vozila",
        summary="Kratko.",
        body="Dugo telo teksta.",
        municipality_code="cacak",
        categories=["procurement_public_money"],
        incident_date=datetime.date(2025, 5, 1),
        precision="month",
        shared_actors=[("Opština Primer", "institution")],
        protected_actors=["Skriveni Svedok"],
        files=[photo, document],
        published_at=at(1),
    )
    await publisher.correct(
        case, note="Ispravljen iznos", body="Ispravljeno telo teksta.", published_at=at(2)
    )

    body = await get_json(client, f"/api/v1/public/cases/{case.reference}")
    assert body["reference"] == case.reference
    assert (body["revision"], body["latest_revision"]) == (2, 2)
    assert (body["title"], body["summary"], body["body"]) == (
        "Nabavka vozila",
        "Kratko.",
        "Ispravljeno telo teksta.",
    )
    assert (body["municipality"], body["district"]) == ("cacak", "moravicki")
    assert body["categories"] == ["procurement_public_money"]
    assert (body["incident_date"], body["incident_date_precision"]) == ("2025-05", "month")
    assert body["actors"] == [
        {
            "id": str(case.actor_ids["Opština Primer"]),
            "name": "Opština Primer",
            "kind": "institution",
            "role": "institution_involved",
            "aliases": [],
            "slug": f"opstina-primer-{case.actor_ids['Opština Primer'].hex[:12]}",
        }
    ]
    assert body["published_at"] == "2026-02-01T14:00:00Z"
    assert body["first_published_at"] == "2026-02-01T13:00:00Z"
    assert body["corrections"] == [
        {"revision": 2, "note": "Ispravljen iznos", "published_at": "2026-02-01T14:00:00Z"}
    ]
    assert body["status"] == "published"
    assert "retraction" not in body
    current_files = [f for f in case.files if f.revision == 2]
    assert [f["filename"] for f in body["files"]] == [f"{case.reference}-1.png", f"{case.reference}-2.pdf"]
    for shown, made in zip(body["files"], current_files, strict=True):
        assert shown["id"] == str(made.id)
        assert shown["sha256"] == made.sha256
        assert shown["size"] == len(made.content)
        assert shown["content_type"] in {"image/png", "application/pdf"}
        assert shown["custody_seq"] > shown["source_seq"] > 0
        # The proofs behind the file are public.
        entry = await get_json(client, f"/api/v1/public/custody/entries/{shown['custody_seq']}")
        assert entry["entry"]["details"]["sha256"] == made.sha256
        assert (await client.get(f"/api/v1/public/custody/entries/{shown['source_seq']}")).status_code == 200

    old = await get_json(client, f"/api/v1/public/cases/{case.reference}/revisions/1")
    assert (old["revision"], old["latest_revision"], old["body"]) == (1, 2, "Dugo telo teksta.")
    assert old["corrections"] == body["corrections"]
    assert [f["id"] for f in old["files"]] == [str(f.id) for f in case.files if f.revision == 1]
    again = await get_json(client, f"/api/v1/public/cases/{case.reference}/revisions/2")
    assert again == body


async def test_a_retracted_case_stays_up_with_its_notice(client: Client, publisher: Publisher) -> None:
    case = await publisher.publish(title="Povučeni slučaj", files=[samples.png()])
    await publisher.retract(case, note="Izvor je povukao izjavu.", at=at(10))
    body = await get_json(client, f"/api/v1/public/cases/{case.reference}")
    assert body["status"] == "retracted"
    assert body["retraction"] == {"note": "Izvor je povukao izjavu.", "retracted_at": "2026-02-01T22:00:00Z"}
    assert body["title"] == "Povučeni slučaj"


async def test_unknown_and_unpublished_references_are_not_found(
    client: Client, publisher: Publisher, app: Litestar
) -> None:
    case = await publisher.publish()
    # A case that was filed and submitted but never published.
    member = await publisher.member()
    from integrity.cases import service, submission
    from integrity.cases.schemas import CaseIn

    draft = await service.create_case(
        publisher.ctx,
        member,
        CaseIn(
            title="Neobjavljeno",
            narrative="Nije za javnost.",
            incident_date=datetime.date(2025, 1, 1),
            municipality="cacak",
            categories=["other"],
        ),
    )
    await submission.submit_case(publisher.ctx, member, draft.id)
    for url in (
        "/api/v1/public/cases/IN-2099-9999",
        f"/api/v1/public/cases/{draft.reference}",
        f"/api/v1/public/cases/{draft.reference}/revisions/1",
        f"/api/v1/public/cases/{case.reference}/revisions/2",
        f"/api/v1/public/cases/{case.reference}/revisions/0",
        f"/api/v1/public/cases/{draft.reference}/files/{uuid.uuid4()}",
    ):
        response = await client.get(url)
        assert response.status_code == 404, url
        assert response.json()["status"] == 404
    assert draft.reference not in await references(client)


# --- published files ------------------------------------------------------------------------------


async def test_a_published_file_downloads_with_its_hash_as_etag(client: Client, publisher: Publisher) -> None:
    photo = samples.png(width=32, height=32)
    case = await publisher.publish(files=[photo])
    made = case.files[0]
    url = f"/api/v1/public/cases/{case.reference}/files/{made.id}"

    response = await client.get(url)
    assert response.status_code == 200
    assert response.content == photo
    headers = response.headers
    assert headers["content-type"] == "image/png"
    assert headers["content-disposition"] == f"attachment; filename*=UTF-8''{case.reference}-1.png"
    assert headers["etag"] == f'"{made.sha256}"'
    assert headers["cache-control"].startswith("public, max-age=")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"].startswith("sandbox")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "set-cookie" not in headers

    cached = await client.get(url, headers={"if-none-match": f'"{made.sha256}"'})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == f'"{made.sha256}"'
    assert (await client.get(url, headers={"if-none-match": '"other"'})).status_code == 200


async def test_files_of_every_revision_download_and_nothing_else_does(
    client: Client, publisher: Publisher
) -> None:
    case = await publisher.publish(files=[samples.png()])
    other = await publisher.publish(files=[samples.png(width=4, height=4)])
    await publisher.correct(case, note="Nova verzija")
    old, new = case.files[0], case.files[1]
    assert (old.revision, new.revision) == (1, 2)
    for made in (old, new):
        response = await client.get(f"/api/v1/public/cases/{case.reference}/files/{made.id}")
        assert response.status_code == 200
        assert response.content == made.content
    # Another case's file under this reference, a made-up id, or not an id at all.
    assert (
        await client.get(f"/api/v1/public/cases/{case.reference}/files/{other.files[0].id}")
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/public/cases/{case.reference}/files/{uuid.uuid4()}")
    ).status_code == 404
    assert (await client.get(f"/api/v1/public/cases/{case.reference}/files/not-an-id")).status_code in (
        400,
        404,
    )


# --- actors --------------------------------------------------------------------------------------


async def test_an_actor_page_lists_the_published_cases_that_name_them(
    client: Client, publisher: Publisher
) -> None:
    first = await publisher.publish(
        title="Prvi", shared_actors=[("Javno preduzeće Vodovod", "company")], published_at=at(1)
    )
    second = await publisher.publish(
        title="Drugi",
        shared_actors=[("Javno preduzeće Vodovod", "company")],
        protected_actors=["Zaštićeni Svedok"],
        published_at=at(2),
    )
    await publisher.publish(title="Treći, bez aktera", published_at=at(3))
    actor = first.actor_ids["Javno preduzeće Vodovod"]

    body = await get_json(client, f"/api/v1/public/actors/{actor}")
    assert (body["id"], body["name"], body["kind"]) == (str(actor), "Javno preduzeće Vodovod", "company")
    assert [c["reference"] for c in body["cases"]] == [second.reference, first.reference]
    assert body["cases"][0]["title"] == "Drugi"
    # Their role in each case, by its reference.
    assert body["roles"] == {
        second.reference: "institution_involved",
        first.reference: "institution_involved",
    }

    protected = second.protected_actor_ids["Zaštićeni Svedok"]
    for unknown in (protected, uuid.uuid4()):
        response = await client.get(f"/api/v1/public/actors/{unknown}")
        assert response.status_code == 404
        assert "Zaštićeni" not in response.text


# --- statistics, exports, feed -------------------------------------------------------------------


async def test_stats_count_current_published_cases(client: Client, publisher: Publisher) -> None:
    await publisher.publish(
        municipality_code="cacak",
        categories=["procurement_public_money", "employment_patronage"],
        incident_date=datetime.date(2024, 3, 1),
    )
    corrected = await publisher.publish(
        municipality_code="cacak",
        categories=["employment_patronage"],
        incident_date=datetime.date(2025, 3, 1),
    )
    await publisher.correct(corrected, note="Kategorija", categories=["procurement_public_money"])
    await publisher.publish(
        municipality_code="beograd-zemun", categories=["other"], incident_date=datetime.date(2025, 7, 1)
    )
    retracted = await publisher.publish(municipality_code="ada", categories=["other"])
    await publisher.retract(retracted, note="Povučeno")

    body = await get_json(client, "/api/v1/public/stats")
    assert body == {
        "total": 3,
        "retracted": 1,
        "by_category": {"employment_patronage": 1, "other": 1, "procurement_public_money": 2},
        "by_municipality": {"beograd-zemun": 1, "cacak": 2},
        "by_district": {"beograd": 1, "moravicki": 2},
        "by_year": {"2024": 1, "2025": 2},
    }


TRICKY = 'Navodnici "ovde", zarezi, i\nnovi red; ćirilica: Ђорђе'


async def test_the_csv_export_parses_with_a_header_row(client: Client, publisher: Publisher) -> None:
    photo, document = samples.png(), samples.pdf()
    first = await publisher.publish(title=TRICKY, summary='=HYPERLINK("x")', files=[photo, document])
    second = await publisher.publish(title="Drugi", categories=["other", "employment_patronage"])
    await publisher.correct(second, note="Ispravka", title="Drugi, ispravljen")
    await publisher.retract(second, note="Povučeno")

    response = await client.get("/api/v1/public/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == [
        "reference",
        "revision",
        "title",
        "summary",
        "body",
        "municipality",
        "district",
        "categories",
        "incident_date",
        "incident_date_precision",
        "published_at",
        "status",
        "file_sha256s",
        "url",
        "file_urls",
        "municipality_name_latn",
        "municipality_name_cyrl",
        "district_name_latn",
        "district_name_cyrl",
        "actors",
        "referrals",
    ]
    by_reference = {row["reference"]: row for row in rows}
    assert set(by_reference) == {first.reference, second.reference}
    row = by_reference[first.reference]
    assert row["title"] == TRICKY
    assert row["summary"] == '\'=HYPERLINK("x")'  # never a live formula in a spreadsheet
    assert row["file_sha256s"].split(";") == [f.sha256 for f in first.files]
    assert (row["revision"], row["status"], row["district"]) == ("1", "published", "moravicki")
    corrected = by_reference[second.reference]
    assert (corrected["revision"], corrected["title"], corrected["status"]) == (
        "2",
        "Drugi, ispravljen",
        "retracted",
    )
    assert corrected["categories"] == "other;employment_patronage"


async def test_the_json_export_holds_every_current_revision(client: Client, publisher: Publisher) -> None:
    first = await publisher.publish(title=TRICKY, summary="=1+1", files=[samples.png()])
    second = await publisher.publish(title="Drugi")
    await publisher.correct(second, note="Ispravka", title="Drugi, ispravljen")
    body = await get_json(client, "/api/v1/public/export.json")
    assert body["total"] == 2
    items = {item["reference"]: item for item in body["items"]}
    assert items[first.reference]["title"] == TRICKY
    assert items[first.reference]["summary"] == "=1+1"  # JSON carries the text as published
    assert items[first.reference]["file_sha256s"] == [first.files[0].sha256]
    assert (items[second.reference]["revision"], items[second.reference]["title"]) == (2, "Drugi, ispravljen")
    assert set(items[first.reference]) == {
        "reference",
        "revision",
        "title",
        "summary",
        "body",
        "municipality",
        "district",
        "categories",
        "incident_date",
        "incident_date_precision",
        "published_at",
        "status",
        "file_sha256s",
        "url",
        "file_urls",
        "municipality_name_latn",
        "municipality_name_cyrl",
        "district_name_latn",
        "district_name_cyrl",
        "actors",
        "referrals",
    }


async def test_the_feed_has_publications_corrections_and_retractions_newest_first(
    client: Client, publisher: Publisher
) -> None:
    first = await publisher.publish(
        title="Prvi <slučaj> & više", summary="Sažetak prvog.", published_at=at(1)
    )
    second = await publisher.publish(title="Drugi", published_at=at(2))
    await publisher.correct(first, note="Ispravljen datum", published_at=at(3))
    await publisher.retract(second, note="Povučeno zbog greške", at=at(4))

    response = await client.get("/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == "http://testserver.local/feed.atom"
    self_link = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"][0]
    assert self_link.get("href") == "http://testserver.local/feed.atom"
    entries = root.findall(f"{ATOM}entry")
    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    # Without a language asked for, the platform's own: Serbian in Latin script.
    assert titles == ["Opozvano: Drugi", "Ispravka: Prvi <slučaj> & više", "Drugi", "Prvi <slučaj> & više"]
    kinds = [entry.find(f"{ATOM}category").get("term") for entry in entries]  # type: ignore[union-attr]
    assert kinds == ["retracted", "corrected", "published", "published"]
    # An Atom link without rel is an alternate link.
    links = [[link.get("href") for link in entry.findall(f"{ATOM}link")] for entry in entries]
    assert links == [[f"http://testserver.local/cases/{c.reference}"] for c in (second, first, second, first)]
    assert "Povučeno zbog greške" in (entries[0].findtext(f"{ATOM}summary") or "")
    assert "Ispravljen datum" in (entries[1].findtext(f"{ATOM}summary") or "")
    assert len({entry.findtext(f"{ATOM}id") for entry in entries}) == 4
    assert entries[0].findtext(f"{ATOM}updated", "").startswith("2026-02-01T16:00:00")


async def test_the_feed_keeps_the_fifty_newest_events(client: Client, publisher: Publisher) -> None:
    case = await publisher.publish(title="Mnogo ispravki", published_at=at(0))
    for n in range(1, 55):
        await publisher.correct(case, note=f"Ispravka {n}", published_at=at(n))
    root = ET.fromstring((await client.get("/feed.atom")).content)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 50
    assert entries[0].findtext(f"{ATOM}summary", "").startswith("Ispravka 54")


async def test_an_empty_platform_answers_every_list(client: Client) -> None:
    assert (await get_json(client, "/api/v1/public/cases"))["total"] == 0
    assert (await get_json(client, "/api/v1/public/stats"))["total"] == 0
    assert (await get_json(client, "/api/v1/public/export.json")) == {"items": [], "total": 0}
    csv_body = (await client.get("/api/v1/public/export.csv")).content.decode("utf-8-sig")
    assert csv_body.startswith("reference,revision,")
    root = ET.fromstring((await client.get("/feed.atom")).content)
    assert root.findall(f"{ATOM}entry") == []


# --- HTTP caching --------------------------------------------------------------------------------

CACHED_URLS = (
    "/api/v1/public/cases",
    "/api/v1/public/cases?q=slucaj",
    "/api/v1/public/cases/{reference}",
    "/api/v1/public/cases/{reference}/revisions/1",
    "/api/v1/public/actors/{actor}",
    "/api/v1/public/stats",
    "/api/v1/public/export.csv",
    "/api/v1/public/export.json",
    "/feed.atom",
)


def cached_urls(case: PublishedCase) -> list[str]:
    actor = next(iter(case.actor_ids.values()))
    return [url.format(reference=case.reference, actor=actor) for url in CACHED_URLS]


async def test_every_public_answer_is_cacheable_and_revalidates(client: Client, publisher: Publisher) -> None:
    case = await publisher.publish(title="Slučaj za keš", shared_actors=[("Opština Keš", "institution")])
    for url in cached_urls(case):
        response = await client.get(url)
        assert response.status_code == 200, url
        headers = response.headers
        assert headers["cache-control"] == "public, max-age=60", url
        etag, last_modified = headers["etag"], headers["last-modified"]
        assert etag.startswith('"') and not etag.startswith("W/"), url
        assert email.utils.parsedate_to_datetime(last_modified).tzinfo is not None
        assert "set-cookie" not in headers, url

        by_etag = await client.get(url, headers={"if-none-match": etag})
        assert by_etag.status_code == 304, url
        assert by_etag.content == b""
        assert by_etag.headers["etag"] == etag
        assert by_etag.headers["cache-control"] == "public, max-age=60"
        assert (await client.get(url, headers={"if-none-match": f'"x", W/{etag}'})).status_code == 304
        assert (await client.get(url, headers={"if-none-match": '"stale"'})).status_code == 200

        by_date = await client.get(url, headers={"if-modified-since": last_modified})
        assert by_date.status_code == 304, url
        earlier = email.utils.format_datetime(
            email.utils.parsedate_to_datetime(last_modified) - datetime.timedelta(seconds=1), usegmt=True
        )
        assert (await client.get(url, headers={"if-modified-since": earlier})).status_code == 200
        assert (await client.get(url, headers={"if-modified-since": "not a date"})).status_code == 200
        # An ETag that does not match wins over a date that would.
        both = await client.get(url, headers={"if-none-match": '"stale"', "if-modified-since": last_modified})
        assert both.status_code == 200


async def test_a_change_changes_the_validators(client: Client, publisher: Publisher) -> None:
    case = await publisher.publish(title="Pre ispravke", published_at=at(1))
    before = await client.get(f"/api/v1/public/cases/{case.reference}")
    listing = await client.get("/api/v1/public/cases")
    await publisher.correct(case, note="Ispravka", title="Posle ispravke", published_at=at(2))
    after = await client.get(
        f"/api/v1/public/cases/{case.reference}", headers={"if-none-match": before.headers["etag"]}
    )
    assert after.status_code == 200
    assert after.json()["title"] == "Posle ispravke"
    assert after.headers["last-modified"] == "Sun, 01 Feb 2026 14:00:00 GMT"
    relisted = await client.get("/api/v1/public/cases", headers={"if-none-match": listing.headers["etag"]})
    assert relisted.status_code == 200


async def test_a_members_session_gets_no_cookie_on_a_public_answer(
    client: Client, publisher: Publisher, accounts: Any
) -> None:
    await publisher.publish()
    member = await accounts.as_role("member")
    # A caller whose CSRF cookie is missing would normally be handed one; not on a shared answer.
    response = await client.get(
        "/api/v1/public/cases", headers={"cookie": f"{SESSION_COOKIE}={member.session_token}"}
    )
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    assert json.loads(response.content)["total"] == 1


async def test_the_incident_date_is_public_only_as_precisely_as_it_was_known(
    client: Client, publisher: Publisher
) -> None:
    """A member who knew only the year must not have the day it is stored under published."""
    case = await publisher.publish(
        title="Godina samo", incident_date=datetime.date(2025, 11, 17), precision="year"
    )
    body = await get_json(client, f"/api/v1/public/cases/{case.reference}")
    assert (body["incident_date"], body["incident_date_precision"]) == ("2025", "year")
    listed = await get_json(client, "/api/v1/public/cases")
    assert [item["incident_date"] for item in listed["items"]] == ["2025"]
    for url in ("/api/v1/public/export.csv", "/api/v1/public/export.json", f"/cases/{case.reference}"):
        text = (await client.get(url)).text
        assert "2025-11" not in text and "17.11" not in text and "17. 11" not in text, url
    exported = await get_json(client, "/api/v1/public/export.json")
    assert [row["incident_date"] for row in exported["items"]] == ["2025"]


async def test_search_finds_places_in_both_scripts_and_inflected_words(
    client: Client, publisher: Publisher
) -> None:
    """Readers search as they speak: by the town ("Kraljevo", "Краљево", "u Kraljevu", the district)
    and by any form of a word ("ugovora" finds "ugovor"), on SQLite and PostgreSQL alike."""
    kraljevo = await publisher.publish(
        title="Škola bez popravke",
        summary="Opština je potpisala ugovor sa firmom.",
        municipality_code="kraljevo",
    )
    elsewhere = await publisher.publish(
        title="Pritisak na novinare",
        summary="Urednici su dobili pretnje.",
        municipality_code="beograd-vracar",
    )
    for q in (
        "Kraljevo",
        "Краљево",
        "kraljevu",
        "raški okrug",
        "ugovora",
        "УГОВОРА",
        "ugovorom kraljevo",
        "popravku",
    ):
        found = [item["reference"] for item in (await get_json(client, "/api/v1/public/cases", q=q))["items"]]
        assert found == [kraljevo.reference], q
    assert [
        i["reference"] for i in (await get_json(client, "/api/v1/public/cases", q="novinara"))["items"]
    ] == [elsewhere.reference]
    assert (await get_json(client, "/api/v1/public/cases", q="ugovora Vračar"))["items"] == []


async def test_the_search_migration_indexes_revisions_published_before_it(
    client: Client, publisher: Publisher
) -> None:
    """Revisions published before place names and stems were indexed are indexed again by the
    migration that brought them in."""
    import importlib

    from integrity.publication.tables import PublishedRevision
    from integrity.reference import fold

    case = await publisher.publish(title="Tender", summary="Potpisan ugovor.", municipality_code="kraljevo")
    old_style = fold("Tender Potpisan ugovor.")
    await PublishedRevision.update({PublishedRevision.search_text: old_style}).where(
        PublishedRevision.reference == case.reference
    )
    assert (await get_json(client, "/api/v1/public/cases", q="Kraljevo"))["items"] == []
    migration = importlib.import_module("migrations.integrity_2026_12_09t00_00_00_000000")
    await migration._reindex()
    found = (await get_json(client, "/api/v1/public/cases", q="Краљеву"))["items"]  # not the cached answer
    assert [item["reference"] for item in found] == [case.reference]


async def test_feeds_per_municipality_category_and_actor_in_the_readers_language(
    client: Client, publisher: Publisher
) -> None:
    import feedparser

    kraljevo = await publisher.publish(
        title="Tender za školu",
        municipality_code="kraljevo",
        categories=["procurement_public_money"],
        shared_actors=[("Opština Primerovo", "institution")],
    )
    await publisher.publish(
        title="Pritisak na novinare", municipality_code="cacak", categories=["media_capture"]
    )
    await publisher.correct(kraljevo, note="Ispravljen iznos.", title="Tender za školu (ispravljeno)")

    async def feed(**params: str) -> Any:
        response = await client.get("/feed.atom", params=params)
        assert response.status_code == 200, response.text
        assert b'<?xml-stylesheet type="text/css" href="/static/css/feed.css"?>' in response.content
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, parsed.bozo_exception
        return parsed

    local = await feed(municipality="kraljevo", lang="en")
    assert local.feed.title == "Integrity Network: cases in Kraljevo"
    assert [e.title for e in local.entries] == [
        "Correction: Tender za školu (ispravljeno)",
        "Tender za školu",
    ]
    assert all(kraljevo.reference in e.link for e in local.entries)
    topic = await feed(category="media_capture", lang="en")
    assert [e.title for e in topic.entries] == ["Pritisak na novinare"]
    actor = await feed(actor=str(kraljevo.actor_ids["Opština Primerovo"]), lang="en")
    assert actor.feed.title == "Integrity Network: cases naming Opština Primerovo" and len(actor.entries) == 2
    everything = await feed(lang="en")
    assert len(everything.entries) == 3
    # In Serbian Cyrillic: the subtitle and the published titles in the reader's script.
    cyrillic = await feed(municipality="kraljevo", lang="sr-Cyrl")
    assert "Краљево" in cyrillic.feed.title and "Тендер за школу" in cyrillic.entries[1].title
    assert cyrillic.feed.subtitle != everything.feed.subtitle
    # An unknown place is no feed.
    assert (await client.get("/feed.atom", params={"municipality": "atlantis"})).status_code == 404


async def test_the_export_of_a_search_holds_exactly_what_the_search_shows(
    client: Client, publisher: Publisher
) -> None:
    import csv as csv_module

    kraljevo = await publisher.publish(
        title="Ugovor za školu",
        body="Opis.",
        municipality_code="kraljevo",
        shared_actors=[("Opština Primerovo", "institution")],
        files=[samples.png()],
    )
    await publisher.publish(title="Ugovor za most", body="Opis.", municipality_code="cacak")
    await publisher.publish(title="Pritisak na novinare", body="Opis.", municipality_code="kraljevo")

    for params in (
        {"q": "ugovora"},
        {"municipality": "kraljevo"},
        {"q": "ugovor", "municipality": "kraljevo"},
    ):
        shown = await get_json(client, "/api/v1/public/cases", **params, page_size=100)
        exported = await get_json(client, "/api/v1/public/export.json", **params)
        assert sorted(i["reference"] for i in shown["items"]) == [
            r["reference"] for r in exported["items"]
        ], params
    everything = await get_json(client, "/api/v1/public/export.json")
    assert everything["total"] == 3

    row = next(r for r in everything["items"] if r["reference"] == kraljevo.reference)
    assert row["url"] == f"http://testserver.local/cases/{kraljevo.reference}"
    assert row["municipality_name_latn"] == "Kraljevo" and row["municipality_name_cyrl"] == "Краљево"
    assert row["district_name_latn"] and row["district_name_cyrl"]
    assert [(a["name"], a["role"]) for a in row["actors"]] == [("Opština Primerovo", "institution_involved")]
    [file_url] = row["file_urls"]
    assert file_url.startswith(f"http://testserver.local/api/v1/public/cases/{kraljevo.reference}/files/")
    downloaded = await client.get(file_url.removeprefix("http://testserver.local"))
    assert (
        downloaded.status_code == 200
        and hashlib.sha256(downloaded.content).hexdigest() == row["file_sha256s"][0]
    )

    response = await client.get("/api/v1/public/export.csv", params={"municipality": "kraljevo"})
    table = list(csv_module.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(r["reference"] for r in table) == sorted([kraljevo.reference, "IN-2026-0003"])
    first = next(r for r in table if r["reference"] == kraljevo.reference)
    assert (
        first["municipality_name_cyrl"] == "Краљево"
        and first["actors"] == "Opština Primerovo (institution_involved)"
    )
