"""Fixtures for the vault's contract tests: the same vault on the local folder and on a real S3 server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from integrity.settings import Settings
from integrity.vault import Vault, build_vault
from tests.vault.helpers import settings_for


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
