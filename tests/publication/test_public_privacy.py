"""Nothing private ever reaches a public answer, whatever the published case looks like.

Each example files a case whose private side is full of markers (the private title and narrative,
an internal note, the submitter's name and e-mail, protected actors' names, original filenames,
the hashes of originals and of withheld files, internal ids), publishes public text that hypothesis
makes up (Latin, Cyrillic, punctuation, line breaks), maybe corrects and retracts it, and then reads
every public answer: the list, search, the case file and each revision, actor pages, statistics,
both exports, the feed and the published files. None may contain a marker, in any script.
"""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import AsyncTestClient

from integrity.reference import fold
from tests import samples
from tests.publication.factories import Publisher

LETTERS = "abcčćdđefghijklmnoprsštuvzžABCČĆDĐEFGHIJKLMNOPRSŠTUVZŽабвгдђежзијклљмнњопрстћуфхцчџшАБВГДЂЖЉЊЋЏШ"
TEXT = st.text(alphabet=LETTERS + "  .,;:-!?\"'()\n0123456789", min_size=1, max_size=80)
WORD = st.text(alphabet=LETTERS, min_size=3, max_size=10)
SHARED = st.lists(
    st.sampled_from(
        [("Opština Primer", "institution"), ("JKP Vodovod Primer", "company"), ("Stranka Primer", "party")]
    ),
    max_size=2,
    unique=True,
)


def private_markers(tag: str) -> dict[str, str]:
    return {
        "private_title": f"Privatni naslov {tag}",
        "narrative": f"Narativ podnosioca {tag}",
        "internal_note": f"Interna beleška {tag}",
        "submitter_name": f"Podnosilac {tag}",
        "submitter_email": f"podnosilac-{tag}@example.org",
        "original_filename": f"izvorni-fajl-{tag}",
    }


@hypothesis_settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    title=TEXT,
    summary=TEXT,
    body=TEXT,
    shared=SHARED,
    protected_first_names=st.lists(WORD, min_size=1, max_size=2),
    published_files=st.integers(0, 2),
    withheld_files=st.integers(1, 2),
    corrected=st.booleans(),
    retracted=st.booleans(),
)
async def test_no_public_answer_contains_anything_private(
    app: Litestar,
    client: AsyncTestClient[Litestar],
    title: str,
    summary: str,
    body: str,
    shared: list[tuple[str, str]],
    protected_first_names: list[str],
    published_files: int,
    withheld_files: int,
    corrected: bool,
    retracted: bool,
) -> None:
    tag = uuid.uuid4().hex[:12]
    markers = private_markers(tag)
    protected = [f"{first} Tajnović{tag[:4]}" for first in protected_first_names]
    public_text = fold(" ".join([title, summary, body, *(name for name, _ in shared)]))
    assume(all(fold(name) not in public_text for name in protected))

    publisher = Publisher(app)
    submitter = await publisher.member(email=markers["submitter_email"], name=markers["submitter_name"])
    case = await publisher.publish(
        title=title,
        summary=summary,
        body=body,
        shared_actors=shared,
        protected_actors=protected,
        files=[samples.png(width=4 + n, height=4) for n in range(published_files)],
        withheld=[samples.text(f"withheld {tag} {n}") for n in range(withheld_files)],
        private_title=markers["private_title"],
        narrative=markers["narrative"],
        internal_note=markers["internal_note"],
        original_filename=markers["original_filename"],
        submitter=submitter,
    )
    if corrected:
        await publisher.correct(case, note="Ispravka", body=body + " (ispravljeno)")
    if retracted:
        await publisher.retract(case, note="Povučeno")

    secrets = [
        *markers.values(),
        *protected,
        *case.withheld_sha256s,
        *case.original_sha256s,
        str(case.case_id),
        str(submitter.id),
        *(str(i) for i in case.attachment_ids),
        *(str(i) for i in case.rendition_ids),
        *(str(i) for i in case.protected_actor_ids.values()),
    ]
    assert case.withheld_sha256s and len(case.original_sha256s) == published_files

    answers: dict[str, bytes] = {}

    async def read(url: str, **params: Any) -> None:
        response = await client.get(url, params=params)
        assert response.status_code == 200, (url, response.text)
        answers[f"{url} {params}"] = response.content

    reference = case.reference
    await read("/api/v1/public/cases")
    await read("/api/v1/public/cases", q=title)
    await read(f"/api/v1/public/cases/{reference}")
    for revision in range(1, case.revision + 1):
        await read(f"/api/v1/public/cases/{reference}/revisions/{revision}")
    for actor_id in case.actor_ids.values():
        await read(f"/api/v1/public/actors/{actor_id}")
    await read("/api/v1/public/stats")
    await read("/api/v1/public/export.csv")
    await read("/api/v1/public/export.json")
    await read("/feed.atom")
    for made in case.files:
        if retracted:  # a retraction withdraws the files: a tombstone, with nothing private in it
            gone = await client.get(f"/api/v1/public/cases/{reference}/files/{made.id}")
            assert gone.status_code == 410, gone.text
            answers[f"{made.id} gone"] = gone.content
        else:
            await read(f"/api/v1/public/cases/{reference}/files/{made.id}")

    for url, content in answers.items():
        text = content.decode("utf-8", errors="replace")
        folded = fold(text)
        for secret in secrets:
            assert secret not in text, (url, secret)
            assert fold(secret) not in folded, (url, secret)
            assert secret.encode() not in content, (url, secret)

    # Protected actors are neither found by search nor have a page.
    for name in protected:
        found = (await client.get("/api/v1/public/cases", params={"q": name})).json()
        assert reference not in [item["reference"] for item in found["items"]], name
    for actor_id in case.protected_actor_ids.values():
        assert (await client.get(f"/api/v1/public/actors/{actor_id}")).status_code == 404
    # Originals, withheld files and renditions have no public address of their own.
    for internal_id in [*case.attachment_ids, *case.rendition_ids]:
        response = await client.get(f"/api/v1/public/cases/{reference}/files/{internal_id}")
        assert response.status_code == 404
