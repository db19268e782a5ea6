"""The onboarding agent and the rules its plans run by: the offline draft from a skills gap, the checks every plan
passes, a model's bad plan sent back with the reason, the release deadline in working days, and when a running
plan nudges whom."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agents.models import AgentModel
from agents.onboarding import DraftDeps, draft_offline, draft_prompt, drafting_agent
from infra.settings import Settings
from infra.store.learning import CatalogueMatch, LearningItem
from infra.store.moves import MoveKey
from infra.store.onboarding import OnboardingPlan, PlanItem
from policies.onboarding_checks import check_onboarding_plan
from policies.release import release_deadline
from tools.onboarding.context import BuddyCandidate, OnboardingContext
from workflows.onboarding_rules import finished, nudges

KEY = MoveKey(goal_id="g-1", task_id="T1", employee_id="E1")


def course(item_id: str, *skills: str, hours: float = 6) -> CatalogueMatch:
    return CatalogueMatch(item=LearningItem(item_id=item_id, title=f"Course {item_id}", provider="Acme", skills=list(
        skills), hours=hours), covers=[s.lower() for s in skills])


def context(**changes: Any) -> OnboardingContext:
    values: dict[str, Any] = dict(
        key=KEY, person_name="Sanne de Vries", person_title="Financial analyst", goal_text="Get ready for PCI DSS",
        task_title="Assess the gaps", task_description="Assess them", starts_on=date(2026, 12, 7),
        task_skills=["Economics and Accounting", "Law and Government", "Customer and Personal Service"],
        gap_skills=["Law and Government", "Customer and Personal Service"],
        catalogue=[course("L-LAW", "Law and Government"), course("L-CS", "Customer and Personal Service")],
        buddies=[BuddyCandidate(employee_id="E9", name="Aoife Taylor", title="Compliance officer",
                                skills=["Law and Government"], strength=4.2, free_share=0.5)])
    values.update(changes)
    return OnboardingContext(**values)


def test_the_offline_draft_closes_the_gap_with_catalogue_items_practice_a_buddy_and_three_check_ins() -> None:
    plan = draft_offline(context())
    assert check_onboarding_plan(plan, person_id="E1", catalogue_ids={"L-LAW", "L-CS"}) == []
    by_id = {i.item_id: i for i in plan.items}
    assert [by_id[c].due_day for c in ("C30", "C60", "C90")] == [30, 60, 90]
    learning = [i for i in plan.items if i.kind == "learning"]
    assert {i.learning_item_id for i in learning} == {"L-LAW", "L-CS"}
    assert {s for i in learning for s in i.skills} == {"Law and Government", "Customer and Personal Service"}
    practice = [i for i in plan.items if i.kind == "practice"]
    assert all(by_id[d].due_day <= p.due_day for p in practice for d in p.depends_on)
    assert plan.buddy_id == "E9" and by_id["B1"].owner_role == "buddy" and "Aoife Taylor" in plan.summary
    assert [i.due_day for i in plan.items] == sorted(i.due_day for i in plan.items)


def test_a_gap_the_catalogue_cannot_close_is_practised_on_the_job_and_no_buddy_is_said_plainly() -> None:
    plan = draft_offline(context(catalogue=[], buddies=[], has_line_manager=False))
    assert not [i for i in plan.items if i.kind == "learning"]
    assert all("learn it on the job" in i.detail for i in plan.items if i.kind == "practice")
    assert plan.buddy_id is None and "no buddy found" in plan.summary
    assert "H1" not in {i.item_id for i in plan.items}, "nobody to hand over their work"
    assert check_onboarding_plan(plan, person_id="E1", catalogue_ids=set()) == []


def item(item_id: str, day: int, *, kind: str = "practice", owner: str = "person", deps: tuple[str, ...] = (),
         learning: str | None = None) -> PlanItem:
    return PlanItem(item_id=item_id, kind=kind, title=item_id, owner_role=owner, due_day=day,  # type: ignore[arg-type]
                    depends_on=list(deps), learning_item_id=learning)


def checkins() -> list[PlanItem]:
    return [item(f"C{d}", d, kind="checkin", owner="goal_manager") for d in (30, 60, 90)]


@pytest.mark.parametrize(("items", "buddy", "problem"), [
    ([item("P1", -2)], None, "P1 is dated before the start (day -2)"),
    ([item("P1", 130)], None, "P1 is due after day 120"),
    ([item("P1", 10, deps=("X9",))], None, "P1 depends on X9, which is not in the plan"),
    ([item("P1", 10, deps=("P2",)), item("P2", 20)], None, "P1 is due before P2, which it depends on"),
    ([item("P1", 10, deps=("P2",)), item("P2", 10, deps=("P1",))], None, "go round in a circle"),
    ([item("L1", 10, kind="learning", learning="L-NOPE")], None, "not in the learning catalogue"),
    ([item("B1", 3, owner="buddy")], None, "the plan has none"),
    ([item("P1", 3)], "E1", "the buddy cannot be the person moving"),
    ([item("P1", 3), item("P1", 4)], None, "each item needs its own id"),
])
def test_what_the_checks_refuse(items: list[PlanItem], buddy: str | None, problem: str) -> None:
    plan = OnboardingPlan(summary="x", buddy_id=buddy, gap_skills=[], items=[*items, *checkins()])
    found = check_onboarding_plan(plan, person_id="E1", catalogue_ids={"L-LAW"})
    assert any(problem in p for p in found), found


def test_a_plan_without_its_check_ins_is_refused() -> None:
    plan = OnboardingPlan(summary="x", buddy_id=None, gap_skills=[], items=[item("P1", 5)])
    assert len([p for p in check_onboarding_plan(plan, person_id="E1", catalogue_ids=set()) if "check-in" in p]) == 3


def answering(*answers: dict[str, Any]) -> tuple[AgentModel, list[list[ModelMessage]]]:
    seen: list[list[ModelMessage]] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(list(messages))
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, answers[min(len(seen), len(answers)) - 1])])

    config = Settings(model="openai-chat:test", model_output_retries=1).agent_model("draft_onboarding_plan")
    return AgentModel(config=config, model=FunctionModel(model, model_name="test")), seen


async def test_a_model_plan_that_invents_a_course_goes_back_with_the_reason() -> None:
    good = draft_offline(context()).model_dump(mode="json")
    made_up = {"item_id": "L9", "kind": "learning", "title": "Made up", "owner_role": "person", "due_day": 20,
               "learning_item_id": "L-FAKE"}
    invented = {**good, "items": [*good["items"], made_up]}
    model, seen = answering(invented, good)
    deps = DraftDeps(context=context())
    result = await drafting_agent(model).run(draft_prompt(deps.context), deps=deps)
    assert result.output == OnboardingPlan.model_validate(good)
    sent_back = [p for m in seen[1] if isinstance(m, ModelRequest) for p in m.parts][-1]
    assert "L9 is a learning item that is not in the learning catalogue" in str(sent_back)
    assert any("L9 is a learning item" in p for p in deps.problems), "the problem is kept for the audit trail"


def test_the_prompt_names_the_gap_the_catalogue_and_the_buddies() -> None:
    prompt = draft_prompt(context())
    assert "Skills gap: Law and Government, Customer and Personal Service" in prompt
    assert "- L-LAW: Course L-LAW (6 h; teaches Law and Government)" in prompt
    assert "- E9: Aoife Taylor, Compliance officer" in prompt


@pytest.mark.parametrize(("asked", "due"), [
    (datetime(2026, 12, 7, 10, tzinfo=UTC), datetime(2026, 12, 10, 10, tzinfo=UTC)),   # Monday -> Thursday
    (datetime(2026, 12, 10, 10, tzinfo=UTC), datetime(2026, 12, 15, 10, tzinfo=UTC)),  # Thursday -> Tuesday
    (datetime(2026, 12, 12, 10, tzinfo=UTC), datetime(2026, 12, 17, 10, tzinfo=UTC)),  # Saturday counts from Monday
])
def test_the_release_deadline_counts_working_days(asked: datetime, due: datetime) -> None:
    assert release_deadline(asked) == due


def test_a_release_deadline_needs_a_working_day() -> None:
    with pytest.raises(ValueError, match="at least one working day"):
        release_deadline(datetime(2026, 12, 7, tzinfo=UTC), 0)


START = datetime(2026, 12, 7, 9, tzinfo=UTC)


def test_reminders_and_escalations_fall_due_in_order_and_never_before_the_start() -> None:
    items = [item("K0", 2, kind="meeting", owner="goal_manager"), *checkins()]
    due = nudges(items, done=set(), sent=set(), starts_at=START)
    assert [(n.kind, n.item_id, n.step) for n in due[:4]] == [
        ("reminder", "K0", 0), ("reminder", "C30", 3), ("reminder", "C30", 0), ("escalation", "C30", 1)]
    assert due[3].at == START + timedelta(days=33)
    assert all(n.at >= START for n in due)
    assert not [n for n in nudges(items, done={"C30"}, sent={"remind:K0:0"}, starts_at=START)
                if n.item_id in ("C30",) or n.key == "remind:K0:0"]


def test_a_plan_finishes_early_when_everything_is_done_or_once_the_day_90_check_in_is_held() -> None:
    items = [item("P1", 10), *checkins()]
    everything = {"P1": "x", "C30": "x", "C60": "x", "C90": "x"}
    assert finished(items, everything, START + timedelta(days=40), START) == \
        "every item done by day 40, before day 90: an early finish"
    assert finished(items, {"C90": "x"}, START + timedelta(days=91), START) == \
        "the day-90 check-in was held; still open: P1, C30, C60"
    assert finished(items, {}, START + timedelta(days=50), START) is None
    assert "ended after day 120" in (finished(items, {}, START + timedelta(days=130), START) or "")
