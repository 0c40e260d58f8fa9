"""The public pages through the test client: search in either script, filters, the case file with
its revisions, corrections and retraction, actor pages, statistics drawn as SVG, the about page with
the keys, and /verify for receipts and files (uploaded and hashed, or hashed in the browser)."""

from __future__ import annotations

import datetime
import hashlib
import json
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests import samples
from tests.factories import AccountFactory
from tests.publication.factories import Publisher
from tests.web.helpers import HTML, NO_HEADER, file_case, multipart_form, post_form, visible_text


async def test_search_filters_and_the_case_file(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    publisher = Publisher(app)
    png = samples.png(b"published")
    case = await publisher.publish(
        title="Žmirić i tender za vrtić",
        summary="Ugovor je dobila firma povezana sa odbornikom.",
        shared_actors=[("Opštinska uprava Čačak", "institution")],
        protected_actors=["Tajni Svedok"],
        files=[png],
    )
    await publisher.publish(
        title="Pritisak na novinare", municipality_code="beograd-vracar", categories=["media_capture"]
    )
    await publisher.correct(case, note="Ispravljen datum.", title="Žmirić i tender za vrtić (ispravljeno)")

    home = await client.get("/?lang=en", headers=HTML)
    assert home.status_code == 200 and "Pritisak na novinare" in home.text
    for query in ("q=Жмирић", "q=zmiric", "q=ŽMIRIĆ"):
        found = await client.get(f"/?{query}&lang=en", headers=HTML)
        assert case.reference in found.text and "Pritisak" not in found.text, query
    cyrillic = await client.get("/?q=Жмирић&lang=sr-Cyrl", headers=HTML)
    assert "Жмирић и тендер за вртић" in cyrillic.text
    filtered = await client.get("/?municipality=beograd-vracar&lang=en", headers=HTML)
    assert "Pritisak na novinare" in filtered.text and case.reference not in filtered.text
    assert case.reference not in (await client.get("/?category=media_capture", headers=HTML)).text
    assert case.reference not in (await client.get("/?year=2019", headers=HTML)).text
    assert case.reference in (await client.get("/?district=moravicki", headers=HTML)).text

    page = await client.get(f"/cases/{case.reference}?lang=en", headers=HTML)
    text = visible_text(page.text)
    # The place and the categories lead to the cases that share them.
    assert (
        'href="/municipalities/cacak"' in page.text
        and 'href="/categories/procurement_public_money"' in page.text
    )
    assert page.status_code == 200 and "(ispravljeno)" in text and "Ispravljen datum." in text
    assert (
        hashlib.sha256(png).hexdigest() in page.text
        and f"/verify?sha256={hashlib.sha256(png).hexdigest()}" in page.text
    )
    # A published image is shown in the page, not only linked.
    shown = re.search(r'<figure class="inline-file"><img loading="lazy" src="([^"]+)"', page.text)
    assert (
        shown
        and hashlib.sha256((await client.get(shown.group(1))).content).hexdigest()
        == hashlib.sha256(png).hexdigest()
    )
    assert "Tajni Svedok" not in page.text and "Interni naslov" not in page.text
    older = await client.get(f"/cases/{case.reference}?revision=1&lang=en", headers=HTML)
    assert "not the latest one" in older.text and "(ispravljeno)" not in older.text
    actor_id = case.actor_ids["Opštinska uprava Čačak"]
    actor = await client.get(f"/actors/{actor_id}", headers=HTML)
    assert actor.status_code == 200 and case.reference in actor.text
    assert f"/feed.atom?actor={actor_id}&amp;lang=" in actor.text
    # A filtered list links to the feed of what it shows.
    assert "/feed.atom?municipality=beograd-vracar&amp;lang=en" in filtered.text

    await publisher.retract(case, note="Izvor je povukao izjavu.")
    retracted = await client.get(f"/cases/{case.reference}?lang=en", headers=HTML)
    assert "This case file was retracted" in retracted.text and "Izvor je povukao izjavu." in retracted.text

    missing = await client.get("/cases/IN-2026-9999?lang=en", headers=HTML)
    assert missing.status_code == 404 and "<html" in missing.text


async def test_public_pages_are_cacheable_with_etags(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    first = await client.get("/stats", headers=HTML)
    assert first.headers["cache-control"] == "public, max-age=60"
    assert first.headers["vary"] == "Cookie" and "set-cookie" not in first.headers
    again = await client.get("/stats", headers={**HTML, "if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    # A member's copy names them: never shared.
    member = await accounts.as_role("member")
    mine = await member.get("/", headers=HTML)
    assert mine.headers["cache-control"].startswith("private")


async def test_statistics_are_drawn_as_svg(client: AsyncTestClient[Litestar], app: Litestar) -> None:
    publisher = Publisher(app)
    await publisher.publish(categories=["procurement_public_money", "employment_patronage"])
    await publisher.publish(categories=["procurement_public_money"], municipality_code="novi-sad")
    page = await client.get("/stats?lang=en", headers=HTML)
    assert page.status_code == 200
    assert page.text.count('<svg class="chart"') == 3 and page.text.count('class="chart-bar"') == 5
    assert "Public procurement and public money: 2" in page.text and "<script" not in page.text


async def test_about_lists_the_keys(client: AsyncTestClient[Litestar]) -> None:
    keys = (await client.get("/api/v1/public/keys")).json()["keys"]
    page = await client.get("/about?lang=en", headers=HTML)
    assert page.status_code == 200 and keys[0]["public_key"] in page.text and keys[0]["key_id"] in page.text


async def test_verify_a_receipt_and_a_file(
    client: AsyncTestClient[Litestar], app: Litestar, accounts: AccountFactory
) -> None:
    member = await accounts.as_role("member")
    filed = await file_case(member, files=[("a.txt", samples.text("receipt"))])
    case_id = filed.headers["location"].rsplit("/", 1)[1].split("#")[0]
    await post_form(member, f"/app/cases/{case_id}/submit", {}, follow=False)
    receipt = (await member.get(f"/app/cases/{case_id}/receipt.json")).text

    visitor = accounts.anonymous()
    await client.get("/verify")
    visitor.csrf_token = client.cookies.get("csrftoken")
    cookie = {"cookie": f"csrftoken={visitor.csrf_token}"}
    good = await client.post(
        "/verify/receipt?lang=en",
        data={"_csrf_token": visitor.csrf_token, "receipt": receipt},
        headers={**HTML, **NO_HEADER, **cookie},
    )
    assert good.status_code == 200 and "The signature is valid" in good.text
    # The filing time reads as a time, in the platform's zone; the exact value is kept in the markup.
    submitted = json.loads(json.loads(receipt)["payload"])["submitted_at"]
    shown = good.text.split(f'<time datetime="{submitted}">')[1].split("</time>")[0]
    assert shown and submitted not in shown and submitted[:4] in shown
    altered = json.loads(receipt)
    altered["payload"] = altered["payload"].replace('"size":', '"size":1')
    bad = await client.post(
        "/verify/receipt?lang=en",
        data={"_csrf_token": visitor.csrf_token, "receipt": json.dumps(altered)},
        headers={**HTML, **NO_HEADER, **cookie},
    )
    assert bad.status_code == 422 and "The receipt does not verify." in bad.text

    png = samples.png(b"verify me")
    await Publisher(app).publish(title="Proverljiv slučaj", files=[png])
    body, content_type = multipart_form([], [("copy.png", png)], csrf=visitor.csrf_token)
    checked = await client.post(
        "/verify/file?lang=en",
        content=body,
        headers={"content-type": content_type, **HTML, **NO_HEADER, **cookie},
    )
    assert checked.status_code == 200 and hashlib.sha256(png).hexdigest() in checked.text
    assert "This file is published with" in checked.text and "Proverljiv slučaj" in checked.text
    other = await client.get(f"/verify?sha256={'0' * 64}&lang=en", headers=HTML)
    assert "No published file has this hash" in other.text

    # A case page links to /verify?sha256=...: a link can carry any hash, so that page says nothing
    # was checked (the result of a check shows only where this browser just hashed a file), and
    # the copy chosen there is compared with the file the visitor came to check.
    wanted = hashlib.sha256(png).hexdigest()
    linked = await client.get(f"/verify?sha256={wanted}&lang=en", headers=HTML)
    shown = visible_text(re.sub(r"<div data-hashed-here=.*?</div>\s*</div>", "", linked.text, flags=re.S))
    assert "Nothing has been checked yet" in shown and "Proverljiv slučaj" in shown
    assert (
        "This file is published with" not in shown
        and "notice-success" not in linked.text.split("data-not-checked")[1]
    )
    assert f'name="expected" value="{wanted}"' in linked.text
    for copy, verdict in [
        (png, "Your file is exactly the published file you came to check."),
        (samples.png(b"another"), "Your file is not the published file you came to check"),
    ]:
        body, content_type = multipart_form(
            [("expected", wanted)], [("copy.png", copy)], csrf=visitor.csrf_token
        )
        answer = await client.post(
            "/verify/file?lang=en",
            content=body,
            headers={"content-type": content_type, **HTML, **NO_HEADER, **cookie},
        )
        assert answer.status_code == 200 and verdict in visible_text(answer.text)


async def test_verify_finds_a_file_of_a_revision_a_correction_replaced(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    publisher = Publisher(app)
    first, second = samples.png(b"as first published"), samples.png(b"as corrected")
    case = await publisher.publish(title="Ispravljeni prilog", files=[first])
    replacement = await publisher._rendition(
        case.submitter, {"id": case.attachment_ids[0], "custody_seq": 1}, second
    )
    await publisher.correct(case, note="Zamenjen prilog.", renditions=[replacement])

    old = await client.get(f"/verify?sha256={hashlib.sha256(first).hexdigest()}&lang=en", headers=HTML)
    assert "A file with this SHA-256 is published with" in old.text
    assert (
        f'href="/cases/{case.reference}?revision=1"' in old.text and "revision 1, since corrected" in old.text
    )
    new = await client.get(f"/verify?sha256={hashlib.sha256(second).hexdigest()}&lang=en", headers=HTML)
    assert f'href="/cases/{case.reference}"' in new.text and "since corrected" not in new.text
    serbian = await client.get(
        f"/verify?sha256={hashlib.sha256(first).hexdigest()}&lang=sr-Latn", headers=HTML
    )
    assert "revizija 1, u međuvremenu ispravljena" in serbian.text


async def test_the_year_filter_offers_the_years_of_shown_cases(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    publisher = Publisher(app)
    await publisher.publish(title="Stari tender", incident_date=datetime.date(2023, 5, 2))
    await publisher.publish(title="Novi tender", incident_date=datetime.date(2025, 1, 9))
    await publisher.publish(title="Drugi novi tender", incident_date=datetime.date(2025, 11, 30))
    withdrawn = await publisher.publish(title="Povučen tender", incident_date=datetime.date(2021, 3, 3))
    await publisher.retract(withdrawn, note="Povučeno.")

    home = await client.get("/?lang=en", headers=HTML)
    offered = re.findall(r'<option value="(\d{4})"', home.text)
    assert offered == ["2025", "2023"]


async def test_the_cyrillic_page_leaves_technical_latin_alone(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    case = await Publisher(app).publish(
        title="Tender za vrtić",
        body="Zapisnik (zapisnik.pdf) ima SHA-256 zbir a3f9c2d1e0 i oznaku IN-2026-0042; kodiran je u UTF-8.",
        files=[samples.png()],
    )
    page = visible_text((await client.get(f"/cases/{case.reference}?lang=sr-Cyrl", headers=HTML)).text)
    assert (
        "Записник (zapisnik.pdf) има SHA-256 збир a3f9c2d1e0 и ознаку IN-2026-0042; кодиран је у UTF-8."
        in page
    )
    assert "СХА" not in page and "Тендер за вртић" in page


async def test_facets_count_what_they_lead_to_and_a_district_narrows_the_places(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    publisher = Publisher(app)
    for title, place, topic, year in [
        ("Tender za vrtić", "kraljevo", "procurement_public_money", 2025),
        ("Tender za školu", "kraljevo", "employment_patronage", 2024),
        ("Tender za most", "cacak", "procurement_public_money", 2025),
        ("Pritisak na novinare", "cacak", "media_capture", 2025),
    ]:
        await publisher.publish(
            title=title,
            body="Opis slučaja.",
            municipality_code=place,
            categories=[topic],
            incident_date=datetime.date(year, 5, 2),
        )

    def options(html: str, name: str) -> dict[str, int]:
        select = html.split(f'<select id="{name}" name="{name}">')[1].split("</select>")[0]
        return {
            value: int(count)
            for value, count in re.findall(r'<option value="([^"]+)"[^>]*>[^<]*\((\d+)\)</option>', select)
        }

    page = (await client.get("/?q=tender&lang=en", headers=HTML)).text
    facets = {name: options(page, name) for name in ("municipality", "category", "year", "district")}
    assert facets["municipality"] == {"kraljevo": 2, "cacak": 1}
    assert facets["category"] == {"procurement_public_money": 2, "employment_patronage": 1}
    assert facets["year"] == {"2025": 2, "2024": 1}
    # Every count is the number of cases its choice shows.
    for name, counts in facets.items():
        for value, count in counts.items():
            shown = (await client.get(f"/?q=tender&{name}={value}&lang=en", headers=HTML)).text
            found = re.search(r"(\d+) case files? found", visible_text(shown))
            assert found and int(found.group(1)) == count, (name, value)
    # A district offers only its own municipalities; the search can be cleared in one step.
    narrowed = (await client.get("/?district=raski&lang=en", headers=HTML)).text
    municipalities = narrowed.split('<select id="municipality" name="municipality">')[1].split("</select>")[0]
    assert 'value="kraljevo"' in municipalities and 'value="cacak"' not in municipalities
    assert '<a href="/">Clear the search and all filters</a>' in narrowed
    # Oldest first, on request.
    oldest = (await client.get("/?order=oldest&lang=en", headers=HTML)).text
    assert oldest.index("Tender za vrtić") < oldest.index("Pritisak na novinare")


async def test_municipality_district_and_category_pages_list_count_and_feed_their_cases(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    import feedparser

    publisher = Publisher(app)
    for title, place, topic, year in [
        ("Tender za vrtić", "kraljevo", "procurement_public_money", 2025),
        ("Zapošljavanje u domu zdravlja", "kraljevo", "employment_patronage", 2024),
        ("Tender za most", "cacak", "procurement_public_money", 2025),
        ("Pritisak na novinare", "novi-pazar", "media_capture", 2025),
    ]:
        await publisher.publish(
            title=title,
            body="Opis slučaja.",
            municipality_code=place,
            categories=[topic],
            incident_date=datetime.date(year, 5, 2),
        )

    kraljevo = await client.get("/municipalities/kraljevo?lang=en", headers=HTML)
    assert kraljevo.status_code == 200
    text = visible_text(kraljevo.text)
    assert "Kraljevo" in text and "2 published case files" in text
    assert "Tender za vrtić" in text and "Zapošljavanje u domu zdravlja" in text
    assert "Tender za most" not in text
    # Its district is a link; its numbers are drawn; its feed holds its events only.
    assert 'href="/districts/raski"' in kraljevo.text and '<svg class="chart"' in kraljevo.text
    feed_link = re.search(r'href="(/feed\.atom\?municipality=kraljevo[^"]*)"', kraljevo.text)
    assert feed_link
    feed = feedparser.parse((await client.get(feed_link.group(1).replace("&amp;", "&"))).text)
    assert not feed.bozo and {entry.title for entry in feed.entries} == {
        "Tender za vrtić",
        "Zapošljavanje u domu zdravlja",
    }
    # Its open data holds exactly the cases the page lists.
    exported = (await client.get("/api/v1/public/export.json?municipality=kraljevo")).json()
    assert sorted(item["title"] for item in exported["items"]) == [
        "Tender za vrtić",
        "Zapošljavanje u domu zdravlja",
    ]

    raski = await client.get("/districts/raski?lang=sr-Cyrl", headers=HTML)
    text = visible_text(raski.text)
    assert "Рашки" in text and "3" in text and "Pritisak" not in raski.text and "Притисак на новинаре" in text
    for code, name, count in [("kraljevo", "Краљево", 2), ("novi-pazar", "Нови Пазар", 1)]:
        assert f'href="/municipalities/{code}">{name}</a> <span class="count">({count})' in raski.text
    district_feed = feedparser.parse((await client.get("/feed.atom?district=raski")).text)
    titles = {entry.title for entry in district_feed.entries}
    assert len(titles) == 3 and "Tender za most" not in titles

    procurement = await client.get("/categories/procurement_public_money?lang=en", headers=HTML)
    text = visible_text(procurement.text)
    assert "2 published case files" in text and "Tender za most" in text and "Pritisak" not in text
    # The list links each case's place and categories to their pages.
    assert 'href="/municipalities/cacak"' in procurement.text
    assert 'href="/categories/procurement_public_money"' in procurement.text

    # A code that names nothing is a page that does not exist.
    for missing in ("/municipalities/atlantida", "/districts/nigde", "/categories/nista"):
        assert (await client.get(missing, headers=HTML)).status_code == 404, missing
    assert (await client.get("/feed.atom?district=nigde")).status_code == 404


async def test_a_published_pdf_is_read_in_the_page_one_picture_per_page(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    import io

    from PIL import Image

    pages = [Image.new("RGB", (600, 800), "white"), Image.new("RGB", (600, 800), (200, 0, 0))]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:])
    case = await Publisher(app).publish(title="Zapisnik sa sednice", files=[buffer.getvalue()])

    public = (await client.get(f"/api/v1/public/cases/{case.reference}")).json()
    (pdf,) = public["files"]
    assert (pdf["content_type"], pdf["pages"]) == ("application/pdf", 2)
    page = await client.get(f"/cases/{case.reference}?lang=en", headers=HTML)
    base = f"/api/v1/public/cases/{case.reference}/files/{pdf['id']}/pages"
    assert f'src="{base}/1.png"' in page.text and f'src="{base}/2.png"' in page.text
    assert "Page 2 of 2" in visible_text(page.text)

    second = await client.get(f"{base}/2.png")
    assert second.status_code == 200 and second.headers["content-type"] == "image/png"
    picture = Image.open(io.BytesIO(second.content)).convert("RGB")
    assert picture.getpixel((picture.width // 2, picture.height // 2)) == (200, 0, 0)
    first = Image.open(io.BytesIO((await client.get(f"{base}/1.png")).content)).convert("RGB")
    assert first.getpixel((first.width // 2, first.height // 2)) == (255, 255, 255)
    # Pages that are not there, and names that are not pages.
    for missing in ("3.png", "0.png", "1.jpg", "x.png"):
        assert (await client.get(f"{base}/{missing}")).status_code == 404, missing
