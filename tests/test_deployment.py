"""What can be checked of the compose deployment without a Docker engine."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from integrity.app import FRONTEND
from integrity.piccolo_app import MIGRATIONS_FOLDER
from integrity.settings import KNOWN_VARIABLES, Settings

ROOT = Path(__file__).resolve().parents[1]


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def substitute(value: str) -> str:
    """Compose interpolation: `${X:-default}` gives the default, `${X:?message}` a set value."""

    def one(match: re.Match[str]) -> str:
        operator, rest = match.group(2), match.group(3)
        return rest if operator == ":-" else "set-by-operator"

    return re.sub(r"\$\{([A-Z0-9_]+)(:[-?])([^}]*)\}", one, value)


def test_compose_has_the_production_shape() -> None:
    services = load_compose()["services"]
    assert set(services) >= {"app", "postgres", "minio", "minio-init"}
    assert "healthcheck" in services["minio"]
    assert "healthcheck" in services["postgres"]
    app = services["app"]
    assert app["build"] == "."
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert app["depends_on"]["minio"]["condition"] == "service_healthy"
    assert app["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    assert "integrity migrate &&" in " ".join(app["command"])
    init = " ".join(services["minio-init"]["command"])
    assert "--with-lock" in init and "version enable" in init
    volumes = load_compose()["volumes"]
    assert {"postgres-data", "minio-data"} <= set(volumes)


def test_every_app_variable_exists_in_the_settings() -> None:
    environment = load_compose()["services"]["app"]["environment"]
    names = set(environment)
    assert names <= KNOWN_VARIABLES, names - KNOWN_VARIABLES
    # With the compose values substituted, the settings accept them.
    values = {name: substitute(str(value)) for name, value in environment.items()}
    settings = Settings.from_env(values)
    assert settings.storage == "s3"
    assert not settings.database.is_sqlite


def test_compose_keeps_secrets_out_of_the_file() -> None:
    text = (ROOT / "compose.yaml").read_text()
    for secret in ("POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "MINIO_APP_PASSWORD"):
        assert f"${{{secret}:?" in text


def test_the_app_uses_its_own_s3_credentials_which_cannot_undo_object_lock() -> None:
    services = load_compose()["services"]
    app = services["app"]["environment"]
    assert app["INTEGRITY_S3_ACCESS_KEY"] == "integrity-app"
    assert "MINIO_ROOT" not in str(app["INTEGRITY_S3_SECRET_KEY"])
    init = services["minio-init"]
    policy = json.loads(init["environment"]["APP_POLICY"])
    command = " ".join(init["command"])
    assert "mc admin user add local integrity-app" in command and "policy attach" in command
    actions = {action for statement in policy["Statement"] for action in statement["Action"]}
    resources = {resource for statement in policy["Statement"] for resource in statement["Resource"]}
    assert all(statement["Effect"] == "Allow" for statement in policy["Statement"])
    # Only the evidence bucket, and nothing that removes a locked version or the lock itself.
    assert resources == {"arn:aws:s3:::evidence", "arn:aws:s3:::evidence/*"}
    assert {"s3:PutObjectLegalHold", "s3:PutObjectRetention", "s3:PutObject", "s3:GetObject"} <= actions
    for forbidden in (
        "s3:*",
        "s3:BypassGovernanceRetention",
        "s3:DeleteObjectVersion",
        "s3:PutBucketObjectLockConfiguration",
        "s3:PutBucketVersioning",
        "s3:DeleteBucket",
        "s3:PutBucketPolicy",
    ):
        assert forbidden not in actions, forbidden


def test_dockerfile_copies_what_the_app_reads_and_installs_the_package(tmp_path: Path) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            copied.update(part.rstrip("/") for part in line.split()[1:-1])
    assert {"pyproject.toml", "integrity", "migrations", "frontend"} <= copied
    assert FRONTEND.name in copied and MIGRATIONS_FOLDER.name in copied
    assert re.search(r"^RUN pip install -e \.$", dockerfile, re.MULTILINE)

    # Build the same context and run the same install (dependencies come from this environment).
    context = tmp_path / "context"
    context.mkdir()
    for name in copied:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, context / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, context / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--no-deps", "-e", "."],
        cwd=context,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [str(venv / "bin" / "integrity"), "--help"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "create-admin" in result.stdout


def test_compose_trusts_forwarded_headers_only_from_its_own_proxy() -> None:
    services = load_compose()["services"]
    proxy, app = services["proxy"], services["app"]
    address = proxy["networks"]["internal"]["ipv4_address"]
    args = shlex.split(" ".join(app["command"]).split("exec ", 1)[1])
    assert args[args.index("--forwarded-allow-ips") + 1] == address
    # Only the proxy is reachable from outside; the app has no published port.
    assert "ports" not in app and {"80:80", "443:443"} <= set(proxy["ports"])
    caddyfile = (ROOT / "Caddyfile").read_text()
    assert "reverse_proxy app:8000" in caddyfile and "trusted_proxies" not in caddyfile


def test_a_forged_x_forwarded_for_spray_against_composes_serve_settings_is_rate_limited(
    database_url: str, tmp_path: Path
) -> None:
    """25 failed log-ins, each with another forged X-Forwarded-For and another e-mail address, from
    a client that is not the proxy: with compose's settings the app counts them as one client and
    answers 429 (with `--forwarded-allow-ips '*'` every request was a new client)."""
    import json
    import os
    import time
    import urllib.error
    import urllib.request

    from tests.s3server import free_port

    app = load_compose()["services"]["app"]
    serve = shlex.split(" ".join(app["command"]).split("exec ", 1)[1])
    port = free_port()
    serve[serve.index("--port") + 1] = str(port)
    serve[serve.index("--host") + 1] = "127.0.0.1"
    env = {
        **os.environ,
        "INTEGRITY_DATA_DIR": str(tmp_path / "storage"),
        "INTEGRITY_DATABASE_URL": database_url,
    }
    assert (
        subprocess.run([sys.executable, "-m", "integrity.cli", "migrate"], env=env, timeout=120).returncode
        == 0
    )
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "integrity.cli", *serve[1:]], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (
                    tmp_path / "serve.log"
                ).read_text()
                time.sleep(0.2)
        statuses = []
        for attempt in range(25):
            request = urllib.request.Request(
                url + "/api/v1/auth/login",
                data=json.dumps(
                    {"email": f"nobody{attempt}@example.org", "password": "wrong guess"}
                ).encode(),
                headers={"content-type": "application/json", "x-forwarded-for": f"203.0.113.{attempt + 1}"},
                method="POST",
            )
            try:
                urllib.request.urlopen(request, timeout=10).close()
                statuses.append(200)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
        assert 429 in statuses, statuses
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
