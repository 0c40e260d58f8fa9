"""Where the domains tell the vault which blobs and wrapped keys their tables hold.

The vault knows nothing about cases; a domain that keeps `SealedBlob` fields (or keys of values sealed
with `seal_bytes`) registers a source when its tables module is imported:

    register_reference_source("cases.attachments", AttachmentReferences())

`integrity reconcile` asks every source which blob ids are referenced; `integrity keys rotate` asks
every source to re-wrap its stored keys. Each source owns its own transactions: a re-wrap that stops
half-way leaves every row readable (old KEKs stay in the ring), and running it again finishes the job.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from types import MappingProxyType
from typing import Protocol

#: Given a wrapped data key and its KEK id, the same data key wrapped under the active KEK and that
#: KEK's id. Returns its input unchanged when the key already is under the active KEK, so a source
#: can skip the write. Raises `TamperedBlob` for a wrapped key that does not unwrap.
KeyRewrap = Callable[[bytes, str], tuple[bytes, str]]


class ReferenceSource(Protocol):
    def referenced_blob_ids(self) -> AsyncIterator[str]:
        """Every blob id a row points at (deleted rows excluded). Sources of sealed fields with no
        blobs yield nothing."""
        ...

    async def rewrap_keys(self, rewrap: KeyRewrap) -> int:
        """Re-wrap every stored wrapped key with ``rewrap`` and store the result (with its new key id)
        where it differs; return how many were rewritten."""
        ...


_sources: dict[str, ReferenceSource] = {}


def register_reference_source(name: str, source: ReferenceSource) -> None:
    """Register (or, under the same name, replace) a domain's source of blob references."""
    if not name:
        raise ValueError("a reference source needs a name")
    _sources[name] = source


def unregister_reference_source(name: str) -> None:
    _sources.pop(name, None)


def reference_sources() -> Mapping[str, ReferenceSource]:
    """The registered sources by name (a read-only view)."""
    return MappingProxyType(_sources)
