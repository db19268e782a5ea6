"""The onboarding agent: drafts a person's 30-60-90 plan for a task from their skills gap.

The offline drafter is deterministic (the default: no network, no key); with a model configured for
``draft_onboarding_plan`` a pydantic-ai agent drafts instead. Either way the plan must pass
``policies.onboarding_checks`` before anyone sees it, and a model's failed check goes back to it with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic_ai import Agent

from agents.checked_agent import checked_agent
from agents.models import AgentModel
from infra.store.onboarding import OnboardingPlan, PlanItem
from policies.onboarding_checks import CHECKIN_DAYS, check_onboarding_plan, checkin_id
from tools.onboarding.context import OnboardingContext
from tools.taxonomy.skill_key import skill_key

PROMPT_VERSION = "draft-onboarding/1"
"""Version of the drafting rules (the offline drafter's and the model's instructions)."""
MAX_LEARNING = 4
"""Learning items in a plan at most (the rest of the gap is practised with the buddy)."""
MAX_PRACTICE = 3
"""Practice items at most."""


def _learning(ctx: OnboardingContext) -> tuple[list[PlanItem], list[str]]:
    """A catalogue item per gap skill (one item may cover several), and the gap skills no item covers."""
    items: list[PlanItem] = []
    covered: set[str] = set()
    for match in ctx.catalogue:
        new = [k for k in match.covers if k not in covered]
        if not new or len(items) == MAX_LEARNING:
            continue
        covered |= set(new)
        names = [s for s in ctx.gap_skills if skill_key(s) in new]
        n = len(items) + 1
        items.append(PlanItem(
            item_id=f"L{n}", kind="learning", title=match.item.title,
            detail=f"{match.item.format.capitalize()} by {match.item.provider}, about {match.item.hours:g} hours; "
                   f"covers {', '.join(names)}.", owner_role="person", due_day=3 + 7 * n, depends_on=["K0"],
            learning_item_id=match.item.item_id, skills=names))
    uncovered = [s for s in ctx.gap_skills if skill_key(s) not in covered]
    return items, uncovered


def draft_offline(ctx: OnboardingContext) -> OnboardingPlan:
    """The deterministic plan: kick-off, hand-over, buddy, catalogue learning for the gap, practice on the task,
    and check-ins with the goal's manager on days 30, 60 and 90."""
    buddy = ctx.buddies[0] if ctx.buddies else None
    items = [PlanItem(
        item_id="K0", kind="meeting", title=f"Kick-off of “{ctx.task_title}” with the goal's manager",
        detail="Agree what done looks like at day 30, 60 and 90, and how you will work together.",
        owner_role="goal_manager", due_day=2)]
    if buddy is not None:
        items.append(PlanItem(
            item_id="B1", kind="meeting", title=f"Meet your buddy, {buddy.name}",
            detail=f"{buddy.name} ({buddy.title}) has strong evidence in {', '.join(buddy.skills[:3])}. Meet weekly "
                   "for the first month.", owner_role="buddy", due_day=3))
    if ctx.has_line_manager:
        items.append(PlanItem(
            item_id="H1", kind="admin", title=f"Hand over {ctx.person_name}'s current work for the time share",
            detail="Agree with the team what pauses or moves while they work on the task.", owner_role="line_manager",
            due_day=5))
    items.append(PlanItem(item_id="A1", kind="admin", title="Record the time share in the HR system",
                          detail="So that capacity and the calendar show it.", owner_role="hr", due_day=5))
    learning, uncovered = _learning(ctx)
    items += learning
    practised = (ctx.gap_skills or ctx.task_skills)[:MAX_PRACTICE]
    for n, skill in enumerate(practised, start=1):
        teaching = [i.item_id for i in learning if skill in i.skills]
        after = max([i.due_day for i in learning if i.item_id in teaching], default=14)
        with_buddy = f", with {buddy.name} reviewing it" if buddy else ""
        how = "not in the catalogue: learn it on the job" if skill in uncovered else "apply what you learned"
        items.append(PlanItem(
            item_id=f"P{n}", kind="practice", title=f"Practise {skill} on “{ctx.task_title}”",
            detail=f"A first real piece of the task that needs {skill} ({how}){with_buddy}.", owner_role="person",
            due_day=min(after + 7 + 7 * (n - 1), 85), depends_on=teaching or ["K0"], skills=[skill]))
    for day in CHECKIN_DAYS:
        previous = [checkin_id(day - 30)] if day > CHECKIN_DAYS[0] else ["K0"]
        detail = ("Mark whether they are productive on the task: that records their time to productivity."
                  if day == CHECKIN_DAYS[-1] else "Review progress on the plan and adjust what comes next.")
        items.append(PlanItem(item_id=checkin_id(day), kind="checkin", title=f"Day-{day} check-in",
                              detail=detail, owner_role="goal_manager", due_day=day, depends_on=previous))
    items.sort(key=lambda i: (i.due_day, i.item_id))
    gap = ", ".join(ctx.gap_skills) if ctx.gap_skills else "nothing (their evidence covers the task's skills)"
    summary = (f"{ctx.person_name} joins “{ctx.task_title}”. Skills gap: {gap}. {len(learning)} learning item(s), "
               f"{len(practised)} practice item(s), " + (f"{buddy.name} as buddy" if buddy else "no buddy found "
               "with strong evidence and free time") + ", check-ins on days 30, 60 and 90.")
    return OnboardingPlan(summary=summary, buddy_id=buddy.employee_id if buddy else None,
                          gap_skills=list(ctx.gap_skills), items=items)


@dataclass(kw_only=True)
class DraftDeps:
    """What the model's drafts are checked against, and the problems it was sent back with."""

    context: OnboardingContext
    """The drafter's context."""
    problems: list[str] = field(default_factory=list)
    """Problems found in earlier answers (for the audit trail)."""


def plan_problems(deps: DraftDeps, plan: OnboardingPlan) -> list[str]:
    """What the checks find in a model's plan, plus a buddy who is not among the candidates."""
    ctx = deps.context
    problems = check_onboarding_plan(plan, person_id=ctx.key.employee_id,
                                     catalogue_ids={m.item.item_id for m in ctx.catalogue})
    if plan.buddy_id is not None and plan.buddy_id not in {b.employee_id for b in ctx.buddies}:
        problems.append(f"{plan.buddy_id} is not one of the buddy candidates")
    return problems


INSTRUCTIONS = """You draft the 30-60-90 onboarding plan of a person who joins a task inside their company.
Use only the catalogue items and buddy candidates you are given. Items: K0 kick-off (goal_manager, day 2),
learning items (kind learning, learning_item_id from the catalogue, owner person), practice items on the task
(owner person), check-ins C30, C60, C90 (kind checkin, owner goal_manager, due on days 30, 60, 90). Due days count
from the start (0) and never exceed 120; an item is never due before what it depends on."""


def draft_prompt(ctx: OnboardingContext) -> str:
    """The model's prompt: the task, the gap, the catalogue and the buddy candidates."""
    catalogue = "\n".join(f"- {m.item.item_id}: {m.item.title} ({m.item.hours:g} h; teaches {', '.join(m.item.skills)})"
                          for m in ctx.catalogue) or "- (nothing in the catalogue for this gap)"
    buddies = "\n".join(f"- {b.employee_id}: {b.name}, {b.title}; strong in {', '.join(b.skills[:4])}"
                        for b in ctx.buddies) or "- (none: set buddy_id to null)"
    return (f"Goal: {ctx.goal_text}\nTask: {ctx.task_title}: {ctx.task_description}\n"
            f"Person: {ctx.person_name}, {ctx.person_title}\nTask skills: {', '.join(ctx.task_skills)}\n"
            f"Skills gap: {', '.join(ctx.gap_skills) or 'none'}\nCatalogue:\n{catalogue}\nBuddy candidates:\n{buddies}")


def drafting_agent(model: AgentModel) -> Agent[DraftDeps, OnboardingPlan]:
    """An agent that drafts with ``model``; its plans are checked before they are accepted."""
    return checked_agent(model, name="draft_onboarding_plan", instructions=INSTRUCTIONS, deps_type=DraftDeps,
                         output_type=OnboardingPlan, check=plan_problems)
