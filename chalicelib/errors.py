"""One error vocabulary. Services raise these; `chalicelib/http.py` turns them into
JSON `{"error": {"code", "message"}}` responses in exactly one place."""
from __future__ import annotations


class AppError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.headers = headers or {}

    def body(self) -> dict:
        error: dict = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}


class ValidationError(AppError):
    status = 400
    code = "validation_error"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class Gone(AppError):
    status = 410
    code = "gone"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"


class TooManyRequests(AppError):
    status = 429
    code = "rate_limited"


class Unavailable(AppError):
    """A transient failure (throttling, an unreachable dependency). Clients retry; a client
    must never read it as 'your session is invalid'."""
    status = 503
    code = "unavailable"

    def __init__(self, message: str = "The service is busy; retry shortly.", *,
                 retry_after: int = 2, **kwargs) -> None:
        headers = kwargs.pop("headers", None) or {}
        headers.setdefault("Retry-After", str(retry_after))
        super().__init__(message, headers=headers, **kwargs)


class Contention(Unavailable):
    """Many writes to the same items at once (DynamoDB transaction conflicts or throttling)
    outlasted the store's retry budget (chalicelib/adapters/store.py, `retrying`). Nothing
    was written; the same request, retried after Retry-After, is safe."""
    code = "contention"

    def __init__(self, message: str = "Many people are doing this at once; retry in a moment.", *,
                 retry_after: int = 1, **kwargs) -> None:
        super().__init__(message, retry_after=retry_after, **kwargs)
