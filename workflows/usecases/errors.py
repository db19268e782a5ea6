"""Why a use case refused: each error carries the HTTP status the console answers with and a sentence."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be served; ``status`` is the HTTP status, the message is for people."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class Invalid(ServiceError):
    status = 422


class Unavailable(ServiceError):
    """A service the request needs is away for a moment (Postgres or Temporal restarting); worth retrying."""

    status = 503
    retry_after = 5
