"""The public cache (`integrity.publication.cache`): published answers are served from memory, and a
publication, correction or retraction is seen by the next reader, never an old revision."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from integrity.publication.cache import ENTRY_OVERHEAD, CachedAnswer, PublicCache
from integrity.publication.tables import PublicCase
from integrity.settings import Settings
from tests.cases.test_intake import file_case
from tests.factories import AccountFactory, Caller
from tests.publication.factories import Publisher
from tests.publication.test_publishing import act, change_publicly

Client = AsyncTestClient[Litestar]
LIST = "/api/v1/public/cases"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # No look at the database for changes made elsewhere during a test: only the workflow's own
    # invalidation can make a cached answer fresh, which is what these tests are about.
    return settings.with_overrides(public_cache_seconds=3600)


def public_draft(title: str, body: str) -> dict[str, Any]:
    return {
        "public_title": title,
        "public_summary": "Ugovor je dodeljen povezanoj firmi.",
        "public_body": body,
        "public_actor_ids": [],
        "attachments": [],
    }


async def approved_case(accounts: AccountFactory) -> tuple[dict[str, Any], Caller, Caller]:
    """A case through review with a complete public draft (no files), approved, not yet published."""
    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    case = await file_case(member)
    assert (await member.post(f"/api/v1/cases/{case['id']}/submit")).status_code == 200
    assert (await act(reviewer, case["id"], "start_review")).status_code == 200
    assert (await act(reviewer, case["id"], "verify")).status_code == 200
    saved = await reviewer.put(
        f"/api/v1/cases/{case['id']}/publication",
        json=public_draft("Nameštena nabavka rasvete", "Prva verzija javnog teksta."),
    )
    assert saved.status_code == 200 and saved.json()["leak_check"]["ok"], saved.text
    assert (await act(editor, case["id"], "approve")).status_code == 200
    # The reference the public will know it by (given at publication, in the order of publication).
    preview = await reviewer.get(f"/api/v1/cases/{case['id']}/publication/preview")
    case["reference"] = preview.json()["reference"]
    return case, reviewer, editor


async def read_all(public: Caller, reference: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The case JSON, the case page and the list's item, as an anonymous reader gets them."""
    shown = await public.get(f"{LIST}/{reference}")
    page = await public.get(f"/cases/{reference}")
    listed = await public.get(LIST)
    assert shown.status_code == page.status_code == listed.status_code == 200
    item = next(i for i in listed.json()["items"] if i["reference"] == reference)
    return shown.json(), page.text, item


def cache_of(app: Litestar) -> PublicCache:
    cache: PublicCache = app.state.public_cache
    return cache


async def test_a_correction_is_served_at_once_by_the_json_the_page_and_the_list(
    app: Litestar, accounts: AccountFactory
) -> None:
    case, reviewer, editor = await approved_case(accounts)
    assert (await act(editor, case["id"], "publish")).status_code == 200
    public = accounts.anonymous()
    shown, page, item = await read_all(public, case["reference"])
    assert shown["revision"] == 1 and "Prva verzija javnog teksta." in page
    # Read twice: the second answers come from the cache (same bytes, nothing rebuilt).
    again = await public.get(f"{LIST}/{case['reference']}")
    assert again.headers["etag"] == (await public.get(f"{LIST}/{case['reference']}")).headers["etag"]
    assert len(cache_of(app)) >= 3

    await reviewer.put(
        f"/api/v1/cases/{case['id']}/publication",
        json=public_draft("Nameštena nabavka rasvete, ispravljeno", "Druga verzija javnog teksta."),
    )
    corrected = await change_publicly(accounts, editor, case["id"], "correct", "Ispravljen iznos ugovora.")
    assert corrected.status_code == 200

    shown, page, item = await read_all(public, case["reference"])
    assert shown["revision"] == 2 and shown["body"] == "Druga verzija javnog teksta."
    assert [c["note"] for c in shown["corrections"]] == ["Ispravljen iznos ugovora."]
    assert "Druga verzija javnog teksta." in page and "Prva verzija javnog teksta." not in page
    assert "Ispravljen iznos ugovora." in page
    assert item["title"] == "Nameštena nabavka rasvete, ispravljeno" and item["revision"] == 2
    # The first revision stays readable at its own address.
    first = await public.get(f"{LIST}/{case['reference']}/revisions/1")
    assert first.json()["body"] == "Prva verzija javnog teksta."


async def test_a_retraction_is_served_at_once_by_the_json_the_page_and_the_list(
    app: Litestar, accounts: AccountFactory
) -> None:
    case, _reviewer, editor = await approved_case(accounts)
    assert (await act(editor, case["id"], "publish")).status_code == 200
    public = accounts.anonymous()
    shown, page, item = await read_all(public, case["reference"])
    assert shown["status"] == item["status"] == "published" and shown.get("retraction") is None
    stats = (await public.get("/api/v1/public/stats")).json()
    assert (stats["total"], stats["retracted"]) == (1, 0)

    retracted = await change_publicly(accounts, editor, case["id"], "retract", "Izvor je povukao izjavu.")
    assert retracted.status_code == 200

    shown, page, item = await read_all(public, case["reference"])
    assert shown["status"] == item["status"] == "retracted"
    assert shown["retraction"]["note"] == "Izvor je povukao izjavu."
    assert "Izvor je povukao izjavu." in page
    stats = (await public.get("/api/v1/public/stats")).json()
    assert (stats["total"], stats["retracted"]) == (0, 1)


async def test_nothing_unpublished_is_cached_and_a_publication_shows_at_once(
    app: Litestar, accounts: AccountFactory
) -> None:
    case, _reviewer, editor = await approved_case(accounts)
    public = accounts.anonymous()
    reference = case["reference"]
    before = len(cache_of(app))
    for _ in range(2):
        assert (await public.get(f"{LIST}/{reference}")).status_code == 404
        assert (await public.get(f"/cases/{reference}")).status_code == 404
    assert (await public.get(LIST)).json()["total"] == 0
    # The refusals were not kept; only the (empty) list was.
    assert len(cache_of(app)) == before + 1

    assert (await act(editor, case["id"], "publish")).status_code == 200
    shown, page, item = await read_all(public, reference)
    assert shown["title"] == item["title"] == "Nameštena nabavka rasvete"
    assert "Prva verzija javnog teksta." in page


async def test_a_members_page_is_never_cached_nor_served_a_readers_copy(
    app: Litestar, accounts: AccountFactory
) -> None:
    case, reviewer, editor = await approved_case(accounts)
    assert (await act(editor, case["id"], "publish")).status_code == 200
    page_path = f"/cases/{case['reference']}"
    logout = 'action="/logout"'
    anonymous = await accounts.anonymous().get(page_path)
    assert anonymous.headers["cache-control"].startswith("public") and logout not in anonymous.text

    own = await reviewer.get(page_path)
    assert own.headers["cache-control"].startswith("private") and logout in own.text
    after = await accounts.anonymous().get(page_path)
    assert logout not in after.text and after.headers["etag"] == anonymous.headers["etag"]
    # A language chosen by `?lang=` is answered privately (it sets a cookie), never from the cache.
    english = await accounts.anonymous().get(page_path, params={"lang": "en"})
    assert english.headers["cache-control"].startswith("private")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_change_made_by_another_process_is_seen_after_the_revalidation_interval(
    app: Litestar, client: Client
) -> None:
    clock = Clock()
    app.state.public_cache = PublicCache(max_bytes=1 << 24, revalidate_seconds=5, clock=clock)
    published = await Publisher(app).publish(title="Slučaj drugog procesa")
    url = f"{LIST}/{published.reference}"
    assert (await client.get(url)).json()["status"] == "published"

    # Another replica retracts the case: this process hears nothing of it.
    now = datetime.datetime.now(datetime.UTC)
    await PublicCase.update(
        {
            PublicCase.retracted: True,
            PublicCase.retraction_note: "Povučeno u drugom procesu.",
            PublicCase.retracted_at: now,
            PublicCase.updated_at: now,
        }
    ).where(PublicCase.id == published.public_case_id)
    # Until the interval is over the cached answer stands (as a shared cache's max-age would)...
    clock.now += 4
    assert (await client.get(url)).json()["status"] == "published"
    # ...and then the changed fingerprint of `public_case` empties the cache.
    clock.now += 2
    shown = (await client.get(url)).json()
    assert shown["status"] == "retracted" and shown["retraction"]["note"] == "Povučeno u drugom procesu."


# --- the cache on its own ------------------------------------------------------------------------


def answer(body: bytes) -> CachedAnswer:
    return CachedAnswer.of(body, "application/json", cache_control="public, max-age=60")


class Fingerprint:
    def __init__(self) -> None:
        self.value = 1
        self.reads = 0

    async def __call__(self) -> tuple[Any, ...]:
        self.reads += 1
        return (self.value,)


async def test_the_fingerprint_is_read_at_most_once_per_interval_and_a_change_empties_the_cache() -> None:
    clock, fingerprint = Clock(), Fingerprint()
    cache = PublicCache(max_bytes=1 << 20, revalidate_seconds=1, fingerprint=fingerprint, clock=clock)
    built: list[str] = []

    async def build(body: bytes) -> CachedAnswer:
        built.append(body.decode())
        return answer(body)

    assert (await cache.answer("a", lambda: build(b"one"))).body == b"one"
    assert (await cache.answer("a", lambda: build(b"two"))).body == b"one"
    assert fingerprint.reads == 1 and built == ["one"]
    fingerprint.value = 2
    clock.now += 1
    assert (await cache.answer("a", lambda: build(b"three"))).body == b"three"
    assert fingerprint.reads == 2


async def test_an_answer_built_across_an_invalidation_is_not_kept() -> None:
    cache = PublicCache(max_bytes=1 << 20, revalidate_seconds=60, fingerprint=Fingerprint(), clock=Clock())
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_old_revision() -> CachedAnswer:
        started.set()
        await release.wait()
        return answer(b"revision 1")

    building = asyncio.create_task(cache.answer("case", slow_old_revision))
    await started.wait()
    cache.invalidate()  # a correction committed while revision 1 was being read
    release.set()
    assert (await building).body == b"revision 1"
    assert (await cache.answer("case", lambda: asyncio.sleep(0, answer(b"revision 2")))).body == b"revision 2"


async def test_the_cache_keeps_to_its_budget_least_recently_used_out_first() -> None:
    body = b"x" * 1000
    budget = 8 * (len(body) + ENTRY_OVERHEAD)
    cache = PublicCache(max_bytes=budget, revalidate_seconds=60, fingerprint=Fingerprint(), clock=Clock())
    for key in range(8):
        await cache.answer(key, lambda: asyncio.sleep(0, answer(body)))
    await cache.answer(0, lambda: asyncio.sleep(0, answer(b"rebuilt")))  # 0 is now the most recent
    await cache.answer(8, lambda: asyncio.sleep(0, answer(body)))
    assert cache.size <= cache.max_bytes
    assert (await cache.answer(0, lambda: asyncio.sleep(0, answer(b"rebuilt")))).body == body
    assert (await cache.answer(1, lambda: asyncio.sleep(0, answer(b"rebuilt")))).body == b"rebuilt"


async def test_a_cache_of_zero_bytes_keeps_nothing() -> None:
    cache = PublicCache(max_bytes=0, revalidate_seconds=60, fingerprint=Fingerprint(), clock=Clock())
    await cache.answer("a", lambda: asyncio.sleep(0, answer(b"one")))
    assert (await cache.answer("a", lambda: asyncio.sleep(0, answer(b"two")))).body == b"two"
    assert len(cache) == 0
