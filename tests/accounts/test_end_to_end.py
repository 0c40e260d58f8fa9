"""An operator's first day: create-admin, invite a reviewer, who accepts, enrols TOTP and logs in."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

from integrity.security.totp import TIME_STEP, current_code
from integrity.settings import Settings


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "integrity.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def test_create_admin_then_invite_lets_a_reviewer_join_with_totp(
    settings: Settings, client: AsyncTestClient[Litestar], tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "INTEGRITY_DATA_DIR": str(settings.data_dir),
        "INTEGRITY_DATABASE_URL": settings.database.url,
        "INTEGRITY_BASE_URL": settings.base_url,
    }
    password_file = tmp_path / "admin-password"
    password_file.write_text("the admin's own long passphrase\n")
    admin = run_cli(
        "create-admin", "--email", "chief@example.org", "--password-file", str(password_file), env=env
    )
    assert admin.returncode == 0, admin.stderr

    bad_role = run_cli("invite", "--email", "mila@example.org", "--role", "owner", env=env)
    assert bad_role.returncode == 1
    assert "the role must be one of" in bad_role.stderr

    invited = run_cli("invite", "--email", "Mila@Example.org", "--role", "reviewer", env=env)
    assert invited.returncode == 0, invited.stderr
    assert "invited mila@example.org as reviewer" in invited.stdout
    token = re.search(r"^token: (\S+)$", invited.stdout, re.MULTILINE).group(1)  # type: ignore[union-attr]
    assert f"{settings.base_url}/api/v1/invitations/{token}/accept" in invited.stdout
    # The platform's single admin gets a review team through the operator on the server.
    grant = re.search(r"integrity grants confirm (\S+)", invited.stdout).group(1)  # type: ignore[union-attr]
    assert grant in run_cli("grants", "list", env=env).stdout
    confirmed = run_cli("grants", "confirm", grant, env=env)
    assert confirmed.returncode == 0, confirmed.stderr
    assert run_cli("grants", "confirm", grant, env=env).returncode == 1

    password = "harbour lights over the danube"
    accepted = await client.post(
        f"/api/v1/invitations/{token}/accept",
        json={"display_name": "Mila", "profession": "journalist", "password": password},
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["member"]["role"] == "reviewer"

    login = await client.post("/api/v1/auth/login", json={"email": "mila@example.org", "password": password})
    assert login.status_code == 200
    assert login.json()["totp_required"] is True
    csrf = {"x-csrftoken": login.json()["csrf_token"]}
    enrolment = await client.post("/api/v1/me/totp", headers=csrf)
    text = enrolment.json()["secret"]
    secret = base64.b32decode(text + "=" * (-len(text) % 8))
    import time

    now = time.time()
    confirmed = await client.post(
        "/api/v1/me/totp/confirm", json={"code": current_code(secret, now)}, headers=csrf
    )
    assert confirmed.status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers=csrf)).status_code == 204
    assert (await client.get("/api/v1/me")).status_code == 401

    client.cookies.clear()
    without = await client.post(
        "/api/v1/auth/login", json={"email": "mila@example.org", "password": password}
    )
    assert without.status_code == 401
    # The next step's code: the confirmation used this step's, and codes are never accepted twice.
    code = current_code(secret, now + TIME_STEP)
    with_code = await client.post(
        "/api/v1/auth/login", json={"email": "mila@example.org", "password": password, "totp": code}
    )
    assert with_code.status_code == 200
    assert with_code.json()["totp_required"] is False
    me = await client.get("/api/v1/me")
    assert me.json() == {
        "id": accepted.json()["member"]["id"],
        "email": "mila@example.org",
        "display_name": "Mila",
        "profession": "journalist",
        "role": "reviewer",
        "totp_enabled": True,
    }
    assert (await client.get("/api/v1/me/tokens")).status_code == 200
