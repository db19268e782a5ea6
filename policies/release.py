"""Releasing a staffed person from their team (anti-hoarding): how long their line manager has to answer.

Pure: no I/O. The line manager is asked once the person accepted; a refusal needs a reason and goes to HR; silence
past the deadline counts as release, and the request says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta

RELEASE_WORKING_DAYS = 3
"""Working days a line manager has to release or refuse before their silence counts as release."""
POLICY_VERSION = "release/1"
"""Version of these rules, recorded on the audit events they decide."""


def release_deadline(asked_at: datetime, working_days: int = RELEASE_WORKING_DAYS) -> datetime:
    """The moment silence counts as release: ``working_days`` working days (Monday to Friday) after ``asked_at``,
    at the same time of day. A request made at the weekend counts from the Monday.

    Raises:
        ValueError: ``working_days`` is below 1.
    """
    if working_days < 1:
        raise ValueError("a line manager needs at least one working day to answer")
    due = asked_at
    while due.weekday() >= 5:  # asked at the weekend: the first working day starts on Monday
        due += timedelta(days=1)
    left = working_days
    while left:
        due += timedelta(days=1)
        if due.weekday() < 5:
            left -= 1
    return due


def deadline_words(working_days: int = RELEASE_WORKING_DAYS) -> str:
    """What the line manager is told about the deadline."""
    return (f"Please release or refuse within {working_days} working days. If you do not answer by then, the "
            "policy counts your silence as a release, and that is recorded in the audit trail.")
