"""`integrity keys init` makes the first key ring where the deployment keeps its keys, once: the
app never makes a configured ring on its own (a lost ring is restored, never replaced, since new
keys would leave every stored file unreadable), and a second init refuses to replace the first."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from integrity.custody.tables import CustodyEntry
from integrity.settings import Settings
from tests.factories import run_integrity


async def test_the_first_key_ring_is_made_once_where_the_deployment_keeps_it(
    settings: Settings, engine: object, tmp_path: Path
) -> None:
    keys = tmp_path / "integrity-keys"
    keys.mkdir(mode=0o700)
    configured = {
        "INTEGRITY_KEYRING_FILE": str(keys / "keyring.json"),
        "INTEGRITY_SIGNING_KEY_FILE": str(keys / "signing-key.pem"),
    }
    # Before it: the app refuses to start on a configured ring that is not there, and says what to do.
    refused = run_integrity(settings, "vault", "verify", environ=configured)
    assert refused.returncode != 0 and "integrity keys init" in refused.stderr
    assert not (keys / "keyring.json").exists()

    made = run_integrity(settings, "keys", "init", environ=configured)
    assert made.returncode == 0, made.stderr
    ring = keys / "keyring.json"
    assert stat.S_IMODE(ring.stat().st_mode) == 0o600 and (keys / "signing-key.pem").exists()
    assert "offline" in made.stdout
    assert run_integrity(settings, "vault", "verify", environ=configured).returncode == 0
    assert run_integrity(settings, "custody", "verify", environ=configured).returncode == 0
    (entry,) = await CustodyEntry.select(CustodyEntry.details).where(
        CustodyEntry.action == "key.ring_created"
    )
    assert json.loads(entry["details"])["key_id"] in ring.read_text()

    # A second init never replaces it.
    before = ring.read_bytes()
    again = run_integrity(settings, "keys", "init", environ=configured)
    assert again.returncode != 0 and "already" in again.stderr
    assert ring.read_bytes() == before
    assert json.loads(before)  # still the same, readable ring
