"""Drafting: the tasks a goal needs, before they are grounded.

The offline planner fills the templates of the goal's kind of work (:mod:`.templates`) with its object, target
and domain; a real model drafts the same records freely (:mod:`.model_draft`). Either way the drafts then go
through the same grounding and checks. Windows come from each task's phase and the deadline, and effort from
the kind of work, the phase and the goal's scale, each with the reason written on the task.
"""

from __future__ import annotations

import math
import re

from pydantic import BaseModel, Field

from agents.planning.templates import PHASE_WINDOWS, TEMPLATES
from agents.planning.understand import Understanding

PHASE_HOURS: dict[str, int] = {"discover": 60, "design": 80, "build": 160, "test": 80, "prepare": 50,
                               "go live": 60, "follow up": 30}
"""Effort at medium scale by phase, for drafts without a template's own figure (a model's)."""
MAX_SCALE_FACTOR = 2.0
"""A large stated scale at most doubles the effort."""
MAX_WINDOW_SHARE = 0.8
"""Share of a full-time week a task's effort may take across its window before it counts as too much."""


class TaskDraft(BaseModel):
    """A task as drafted, before it is grounded in O*NET."""

    title: str = Field(min_length=3, max_length=200)
    """Short name that names the goal's object."""
    description: str = Field(min_length=3, max_length=2000)
    """What is done."""
    phase: str = Field(pattern="^(discover|design|build|test|prepare|go live|follow up)$")
    """Phase of the work: discover, design, build, test, prepare, go live or follow up."""
    activity: str = Field(min_length=3, max_length=300)
    """The work activity in plain words ("test warehouse systems"), used to ground the task."""
    depends_on: list[int] = Field(default_factory=list)
    """Numbers (1-based, in draft order) of the tasks that must come first."""
    who: str | None = None
    """Who usually does this kind of task, if known ("purchasing agents and buyers")."""
    domain_share: float = Field(default=0.5, ge=0, le=1)
    """How much the goal's domain, rather than ``who``, decides who does it."""
    zone: int = Field(default=3, ge=1, le=5)
    """O*NET job zone the task needs at least."""
    hours: int | None = Field(default=None, ge=1, le=5000)
    """Effort at medium scale in person-hours (None: the phase's default)."""
    start_week: int | None = Field(default=None, ge=0, le=520)
    """First week, when set (None: from the phase and the deadline)."""
    end_week: int | None = Field(default=None, ge=1, le=520)
    """Week it ends (exclusive), when set."""
    capped_hours: int | None = Field(default=None, ge=1, le=5000)
    """Effort a revision capped it to (one person full time to the deadline); not scaled again."""


def draft_from_templates(understanding: Understanding) -> list[TaskDraft]:
    """The offline draft: the templates of the goal's kind filled with its object, target and domain."""
    templates = TEMPLATES[understanding.kind.name]
    position = {t.key: n for n, t in enumerate(templates, start=1)}
    fill = {"object": understanding.reading.object, "target": understanding.target or _default_target(understanding),
            "domain": understanding.domain.label}
    return [TaskDraft(
        title=_sentence(t.title.format(**fill)), description=_sentence(t.description.format(**fill)),
        phase=t.phase, activity=t.activity.format(**fill), depends_on=[position[k] for k in t.after], who=t.who,
        domain_share=t.domain_share, zone=t.zone, hours=t.hours) for t in templates]


_SYSTEM_WORDS = re.compile(r"\b(system|software|platform|database|app|application|tool|erp|crm|wms|hris|ehr|"
                           r"cloud|server|data)\b", re.I)


def _default_target(understanding: Understanding) -> str:
    """Where a migration moves to when the goal does not say: a named technology, a new system, or a new set-up."""
    named = understanding.reading.technologies
    if named:
        return named[0]
    software = understanding.domain.name in ("it", "data") or _SYSTEM_WORDS.search(understanding.text)
    return "the new system" if software else "the new set-up"


def _sentence(text: str) -> str:
    text = re.sub(r"\bthe the\b", "the", text)
    text = re.sub(r"\bthe (a|an|the)\b", r"\1", text)
    return text[0].upper() + text[1:]


def scale_factor(scale: str | None) -> float:
    """How much a stated scale ("12 branches", "40k SKUs") multiplies the medium-scale effort.

    Up to 10 of something is medium (1.0); each tenfold beyond adds 30%, at most :data:`MAX_SCALE_FACTOR`.
    """
    if not scale:
        return 1.0
    found = re.match(r"(\d[\d,.]*)\s*([kKmM]?)", scale)
    if not found:
        return 1.0
    number = float(found.group(1).replace(",", "") or 0)
    number *= {"k": 1e3, "m": 1e6}.get(found.group(2).lower(), 1.0)
    if number <= 10:
        return 1.0
    return round(min(MAX_SCALE_FACTOR, 1.0 + 0.3 * math.log10(number / 10)), 2)


def window(phase: str, deadline_weeks: int) -> tuple[int, int]:
    """The weeks a phase takes, ``[start, end)``, inside the deadline."""
    start_share, end_share = PHASE_WINDOWS.get(phase, (0.0, 1.0))
    start = min(deadline_weeks - 1, math.floor(deadline_weeks * start_share))
    end = min(deadline_weeks, max(start + 1, math.ceil(deadline_weeks * end_share)))
    return start, end


def effort(draft: TaskDraft, kind_label: str, scale: str | None) -> tuple[int, str]:
    """Person-hours for a drafted task and what they rest on."""
    if draft.capped_hours is not None:
        return draft.capped_hours, "capped at one person full time until the deadline (see the assumptions)"
    base = draft.hours or PHASE_HOURS.get(draft.phase, 80)
    factor = scale_factor(scale)
    hours = max(4, int(round(base * factor / 4) * 4))
    basis = f"{draft.phase} work ({kind_label}): {base} h at medium scale"
    if factor != 1.0:
        basis += f", × {factor:g} for the stated scale ({scale})"
    return hours, basis
