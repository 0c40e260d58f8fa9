"""The evidence vault: streaming envelope encryption of evidence into an object store.

Domain packages depend on the vault, never the reverse; nothing outside it imports `minio`.

    vault = await build_vault(settings)
    blob = await vault.put(stream, expected_size=n, original=True)   # keep `blob` in the row
    async with aclosing(vault.open(blob, start, end)) as plaintext: ...
"""

from integrity.vault.format import open_sealed, seal_bytes
from integrity.vault.keyring import Keyring
from integrity.vault.maintenance import (
    ReconcileReport,
    RetirementReport,
    RotationReport,
    reconcile,
    retire_key,
    rotate_keys,
)
from integrity.vault.references import (
    KeyRewrap,
    ReferenceSource,
    register_reference_source,
    unregister_reference_source,
)
from integrity.vault.vault import BlobRef, SealedBlob, Vault, VaultHealth, build_vault

__all__ = [
    "BlobRef",
    "KeyRewrap",
    "Keyring",
    "ReconcileReport",
    "ReferenceSource",
    "RetirementReport",
    "RotationReport",
    "SealedBlob",
    "Vault",
    "VaultHealth",
    "build_vault",
    "open_sealed",
    "reconcile",
    "register_reference_source",
    "retire_key",
    "rotate_keys",
    "seal_bytes",
    "unregister_reference_source",
]
