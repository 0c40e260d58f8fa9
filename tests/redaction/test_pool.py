"""The worker pool: engines run in other processes, errors come back intact, runaway jobs die."""

from __future__ import annotations

import os
import time

import anyio
import pytest

from integrity.errors import Invalid
from integrity.redaction import Box, clean_image, pool, redact_image, redact_pdf, run_in_worker
from tests.redaction.handmade import GREEN, encode, nasty_pdf


async def test_an_image_is_redacted_in_a_worker_process() -> None:
    from PIL import Image

    data = encode(Image.new("RGB", (40, 40), GREEN), "PNG")
    rendition = await run_in_worker(redact_image, data, [Box(1, 0, 0, 0.5, 0.5)])
    assert rendition == redact_image(data, [Box(1, 0, 0, 0.5, 0.5)])
    assert await run_in_worker(os.getpid) != os.getpid()


async def test_pdfs_are_redacted_two_at_a_time() -> None:
    data = nasty_pdf()
    results = []

    async def one() -> None:
        results.append(await run_in_worker(redact_pdf, data, [Box(1, 0.1, 0.1, 0.2, 0.2)]))

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(one)
    assert len(results) == 3 and len({r.content for r in results}) == 1
    assert pool._current_limiter().total_tokens == pool.MAX_WORKERS


async def test_an_invalid_file_raises_invalid_with_its_message() -> None:
    with pytest.raises(Invalid, match="not an image this server can read") as caught:
        await run_in_worker(clean_image, b"SECRET")
    assert caught.value.status_code == 422


async def test_a_job_past_its_time_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "DEFAULT_TIMEOUT", 1.0)
    started = time.monotonic()
    with pytest.raises(Invalid, match="too long"):
        await run_in_worker(time.sleep, 30)
    assert time.monotonic() - started < 10


async def test_a_crashed_worker_gives_invalid() -> None:
    with pytest.raises(Invalid, match="could not be processed"):
        await run_in_worker(os._exit, 1)
