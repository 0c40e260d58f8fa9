from pathlib import Path

import pytest

from integrity.errors import ConfigurationError
from integrity.settings import KNOWN_VARIABLES, Settings


def test_embedded_default_needs_no_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.data_dir == tmp_path / "storage"
    assert settings.database.is_sqlite
    assert settings.database.sqlite_path == tmp_path / "storage" / "integrity.sqlite3"
    assert settings.storage == "local"
    assert settings.s3.bucket == "evidence"
    assert settings.s3.secure is False
    assert settings.max_upload_bytes == 2 * 1024**3
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.keyring_file == tmp_path / "storage" / "keys" / "keyring.json"
    assert settings.keys_generated_in_data_dir


def test_every_documented_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "INTEGRITY_DATABASE_URL": "postgresql://app:secret@db:5432/integrity",
            "INTEGRITY_DATA_DIR": "/srv/data",
            "INTEGRITY_STORAGE": "s3",
            "INTEGRITY_S3_ENDPOINT": "minio:9000",
            "INTEGRITY_S3_ACCESS_KEY": "access",
            "INTEGRITY_S3_SECRET_KEY": "secret-key",
            "INTEGRITY_S3_BUCKET": "vault",
            "INTEGRITY_S3_SECURE": "true",
            "INTEGRITY_S3_REGION": "eu-central-1",
            "INTEGRITY_KEYRING_FILE": "/run/secrets/keyring.json",
            "INTEGRITY_SIGNING_KEY_FILE": "/run/secrets/signing.pem",
            "INTEGRITY_MAX_UPLOAD_BYTES": "1048576",
            "INTEGRITY_BASE_URL": "https://integrity.example/",
        }
    )
    assert settings.database.url == "postgresql://app:secret@db:5432/integrity"
    assert settings.data_dir == Path("/srv/data")
    assert settings.storage == "s3"
    assert (settings.s3.endpoint, settings.s3.bucket, settings.s3.secure) == ("minio:9000", "vault", True)
    assert settings.s3.region == "eu-central-1"
    assert settings.keyring_file == Path("/run/secrets/keyring.json")
    assert settings.signing_key_file == Path("/run/secrets/signing.pem")
    assert not settings.keys_generated_in_data_dir
    assert settings.max_upload_bytes == 1048576
    assert settings.base_url == "https://integrity.example"
    assert settings.is_https
    assert "secret-key" not in repr(settings.s3)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("INTEGRITY_DATABASE_URL", "mysql://root@localhost/x", "must be sqlite"),
        ("INTEGRITY_DATABASE_URL", "sqlite://:memory:", "SQLite must look like"),
        ("INTEGRITY_DATABASE_URL", "postgresql://host-without-db", "must name a database"),
        ("INTEGRITY_STORAGE", "ftp", "must be 'local' or 's3'"),
        ("INTEGRITY_S3_SECURE", "maybe", "true or false"),
        ("INTEGRITY_MAX_UPLOAD_BYTES", "lots", "whole number"),
        ("INTEGRITY_MAX_UPLOAD_BYTES", "-1", "must not be negative"),
        ("INTEGRITY_BASE_URL", "integrity.example", "must start with http"),
        ("INTEGRITY_S3_BUCKET", "ev", "must be an S3 bucket name"),
        ("INTEGRITY_S3_BUCKET", "Evidence", "must be an S3 bucket name"),
        ("INTEGRITY_S3_BUCKET", "evidence-", "must be an S3 bucket name"),
        ("INTEGRITY_S3_BUCKET", "192.168.1.10", "must be an S3 bucket name"),
        ("INTEGRITY_S3_BUCKET", "my..bucket", "must be an S3 bucket name"),
    ],
)
def test_bad_values_get_a_clear_error(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env({name: value})


def test_s3_storage_needs_its_credentials() -> None:
    with pytest.raises(ConfigurationError, match="INTEGRITY_S3_ENDPOINT"):
        Settings.from_env({"INTEGRITY_STORAGE": "s3"})


def test_known_variables_match_the_contract() -> None:
    contract = Path(__file__).resolve().parents[2] / "shared" / "API.md"
    if not contract.exists():
        pytest.skip("the shared API.md is not next to this checkout")
    import re

    documented = set(re.findall(r"INTEGRITY_[A-Z0-9_]+", contract.read_text()))
    documented = {name for name in documented if not name.startswith("INTEGRITY_TEST_")}
    assert documented <= KNOWN_VARIABLES
