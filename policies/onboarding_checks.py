"""What every onboarding plan must be before a reviewer sees it (whoever drafted it). Pure: no I/O.

A plan has check-ins with the goal's manager on days 30, 60 and 90; every item is due on or after the start and
by day 120; ids are unique; dependencies name items of the plan, never form a cycle and come due no later than
what depends on them; learning items name an item of the catalogue; the buddy is not the person moving.
"""

from __future__ import annotations

from collections.abc import Collection

from infra.store.onboarding import OnboardingPlan

CHECKIN_DAYS = (30, 60, 90)
"""Days of the check-ins with the goal's manager; ``C30``, ``C60``, ``C90``."""
LAST_DAY = 120
"""Latest day an item may be due."""


def checkin_id(day: int) -> str:
    """The id of the check-in on ``day``."""
    return f"C{day}"


def check_onboarding_plan(plan: OnboardingPlan, *, person_id: str, catalogue_ids: Collection[str]) -> list[str]:
    """What is wrong with ``plan``, one sentence per problem (empty: it passes)."""
    problems: list[str] = []
    ids = [i.item_id for i in plan.items]
    by_id = {i.item_id: i for i in plan.items}
    if len(set(ids)) != len(ids):
        problems.append("each item needs its own id")
    for day in CHECKIN_DAYS:
        item = by_id.get(checkin_id(day))
        if item is None or item.kind != "checkin" or item.due_day != day or item.owner_role != "goal_manager":
            problems.append(f"the plan needs the day-{day} check-in with the goal's manager ({checkin_id(day)})")
    for item in plan.items:
        if item.due_day < 0:
            problems.append(f"{item.item_id} is dated before the start (day {item.due_day})")
        elif item.due_day > LAST_DAY:
            problems.append(f"{item.item_id} is due after day {LAST_DAY}")
        for dep in item.depends_on:
            if dep not in by_id:
                problems.append(f"{item.item_id} depends on {dep}, which is not in the plan")
            elif by_id[dep].due_day > item.due_day:
                problems.append(f"{item.item_id} is due before {dep}, which it depends on")
        if item.kind == "learning" and item.learning_item_id not in catalogue_ids:
            problems.append(f"{item.item_id} is a learning item that is not in the learning catalogue")
        if item.owner_role == "buddy" and plan.buddy_id is None:
            problems.append(f"{item.item_id} is for the buddy, but the plan has none")
    if plan.buddy_id == person_id:
        problems.append("the buddy cannot be the person moving")
    if _has_cycle({i.item_id: [d for d in i.depends_on if d in by_id] for i in plan.items}):
        problems.append("the items' dependencies go round in a circle")
    return problems


def _has_cycle(edges: dict[str, list[str]]) -> bool:
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str) -> bool:
        if state.get(node) == 1:
            return True
        if state.get(node) == 2:
            return False
        state[node] = 1
        if any(visit(nxt) for nxt in edges.get(node, [])):
            return True
        state[node] = 2
        return False

    return any(visit(n) for n in edges)
