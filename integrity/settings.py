"""Typed settings, read once from the `INTEGRITY_*` environment variables and passed in."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from integrity.errors import ConfigurationError

PREFIX = "INTEGRITY_"
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS = re.compile(r"\d+\.\d+\.\d+\.\d+")
MIB = 1024 * 1024

#: Every variable the platform reads. compose.yaml and the docs are checked against this list.
KNOWN_VARIABLES = frozenset(
    {
        "INTEGRITY_DATABASE_URL",
        "INTEGRITY_DATA_DIR",
        "INTEGRITY_STORAGE",
        "INTEGRITY_S3_ENDPOINT",
        "INTEGRITY_S3_ACCESS_KEY",
        "INTEGRITY_S3_SECRET_KEY",
        "INTEGRITY_S3_BUCKET",
        "INTEGRITY_S3_SECURE",
        "INTEGRITY_S3_REGION",
        "INTEGRITY_S3_RETENTION_DAYS",
        "INTEGRITY_KEYRING_FILE",
        "INTEGRITY_SIGNING_KEY_FILE",
        "INTEGRITY_MAX_UPLOAD_BYTES",
        "INTEGRITY_BASE_URL",
        "INTEGRITY_LOG_LEVEL",
        "INTEGRITY_REDIS_URL",
        "INTEGRITY_SESSION_IDLE_MINUTES",
        "INTEGRITY_SESSION_MAX_HOURS",
        "INTEGRITY_INVITATION_DAYS",
        "INTEGRITY_SMTP_HOST",
        "INTEGRITY_SMTP_PORT",
        "INTEGRITY_SMTP_USERNAME",
        "INTEGRITY_SMTP_PASSWORD",
        "INTEGRITY_SMTP_SENDER",
        "INTEGRITY_SMTP_STARTTLS",
        "INTEGRITY_PUBLIC_CACHE_MB",
        "INTEGRITY_PUBLIC_CACHE_SECONDS",
        "INTEGRITY_REFERRAL_FOLLOW_UP",
        "INTEGRITY_RETENTION",
    }
)


#: The retention classes and their days by default: a case withdrawn by the member, or rejected
#: by the review team (never published), is shredded that long after entering its status; the
#: originals of a published (or retracted) case that long after its latest revision, its published
#: copies kept. 0 keeps what the class covers for good.
DEFAULT_RETENTION: dict[str, int] = {"withdrawn": 365, "rejected": 730, "published": 3650}


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        """The file of a `sqlite:///path` URL (three slashes, then the path)."""
        return Path(self.url.removeprefix("sqlite:///"))


@dataclass(frozen=True, slots=True)
class S3Settings:
    endpoint: str = ""
    access_key: str = ""
    secret_key: str = field(default="", repr=False)
    bucket: str = "evidence"
    secure: bool = False
    region: str | None = None
    #: Retention (object lock, governance mode) for originals when the bucket has object lock.
    retention_days: int = 0


@dataclass(frozen=True, slots=True)
class AccountSettings:
    #: A session unused this long ends (minutes).
    session_idle_minutes: int = 30
    #: A session ends this long after log-in, however busy (hours).
    session_max_hours: int = 12
    #: An invitation's token stops working this long after it was made (days).
    invitation_days: int = 7
    #: Shared rate-limit counters for several app processes; none means the database holds them.
    redis_url: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = "Integrity Network <no-reply@localhost>"
    starttls: bool = True


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database: DatabaseSettings
    storage: str
    s3: S3Settings
    keyring_file: Path
    signing_key_file: Path
    #: True when the key files were not configured and live in the data folder (development only).
    keys_generated_in_data_dir: bool
    max_upload_bytes: int
    base_url: str
    log_level: str = "INFO"
    accounts: AccountSettings = field(default_factory=AccountSettings)
    #: Notification e-mail; None (the default) sends none.
    smtp: SmtpSettings | None = None
    #: Memory for cached public answers (`integrity.publication.cache`); 0 turns the cache off.
    public_cache_bytes: int = 256 * MIB
    #: How often a process looks for public changes made elsewhere (another replica), in seconds.
    public_cache_seconds: float = 1.0
    #: The Tesseract program the leak check reads files with (Debian's tesseract-ocr).
    tesseract_command: str = "tesseract"
    #: Whether `integrity serve` runs the background jobs itself ("in-process", the default) or
    #: leaves them to `integrity worker` processes ("worker").
    jobs: str = "in-process"
    #: Whether ``INTEGRITY_BASE_URL`` was given; when not, ``integrity serve`` makes the base URL
    #: from its own ``--host`` and ``--port`` (``serving_at``), so links point where it serves.
    base_url_set: bool = True
    #: Days an institution is given to answer a referral where the law sets no deadline, by kind
    #: (``default`` for any other): ``INTEGRITY_REFERRAL_FOLLOW_UP="default=60,criminal_complaint=90"``.
    referral_follow_up: Mapping[str, int] = field(default_factory=lambda: {"default": 60})
    #: Retention classes: days after a case entered the status (for ``published``: after its
    #: latest revision) before the queue's job shreds it, or its originals
    #: (``preservation.retention``): ``INTEGRITY_RETENTION="withdrawn=365,rejected=730,published=3650"``;
    #: 0 keeps them for good.
    retention: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_RETENTION))

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str, default: str = "") -> str:
            return env.get(PREFIX + name, "").strip() or default

        data_dir = Path(get("DATA_DIR", "storage")).expanduser().absolute()
        database_url = get("DATABASE_URL", f"sqlite:///{data_dir / 'integrity.sqlite3'}")
        validate_database_url(database_url)

        storage = get("STORAGE", "local").lower()
        if storage not in {"local", "s3"}:
            raise ConfigurationError("INTEGRITY_STORAGE must be 'local' or 's3'")

        s3 = S3Settings(
            endpoint=get("S3_ENDPOINT"),
            access_key=get("S3_ACCESS_KEY"),
            secret_key=get("S3_SECRET_KEY"),
            bucket=get("S3_BUCKET", "evidence"),
            secure=_parse_bool("INTEGRITY_S3_SECURE", get("S3_SECURE", "false")),
            region=get("S3_REGION") or None,
            retention_days=_parse_int("INTEGRITY_S3_RETENTION_DAYS", get("S3_RETENTION_DAYS", "0")),
        )
        if storage == "s3" and not (s3.endpoint and s3.access_key and s3.secret_key):
            raise ConfigurationError(
                "INTEGRITY_STORAGE=s3 needs INTEGRITY_S3_ENDPOINT, INTEGRITY_S3_ACCESS_KEY "
                "and INTEGRITY_S3_SECRET_KEY"
            )
        if not _BUCKET_NAME.fullmatch(s3.bucket) or _IP_ADDRESS.fullmatch(s3.bucket) or ".." in s3.bucket:
            raise ConfigurationError(
                "INTEGRITY_S3_BUCKET must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots "
                "and hyphens, starting and ending with a letter or digit"
            )

        keyring = get("KEYRING_FILE")
        signing = get("SIGNING_KEY_FILE")
        base_url = get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigurationError("INTEGRITY_BASE_URL must start with http:// or https://")

        return cls(
            data_dir=data_dir,
            database=DatabaseSettings(url=database_url),
            storage=storage,
            s3=s3,
            keyring_file=Path(keyring) if keyring else data_dir / "keys" / "keyring.json",
            signing_key_file=Path(signing) if signing else data_dir / "keys" / "signing-key.pem",
            keys_generated_in_data_dir=not (keyring and signing),
            max_upload_bytes=_parse_int(
                "INTEGRITY_MAX_UPLOAD_BYTES", get("MAX_UPLOAD_BYTES", str(2 * 1024**3))
            ),
            base_url=base_url,
            log_level=get("LOG_LEVEL", "INFO").upper(),
            accounts=_account_settings(get),
            smtp=_smtp_settings(get),
            public_cache_bytes=MIB * _parse_int("INTEGRITY_PUBLIC_CACHE_MB", get("PUBLIC_CACHE_MB", "256")),
            public_cache_seconds=_parse_seconds(
                "INTEGRITY_PUBLIC_CACHE_SECONDS", get("PUBLIC_CACHE_SECONDS", "1")
            ),
            tesseract_command=get("TESSERACT", "tesseract"),
            jobs=_jobs(get("JOBS", "in-process").lower()),
            base_url_set=bool(get("BASE_URL", "").strip()),
            referral_follow_up=_follow_up(get("REFERRAL_FOLLOW_UP", "")),
            retention=_retention(get("RETENTION", "")),
        )


def _jobs(value: str) -> str:
    if value not in {"in-process", "worker"}:
        raise ConfigurationError("INTEGRITY_JOBS must be 'in-process' or 'worker'")
    return value


def _account_settings(get: Callable[[str, str], str]) -> AccountSettings:
    def positive(name: str, default: int) -> int:
        number = _parse_int(PREFIX + name, get(name, str(default)))
        if number == 0:
            raise ConfigurationError(f"{PREFIX}{name} must be at least 1")
        return number

    redis_url = get("REDIS_URL", "") or None
    if redis_url is not None and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError("INTEGRITY_REDIS_URL must look like redis://host:port/0")
    return AccountSettings(
        session_idle_minutes=positive("SESSION_IDLE_MINUTES", 30),
        session_max_hours=positive("SESSION_MAX_HOURS", 12),
        invitation_days=positive("INVITATION_DAYS", 7),
        redis_url=redis_url,
    )


def _smtp_settings(get: Callable[[str, str], str]) -> SmtpSettings | None:
    host = get("SMTP_HOST", "")
    if not host:
        return None
    port = _parse_int("INTEGRITY_SMTP_PORT", get("SMTP_PORT", "587"))
    if not 0 < port < 65536:
        raise ConfigurationError("INTEGRITY_SMTP_PORT must be a port number")
    return SmtpSettings(
        host=host,
        port=port,
        username=get("SMTP_USERNAME", ""),
        password=get("SMTP_PASSWORD", ""),
        sender=get("SMTP_SENDER", f"Integrity Network <no-reply@{host}>"),
        starttls=_parse_bool("INTEGRITY_SMTP_STARTTLS", get("SMTP_STARTTLS", "true")),
    )


def validate_database_url(url: str) -> None:
    """Refuse anything but `sqlite:///file` and `postgresql://...`, with a one-line reason."""
    if url.startswith("sqlite:"):
        if not url.startswith("sqlite:///") or url == "sqlite:///" or ":memory:" in url:
            raise ConfigurationError(
                "INTEGRITY_DATABASE_URL for SQLite must look like sqlite:///path/to/file.db"
            )
        return
    parts = urlsplit(url)
    if parts.scheme not in {"postgresql", "postgres"} or not parts.hostname:
        raise ConfigurationError(
            "INTEGRITY_DATABASE_URL must be sqlite:///path/to/file.db or "
            "postgresql://user:password@host:port/database"
        )
    if not parts.path.strip("/"):
        raise ConfigurationError("INTEGRITY_DATABASE_URL for PostgreSQL must name a database")


def _parse_bool(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false")


def _follow_up(value: str) -> dict[str, int]:
    """``kind=days`` pairs separated by commas; ``default`` applies to every kind not named."""
    intervals = {"default": 60}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        kind, _, days = item.partition("=")
        number = _parse_int("INTEGRITY_REFERRAL_FOLLOW_UP", days.strip())
        if not kind.strip() or not 1 <= number <= 3650:
            raise ConfigurationError(
                "INTEGRITY_REFERRAL_FOLLOW_UP is kind=days pairs separated by commas (1 to 3650 days)"
            )
        intervals[kind.strip()] = number
    return intervals


def _retention(value: str) -> dict[str, int]:
    """``class=days`` pairs separated by commas, for the classes in ``DEFAULT_RETENTION``."""
    classes = dict(DEFAULT_RETENTION)
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        status, _, days = item.partition("=")
        number = _parse_int("INTEGRITY_RETENTION", days.strip())
        if status.strip() not in DEFAULT_RETENTION or not 0 <= number <= 36500:
            raise ConfigurationError(
                "INTEGRITY_RETENTION is class=days pairs separated by commas, for withdrawn, rejected "
                "and published (0 to 36500 days; 0 keeps them for good)"
            )
        classes[status.strip()] = number
    return classes


def _parse_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number") from None
    if number < 0:
        raise ConfigurationError(f"{name} must not be negative")
    return number


def _parse_seconds(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number of seconds") from None
    if not 0 <= number <= 3600:
        raise ConfigurationError(f"{name} must be between 0 and 3600")
    return number


def serving_at(settings: Settings, host: str, port: int) -> Settings:
    """``settings`` for a server listening on ``host``:``port``: unless ``INTEGRITY_BASE_URL`` says
    otherwise, every link it writes (invitations, the feed, receipts) points there. A server
    listening on every address is reached on this machine as 127.0.0.1."""
    if settings.base_url_set:
        return settings
    if host in {"0.0.0.0", "", "::"}:  # noqa: S104 - naming the wildcard, not binding to it
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return replace(settings, base_url=f"http://{host}:{port}")
