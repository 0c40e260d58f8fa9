"""What services need besides the database, and its provider for handlers: the vault (and its key
ring), the signing key for receipts, checkpoints and custody pseudonyms, the settings, and the job
queue (None where no queue is open: the work stays recorded in its rows for the next sweep)."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.datastructures import State

from integrity.custody.signing import Signer
from integrity.jobs.queue import JobQueue
from integrity.settings import Settings
from integrity.vault import Vault


@dataclass(frozen=True)
class ServiceContext:
    vault: Vault
    signer: Signer
    settings: Settings
    jobs: JobQueue | None = None


def provide_service_context(state: State) -> ServiceContext:
    return ServiceContext(vault=state.vault, signer=state.signer, settings=state.settings, jobs=state.jobs)
