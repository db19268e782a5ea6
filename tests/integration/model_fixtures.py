"""Helpers for goals whose agents talk to the scripted model server: reading the staffing prompt the way a model
would, and answering it (validly, or with the mistakes a weak model makes)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from scripted_model import Json, ToolCall

_TASK = re.compile(r"^Task (\S+): .*\(weeks (\d+)-(\d+), ", re.M)
_PERSON = re.compile(r"^  - (\S+): .*?; score ([\d.]+); needs (\d+)% of their time(?:, (\d+)% free)?;", re.M)


@dataclass(frozen=True)
class Person:
    """One candidate line of the staffing prompt."""

    employee_id: str
    score: float
    needs: int
    """Percent of their time the task needs."""
    free: int | None
    """Percent of their time free in the task's window, when shown."""


@dataclass
class PromptTask:
    """One task of the staffing prompt with the people listed for it."""

    task_id: str
    start_week: int
    end_week: int
    people: list[Person] = field(default_factory=list)

    def overlaps(self, other: PromptTask) -> bool:
        return self.start_week < other.end_week and other.start_week < self.end_week


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def request_text(body: Json) -> str:
    """Every string of the conversation the request carries (chat ``messages`` or Responses ``input``)."""
    return "\n".join(_strings([body.get("messages"), body.get("input"), body.get("instructions")]))


def staffing_prompt(body: Json) -> str:
    """The staffing prompt (the user message listing the tasks and their people)."""
    for text in _strings([body.get("messages"), body.get("input")]):
        if _TASK.search(text):
            return text
    raise AssertionError("the request carries no staffing prompt")


def prompt_tasks(body: Json) -> list[PromptTask]:
    """The tasks of the staffing prompt, each with the people listed for it."""
    tasks: list[PromptTask] = []
    for line in staffing_prompt(body).splitlines():
        if task := _TASK.match(line):
            tasks.append(PromptTask(task.group(1), int(task.group(2)), int(task.group(3))))
        elif (person := _PERSON.match(line)) and tasks:
            free = person.group(4)
            tasks[-1].people.append(Person(person.group(1), float(person.group(2)), int(person.group(3)),
                                           None if free is None else int(free)))
    return tasks


def choice(picks: dict[str, list[str]], why: str = "best evidence") -> ToolCall:
    """A ``StaffingChoice`` tool call: employee ids per task id."""
    return ToolCall({"tasks": [{"task_id": t, "employee_ids": ids, "why": why} for t, ids in picks.items()],
                     "explanation": "Chosen from the matcher's people."})


def valid_picks(body: Json) -> dict[str, list[str]]:
    """For every task one person with room to spare who is on no overlapping task already (nobody when none)."""
    tasks = prompt_tasks(body)
    picks: dict[str, list[str]] = {}
    taken: list[tuple[PromptTask, str]] = []
    for task in tasks:
        busy = {who for other, who in taken if other.overlaps(task)}
        fitting = [p for p in task.people if p.employee_id not in busy and (p.free is None or p.needs <= p.free)]
        picks[task.task_id] = [fitting[0].employee_id] if fitting else []
        if fitting:
            taken.append((task, fitting[0].employee_id))
    return picks


def valid_choice(body: Json) -> ToolCall:
    """A choice that passes the product's checks."""
    return choice(valid_picks(body))


def invented_choice(employee_id: str = "E9999") -> Callable[[Json], ToolCall]:
    """A choice that names somebody the matcher never found (for the first task), the rest valid."""
    def build(body: Json) -> ToolCall:
        picks = valid_picks(body)
        first = next(iter(picks))
        picks[first] = [employee_id]
        return choice(picks)
    return build


def overbooking_picks(body: Json) -> tuple[dict[str, list[str]], str] | None:
    """Picks that give someone more time across two overlapping tasks than they have free, with who that is; None
    when the prompt lists nobody on two overlapping tasks whose needs add up past their free time."""
    tasks = prompt_tasks(body)
    for n, first in enumerate(tasks):
        for second in tasks[n + 1:]:
            if not first.overlaps(second):
                continue
            on_second = {p.employee_id: p for p in second.people}
            for person in first.people:
                other = on_second.get(person.employee_id)
                free = min(f for f in (person.free, other.free, 100) if f is not None) if other else 0
                if other is not None and person.needs + other.needs > free + 1 and person.needs + 1 < free:
                    picks = valid_picks(body)
                    picks[first.task_id] = [person.employee_id]
                    picks[second.task_id] = [person.employee_id]
                    return picks, person.employee_id
    return None
