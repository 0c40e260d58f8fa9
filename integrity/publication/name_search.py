"""Search and redact: where does a name appear in a file, so the reviewer can cover it?

The reviewer types a name (the case's protected names are offered); every page where the
original's text layer, or the OCR of the file as filed, shows any form of it (declined, in either
script, disguised: the leak check's own matching) gets a proposed box around it, a little larger
than the words. OCR of a whole file takes minutes, so it is the leak check's background reading
of the cleaned copy ("as filed"): the first search queues it and answers from the text layer
alone, saying the pages are still being read; later searches use it too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from integrity.cases.sealing import case_key
from integrity.context import ServiceContext
from integrity.errors import Invalid
from integrity.publication.copies import cleaned_rendition
from integrity.publication.drafts import file_findings
from integrity.publication.filecheck import load_reading
from integrity.publication.leakcheck import ProtectedName
from integrity.publication.renditions import (
    attachment_row,
    read_blob,
    redaction_kind,
    team_case_row,
)
from integrity.publication.schemas import BoxIn
from integrity.publication.tables import CheckState, Rendition
from integrity.redaction import run_in_worker
from integrity.redaction.ocr import text_layer_pages
from integrity.security.guards import Principal

#: Added around the words found on each side (fraction of the page), so the box covers them whole.
MARGIN = 0.004
MAX_NAME = 200


@dataclass(frozen=True)
class NameSearch:
    boxes: list[BoxIn]
    #: True while the file's OCR is still being done: only the text layer was searched.
    reading: bool
    pages: int
    checked_pages: int


def _box(page: int, box: tuple[float, float, float, float]) -> BoxIn:
    x, y, width, height = box
    left, top = max(0.0, x - MARGIN), max(0.0, y - MARGIN)
    right, bottom = min(1.0, x + width + MARGIN), min(1.0, y + height + MARGIN)
    return BoxIn(page=page, x=left, y=top, width=right - left, height=bottom - top)


async def find_name(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, attachment_id: uuid.UUID, name: str
) -> NameSearch:
    row = await team_case_row(principal, case_id)
    name = " ".join(name.split())[:MAX_NAME]
    if not name:
        raise Invalid("type the name to look for", code="name_missing", field="name")
    attachment = await attachment_row(case_id, attachment_id)
    kind = redaction_kind(attachment["content_type"])
    if kind is None:
        raise Invalid("this type of file has no redaction path yet", code="no_redaction_path")
    key = case_key(ctx, row)
    pages = []
    if kind == "pdf":
        pages += await run_in_worker(text_layer_pages, await read_blob(ctx, attachment), [])
    # The OCR of the file as filed: the cleaned copy's reading (made, and queued, on first use).
    # While the copy itself is still being made (a long file), it is being read too, as far as the
    # reviewer can tell.
    cleaned_id = await cleaned_rendition(ctx, principal, attachment)
    cleaned = await Rendition.select().where(Rendition.id == cleaned_id).first() if cleaned_id else None
    reading = cleaned is None or cleaned["check_state"] in (CheckState.pending, CheckState.running)
    if cleaned is not None and cleaned["check_state"] == CheckState.done:
        pages += load_reading(key, cleaned)
    findings = file_findings([ProtectedName(actor_id=None, text=name)], attachment_id, pages)
    boxes: list[BoxIn] = []
    for finding in findings:
        if finding.page is None or finding.box is None:
            continue
        proposed = _box(finding.page, finding.box)
        if proposed not in boxes:
            boxes.append(proposed)
    boxes.sort(key=lambda b: (b.page, b.y, b.x))
    return NameSearch(
        boxes=boxes,
        reading=reading,
        pages=int(cleaned["pages"]) if cleaned else 0,
        checked_pages=int(cleaned["checked_pages"]) if cleaned else 0,
    )
