"""API models: the certifications a goal's task needs (a reviewer adds or removes one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, Field

from infra.store.certifications import TYPE_ID
from review_console.api.models.common import ID_MAX
from workflows.usecases.task_certifications import TaskCertification

REASON_FIELD_MAX = 2000
"""Longest reason a request may carry (the use case keeps at most 500 characters once spaces are collapsed, and says
so in a sentence)."""
CertificationTypePath = Annotated[str, Path(max_length=ID_MAX, description="Certification type id, a slug (``pcip``).")]


class TaskCertificationIn(BaseModel):
    """A certification type the task needs, and why."""

    type_id: str = Field(max_length=ID_MAX, pattern=TYPE_ID.pattern)
    """The type's id (a slug such as ``pcip``; the catalogue lists them)."""
    reason: str = Field(max_length=REASON_FIELD_MAX)
    """Why the task needs it (3 to 500 characters; people staffed on the task and HR read it)."""


class TaskCertificationPublic(TaskCertification):
    """A certification type a task needs: who set it and why."""
