"""The one exception hierarchy of the platform; `integrity.http.problems` maps it to HTTP."""

from __future__ import annotations


class IntegrityError(Exception):
    """Base of every error that domain code raises on purpose.

    `code` is the stable, machine-readable name of what went wrong (problem documents carry it, and
    the pages look their translated message up by it); `field` names the input at fault, if one is.
    Each class has a general code; a raise names a precise one wherever a client or a page may act
    on the difference. Nothing may branch on `detail`, which is English for people and can change.

    The message is shown to the client as the problem `detail`, so it must never carry evidence,
    narratives, filenames or anything else a member filed.
    """

    status_code = 400
    title = "Bad request"
    code = "error"

    def __init__(
        self, detail: str | None = None, *, code: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        self.field = field


class BadRequest(IntegrityError):
    """A request that cannot be parsed at all (e.g. a malformed or truncated multipart body)."""

    status_code = 400
    title = "Bad request"
    code = "bad_request"


class Invalid(IntegrityError):
    status_code = 422
    title = "Invalid input"
    code = "invalid"


class NotAuthenticated(IntegrityError):
    status_code = 401
    title = "Not logged in"
    code = "not_authenticated"


class Forbidden(IntegrityError):
    status_code = 403
    title = "Not allowed"
    code = "forbidden"


class NotFound(IntegrityError):
    status_code = 404
    title = "Not found"
    code = "not_found"


class Gone(IntegrityError):
    """Published once and withdrawn since (a takedown, or a retraction's body and files): the
    answer is a tombstone, the date and a reason category, never the withdrawn text."""

    status_code = 410
    title = "Withdrawn"
    code = "withdrawn"


class WrongState(IntegrityError):
    status_code = 409
    title = "Not allowed in this state"
    code = "wrong_state"


class TooLarge(IntegrityError):
    status_code = 413
    title = "Too large"
    code = "too_large"


class UnsupportedType(IntegrityError):
    status_code = 415
    title = "File type not allowed"
    code = "unsupported_type"


class RangeNotSatisfiable(IntegrityError):
    """A `Range` header that selects no byte of the file; the response says how big the file is."""

    status_code = 416
    title = "Range not satisfiable"
    code = "range_not_satisfiable"

    def __init__(self, detail: str | None = None, *, size: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.size = size
        #: RFC 9110 section 14.4: a 416 should carry `Content-Range: bytes */<size>`.
        self.content_range = f"bytes */{size}"


class RateLimited(IntegrityError):
    status_code = 429
    title = "Too many requests"
    code = "rate_limited"

    def __init__(self, detail: str | None = None, *, retry_after: int = 60, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = retry_after

    @property
    def minutes(self) -> int:
        """The wait in whole minutes, rounded up, as the message says it."""
        return max(1, -(-self.retry_after // 60))


class StorageUnavailable(IntegrityError):
    """The object store (or the local vault folder) cannot be reached in time."""

    status_code = 503
    title = "Evidence storage unavailable"
    code = "storage_unavailable"


class DatabaseUnavailable(IntegrityError):
    status_code = 503
    title = "Database unavailable"
    code = "database_unavailable"


class OcrUnavailable(IntegrityError):
    """Tesseract or its language data is not installed: files cannot be read for the leak check."""

    status_code = 503
    title = "Files cannot be read for the leak check"
    code = "ocr_unavailable"


class TamperedBlob(IntegrityError):
    """A stored blob failed authentication or its recorded size/sha256 on read."""

    status_code = 500
    title = "Stored evidence failed its integrity check"
    code = "tampered_blob"


class ConfigurationError(IntegrityError):
    """Settings that cannot work (bad database URL, unreadable key file, ...)."""

    status_code = 500
    title = "Configuration error"
    code = "configuration_error"
