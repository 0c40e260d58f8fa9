"""The key ring: generated safely in development, refused when misconfigured, wrapping data keys."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from integrity.errors import ConfigurationError, TamperedBlob
from integrity.settings import Settings
from integrity.vault.keyring import Keyring


def settings_for(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"INTEGRITY_DATA_DIR": str(tmp_path / "storage"), **env})


def test_unconfigured_ring_is_generated_once_with_mode_0600_and_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(tmp_path)
    with caplog.at_level(logging.WARNING, logger="integrity.vault.keyring"):
        ring = Keyring.load_or_create(settings)
    path = settings.keyring_file
    assert path.is_relative_to(tmp_path / "storage")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert any("INTEGRITY_KEYRING_FILE" in r.getMessage() for r in caplog.records)

    caplog.clear()
    again = Keyring.load_or_create(settings)
    assert again.active_id == ring.active_id
    assert not caplog.records  # loaded, not generated again
    data_key, wrapped, key_id = ring.new_data_key()
    assert again.unwrap(wrapped, key_id) == data_key


def test_configured_ring_that_does_not_exist_is_an_error_not_a_new_ring(tmp_path: Path) -> None:
    missing = tmp_path / "secrets" / "keyring.json"
    settings = settings_for(
        tmp_path,
        INTEGRITY_KEYRING_FILE=str(missing),
        INTEGRITY_SIGNING_KEY_FILE=str(tmp_path / "signing.pem"),
    )
    with pytest.raises(ConfigurationError):
        Keyring.load_or_create(settings)
    assert not missing.exists()


def test_configured_ring_is_used(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "keyring.json"
    ring = Keyring.generate(path=path)
    ring.save()
    settings = settings_for(tmp_path, INTEGRITY_KEYRING_FILE=str(path))
    assert Keyring.load_or_create(settings).active_id == ring.active_id


def test_data_keys_are_fresh_and_wrapped_under_the_active_key(tmp_path: Path) -> None:
    ring = Keyring.generate()
    data_key, wrapped, key_id = ring.new_data_key()
    other_key, other_wrapped, _ = ring.new_data_key()
    assert len(data_key) == 32 and data_key != other_key
    assert key_id == ring.active_id
    assert len(wrapped) == 40  # RFC 3394: 8 bytes of integrity check value
    assert data_key not in wrapped and wrapped != other_wrapped
    assert ring.unwrap(wrapped, key_id) == data_key


def test_an_altered_wrapped_key_is_tampering_and_an_unknown_key_id_is_configuration(tmp_path: Path) -> None:
    ring = Keyring.generate(path=tmp_path / "ring.json")
    ring.save()
    _, wrapped, key_id = ring.new_data_key()
    damaged = bytearray(wrapped)
    damaged[5] ^= 1
    with pytest.raises(TamperedBlob):
        ring.unwrap(bytes(damaged), key_id)
    with pytest.raises(TamperedBlob):
        ring.unwrap(wrapped[:-8], key_id)
    with pytest.raises(ConfigurationError):
        ring.unwrap(wrapped, "kek-unknown")
    # Under another KEK the same bytes do not unwrap.
    other = Keyring.generate()
    with pytest.raises((TamperedBlob, ConfigurationError)):
        other.unwrap(wrapped, key_id)


def test_rotation_keeps_old_keys_for_reading_and_rewraps_to_the_new_one(tmp_path: Path) -> None:
    ring = Keyring.generate()
    data_key, wrapped, old_id = ring.new_data_key()
    new_id = ring.add_key()
    assert ring.active_id == new_id != old_id
    assert set(ring.key_ids) == {old_id, new_id}
    assert ring.unwrap(wrapped, old_id) == data_key
    rewrapped, rewrapped_id = ring.rewrap(wrapped, old_id)
    assert rewrapped_id == new_id and rewrapped != wrapped
    assert ring.unwrap(rewrapped, new_id) == data_key
    assert ring.rewrap(rewrapped, new_id) == (rewrapped, new_id)  # already current: unchanged


def test_a_running_ring_picks_up_a_key_added_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    Keyring.generate(path=path).save()
    running = Keyring.load(path)
    rotating = Keyring.load(path)
    rotating.add_key()
    rotating.save()
    data_key, wrapped, key_id = rotating.new_data_key()
    assert key_id not in running.key_ids
    assert running.unwrap(wrapped, key_id) == data_key
    assert running.active_id == rotating.active_id


def test_retiring_a_key_makes_what_it_wrapped_unreadable(tmp_path: Path) -> None:
    ring = Keyring.generate()
    _, wrapped, old_id = ring.new_data_key()
    with pytest.raises(ConfigurationError):
        ring.retire(old_id)  # the active one
    ring.add_key()
    ring.retire(old_id)
    with pytest.raises(ConfigurationError):
        ring.unwrap(wrapped, old_id)


def test_saved_ring_round_trips_atomically_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "ring.json"
    ring = Keyring.generate(path=path)
    ring.add_key()
    ring.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["ring.json"]  # no temp file left
    loaded = Keyring.load(path)
    assert loaded.key_ids == ring.key_ids and loaded.active_id == ring.active_id


def test_malformed_rings_are_refused_without_echoing_key_material(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    ring = Keyring.generate(path=path)
    ring.save()
    document = json.loads(path.read_text())
    secret = document["keys"][0]["key"]
    cases = [
        {**document, "active": "nope"},
        {**document, "version": 2},
        {**document, "keys": [{**document["keys"][0], "key": secret[:-4]}]},
        {**document, "keys": document["keys"] * 2},
        {**document, "keys": [{**document["keys"][0], "id": "../evil"}]},
    ]
    for case in cases:
        path.write_text(json.dumps(case))
        with pytest.raises(ConfigurationError) as caught:
            Keyring.load(path)
        assert secret not in str(caught.value)
    path.write_text("{" + secret)
    with pytest.raises(ConfigurationError) as caught:
        Keyring.load(path)
    assert secret not in str(caught.value)


def test_a_ring_readable_by_others_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "ring.json"
    Keyring.generate(path=path).save()
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="integrity.vault.keyring"):
        Keyring.load(path)
    assert any("0600" in r.getMessage() for r in caplog.records)
