"""The one exception hierarchy of the platform; `integrity.http.problems` maps it to HTTP."""

from __future__ import annotations


class IntegrityError(Exception):
    """Base of every error that domain code raises on purpose.

    The message is shown to the client as the problem `detail`, so it must never carry evidence,
    narratives, filenames or anything else a member filed.
    """

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class BadRequest(IntegrityError):
    """A request that cannot be parsed at all (e.g. a malformed or truncated multipart body)."""

    status_code = 400
    title = "Bad request"


class Invalid(IntegrityError):
    status_code = 422
    title = "Invalid input"


class NotAuthenticated(IntegrityError):
    status_code = 401
    title = "Not logged in"


class Forbidden(IntegrityError):
    status_code = 403
    title = "Not allowed"


class NotFound(IntegrityError):
    status_code = 404
    title = "Not found"


class WrongState(IntegrityError):
    status_code = 409
    title = "Not allowed in this state"


class TooLarge(IntegrityError):
    status_code = 413
    title = "Too large"


class UnsupportedType(IntegrityError):
    status_code = 415
    title = "File type not allowed"


class RangeNotSatisfiable(IntegrityError):
    """A `Range` header that selects no byte of the file; the response says how big the file is."""

    status_code = 416
    title = "Range not satisfiable"

    def __init__(self, detail: str | None = None, *, size: int) -> None:
        super().__init__(detail)
        self.size = size
        #: RFC 9110 section 14.4: a 416 should carry `Content-Range: bytes */<size>`.
        self.content_range = f"bytes */{size}"


class RateLimited(IntegrityError):
    status_code = 429
    title = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class StorageUnavailable(IntegrityError):
    """The object store (or the local vault folder) cannot be reached in time."""

    status_code = 503
    title = "Evidence storage unavailable"


class DatabaseUnavailable(IntegrityError):
    status_code = 503
    title = "Database unavailable"


class TamperedBlob(IntegrityError):
    """A stored blob failed authentication or its recorded size/sha256 on read."""

    status_code = 500
    title = "Stored evidence failed its integrity check"


class ConfigurationError(IntegrityError):
    """Settings that cannot work (bad database URL, unreadable key file, ...)."""

    status_code = 500
    title = "Configuration error"
