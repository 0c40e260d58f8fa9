"""The benchmarks' corpus (`benchmarks/corpus.py`) is served by the public API exactly as cases
published through the workflow are, so benchmark figures are about the real read path."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from benchmarks.corpus import SeededCase, seed_published
from integrity.publication.search import place_names, stem
from integrity.reference import fold, to_cyrillic
from tests.publication.factories import Publisher

Client = AsyncTestClient[Litestar]
LIST = "/api/v1/public/cases"


@pytest.fixture
def publisher(app: Litestar, client: Client) -> Publisher:
    return Publisher(app)


async def get_json(client: Client, url: str, **params: Any) -> Any:
    response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def found(client: Client, q: str) -> set[str]:
    page = await get_json(client, LIST, q=q, page_size=100)
    assert page["total"] == len(page["items"])
    return {item["reference"] for item in page["items"]}


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(text))


def longest_word(text: str) -> str:
    return max((w for w in words(text) if not w.isdigit()), key=len)


async def test_seeded_cases_are_listed_shown_and_found_like_published_ones(
    client: Client, publisher: Publisher
) -> None:
    seeded = await seed_published(50, seed=7)
    assert len({case.reference for case in seeded}) == 50

    # The list: every case once, newest first, as the corpus says.
    page = await get_json(client, LIST, page_size=100)
    assert page["total"] == 50
    newest_first = sorted(seeded, key=lambda c: c.published_at, reverse=True)
    assert [item["reference"] for item in page["items"]] == [c.reference for c in newest_first]
    for item, case in zip(page["items"], newest_first, strict=True):
        assert (item["title"], item["summary"], item["municipality"], item["district"]) == (
            case.title,
            case.summary,
            case.municipality,
            case.district,
        )
        assert (item["categories"], item["revision"]) == (list(case.categories), case.revision)
        assert item["status"] == ("retracted" if case.retracted else "published")

    # Each case file by its reference, with the texts search must find it by.
    details: dict[str, Any] = {}
    for case in seeded:
        detail = await get_json(client, f"{LIST}/{case.reference}")
        assert (detail["title"], detail["revision"]) == (case.title, case.revision)
        assert [a["id"] for a in detail["actors"]] == [str(a) for a in case.actor_ids]
        # A retracted case keeps its title and notice; its body is withdrawn.
        assert bool(detail["body"]) == (not case.retracted) and detail["files"] == []
        details[case.reference] = detail

    def expected(word: str) -> set[str]:
        """The cases whose public texts (title, summary, body, actor names, place names) have a word
        that, or whose stem, starts with the query word's stem (search finds inflected forms)."""
        wanted = stem(word)
        return {
            reference
            for reference, d in details.items()
            if any(
                w.startswith(wanted) or stem(w).startswith(wanted)
                for w in words(
                    " ".join(
                        [
                            d["title"],
                            d["summary"],
                            d["body"],
                            *(a["name"] for a in d["actors"]),
                            *place_names(d["municipality"]),
                        ]
                    )
                )
            )
        }

    cyrillic = next(c for c in seeded if c.language == "sr-Cyrl")
    latin = next(c for c in seeded if c.language == "sr-Latn")
    named = next(c for c in seeded if c.actor_ids)
    actor_name = details[named.reference]["actors"][0]["name"]
    # Search ignores script and diacritics, in the corpus as in published cases.
    probes = [
        (longest_word(cyrillic.title), cyrillic),
        (to_cyrillic(longest_word(latin.title)), latin),
        (longest_word(actor_name), named),
    ]
    for query, case in probes:
        hits = await found(client, query)
        assert case.reference in hits, query
        assert hits == expected(fold(query)), query

    # Filters and actor pages read the same rows.
    by_place = await get_json(client, LIST, municipality=latin.municipality, page_size=100)
    assert {i["reference"] for i in by_place["items"]} == {
        c.reference for c in seeded if c.municipality == latin.municipality
    }
    actor_id = named.actor_ids[0]
    actor = await get_json(client, f"/api/v1/public/actors/{actor_id}")
    assert {c["reference"] for c in actor["cases"]} == {
        c.reference for c in seeded if actor_id in c.actor_ids
    }

    # A case published afterwards takes the next ids and reference (no collision), and comes first.
    published = await publisher.publish(title="Objavljeno posle korpusa")
    page = await get_json(client, LIST)
    assert page["total"] == 51
    assert page["items"][0]["reference"] == published.reference
    assert published.reference not in {c.reference for c in seeded}


async def test_seeding_again_continues_the_same_corpus(client: Client) -> None:
    first: list[SeededCase] = await seed_published(12, seed=3, batch=5)
    more = await seed_published(8, seed=3, batch=5)
    assert [c.index for c in first + more] == list(range(20))
    page = await get_json(client, LIST, page_size=100)
    assert page["total"] == 20
    assert {i["reference"] for i in page["items"]} == {c.reference for c in first + more}
