"""What services need besides the database, and its provider for handlers: the vault (and its key
ring), the signing key for receipts, checkpoints and custody pseudonyms, and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.datastructures import State

from integrity.custody.signing import Signer
from integrity.settings import Settings
from integrity.vault import Vault


@dataclass(frozen=True)
class ServiceContext:
    vault: Vault
    signer: Signer
    settings: Settings


def provide_service_context(state: State) -> ServiceContext:
    return ServiceContext(vault=state.vault, signer=state.signer, settings=state.settings)
