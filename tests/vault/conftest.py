"""Fixtures for the vault's contract tests: the same vault on the local folder and on a real S3 server."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from integrity.settings import Settings
from integrity.vault import Vault, build_vault


def settings_for(tmp_path: Path, kind: str, request: pytest.FixtureRequest, **extra: str) -> Settings:
    env = {"INTEGRITY_DATA_DIR": str(tmp_path / "storage"), **extra}
    if kind == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        env.update(
            {
                "INTEGRITY_STORAGE": "s3",
                "INTEGRITY_S3_ENDPOINT": endpoint.endpoint,
                "INTEGRITY_S3_ACCESS_KEY": endpoint.access_key,
                "INTEGRITY_S3_SECRET_KEY": endpoint.secret_key,
                "INTEGRITY_S3_SECURE": "true" if endpoint.secure else "false",
                "INTEGRITY_S3_BUCKET": "vault-test-" + secrets.token_hex(6),
                **({"INTEGRITY_S3_REGION": endpoint.region} if endpoint.region else {}),
                **extra,
            }
        )
        request.addfinalizer(lambda: _remove_bucket(request, env["INTEGRITY_S3_BUCKET"]))
    return Settings.from_env(env)


def _remove_bucket(request: pytest.FixtureRequest, bucket: str) -> None:
    """Leave a shared S3 server (INTEGRITY_TEST_S3_*) as we found it, as far as it lets us."""
    client = request.getfixturevalue("s3_endpoint").client()
    with contextlib.suppress(Exception):
        if not client.bucket_exists(bucket_name=bucket):
            return
        for item in client.list_objects(bucket_name=bucket, recursive=True):
            client.remove_object(bucket_name=bucket, object_name=item.object_name)
        for upload in client._list_multipart_uploads(bucket_name=bucket).uploads:
            client._abort_multipart_upload(
                bucket_name=bucket, object_name=upload.object_name, upload_id=upload.upload_id
            )
        client.remove_bucket(bucket_name=bucket)


@pytest.fixture(params=["local", "s3"])
def vault_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return settings_for(tmp_path, request.param, request)


@pytest.fixture
async def vault(vault_settings: Settings) -> AsyncIterator[Vault]:
    vault = await build_vault(vault_settings)
    try:
        yield vault
    finally:
        await vault.aclose()
