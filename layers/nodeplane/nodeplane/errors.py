"""Domain errors. Each names the HTTP status and Atoma error code it maps to; handlers never map by hand."""

from __future__ import annotations


class DomainError(Exception):
    status: int = 400
    title: str = "Bad Request"
    code: str = "REQUEST_ERROR"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(DomainError):
    pass


class Unauthorized(DomainError):
    status, title, code = 401, "Unauthorized", "AUTH_ERROR"


class Forbidden(DomainError):
    status, title, code = 403, "Forbidden", "AUTH_ERROR"


class PaymentRequired(DomainError):
    status, title, code = 402, "Payment Required", "BALANCE_ERROR"


class NotFound(DomainError):
    status, title, code = 404, "Not Found", "NOT_FOUND"


class Conflict(DomainError):
    status, title, code = 409, "Conflict", "CONFLICT"


class PayloadTooLarge(DomainError):
    status, title, code = 413, "Content Too Large", "REQUEST_ERROR"


class Unprocessable(DomainError):
    status, title, code = 422, "Unprocessable Content", "REQUEST_ERROR"


class Unavailable(DomainError):
    status, title, code = 503, "Service Unavailable", "SERVICE_UNAVAILABLE"


class ChainUnavailable(Unavailable):
    """The Sui network could not be reached or did not answer in time: nothing was charged or half-written.

    ``digest`` names a transaction that was submitted without an answer: it is looked up by that digest, never
    submitted again.
    """

    def __init__(self, detail: str, digest: str | None = None) -> None:
        super().__init__(detail)
        self.digest = digest


class Retry(DomainError):
    """A transient conflict the caller should simply retry (e.g. a purchase in flight)."""

    status, title, code = 409, "Conflict", "TOO_MANY_REQUESTS"
