"""What the API models share: the ``{data, count}`` list envelope, how times are written, the bounds every number,
time and id of a request keeps to, and the bodies of refusals (4xx)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path
from pydantic import AfterValidator, BaseModel, Field

from infra.store.timestamps import Timestamp

__all__ = ["BIGINT_MAX", "ERROR_RESPONSES", "ID_MAX", "NAME_MAX", "ActionTypePath", "EmployeeIdPath", "FieldProblem",
           "FilterTime", "GoalIdPath", "Id", "ItemIdPath", "ListOf", "Name", "Refusal", "ReviewIdPath", "SourcePath",
           "TaskIdPath", "Timestamp", "Unprocessable"]

T = TypeVar("T")

BIGINT_MAX = 2**63 - 1
"""Largest Postgres ``bigint`` (sequence numbers)."""
ID_MAX = 64
"""Longest id a request may name (goal, review, employee, task, action type, source): real ones are far shorter."""
NAME_MAX = 120
"""Longest login, actor, department or action filter a request may name."""
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
"""Earliest time a filter may name (nothing in the product is older)."""


class ListOf(BaseModel, Generic[T]):
    """A list envelope."""

    data: list[T]
    """The items."""
    count: int
    """How many items."""


def _sane_time(value: datetime) -> datetime:
    """The time in UTC (a time without a zone is UTC), between 1970 and the end of year 9999."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError as err:  # e.g. 0001-01-01T00:00+14:00 or 9999-12-31T23:59-14:00 has no UTC datetime
        raise ValueError("a time between 1970-01-01 and 9999-12-31 (UTC) is needed") from err
    if in_utc < EARLIEST:
        raise ValueError("a time between 1970-01-01 and 9999-12-31 (UTC) is needed")
    return in_utc


FilterTime = Annotated[datetime, AfterValidator(_sane_time)]
"""A time a request filters on: ISO 8601, between 1970-01-01 and 9999-12-31 in UTC; without a zone it is UTC."""
Id = Annotated[str, Field(max_length=ID_MAX)]
"""An id in a request body or query."""
Name = Annotated[str, Field(max_length=NAME_MAX)]
"""A login, actor, department or prefix in a request body or query."""
GoalIdPath = Annotated[str, Path(max_length=ID_MAX, description="Goal id (``g-…``).")]
TaskIdPath = Annotated[str, Path(max_length=ID_MAX, description="Task id within its goal (``T1``).")]
ReviewIdPath = Annotated[str, Path(max_length=ID_MAX, description="Review id (``r-…``).")]
EmployeeIdPath = Annotated[str, Path(max_length=ID_MAX, description="Employee id (``E0103``).")]
ActionTypePath = Annotated[str, Path(max_length=ID_MAX, description="Action type (``decompose_goal``).")]
SourcePath = Annotated[str, Path(max_length=ID_MAX, description="Signal source (``project``).")]
ItemIdPath = Annotated[str, Path(max_length=ID_MAX, description="Item id within an onboarding plan (``K0``, ``C30``).")]


class Refusal(BaseModel):
    """Why a request was refused: one sentence a person can act on."""

    detail: str
    """What is wrong and, where it helps, what to do."""


class FieldProblem(BaseModel):
    """One problem with one part of a request, as FastAPI reports it."""

    loc: list[str | int]
    """Where: ``body``, ``query``, ``path`` and the field."""
    msg: str
    """What is wrong."""
    type: str
    """Kind of problem (``missing``, ``less_than_equal``, …)."""


class Unprocessable(BaseModel):
    """Why a request was refused with 422: a sentence (the product's own checks, control characters), or, when the
    request does not have the shape the operation takes, FastAPI's list of problems field by field."""

    detail: str | list[FieldProblem]
    """A sentence, or the problems field by field."""


def _refusal(description: str, model: type[BaseModel] = Refusal) -> dict[str, Any]:
    return {"model": model, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _refusal("The request cannot be served as sent (e.g. a body that is not a form or JSON)."),
    401: _refusal("Not signed in: sign in (`POST /api/login`) or send HTTP Basic credentials."),
    403: _refusal("Your role cannot do this, or the request came from another site."),
    404: _refusal("No such goal, review, employee or resource, or none you may see."),
    409: _refusal("The state changed: already decided, not in a state that allows it, or arguments that changed."),
    413: _refusal("The request body is larger than the console accepts (`TALENTOPS_MAX_REQUEST_BODY_BYTES`)."),
    422: _refusal("The request is not valid: a sentence saying which field and why, or FastAPI's list of problems.",
                  Unprocessable),
    429: _refusal("Too many failed sign-ins from this login or address: wait as long as `Retry-After` says."),
}
"""The refusals every ``/api`` operation may answer, published in the OpenAPI with their bodies."""
