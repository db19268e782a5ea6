"""The planning graph (LangGraph): understand → draft → ground → check → (critique → revise)* → plan.

Every node's output is recorded as a :class:`PlanStep` (the goal workflow audits each one). The loop is bounded:
after :data:`MAX_REVISIONS` revisions the plan goes to review with what is still wrong (``open_issues``). The
same graph runs with the offline drafter (templates) and with a real model (:mod:`.model_draft`); grounding,
checks and revisions do not depend on which drafted.
"""

from __future__ import annotations

import operator
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel
from pydantic_ai.exceptions import AgentRunError

from agents.planning import draft
from agents.planning.draft import TaskDraft
from agents.planning.grounding import domain_people_fit, goal_fit, ground_task, role_fit
from agents.planning.revise import critique_text, revise_drafts
from agents.planning.understand import Understanding, understand
from infra.store.plans import GoalPlan, PlanIssue, PlannedTask, PlanStep
from policies import plan_checks as checks
from tools.goal_text.errors import PlanningError
from tools.taxonomy.skill_names import known_skill

MAX_REVISIONS = 2
"""Critique → revise rounds before the plan goes to review with its open issues."""
MIN_GROUNDING = 0.35
"""Similarity to the closest O*NET work activity a task needs to count as grounded."""

Drafter = Callable[[Understanding, str | None], Awaitable[list[TaskDraft]]]
"""Drafts a goal's tasks, given the goal's reading and, on a revision, what to fix."""


class PlanOutcome(BaseModel):
    """The planning graph's result."""

    plan: GoalPlan
    """The plan, checked (open issues listed on it)."""
    steps: list[PlanStep]
    """Every node's output, in order."""


class PlanningState(TypedDict, total=False):
    """What flows through the graph."""

    text: str
    today: date
    understanding: Understanding
    drafts: list[TaskDraft]
    notes: list[str]
    plan: GoalPlan
    issues: list[PlanIssue]
    rounds: int
    feedback: str
    steps: Annotated[list[PlanStep], operator.add]


async def offline_drafter(understanding: Understanding, feedback: str | None) -> list[TaskDraft]:
    """The deterministic drafter: templates per kind of work (feedback is applied by :func:`revise_drafts`)."""
    del feedback
    return draft.draft_from_templates(understanding)


def build_graph(drafter: Drafter) -> Any:
    """The compiled graph for a drafter."""

    async def understand_node(state: PlanningState) -> PlanningState:
        found = understand(state["text"], state["today"])
        r = found.reading
        return {"understanding": found, "steps": [PlanStep(
            node="understand",
            summary=f"{r.kind} of {r.object} in {r.domain}; due in {found.deadline.weeks} weeks",
            output={"reading": r.model_dump(mode="json"), "deadline_weeks": found.deadline.weeks,
                    "deadline_phrase": found.deadline.phrase, "deadline_assumption": found.deadline.assumption,
                    "kind_scores": _top(found.kind_scores), "domain_scores": _top(found.domain_scores)})]}

    async def draft_node(state: PlanningState) -> PlanningState:
        drafts = await drafter(state["understanding"], None)
        return {"drafts": drafts, "rounds": 0, "notes": [], "steps": [PlanStep(
            node="draft", summary=f"{len(drafts)} tasks drafted", output={"tasks": [d.title for d in drafts]})]}

    async def ground_node(state: PlanningState) -> PlanningState:
        plan = assemble(state["understanding"], state["drafts"], state.get("notes", []))
        return {"plan": plan, "steps": [PlanStep(
            node="ground", summary=f"{sum(1 for t in plan.tasks if t.occupations)} of {len(plan.tasks)} tasks "
                                   "grounded in O*NET work activities",
            output={"tasks": [{"task_id": t.task_id, "title": t.title, "activities": t.activities,
                               "occupations": t.occupations, "skills": t.skills} for t in plan.tasks]})]}

    async def check_node(state: PlanningState) -> PlanningState:
        issues = checks.check_plan(state["plan"], known_skill=known_skill, require_grounding=True)
        return {"issues": issues, "steps": [PlanStep(
            node="check", summary=f"{len(issues)} problem(s)" if issues else "all checks pass",
            output={"issues": [i.model_dump() for i in issues]})]}

    async def critique_node(state: PlanningState) -> PlanningState:
        text = critique_text(state["issues"])
        return {"feedback": text, "steps": [PlanStep(node="critique", summary=text.split("\n")[0],
                                                     output={"critique": text})]}

    async def revise_node(state: PlanningState) -> PlanningState:
        drafts, notes, changes = revise_drafts(state["drafts"], state["plan"], state["issues"])
        if drafter is not offline_drafter:  # a model redrafts from the critique; the drafts fixed by rule are kept
            try:                            # if it cannot
                drafts = await drafter(state["understanding"], state["feedback"])
                notes, changes = [], ["the model redrafted the tasks from the critique"]
            except AgentRunError as err:
                changes = [*changes, f"the model could not redraft ({err}); the tasks as fixed by rule are kept"]
        return {"drafts": drafts, "notes": [*state.get("notes", []), *notes], "rounds": state["rounds"] + 1,
                "steps": [PlanStep(node="revise", summary=f"round {state['rounds'] + 1}: {len(changes)} change(s)",
                                   output={"changes": changes})]}

    async def plan_node(state: PlanningState) -> PlanningState:
        plan = state["plan"].model_copy(update={"open_issues": state.get("issues", [])})
        return {"plan": plan, "steps": [PlanStep(node="plan", summary=plan.summary,
                                                 output={"plan": plan.model_dump(mode="json")})]}

    def after_check(state: PlanningState) -> str:
        return "critique" if state["issues"] and state["rounds"] < MAX_REVISIONS else "plan"

    graph = StateGraph(PlanningState)
    for name, node in (("understand", understand_node), ("draft", draft_node), ("ground", ground_node),
                       ("check", check_node), ("critique", critique_node), ("revise", revise_node),
                       ("plan", plan_node)):
        graph.add_node(name, node)
    graph.add_edge(START, "understand")
    graph.add_edge("understand", "draft")
    graph.add_edge("draft", "ground")
    graph.add_edge("ground", "check")
    graph.add_conditional_edges("check", after_check, {"critique": "critique", "plan": "plan"})
    graph.add_edge("critique", "revise")
    graph.add_edge("revise", "ground")
    graph.add_edge("plan", END)
    return graph.compile()


async def plan_goal(text: str, today: date, *, drafter: Drafter = offline_drafter) -> PlanOutcome:
    """Run the planning graph on a goal.

    Raises:
        PlanningError: The goal has no recognisable work, an impossible deadline, or nothing could be grounded.
    """
    graph = build_graph(drafter)
    state: PlanningState = await graph.ainvoke({"text": text, "today": today, "steps": []},
                                               {"recursion_limit": 8 + 4 * MAX_REVISIONS})
    plan = state["plan"]
    if not any(t.occupations for t in plan.tasks):
        raise PlanningError("could not relate any task of this goal to known work; say what has to be built or "
                            "changed, and in which part of the business")
    return PlanOutcome(plan=plan, steps=state["steps"])


def assemble(understanding: Understanding, drafts: list[TaskDraft], notes: list[str]) -> GoalPlan:
    """Ground every draft and give it its window and effort: the plan as it would go to review."""
    deadline = understanding.deadline.weeks
    fit = goal_fit(understanding.vector)
    domain = domain_people_fit(understanding.domain.description)
    tasks: list[PlannedTask] = []
    for n, item in enumerate(drafts, start=1):
        role = role_fit(f"{item.who}, in {understanding.domain.label}") if item.who else None
        found = ground_task(f"{item.activity}. {item.title}", goal=fit, role=role, domain_share=item.domain_share,
                            min_zone=item.zone, context=understanding.vector, domain=domain)
        grounded = found.activity_similarity >= MIN_GROUNDING and bool(found.occupations)
        start, end = draft.window(item.phase, deadline)
        if item.start_week is not None and item.end_week is not None and item.end_week > item.start_week:
            start, end = item.start_week, item.end_week
        hours, basis = draft.effort(item, understanding.reading.kind, understanding.reading.scale)
        skills = list(dict.fromkeys([*found.skills, *_named_technologies(understanding, item)]))[:8]
        tasks.append(PlannedTask(
            task_id=f"T{n}", title=item.title, description=item.description, phase=item.phase,
            skills=skills or [understanding.domain.label], effort_hours=hours, start_week=start, end_week=end,
            depends_on=[f"T{d}" for d in item.depends_on if 1 <= d <= len(drafts)],
            occupations=found.occupations if grounded else [], activities=found.activities if grounded else [],
            onet_code=found.occupations[0] if grounded else None, effort_basis=basis))
    return GoalPlan(
        summary=_summary(understanding, tasks), deadline_weeks=deadline, tasks=tasks,
        assumptions=_assumptions(understanding) + notes, open_questions=_questions(understanding),
        reading=understanding.reading)


def _named_technologies(understanding: Understanding, item: TaskDraft) -> list[str]:
    """Technologies the goal names, for the tasks that build, move or test with them."""
    return understanding.reading.technologies if item.phase in ("build", "test") else []


def _summary(understanding: Understanding, tasks: list[PlannedTask]) -> str:
    r = understanding.reading
    return (f"{len(tasks)} tasks over {understanding.deadline.weeks} weeks for “{r.object}” ({r.kind}, {r.domain}). "
            "Each task is grounded in O*NET work activities and the occupations that do them.")


def _assumptions(understanding: Understanding) -> list[str]:
    r = understanding.reading
    found = []
    if understanding.deadline.assumption:
        found.append(f"Deadline: {understanding.deadline.assumption}.")
    found.append(f"Read as {r.kind} work in {r.domain}.")
    found += [f"{short} read as “{meaning}”." for short, meaning in r.expansions.items()]
    if r.technologies:
        found.append(f"Technology named: {', '.join(r.technologies)}.")
    found.append("Efforts are planning defaults for one person per task (40-hour weeks), by kind of work and phase"
                 + (f", scaled for {r.scale}" if r.scale else ", at medium scale (the goal states none)") + ".")
    return found


_QUESTIONS = {
    "migration": ["Which data and history must move, and what may be archived?",
                  "When can the cutover happen, and how long may the old and new run side by side?"],
    "launch": ["Who are the first users, and what must the first release do?",
               "Which approvals (risk, legal, security) are needed before launch?"],
    "audit_compliance": ["Which standard or regulation, and which entities and systems are in scope?",
                         "When does the auditor or regulator need the evidence?"],
    "process_change": ["What is today's baseline, and what number would count as success?",
                       "Which teams or sites go first?"],
    "analytics": ["Who will use it, and which decisions will it support?",
                  "Which data sources may be used, and under what privacy rules?"],
    "event": ["What is the budget, and how many people are expected?", "Who signs off the programme and venue?"],
    "programme": ["How many people, in which roles, and by when must they be productive?",
                  "What budget is there for hiring and training?"],
    "construction_maintenance": ["Which permits are needed, and can the space stay in use during the works?",
                                 "What is the budget ceiling?"],
    "research_validation": ["What are the acceptance criteria, and which standard applies?",
                            "Which samples, equipment and approvals are available?"],
    "contract_negotiation": ["What is the budget and the walk-away point?",
                             "Who signs, and is a legal review needed for this kind of contract?"],
}


def _questions(understanding: Understanding) -> list[str]:
    questions = list(_QUESTIONS.get(understanding.kind.name, []))
    if understanding.kind.name == "migration" and not understanding.target:
        questions.insert(0, "What does it move to (which system, provider or site)?")
    if understanding.deadline.phrase is None:
        questions.insert(0, "When must this be done?")
    return questions


def _top(scores: dict[str, float]) -> dict[str, float]:
    return dict(sorted(scores.items(), key=lambda kv: -kv[1])[:3])


__all__ = ["MAX_REVISIONS", "Drafter", "PlanOutcome", "PlanStep", "PlanningError", "build_graph", "offline_drafter",
           "plan_goal"]
