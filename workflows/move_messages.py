"""Messages in and out of the move workflow: one staffed person on one task, from the offer to their release."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from infra.store.assignments import MoveState
from workflows.messages import Via

MOVE_WORKFLOW = "AssignmentMoveWorkflow"
"""The move workflow's type name."""
ANSWER_UPDATE = "answer"
"""Update by which the staffed person accepts or declines."""
RELEASE_UPDATE = "release"
"""Update by which their line manager releases or refuses."""
HR_DECIDED_SIGNAL = "hr_decided"
"""Signal from the goal workflow: HR decided the review of a refusal (the move reads the decision from Postgres)."""
MOVE_EVENT_SIGNAL = "move_event"
"""Signal to the goal workflow: a move was released, declined, refused or withdrawn."""

ActKind = Literal["accept", "decline", "release", "refuse"]
MoveEventKind = Literal["released", "declined", "refused", "withdrawn"]


def move_workflow_id(goal_id: str, task_id: str, employee_id: str) -> str:
    """The move's workflow id: one per person per task of a goal."""
    return f"move-{goal_id}-{task_id}-{employee_id}"


class MoveInput(BaseModel):
    """Start arguments of a move workflow."""

    goal_id: str
    """Goal."""
    goal_workflow_id: str
    """The goal's workflow (told of declines, refusals and releases)."""
    task_id: str
    """Task within the goal."""
    employee_id: str
    """The person staffed."""
    manager_login: str
    """The goal's manager (told when the person is released)."""
    release_working_days: int = Field(default=3, ge=1)
    """Working days the line manager has before silence counts as release."""


class OfferFacts(BaseModel):
    """What offering the assignment found out: who must release the person."""

    line_manager_id: str | None
    """Their line manager (None: nobody above them to ask)."""
    line_manager_login: str | None
    """The line manager's login (None: they cannot sign in to answer)."""


class ActAttestation(BaseModel):
    """The application layer's signed word that the actor is who the act needs (see ``workflows.move_acts``)."""

    actor_employee_id: str | None
    """The actor's employee id, as the application layer read it."""
    expires_at: str
    """ISO timestamp (UTC) after which the workflow refuses it."""
    key_id: str
    """Which key signed it."""
    signature: str
    """Hex HMAC-SHA256 of the canonical statement."""


class MoveAct(BaseModel):
    """A person's answer or a line manager's release, sent by update."""

    kind: ActKind
    """accept or decline (the person), release or refuse (their line manager)."""
    actor: str = Field(min_length=1)
    """Login of whoever acts."""
    reason: str | None = None
    """Required to decline or refuse."""
    via: Via = "console"
    """How the actor authenticated."""
    attestation: ActAttestation | None = None
    """Signed by the application layer; an act without a valid one is refused."""


class MoveEvent(BaseModel):
    """What a move tells its goal."""

    task_id: str
    """Task."""
    employee_id: str
    """The person."""
    kind: MoveEventKind
    """released, declined, refused (HR must decide) or withdrawn (HR upheld a refusal)."""
    reason: str | None = None
    """The person's or the line manager's reason."""
    actor: str | None = None
    """Who declined or refused."""
    names: ReleaseNames | None = None
    """The people and the task in words, for a refusal's review (None in events from before)."""


class ReleaseNames(BaseModel):
    """A release's people and task by name (what ``record_release`` returns), for HR to read."""

    person: str
    """The person staffed."""
    line_manager: str
    """Who refused or released."""
    task: str
    """The task."""


class HrDecided(BaseModel):
    """The goal workflow's word that HR decided the review of a refusal."""

    review_id: str
    """The review; the move reads its decision from Postgres, so a forged signal cannot decide anything."""


class MoveView(BaseModel):
    """Live state of a move (query)."""

    state: MoveState
    """Where it is."""
    line_manager_id: str | None
    """Who must release the person, once asked."""
    release_due_at: str | None
    """ISO time silence counts as release."""


# ---------------------------------------------------------------------------------------------------- activities


class RecordAnswer(BaseModel):
    """Store the person's answer."""

    move: MoveInput
    """The move."""
    act: MoveAct
    """Their accept or decline."""


class AskRelease(BaseModel):
    """Ask the line manager to release the person by a deadline."""

    move: MoveInput
    """The move."""
    facts: OfferFacts
    """Who to ask."""
    due_at: str
    """ISO time silence counts as release."""


class RecordRelease(BaseModel):
    """Store the release, the refusal or the silence."""

    move: MoveInput
    """The move."""
    released: bool
    """Released (by the line manager, by silence, or because nobody can be asked) or refused."""
    by: str
    """Login of the line manager, or ``policy`` when silence or the org chart decided."""
    reason: str | None = None
    """The refusal's reason, or why the policy released."""
    by_silence: bool = False
    """Released because the deadline passed without an answer."""
    line_manager_id: str | None = None
    """Who was asked."""
    via: Via | None = None
    """How the line manager authenticated (None: the policy decided)."""


class SettleRefusal(BaseModel):
    """Apply HR's decision on a refusal, read from the review's row."""

    move: MoveInput
    """The move."""
    review_id: str
    """HR's review of the refusal."""
