"""A case's own data key, wrapped by the key ring: everything private about a case is sealed with it."""

from __future__ import annotations

import uuid
from typing import Any

from integrity.context import ServiceContext
from integrity.vault import open_sealed, seal_bytes


class CaseKey:
    """A case's data key, opened from its row; seals and opens the case's private texts."""

    def __init__(self, case_id: uuid.UUID, data_key: bytes) -> None:
        self.case_id = case_id
        self._key = data_key

    def _context(self, field: str) -> bytes:
        return f"case:{self.case_id}:{field}".encode()

    def seal(self, field: str, text: str) -> bytes:
        return seal_bytes(self._key, self._context(field), text.encode("utf-8"))

    def open(self, field: str, sealed: bytes | None) -> str | None:
        if sealed is None:
            return None
        return open_sealed(self._key, self._context(field), bytes(sealed)).decode("utf-8")

    def open_text(self, field: str, sealed: bytes) -> str:
        return open_sealed(self._key, self._context(field), bytes(sealed)).decode("utf-8")


def case_key(ctx: ServiceContext, row: dict[str, Any]) -> CaseKey:
    return CaseKey(row["id"], ctx.vault.keyring.unwrap(bytes(row["wrapped_key"]), row["key_id"]))
