"""The model chooses among the matcher's people and explains; the product checks the choice before anyone sees
it, and sends a failed check back to the model with the exact reason."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_ai.exceptions import UnexpectedModelBehavior
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agents.models import AgentModel
from agents.staffing_choice import (
    ChoiceContext,
    StaffingChoice,
    TaskChoice,
    choice_prompt,
    choosing_agent,
    proposal_from_choice,
)
from infra.settings import Settings
from infra.store.plans import GoalPlan, PlannedTask
from infra.store.staffing import Candidate, StaffingProposal, TaskStaffing
from policies.staffing_checks import check_proposal


def task(task_id: str, start: int, end: int) -> PlannedTask:
    return PlannedTask(task_id=task_id, title=f"Build part {task_id}", description="Build it", skills=["SQL"],
                       effort_hours=80, start_week=start, end_week=end)


def person(employee_id: str, *, fraction: float = 0.5, free: float = 1.0, score: float = 0.7) -> Candidate:
    return Candidate(employee_id=employee_id, name=f"Person {employee_id}", title="Data engineer",
                     department="data", score=score, fraction=fraction, reason=f"because {employee_id} did SQL",
                     free_fraction=free)


PLAN = GoalPlan(summary="A dashboard", deadline_weeks=6, tasks=[task("T1", 0, 3), task("T2", 2, 6)])
FOUND = {"T1": [person("E1"), person("E2")], "T2": [person("E1", fraction=0.6), person("E3")]}


def proposal(choices: dict[str, list[str]]) -> StaffingProposal:
    return proposal_from_choice(StaffingChoice(tasks=[TaskChoice(task_id=t, employee_ids=ids, why="fits")
                                                      for t, ids in choices.items()]), FOUND)


def test_a_choice_among_the_matchers_people_that_fits_passes() -> None:
    chosen = proposal({"T1": ["E2", "E1"], "T2": ["E1"]})
    assert check_proposal(chosen, PLAN, FOUND) == []
    first = chosen.tasks[0].candidates[0]
    assert (first.employee_id, first.score, first.fraction, first.reason) == ("E2", 0.7, 0.5, "because E2 did SQL")
    assert chosen.tasks[0].why == "fits"


@pytest.mark.parametrize(("choices", "problem"), [
    ({"T1": ["E9"], "T2": ["E3"]}, "E9 is not among the people found for T1"),
    ({"T1": ["E1"], "T2": ["E1"]}, "E1 has 100% of their time free in weeks 2-6; T2 needs 60% on top of 50%"),
    ({"T1": ["E1"]}, "no answer for T2"),
    ({"T1": ["E1"], "T2": ["E3"], "T7": ["E3"]}, "T7 is not a task of the plan"),
])
def test_what_the_checks_refuse(choices: dict[str, list[str]], problem: str) -> None:
    assert any(problem in p for p in check_proposal(proposal(choices), PLAN, FOUND)), check_proposal(
        proposal(choices), PLAN, FOUND)


def test_numbers_the_matcher_did_not_give_are_refused() -> None:
    doctored = StaffingProposal(explanation="x", tasks=[
        TaskStaffing(task_id="T1", candidates=[person("E1", score=0.99)]),
        TaskStaffing(task_id="T2", candidates=[person("E3")])])
    assert check_proposal(doctored, PLAN, FOUND) == ["E1 on T1 carries numbers the matcher did not give"]


def test_the_prompt_lists_each_tasks_people_with_their_numbers() -> None:
    prompt = choice_prompt(PLAN, FOUND)
    assert "Task T1: Build part T1 (weeks 0-3" in prompt
    assert "- E1: Person E1, Data engineer; score 0.70; needs 60% of their time, 100% free" in prompt


def answering(*answers: dict[str, Any]) -> tuple[AgentModel, list[list[ModelMessage]]]:
    seen: list[list[ModelMessage]] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(list(messages))
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, answers[min(len(seen), len(answers)) - 1])])

    config = Settings(model="openai-chat:test", model_output_retries=1).agent_model("propose_staffing")
    return AgentModel(config=config, model=FunctionModel(model, model_name="test")), seen


async def test_an_invented_person_goes_back_to_the_model_with_the_reason() -> None:
    invented = {"tasks": [{"task_id": "T1", "employee_ids": ["E9"]}, {"task_id": "T2", "employee_ids": ["E3"]}]}
    fixed = {"tasks": [{"task_id": "T1", "employee_ids": ["E2"], "why": "E2 did SQL"},
                       {"task_id": "T2", "employee_ids": ["E3"]}], "explanation": "best fit first"}
    model, seen = answering(invented, fixed)
    context = ChoiceContext(plan=PLAN, found=FOUND)
    result = await choosing_agent(model).run(choice_prompt(PLAN, FOUND), deps=context)
    assert [t.employee_ids for t in result.output.tasks] == [["E2"], ["E3"]]
    sent_back = [p for m in seen[1] if isinstance(m, ModelRequest) for p in m.parts][-1]
    assert "E9 is not among the people found for T1" in str(sent_back)
    assert context.problems == ["E9 is not among the people found for T1"]


async def test_a_model_that_never_complies_fails_with_its_last_problem_kept() -> None:
    overbooked = {"tasks": [{"task_id": "T1", "employee_ids": ["E1"]}, {"task_id": "T2", "employee_ids": ["E1"]}]}
    model, seen = answering(overbooked)
    context = ChoiceContext(plan=PLAN, found=FOUND)
    with pytest.raises(UnexpectedModelBehavior):
        await choosing_agent(model).run(choice_prompt(PLAN, FOUND), deps=context)
    assert len(seen) == 2 and len(context.problems) == 2 and "on top of 50%" in context.problems[-1]
